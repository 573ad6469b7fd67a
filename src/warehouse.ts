import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import type { Catalog, CreateTableOptions } from './catalog/catalog.js';
import { openCatalog } from './catalog/open.js';
import { SqliteCatalog } from './catalog/sqlite.js';
import { DuckDBEngine, quoteIdent, quoteString, type EngineOptions, type QueryResult } from './engine/duckdb.js';
import { duckdbType } from './engine/types.js';
import { writeDataFiles } from './engine/writer.js';
import type { FileIO } from './io/file-io.js';
import { LocalFileIO } from './io/local.js';
import { warehouseIO, type EncryptionOptions } from './governance/warehouse-encryption.js';
import { isRemoteUri } from './io/paths.js';
import { openS3FileIO, openS3Root } from './io/s3-warehouse.js';
import type { S3FileIOOptions } from './io/s3.js';
import { FileContent } from './manifest/types.js';
import { stringifyJson } from './spec/json.js';
import type { TableIdentifier } from './spec/types.js';
import { parseScript } from './sql/parser.js';
import { SqlSession, type StatementResult } from './sql/session.js';
import { deleteRows, mergeRows, normaliseRow, updateRows, type DeleteRowsResult, type MergeRowsOptions, type MergeRowsResult, type RowChangeOptions, type UpdateRowsOptions, type UpdateRowsResult } from './sql/row-changes.js';
import type { UnboundPredicate } from './expr/predicate.js';
import { newTableContext, Table, type TableContext } from './table/table.js';
import { autoCompaction } from './table/auto-compact.js';
import { ValidationError } from './errors.js';

export interface WarehouseOptions {
  /** Folder holding `catalog.db` and the tables (default `./warehouse`). */
  warehouse?: string;
  /** Catalog name recorded in the JDBC tables (default `floe`). */
  catalogName?: string;
  /**
   * Bring your own pieces instead of the embedded defaults. A catalog may be named by URI:
   * `postgres://user@host:port/db` or `glue` (see catalog/open.ts).
   */
  catalog?: Catalog | string;
  io?: FileIO;
  engine?: EngineOptions;
  /** The SQLite catalog file (default `<warehouse>/catalog.db`; required for an `s3://` warehouse). */
  catalogPath?: string;
  /** Connection, encryption and cache settings for an `s3://bucket/prefix` warehouse. */
  s3?: S3FileIOOptions;
  /** Envelope encryption of data files and manifests at rest (embedded catalog, local warehouse). */
  encryption?: EncryptionOptions;
}

/**
 * One warehouse: a catalog, storage and the embedded engine, opened from one options object.
 * The CLI is a thin layer over this class.
 */
export class Warehouse {
  readonly session: SqlSession;
  private readonly tableContext: TableContext;

  private constructor(
    readonly root: string,
    readonly catalog: Catalog,
    readonly io: FileIO,
    readonly engine: DuckDBEngine,
    private readonly ownsIo = false,
  ) {
    this.tableContext = { ...newTableContext(catalog, io), afterCommit: autoCompaction(engine) };
    this.session = new SqlSession({ catalog, io, engine, tables: this.tableContext });
  }

  static async open(options: WarehouseOptions = {}): Promise<Warehouse> {
    const where = options.warehouse ?? process.env['FLOE_WAREHOUSE'] ?? './warehouse';
    const remote = isRemoteUri(where);
    const root = remote ? openS3Root(where, options) : resolvePath(where);
    let io = options.io ?? (remote ? await openS3FileIO(root, options.s3) : new LocalFileIO());
    let catalog: Catalog;
    if (options.catalog) {
      if (options.encryption) throw new ValidationError('encryption applies to the embedded catalog: with your own catalog, pass an EncryptedFileIO to it and as io');
      catalog = typeof options.catalog === 'string' ? await openCatalog(options.catalog, { warehouse: root, io, catalogName: options.catalogName ?? 'floe' }) : options.catalog;
    } else {
      if (remote && options.encryption) {
        throw new ValidationError(`envelope encryption is for local warehouses: ${where} is encrypted by S3 with SSE-KMS (s3.sseKms / FLOE_S3_SSE_KMS_KEY_ID)`);
      }
      if (!remote) {
        await mkdir(root, { recursive: true });
        io = await warehouseIO(root, io, options.encryption);
      }
      const dbPath = options.catalogPath ? { dbPath: resolvePath(options.catalogPath) } : {};
      catalog = new SqliteCatalog({ warehouse: root, io, catalogName: options.catalogName ?? 'floe', ...dbPath });
    }
    const engine = await DuckDBEngine.create(options.engine);
    return new Warehouse(root, catalog, io, engine, io !== options.io);
  }

  /** Runs a script (statements separated by `;`) and returns the last statement's result. */
  async sql(text: string): Promise<StatementResult> {
    const results = await this.session.execute(text);
    const last = results[results.length - 1];
    if (!last) throw new ValidationError('no SQL statement given');
    return last;
  }

  /** Runs a script and returns every statement's result in order. */
  async sqlAll(text: string): Promise<StatementResult[]> {
    return this.session.execute(text);
  }

  /** Rows of a query as objects keyed by column name (column order kept). */
  async rows(text: string): Promise<Record<string, unknown>[]> {
    const r = await this.sql(text);
    return r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c.name, row[i]])));
  }

  /** Streams a single query's rows in chunks, for results too large to hold in memory. */
  async *stream(text: string): AsyncGenerator<QueryResult> {
    const stmts = parseScript(text);
    if (stmts.length !== 1 || stmts[0]!.kind !== 'query') throw new ValidationError('stream() takes exactly one query');
    yield* this.session.stream(stmts[0]!.query);
  }

  async loadTable(name: string | TableIdentifier): Promise<Table> {
    const id = typeof name === 'string' ? this.session.identifier(name.split('.')) : name;
    return new Table(this.tableContext, await this.catalog.loadTable(id));
  }

  async createNamespace(name: string | string[], properties: Record<string, string> = {}): Promise<void> {
    await this.catalog.createNamespace(typeof name === 'string' ? name.split('.') : name, properties);
  }

  async createTable(name: string | TableIdentifier, options: CreateTableOptions): Promise<Table> {
    const id = typeof name === 'string' ? this.session.identifier(name.split('.')) : name;
    return new Table(this.tableContext, await this.catalog.createTable(id, options));
  }

  /**
   * Appends rows (objects keyed by column name) to a table in one commit. Values are converted to
   * the column types (numbers, bigints, strings, ISO dates/timestamps, booleans).
   */
  async appendRows(table: Table | string, rows: Record<string, unknown>[], options: { branch?: string } = {}): Promise<Table> {
    const t = typeof table === 'string' ? await this.loadTable(table) : table;
    if (rows.length === 0) return t;
    const dir = await mkdtemp(join(tmpdir(), 'floe-rows-'));
    try {
      const file = join(dir, 'rows.ndjson');
      await writeFile(file, rows.map((r) => stringifyJson(normaliseRow(r))).join('\n'));
      const schema = t.schema();
      const columns = schema.fields.map((f) => `${quoteString(f.name)}: ${quoteString(duckdbType(f.type))}`).join(', ');
      const source = `SELECT ${schema.fields.map((f) => quoteIdent(f.name)).join(', ')} FROM read_json(${quoteString(file)}, format = 'newline_delimited', columns = {${columns}})`;
      const files = await writeDataFiles(this.engine, this.io, writeTarget(t), source);
      return await t.newTransaction().appendFiles(files, { ownsFiles: true, ...(options.branch ? { branch: options.branch } : {}) }).commit();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Upserts rows keyed by the table's identifier fields in one commit: equality delete files remove
   * any existing row with the same key and the new rows are added (spec: equality deletes apply to
   * data with a smaller sequence number, so the rows added in the same commit survive). Partition
   * sources must be identifier fields, so each key's partition is known.
   */
  async upsertRows(table: Table | string, rows: Record<string, unknown>[], options: { branch?: string } = {}): Promise<Table> {
    const t = typeof table === 'string' ? await this.loadTable(table) : table;
    if (rows.length === 0) return t;
    if (t.metadata['format-version'] < 2) throw new ValidationError(`${t.name} is a format v1 table: equality deletes need format v2`);
    const schema = t.schema();
    const ids = schema['identifier-field-ids'] ?? [];
    if (ids.length === 0) throw new ValidationError(`${t.name} has no identifier fields to upsert by (ALTER TABLE … SET IDENTIFIER FIELDS …)`);
    const keyFields = ids.map((id) => schema.fields.find((f) => f.id === id)!);
    for (const f of t.spec().fields) {
      if (f.transform !== 'void' && !ids.includes(f['source-id'])) {
        throw new ValidationError(`cannot upsert into ${t.name}: partition field ${f.name} is not derived from the identifier fields`);
      }
    }
    const dir = await mkdtemp(join(tmpdir(), 'floe-rows-'));
    const staged = `__floe_upsert_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    try {
      const file = join(dir, 'rows.ndjson');
      await writeFile(file, rows.map((r) => stringifyJson(normaliseRow(r))).join('\n'));
      const columns = schema.fields.map((f) => `${quoteString(f.name)}: ${quoteString(duckdbType(f.type))}`).join(', ');
      await this.engine.run(
        `CREATE TEMP TABLE ${quoteIdent(staged)} AS SELECT ${schema.fields.map((f) => quoteIdent(f.name)).join(', ')} FROM read_json(${quoteString(file)}, format = 'newline_delimited', columns = {${columns}})`,
      );
      const keys = keyFields.map((f) => quoteIdent(f.name)).join(', ');
      const dup = await this.engine.query(`SELECT ${keys} FROM ${quoteIdent(staged)} GROUP BY ALL HAVING count(*) > 1 LIMIT 1`);
      if (dup.rows.length > 0) throw new ValidationError(`upsert rows repeat the key (${keyFields.map((f) => f.name).join(', ')}) = (${dup.rows[0]!.map(String).join(', ')})`);
      const data = await writeDataFiles(this.engine, this.io, writeTarget(t), `SELECT * FROM ${quoteIdent(staged)}`);
      const keySchema = { type: 'struct' as const, 'schema-id': schema['schema-id'], fields: keyFields };
      const deletes = (
        await writeDataFiles(this.engine, this.io, { schema: keySchema, spec: t.spec(), location: t.location, properties: t.properties }, `SELECT ${keys} FROM ${quoteIdent(staged)}`, { filePrefix: `eq-delete-${Date.now()}` })
      ).map((f) => {
        const { sort_order_id: _unused, ...rest } = f;
        return { ...rest, content: FileContent.EqualityDeletes, equality_ids: ids };
      });
      return await t
        .newTransaction()
        .overwriteFiles({
          add: data,
          addDeletes: deletes,
          removes: () => false,
          ownsFiles: true,
          operation: 'overwrite',
          ...(options.branch ? { branch: options.branch } : {}),
        })
        .commit();
    } finally {
      await this.engine.run(`DROP TABLE IF EXISTS ${quoteIdent(staged)}`).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Deletes the rows matching a typed predicate (all rows when omitted) in one commit, as
   * `DELETE FROM … WHERE …` does (copy-on-write or merge-on-read per `write.delete.mode`).
   */
  async deleteRows(table: Table | string, where: UnboundPredicate | undefined, options: RowChangeOptions = {}): Promise<DeleteRowsResult> {
    return deleteRows(this.session, typeof table === 'string' ? await this.loadTable(table) : table, where, options);
  }

  /** Sets columns to typed values on the rows matching `where` in one commit, as `UPDATE … SET … WHERE …` does. */
  async updateRows(table: Table | string, options: UpdateRowsOptions): Promise<UpdateRowsResult> {
    return updateRows(this.session, typeof table === 'string' ? await this.loadTable(table) : table, options);
  }

  /** Merges source rows keyed by `on` in one commit, as `MERGE INTO … USING … ON …` does (one source row per target row). */
  async mergeRows(table: Table | string, options: MergeRowsOptions): Promise<MergeRowsResult> {
    return mergeRows(this.session, typeof table === 'string' ? await this.loadTable(table) : table, options);
  }

  /** Writes the rows of a DuckDB query as data files of the table (not yet committed). */
  async writeFiles(table: Table, query: string): Promise<import('./manifest/types.js').DataFile[]> {
    return writeDataFiles(this.engine, this.io, writeTarget(table), query);
  }

  async close(): Promise<void> {
    this.engine.close();
    await this.catalog.close();
    if (this.ownsIo) await this.io.close?.();
  }
}

function writeTarget(t: Table): Parameters<typeof writeDataFiles>[2] {
  return { schema: t.schema(), spec: t.spec(), sortOrder: t.sortOrder(), location: t.location, properties: t.properties };
}

/** Opens a warehouse (see WarehouseOptions). */
export function openWarehouse(options: WarehouseOptions = {}): Promise<Warehouse> {
  return Warehouse.open(options);
}
