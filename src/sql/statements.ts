import { quoteString } from '../engine/duckdb.js';
import { writeDataFiles } from '../engine/writer.js';
import type { DataFile } from '../manifest/types.js';
import { decimalParams, fixedLength, isPrimitive, typeToString } from '../spec/schema.js';
import { parseTransform } from '../spec/transforms.js';
import type {
  IcebergType,
  PartitionField,
  PartitionSpec,
  Schema,
  TableIdentifier,
  TransformName,
} from '../spec/types.js';
import { partitionKey } from '../table/scan.js';
import { Table } from '../table/table.js';
import { AlreadyExistsError, NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import type { ColumnDef, PartitionTerm, Statement } from './ast.js';
import type { SessionContext, SqlSession, StatementResult } from './session.js';
import { icebergTypeOf, icebergTypeOfDuckdb } from './types.js';
import { rowLevelChange } from './dml.js';
import { alterTable } from './alter.js';
import { merge } from './merge.js';
import { callProcedure } from './call.js';
import { vacuumStatement } from './maintenance.js';
import { optimize } from './optimize.js';

function done(statement: Statement['kind'], message: string): StatementResult {
  return { statement, message, columns: [], rows: [], scans: [] };
}

function rowsResult(
  statement: Statement['kind'],
  columns: string[],
  rows: (string | number | bigint | boolean | null)[][],
  message?: string,
): StatementResult {
  return {
    statement,
    columns: columns.map((name) => ({ name, type: 'VARCHAR' })),
    rows,
    scans: [],
    ...(message !== undefined ? { message } : {}),
  };
}

function label(id: TableIdentifier): string {
  return [...id.namespace, id.name].join('.');
}

export async function executeStatement(session: SqlSession, stmt: Statement): Promise<StatementResult> {
  const { catalog } = session.context;
  switch (stmt.kind) {
    case 'query':
      return session.query(stmt.query);
    case 'createNamespace': {
      const ns = session.namespace(stmt.name);
      if (await catalog.namespaceExists(ns)) {
        if (stmt.ifNotExists) return done(stmt.kind, `namespace ${ns.join('.')} already exists`);
        throw new AlreadyExistsError(`namespace ${ns.join('.')} already exists`);
      }
      await catalog.createNamespace(ns, stmt.properties);
      return done(stmt.kind, `created namespace ${ns.join('.')}`);
    }
    case 'dropNamespace': {
      const ns = session.namespace(stmt.name);
      if (!(await catalog.namespaceExists(ns))) {
        if (stmt.ifExists) return done(stmt.kind, `namespace ${ns.join('.')} does not exist`);
        throw new NotFoundError(`namespace ${ns.join('.')} does not exist`);
      }
      if (stmt.cascade) {
        for (const t of await catalog.listTables(ns)) await catalog.dropTable(t, { purge: true });
      }
      await catalog.dropNamespace(ns);
      return done(stmt.kind, `dropped namespace ${ns.join('.')}`);
    }
    case 'createTable':
      return createTable(session, stmt);
    case 'dropTable': {
      const id = session.identifier(stmt.name);
      if (!(await catalog.tableExists(id))) {
        if (stmt.ifExists) return done(stmt.kind, `table ${label(id)} does not exist`);
        throw new NotFoundError(`table ${label(id)} does not exist`);
      }
      await catalog.dropTable(id, { purge: stmt.purge });
      return done(stmt.kind, `dropped table ${label(id)}${stmt.purge ? ' and purged its files' : ''}`);
    }
    case 'insert':
      return insert(session, stmt);
    case 'showTables': {
      const ns = stmt.namespace ? session.namespace(stmt.namespace) : [session.defaultNamespace()];
      if (!(await catalog.namespaceExists(ns))) throw new NotFoundError(`namespace ${ns.join('.')} does not exist`);
      const tables = await catalog.listTables(ns);
      return rowsResult(
        stmt.kind,
        ['namespace', 'table_name'],
        tables.map((t) => [t.namespace.join('.'), t.name]).sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
      );
    }
    case 'showNamespaces': {
      const parent = stmt.parent ? session.namespace(stmt.parent) : undefined;
      const list = await catalog.listNamespaces(parent);
      return rowsResult(stmt.kind, ['namespace'], list.map((n) => [n.join('.')]).sort());
    }
    case 'describe': {
      const table = await session.loadTable(stmt.name);
      return rowsResult(stmt.kind, ['col_name', 'data_type', 'comment'], describeRows(table, stmt.extended));
    }
    case 'showCreateTable': {
      const table = await session.loadTable(stmt.name);
      return rowsResult(stmt.kind, ['createtab_stmt'], [[showCreateTable(table)]]);
    }
    case 'showTblProperties': {
      const table = await session.loadTable(stmt.name);
      return rowsResult(
        stmt.kind,
        ['key', 'value'],
        Object.entries(table.properties).sort(([a], [b]) => a.localeCompare(b)),
      );
    }
    case 'delete':
      return rowLevelChange(session, {
        kind: 'delete',
        table: stmt.table,
        ...(stmt.alias !== undefined ? { alias: stmt.alias } : {}),
        ...(stmt.where !== undefined ? { where: stmt.where } : {}),
      });
    case 'update':
      return rowLevelChange(session, {
        kind: 'update',
        table: stmt.table,
        ...(stmt.alias !== undefined ? { alias: stmt.alias } : {}),
        ...(stmt.where !== undefined ? { where: stmt.where } : {}),
        assignments: stmt.assignments.map((a) => ({ column: a.column, value: a.valueSql })),
      });
    case 'set': {
      if (stmt.value === '') session.settings.delete(stmt.key);
      else session.settings.set(stmt.key, stmt.value);
      return done(stmt.kind, `${stmt.key} = ${stmt.value === '' ? '(reset)' : stmt.value}`);
    }
    case 'alterTable':
      return alterTable(session, stmt);
    case 'merge':
      return merge(session, stmt);
    case 'call':
      return callProcedure(session, stmt);
    case 'vacuum':
      return vacuumStatement(session, stmt);
    case 'optimize':
      return optimize(session, stmt);
    default: {
      const unknown: never = stmt;
      throw new UnsupportedError(`${(unknown as { kind: string }).kind.replace(/([A-Z])/g, ' $1').toUpperCase()} statements are not supported`);
    }
  }
}

/** Spark's names for partition fields: identity keeps the column name. */
export function partitionFieldName(term: PartitionTerm): string {
  switch (term.transform) {
    case 'identity':
      return term.column;
    case 'bucket':
      return `${term.column}_bucket`;
    case 'truncate':
      return `${term.column}_trunc`;
    case 'void':
      return `${term.column}_null`;
    default:
      return `${term.column}_${term.transform}`;
  }
}

export function transformName(term: PartitionTerm): TransformName {
  switch (term.transform) {
    case 'bucket':
    case 'truncate':
      if (term.param === undefined || !Number.isInteger(term.param) || term.param <= 0) {
        throw new ValidationError(`${term.transform}(…, ${term.column}) needs a positive integer parameter`);
      }
      return `${term.transform}[${term.param}]` as TransformName;
    default:
      return term.transform;
  }
}

function buildSchema(columns: ColumnDef[]): Schema {
  let id = 0;
  const next = (): number => ++id;
  const names = new Set<string>();
  const fields = columns.map((c) => {
    const lower = c.name.toLowerCase();
    if (names.has(lower)) throw new ValidationError(`column '${c.name}' is defined twice`);
    names.add(lower);
    const fieldId = next();
    return {
      id: fieldId,
      name: c.name,
      required: c.notNull,
      type: icebergTypeOf(c.type, next),
      ...(c.comment !== undefined ? { doc: c.comment } : {}),
    };
  });
  if (fields.length === 0) throw new ValidationError('a table needs at least one column');
  return { type: 'struct', 'schema-id': 0, fields };
}

function buildSpec(schema: Schema, terms: PartitionTerm[]): PartitionSpec {
  let fieldId = 1000;
  const fields: PartitionField[] = terms.map((term) => {
    const source = schema.fields.find((f) => f.name.toLowerCase() === term.column.toLowerCase());
    if (!source) throw new ValidationError(`unknown column '${term.column}' in PARTITIONED BY`);
    if (!isPrimitive(source.type)) throw new ValidationError(`cannot partition by ${term.column}: it is not a primitive column`);
    const transform = transformName(term);
    parseTransform(transform);
    return { 'source-id': source.id, 'field-id': fieldId++, name: partitionFieldName({ ...term, column: source.name }), transform };
  });
  return { 'spec-id': 0, fields };
}

async function createTable(session: SqlSession, stmt: Extract<Statement, { kind: 'createTable' }>): Promise<StatementResult> {
  const { catalog } = session.context;
  const id = session.identifier(stmt.name);
  if (await catalog.tableExists(id)) {
    if (stmt.ifNotExists) return done(stmt.kind, `table ${label(id)} already exists`);
    if (!stmt.orReplace) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    await catalog.dropTable(id, { purge: true });
  }
  const properties: Record<string, string> = { 'write.format.default': 'parquet', ...stmt.properties };
  if (stmt.comment !== undefined) properties['comment'] = stmt.comment;
  const formatVersion = properties['format-version'];
  delete properties['format-version'];
  if (formatVersion !== undefined && formatVersion !== '1' && formatVersion !== '2') {
    throw new ValidationError(`format-version ${formatVersion} is not supported for new tables (use 1 or 2)`);
  }
  if (!stmt.asQuery) {
    const schema = buildSchema(stmt.columns);
    const spec = buildSpec(schema, stmt.partitionBy);
    await catalog.createTable(id, {
      schema,
      partitionSpec: spec,
      properties: formatVersion ? { ...properties, 'format-version': formatVersion } : properties,
      ...(stmt.location !== undefined ? { location: stmt.location } : {}),
    });
    return done(stmt.kind, `created table ${label(id)}`);
  }
  // CREATE TABLE … AS SELECT: the query's column types become the table's schema.
  const prepared = await session.prepareQuery(stmt.asQuery);
  try {
    const described = await session.context.engine.query(`DESCRIBE ${prepared.sql}`);
    let n = 0;
    const next = (): number => ++n;
    const schema: Schema = {
      type: 'struct',
      'schema-id': 0,
      fields: described.rows.map((r) => {
        const fid = next();
        return { id: fid, name: String(r[0]), required: false, type: icebergTypeOfDuckdb(String(r[1]), next) };
      }),
    };
    const spec = buildSpec(schema, stmt.partitionBy);
    const loaded = await catalog.createTable(id, {
      schema,
      partitionSpec: spec,
      properties: formatVersion ? { ...properties, 'format-version': formatVersion } : properties,
      ...(stmt.location !== undefined ? { location: stmt.location } : {}),
    });
    const table = new Table(session.context.tables, loaded);
    try {
      const files = await writeFiles(session.context, table, prepared.sql, undefined);
      const committed = await table.newTransaction().appendFiles(files, { ownsFiles: true, summary: session.snapshotSummary() }).commit();
      const rows = files.reduce((a, f) => a + f.record_count, 0);
      return rowsResult(stmt.kind, ['rows_inserted'], [[BigInt(rows)]], `created table ${label(id)} with ${rows} rows (snapshot ${committed.currentSnapshot()?.['snapshot-id'] ?? 'none'})`);
    } catch (err) {
      await catalog.dropTable(id, { purge: true }).catch(() => undefined);
      throw err;
    }
  } finally {
    await prepared.release();
  }
}

function writeFiles(ctx: SessionContext, table: Table, sql: string, columns: string[] | undefined): Promise<DataFile[]> {
  return writeDataFiles(
    ctx.engine,
    ctx.io,
    {
      schema: table.schema(),
      spec: table.spec(),
      sortOrder: table.sortOrder(),
      location: table.location,
      properties: table.properties,
    },
    sql,
    columns ? { columns } : {},
  );
}

async function insert(session: SqlSession, stmt: Extract<Statement, { kind: 'insert' }>): Promise<StatementResult> {
  const { catalog } = session.context;
  let parts = stmt.table;
  let branch = stmt.branch;
  if (branch !== undefined) {
    // `ns.t.branch_b` names branch b of ns.t — unless a table is literally called `branch_b`.
    const whole = session.identifier(parts);
    if (await catalog.tableExists(whole)) branch = undefined;
    else parts = parts.slice(0, -1);
  }
  const table = await session.loadTable(parts);
  const target = session.writeBranch(branch);
  const ref = table.metadata.refs[target];
  if (ref?.type === 'tag') throw new ValidationError(`cannot write to tag '${target}' of ${table.name}: tags are read-only`);
  if (!ref && target !== 'main') throw new NotFoundError(`branch '${target}' of ${table.name} does not exist`);
  const prepared = await session.prepareQuery(stmt.source);
  const scans = prepared.scans;
  let files: DataFile[];
  try {
    files = await writeFiles(session.context, table, prepared.sql, stmt.columns);
  } finally {
    await prepared.release();
  }
  const rows = files.reduce((a, f) => a + f.record_count, 0);
  const tx = table.newTransaction();
  if (stmt.overwrite) {
    const spec = table.spec();
    const specId = spec['spec-id'];
    const partitioned = spec.fields.some((f) => f.transform !== 'void');
    const keys = new Set(files.map((f) => partitionKey(specId, f.partition)));
    // Dynamic partition overwrite: replace exactly the partitions the new rows fall in; static
    // (Spark's partitionOverwriteMode=static, `SET floe.overwrite.mode = static`): every row.
    const staticMode = (session.settings.get('floe.overwrite.mode') ?? 'dynamic').toLowerCase() === 'static';
    const inScope = (f: DataFile, fileSpec: number): boolean =>
      staticMode || !partitioned || (fileSpec === specId && keys.has(partitionKey(fileSpec, f.partition)));
    tx.overwriteFiles({
      branch: target,
      add: files,
      removes: inScope,
      conflictsWith: inScope,
      ownsFiles: true,
      summary: { ...(staticMode ? {} : { 'replace-partitions': 'true' }), ...session.snapshotSummary() },
    });
  } else {
    tx.appendFiles(files, { branch: target, ownsFiles: true, summary: session.snapshotSummary() });
  }
  const committed = await tx.commit();
  const snap = committed.metadata.refs[target]?.['snapshot-id'];
  const result = rowsResult(
    'insert',
    ['rows_inserted'],
    [[BigInt(rows)]],
    `${stmt.overwrite ? 'overwrote' : 'inserted'} ${rows} row(s) into ${table.name}${target !== 'main' ? ` (branch ${target})` : ''}, snapshot ${snap ?? 'none'}`,
  );
  return { ...result, scans };
}

/** SQL spelling of an Iceberg type, as floe's CREATE TABLE reads it. */
export function sqlTypeName(t: IcebergType): string {
  if (isPrimitive(t)) {
    const dec = decimalParams(t);
    if (dec) return `DECIMAL(${dec.precision}, ${dec.scale})`;
    const fixed = fixedLength(t);
    if (fixed !== null) return `FIXED(${fixed})`;
    const names: Record<string, string> = {
      boolean: 'BOOLEAN',
      int: 'INT',
      long: 'BIGINT',
      float: 'FLOAT',
      double: 'DOUBLE',
      date: 'DATE',
      time: 'TIME',
      timestamp: 'TIMESTAMP',
      timestamptz: 'TIMESTAMPTZ',
      string: 'STRING',
      uuid: 'UUID',
      binary: 'BINARY',
    };
    return names[t] ?? t.toUpperCase();
  }
  switch (t.type) {
    case 'struct':
      return `STRUCT<${t.fields.map((f) => `${f.name}: ${sqlTypeName(f.type)}${f.required ? ' NOT NULL' : ''}`).join(', ')}>`;
    case 'list':
      return `ARRAY<${sqlTypeName(t.element)}>`;
    case 'map':
      return `MAP<${sqlTypeName(t.key)}, ${sqlTypeName(t.value)}>`;
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

function partitionTermText(table: Table, f: PartitionField): string {
  const col = table.schema().fields.find((c) => c.id === f['source-id'])?.name ?? `#${f['source-id']}`;
  const t = parseTransform(f.transform);
  switch (t.kind) {
    case 'identity':
      return col;
    case 'bucket':
      return `bucket(${t.n}, ${col})`;
    case 'truncate':
      return `truncate(${t.width}, ${col})`;
    default:
      return `${t.kind}(${col})`;
  }
}

function describeRows(table: Table, extended: boolean): (string | null)[][] {
  const rows: (string | null)[][] = table
    .schema()
    .fields.map((f) => [f.name, typeToString(f.type) + (f.required ? ' not null' : ''), f.doc ?? null]);
  const spec = table.spec();
  if (spec.fields.length > 0) {
    rows.push(['', '', null], ['# Partitioning', '', null]);
    spec.fields.forEach((f, i) => rows.push([`Part ${i}`, partitionTermText(table, f), null]));
  }
  if (extended) {
    rows.push(['', '', null], ['# Metadata', '', null]);
    rows.push(['Name', table.name, null]);
    rows.push(['Location', table.location, null]);
    rows.push(['Format version', String(table.metadata['format-version']), null]);
    rows.push(['Current snapshot', String(table.currentSnapshot()?.['snapshot-id'] ?? ''), null]);
    rows.push(['Metadata file', table.metadataLocation, null]);
  }
  return rows;
}

function showCreateTable(table: Table): string {
  const cols = table
    .schema()
    .fields.map((f) => `  ${f.name} ${sqlTypeName(f.type)}${f.required ? ' NOT NULL' : ''}${f.doc ? ` COMMENT ${quoteString(f.doc)}` : ''}`);
  const lines = [`CREATE TABLE ${table.name} (`, cols.join(',\n'), ')', 'USING iceberg'];
  const spec = table.spec();
  if (spec.fields.length > 0) lines.push(`PARTITIONED BY (${spec.fields.map((f) => partitionTermText(table, f)).join(', ')})`);
  lines.push(`LOCATION ${quoteString(table.location)}`);
  const props = Object.entries({ ...table.properties, 'format-version': String(table.metadata['format-version']) });
  if (props.length > 0) {
    lines.push(`TBLPROPERTIES (\n${props.map(([k, v]) => `  ${quoteString(k)} = ${quoteString(v)}`).join(',\n')})`);
  }
  return lines.join('\n');
}
