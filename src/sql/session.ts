import type { Catalog } from '../catalog/catalog.js';
import type { DuckDBEngine, QueryResult } from '../engine/duckdb.js';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { materialize, type Relation } from '../engine/materialize.js';
import { scanSql } from '../engine/scan-view.js';
import type { FileIO } from '../io/file-io.js';
import { bind } from '../expr/bind.js';
import type { UnboundPredicate } from '../expr/predicate.js';
import type { TableIdentifier } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import { planIncrementalAppendScan } from '../table/incremental-scan.js';
import { ManifestReader, type PathResolver } from '../table/manifest-reader.js';
import { metadataTable } from '../table/metadata-tables.js';
import { openPathTable } from '../table/path-table.js';
import { planScan, selectSnapshot, type ScanMetrics, type SnapshotSelector } from '../table/scan.js';
import { Table, type TableContext } from '../table/table.js';
import { NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import type { QueryText, Statement, TableFunctionRef, TableRef, TimeTravel } from './ast.js';
import { scanHints } from './filters.js';
import { parseScript } from './parser.js';
import { executeStatement } from './statements.js';

/** What running one statement produced: rows for queries, a one-line message for the rest. */
export interface StatementResult extends QueryResult {
  statement: Statement['kind'];
  message?: string;
  /** Scan planning figures of each table the statement read. */
  scans: { table: string; metrics: ScanMetrics }[];
}

export interface SessionContext {
  catalog: Catalog;
  io: FileIO;
  engine: DuckDBEngine;
  tables: TableContext;
}

/**
 * How a catalog table named without a time-travel clause is read: as of a snapshot selector, or
 * only the rows appended in (fromSnapshotId, toSnapshotId] (an incremental append scan).
 */
export type SourceRead = SnapshotSelector | { kind: 'appended'; fromSnapshotId: bigint | undefined; toSnapshotId: bigint | undefined };

/** Session settings with this prefix become snapshot summary properties of the session's commits. */
export const SUMMARY_SETTING_PREFIX = 'floe.summary.';

let sessions = 0;
function nextSessionBase(): number {
  return sessions++ * 1_000_000;
}

/** Schemas DuckDB owns: references into them are left for DuckDB to resolve. */
const DUCKDB_SCHEMAS = new Set(['information_schema', 'pg_catalog', 'main', 'temp', 'system', 'memory']);

/** Spark's session setting for write–audit–publish (spark.wap.branch). */
const WAP_BRANCH = 'spark.wap.branch';

/**
 * A SQL session: settings (default namespace, write branch) plus the engine connection.
 * Lakehouse statements are executed by floe; queries go to DuckDB with each catalog table,
 * time-travel clause, metadata table and path-based table function replaced by a temporary view
 * over the files scan planning chose.
 */
export class SqlSession {
  readonly settings = new Map<string, string>();
  /** Per table (`ns.t`): how references without time travel read it (the model runner pins sources). */
  readonly sourceReads = new Map<string, SourceRead>();
  /** Temporary view names are unique per engine: sessions sharing one (the model runner's) start apart. */
  private counter = nextSessionBase();

  constructor(readonly context: SessionContext) {}

  get catalogName(): string {
    return this.context.catalog.name;
  }

  /** Runs every statement of a script in order; returns each one's result. */
  async execute(sql: string): Promise<StatementResult[]> {
    const out: StatementResult[] = [];
    for (const stmt of parseScript(sql)) out.push(await this.run(stmt));
    return out;
  }

  async run(stmt: Statement): Promise<StatementResult> {
    return executeStatement(this, stmt);
  }

  /** Runs a query with its table references bound to planned scans; cleans up afterwards. */
  async query(q: QueryText): Promise<StatementResult> {
    const prepared = await this.prepareQuery(q);
    try {
      const r = await this.context.engine.query(prepared.sql);
      return { ...r, statement: 'query', scans: prepared.scans };
    } finally {
      await prepared.release();
    }
  }

  /** Streams a query's rows in chunks (bounded memory for large results). */
  async *stream(q: QueryText): AsyncGenerator<QueryResult> {
    const prepared = await this.prepareQuery(q);
    try {
      yield* this.context.engine.stream(prepared.sql);
    } finally {
      await prepared.release();
    }
  }

  /** Table identifier from a SQL name: `ns.t`, `catalog.ns.t`, or `t` in the default namespace. */
  identifier(parts: string[]): TableIdentifier {
    if (parts.length === 0) throw new ValidationError('empty table name');
    let p = parts;
    if (p.length >= 3 && p[0]!.toLowerCase() === this.catalogName.toLowerCase()) p = p.slice(1);
    if (p.length === 1) return { namespace: [this.defaultNamespace()], name: p[0]! };
    return { namespace: p.slice(0, -1), name: p[p.length - 1]! };
  }

  namespace(parts: string[]): string[] {
    if (parts.length >= 2 && parts[0]!.toLowerCase() === this.catalogName.toLowerCase()) return parts.slice(1);
    return parts;
  }

  defaultNamespace(): string {
    return this.settings.get('floe.namespace') ?? 'default';
  }

  async loadTable(parts: string[]): Promise<Table> {
    const id = this.identifier(parts);
    return new Table(this.context.tables, await this.context.catalog.loadTable(id));
  }

  /** Binds a query's references to temporary views; returns the rewritten SQL. */
  async prepareQuery(q: QueryText): Promise<{ sql: string; scans: StatementResult['scans']; release: () => Promise<void> }> {
    const { engine } = this.context;
    const edits: { start: number; end: number; text: string }[] = [];
    const created: { kind: 'VIEW' | 'TABLE'; name: string }[] = [];
    const scans: StatementResult['scans'] = [];
    const pendingScans: { view: string; plan: (filters: UnboundPredicate[], fullScan: boolean) => Promise<string> }[] = [];
    const release = async (): Promise<void> => {
      for (const c of created.reverse()) await engine.run(`DROP ${c.kind} IF EXISTS ${quoteIdent(c.name)}`).catch(() => undefined);
    };
    try {
      for (const ref of q.refs) {
        if (ref.cte) continue;
        const resolved = await this.resolveRef(ref);
        if (!resolved) continue;
        const alias = hasAlias(q.sql, ref.end) ? '' : ` AS ${quoteIdent(ref.name[ref.name.length - 1]!.split('$')[0]!)}`;
        if (ref.metadataTable !== undefined) {
          const name = `__floe_m${this.counter++}`;
          const snapshot = selectSnapshot(resolved.metadata, await this.selector(ref.timeTravel, resolved.metadata.refs));
          await materialize(engine, name, await metadataTable(ref.metadataTable, resolved.metadata, this.context.tables.reader, snapshot));
          created.push({ kind: 'TABLE', name });
          edits.push({ start: ref.start, end: ref.end, text: name + alias });
          continue;
        }
        const view = `__floe_v${this.counter++}`;
        const at = (ref.timeTravel ? undefined : this.sourceReads.get(resolved.label)) ?? (await this.selector(ref.timeTravel, resolved.metadata.refs));
        edits.push({ start: ref.start, end: ref.end, text: view + alias });
        pendingScans.push({
          view,
          plan: async (filters, fullScan) => {
            const { sql, metrics } = await this.scanView(resolved, this.context.tables.reader, resolved.resolve, at, filters, fullScan);
            scans.push({ table: resolved.label, metrics });
            return sql;
          },
        });
      }
      for (const fn of q.functions) {
        const name = `__floe_f${this.counter++}`;
        const rel = await this.tableFunction(fn);
        if ('relation' in rel) {
          await materialize(engine, name, rel.relation);
          created.push({ kind: 'TABLE', name });
        } else {
          await engine.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(name)} AS ${rel.sql}`);
          created.push({ kind: 'VIEW', name });
          scans.push({ table: rel.label, metrics: rel.metrics });
        }
        edits.push({ start: fn.start, end: fn.end, text: name + (hasAlias(q.sql, fn.end) ? '' : ` AS ${fn.fn}`) });
      }
      let sql = q.sql;
      for (const e of [...edits].sort((a, b) => b.start - a.start)) sql = sql.slice(0, e.start) + e.text + sql.slice(e.end);
      const hints = await scanHints(engine, sql, new Set(pendingScans.map((p) => p.view)));
      for (const p of pendingScans) {
        const viewSql = await p.plan(hints.filters.get(p.view) ?? [], !hints.mayFilterRows);
        await engine.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(p.view)} AS ${viewSql}`);
        created.push({ kind: 'VIEW', name: p.view });
      }
      return { sql, scans, release };
    } catch (err) {
      await release();
      throw err;
    }
  }

  /** The catalog table a reference names, or undefined when DuckDB should resolve it (CTE, temp table). */
  private async resolveRef(
    ref: TableRef,
  ): Promise<{ metadata: Table['metadata']; resolve: PathResolver; label: string } | undefined> {
    const parts = ref.name;
    if (parts.length >= 2 && DUCKDB_SCHEMAS.has(parts[0]!.toLowerCase()) && !(await this.namespaceExists([parts[0]!]))) {
      return undefined;
    }
    const id = this.identifier(parts);
    const exists = await this.context.catalog.tableExists(id);
    if (!exists) {
      if (parts.length === 1 && ref.metadataTable === undefined) return undefined;
      // The catalog names the reason when it holds the name as something else (a Glue table that is not Iceberg).
      await this.context.catalog.loadTable(id).catch((e: unknown) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
      throw new NotFoundError(`table ${[...id.namespace, id.name].join('.')} does not exist`);
    }
    const loaded = await this.context.catalog.loadTable(id);
    const label = [...id.namespace, id.name].join('.');
    return { metadata: loaded.metadata, resolve: (p) => p, label };
  }

  private async namespaceExists(ns: string[]): Promise<boolean> {
    try {
      return await this.context.catalog.namespaceExists(ns);
    } catch {
      return false;
    }
  }

  /** Plans a scan of one table with the conjuncts that bind to its schema, and builds its SQL. */
  async scanView(
    table: { metadata: Table['metadata'] },
    reader: ManifestReader,
    resolve: PathResolver,
    at: SourceRead,
    filters: UnboundPredicate[],
    /** The query reads every row of the table (see scanHints). */
    fullScan = false,
  ): Promise<{ sql: string; metrics: ScanMetrics }> {
    const selector: SnapshotSelector =
      at.kind !== 'appended' ? at : at.toSnapshotId !== undefined ? { kind: 'id', snapshotId: at.toSnapshotId } : { kind: 'current' };
    const usable = filters.filter((f) => {
      try {
        const snapshot = selectSnapshot(table.metadata, selector);
        const schemaId = snapshot?.['schema-id'] ?? table.metadata['current-schema-id'];
        const schema = table.metadata.schemas.find((s) => s['schema-id'] === schemaId) ?? table.metadata.schemas[0]!;
        bind(schema, f, false);
        return true;
      } catch {
        return false;
      }
    });
    const filter = usable.length === 0 ? undefined : usable.reduce((a, b) => ({ op: 'and', left: a, right: b }));
    const plan =
      at.kind === 'appended'
        ? await planIncrementalAppendScan(table.metadata, reader, {
            ...(at.fromSnapshotId !== undefined ? { fromSnapshotId: at.fromSnapshotId } : {}),
            ...(at.toSnapshotId !== undefined ? { toSnapshotId: at.toSnapshotId } : {}),
            filter,
            caseSensitive: false,
          })
        : await planScan(table.metadata, reader, { at, filter, caseSensitive: false });
    return {
      sql: await scanSql(plan.schema, plan.tasks, reader.io, resolve, {
        specs: table.metadata['partition-specs'],
        schemas: table.metadata.schemas,
        engine: this.context.engine,
        fullScan,
      }),
      metrics: plan.metrics,
    };
  }

  /** Time travel clause → snapshot selector. Numbers are snapshot ids; other versions are refs. */
  async selector(tt: TimeTravel | undefined, refs?: Record<string, unknown>): Promise<SnapshotSelector> {
    if (!tt) {
      const branch = this.settings.get('floe.read.branch');
      if (branch) return { kind: 'ref', name: branch };
      // Spark's write–audit–publish setting: tables that have the branch are read from it.
      const wap = this.settings.get(WAP_BRANCH);
      return wap && refs && wap in refs ? { kind: 'ref', name: wap } : { kind: 'current' };
    }
    if (tt.kind === 'version') {
      return /^-?\d+$/.test(tt.value) ? { kind: 'id', snapshotId: BigInt(tt.value) } : { kind: 'ref', name: tt.value };
    }
    return { kind: 'timestamp', timestampMs: await this.timestampMs(tt.expr) };
  }

  /** Evaluates a SQL timestamp expression with DuckDB (UTC session) → ms since epoch. */
  async timestampMs(expr: string): Promise<number> {
    const r = await this.context.engine.query(`SELECT epoch_ms(CAST((${expr}) AS TIMESTAMPTZ))`);
    const v = r.rows[0]?.[0];
    if (v === null || v === undefined) throw new ValidationError(`timestamp expression '${expr}' is NULL`);
    return Number(v);
  }

  /** Evaluates a constant SQL expression (a table function argument) with DuckDB. */
  private async constant(expr: string): Promise<string | null> {
    const r = await this.context.engine.query(`SELECT CAST((${expr}) AS VARCHAR)`);
    const v = r.rows[0]?.[0];
    return v === null || v === undefined ? null : String(v);
  }

  /** iceberg_scan / iceberg_metadata / iceberg_snapshots over a path, as DuckDB's extension defines them. */
  private async tableFunction(
    fn: TableFunctionRef,
  ): Promise<{ relation: Relation } | { sql: string; label: string; metrics: ScanMetrics }> {
    const [first] = fn.args.positional;
    if (first === undefined) throw new ValidationError(`${fn.fn}() needs a table path or metadata file`);
    const path = await this.constant(first);
    if (path === null) throw new ValidationError(`${fn.fn}(): path is NULL`);
    const named: Record<string, string | null> = {};
    for (const [k, v] of Object.entries(fn.args.named)) named[k.toLowerCase()] = await this.constant(v);
    const known = ['allow_moved_paths', 'metadata_compression_codec', 'version', 'version_name_format', 'snapshot_from_id', 'snapshot_from_timestamp'];
    for (const k of Object.keys(named)) {
      if (!known.includes(k)) throw new ValidationError(`${fn.fn}(): unknown parameter '${k}' (known: ${known.join(', ')})`);
    }
    const io = this.context.io;
    const absolute = path.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(path) ? path : `${process.cwd()}/${path}`;
    const table = await openPathTable(io, absolute, {
      version: named['version'] ?? undefined,
      versionNameFormat: named['version_name_format'] ?? undefined,
      metadataCompressionCodec: named['metadata_compression_codec'] ?? undefined,
      allowMovedPaths: named['allow_moved_paths'] === 'true',
    });
    let at: SnapshotSelector = { kind: 'current' };
    if (named['snapshot_from_id']) at = { kind: 'id', snapshotId: BigInt(named['snapshot_from_id']) };
    else if (named['snapshot_from_timestamp']) {
      at = { kind: 'timestamp', timestampMs: await this.timestampMs(quoteString(named['snapshot_from_timestamp'])) };
    }
    const reader = new ManifestReader(io, table.resolve);
    switch (fn.fn) {
      case 'iceberg_scan': {
        const { sql, metrics } = await this.scanView(table, reader, table.resolve, at, []);
        return { sql, label: path, metrics };
      }
      case 'iceberg_snapshots':
        return {
          relation: {
            columns: [
              { name: 'sequence_number', type: 'UBIGINT' },
              { name: 'snapshot_id', type: 'UBIGINT' },
              { name: 'timestamp_ms', type: 'TIMESTAMP_MS' },
              { name: 'manifest_list', type: 'VARCHAR' },
              { name: 'operation', type: 'VARCHAR' },
            ],
            rows: table.metadata.snapshots.map((s) => [
              BigInt(s['sequence-number']),
              s['snapshot-id'],
              new Date(s['timestamp-ms']).toISOString().replace('Z', ''),
              s['manifest-list'] ?? null,
              s.summary.operation ?? null,
            ]),
          },
        };
      case 'iceberg_metadata': {
        const snapshot = selectSnapshot(table.metadata, at);
        const rows: Relation['rows'] = [];
        if (snapshot) {
          for (const m of await reader.manifestsOf(snapshot, table.metadata)) {
            for (const e of await reader.entriesOf(m)) {
              rows.push([
                m.manifest_path,
                BigInt(m.sequence_number),
                m.content === 0 ? 'DATA' : 'DELETE',
                ['EXISTING', 'ADDED', 'DELETED'][e.status] ?? 'EXISTING',
                ['DATA', 'POSITION_DELETES', 'EQUALITY_DELETES'][e.data_file.content] ?? 'DATA',
                e.data_file.file_path,
                e.data_file.file_format,
                BigInt(e.data_file.record_count),
                e.sequence_number === null ? null : BigInt(e.sequence_number),
                e.file_sequence_number === null ? null : BigInt(e.file_sequence_number),
              ]);
            }
          }
        }
        return {
          relation: {
            columns: [
              { name: 'manifest_path', type: 'VARCHAR' },
              { name: 'manifest_sequence_number', type: 'BIGINT' },
              { name: 'manifest_content', type: 'VARCHAR' },
              { name: 'status', type: 'VARCHAR' },
              { name: 'content', type: 'VARCHAR' },
              { name: 'file_path', type: 'VARCHAR' },
              { name: 'file_format', type: 'VARCHAR' },
              { name: 'record_count', type: 'BIGINT' },
              { name: 'data_sequence_number', type: 'BIGINT' },
              { name: 'file_sequence_number', type: 'BIGINT' },
            ],
            rows,
          },
        };
      }
      default: {
        const never: never = fn.fn;
        throw new UnsupportedError(`unknown table function ${String(never)}`);
      }
    }
  }

  /** Snapshot summary properties for the session's commits (`SET floe.summary.<key> = <value>`). */
  snapshotSummary(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.settings) {
      // spec: `operation` is the snapshot's own; a setting cannot relabel it.
      if (k.startsWith(SUMMARY_SETTING_PREFIX) && k.length > SUMMARY_SETTING_PREFIX.length && k !== `${SUMMARY_SETTING_PREFIX}operation`) {
        out[k.slice(SUMMARY_SETTING_PREFIX.length)] = v;
      }
    }
    return out;
  }

  /** The branch writes go to: explicit, else the session's `floe.branch` or Spark's `spark.wap.branch`, else main. */
  writeBranch(explicit?: string): string {
    return explicit ?? this.settings.get('floe.branch') ?? this.settings.get(WAP_BRANCH) ?? MAIN_BRANCH;
  }

}

const CLAUSE_WORDS = new Set([
  'where', 'join', 'left', 'right', 'inner', 'outer', 'full', 'cross', 'natural', 'positional', 'asof', 'semi', 'anti',
  'on', 'using', 'group', 'order', 'limit', 'offset', 'union', 'except', 'intersect', 'having', 'window', 'qualify',
  'lateral', 'fetch', 'for', 'with', 'set', 'values', 'select', 'returning', 'when', 'then', 'pivot', 'unpivot',
  'tablesample', 'sample', 'into', 'as', 'from', 'and', 'or', 'not',
]);

/** Whether an alias follows position `end` in `sql` (so the replacement must not add one). */
function hasAlias(sql: string, end: number): boolean {
  const rest = sql.slice(end);
  if (/^\s+AS\s/i.test(rest) || /^\s+AS"/i.test(rest)) return true;
  const m = /^\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)/.exec(rest);
  if (!m) return false;
  const word = m[1]!;
  if (word.startsWith('"')) return true;
  return !CLAUSE_WORDS.has(word.toLowerCase());
}
