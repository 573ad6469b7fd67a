import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { duckdbType, sqlLiteral } from '../engine/types.js';
import { ValidationError } from '../errors.js';
import type { UnboundPredicate } from '../expr/predicate.js';
import { isPrimitive } from '../spec/schema.js';
import type { NestedField, Schema } from '../spec/types.js';
import { coerceValue, type Value } from '../spec/values.js';
import { stringifyJson } from '../spec/json.js';
import type { Table } from '../table/table.js';
import type { MergeClause, QueryText } from './ast.js';
import { rowLevelChange } from './dml.js';
import { merge } from './merge.js';
import { SqlSession } from './session.js';

/**
 * Typed row-level changes for library users: DELETE, UPDATE and MERGE built from data (typed
 * predicates, column → value maps, row objects) and run through the same code as the SQL
 * statements (sql/dml.ts, sql/merge.ts), so both strategies, conflict validation and the
 * cardinality rule apply unchanged. User strings only ever reach SQL quoted: identifiers with
 * quoteIdent, values as typed literals of the column's Iceberg type (sqlLiteral).
 */

export interface RowChangeOptions {
  /** Write to this branch instead of `main` (it must exist). */
  branch?: string;
}

export interface UpdateRowsOptions extends RowChangeOptions {
  /** Column name → new value (converted with the column's type; `null` sets NULL). */
  set: Record<string, unknown>;
  /** Rows to change; all rows when omitted. */
  where?: UnboundPredicate;
}

export interface MergeRowsOptions extends RowChangeOptions {
  /** Source rows (objects keyed by column name, values converted like `appendRows`). */
  source: Record<string, unknown>[];
  /** Key columns: a source row matches the target rows equal on all of them. */
  on: string[];
  /**
   * Target rows matched by a source row: `update` (default) sets every non-key column the source
   * rows carry, `delete` removes them, `ignore` leaves them.
   */
  whenMatched?: 'update' | 'delete' | 'ignore';
  /** Source rows matching no target row: `insert` (default; missing columns get their default or NULL) or `ignore`. */
  whenNotMatched?: 'insert' | 'ignore';
}

export interface DeleteRowsResult {
  table: Table;
  deleted: number;
}

export interface UpdateRowsResult {
  table: Table;
  updated: number;
}

export interface MergeRowsResult {
  table: Table;
  updated: number;
  deleted: number;
  inserted: number;
}

const TARGET = '__floe_target';
const SOURCE = '__floe_source';

export async function deleteRows(session: SqlSession, table: Table, where: UnboundPredicate | undefined, options: RowChangeOptions = {}): Promise<DeleteRowsResult> {
  const schema = table.schema();
  const s = branchSession(session, options.branch);
  const r = await rowLevelChange(s, { kind: 'delete', table: nameOf(table), alias: TARGET, ...(where ? { where: text(predicateSql(schema, where, TARGET)) } : {}) });
  return { table: await table.refresh(), deleted: Number(r.rows[0]![0]) };
}

export async function updateRows(session: SqlSession, table: Table, options: UpdateRowsOptions): Promise<UpdateRowsResult> {
  const schema = table.schema();
  const entries = Object.entries(options.set);
  if (entries.length === 0) throw new ValidationError(`updateRows of ${table.name}: set names no column`);
  const assignments = entries.map(([column, value]) => {
    const f = column_(schema, column, table.name);
    return { column: f.name, value: text(valueSql(f, value)) };
  });
  const s = branchSession(session, options.branch);
  const r = await rowLevelChange(s, {
    kind: 'update',
    table: nameOf(table),
    alias: TARGET,
    assignments,
    ...(options.where ? { where: text(predicateSql(schema, options.where, TARGET)) } : {}),
  });
  return { table: await table.refresh(), updated: Number(r.rows[0]![0]) };
}

export async function mergeRows(session: SqlSession, table: Table, options: MergeRowsOptions): Promise<MergeRowsResult> {
  const schema = table.schema();
  if (options.on.length === 0) throw new ValidationError(`mergeRows into ${table.name}: on names no key column`);
  const keys = options.on.map((c) => column_(schema, c, table.name));
  // Source columns: the union of the rows' keys, each typed as the target column of that name.
  const names = new Map<string, NestedField>();
  for (const row of options.source) {
    for (const k of Object.keys(row)) if (!names.has(k)) names.set(k, column_(schema, k, table.name));
  }
  for (const k of keys) if (![...names.values()].includes(k)) throw new ValidationError(`mergeRows into ${table.name}: source rows have no key column '${k.name}'`);
  const columns = [...names.entries()];
  if (new Set(columns.map(([, f]) => f.id)).size !== columns.length) throw new ValidationError(`mergeRows into ${table.name}: source rows name a column twice`);
  if (options.source.length === 0) return { table, updated: 0, deleted: 0, inserted: 0 };

  const col = (alias: string, f: NestedField): string => `${quoteIdent(alias)}.${quoteIdent(f.name)}`;
  const clauses: MergeClause[] = [];
  const matched = options.whenMatched ?? 'update';
  switch (matched) {
    case 'update': {
      const assignments = columns.filter(([, f]) => !keys.includes(f)).map(([k, f]) => ({ column: f.name, valueSql: text(`${quoteIdent(SOURCE)}.${quoteIdent(k)}`) }));
      if (assignments.length > 0) clauses.push({ matched: true, action: { type: 'update', assignments } });
      break;
    }
    case 'delete':
      clauses.push({ matched: true, action: { type: 'delete' } });
      break;
    case 'ignore':
      break;
    default: {
      const never: never = matched;
      throw new ValidationError(`unknown whenMatched '${String(never)}'`);
    }
  }
  const notMatched = options.whenNotMatched ?? 'insert';
  switch (notMatched) {
    case 'insert':
      clauses.push({ matched: false, action: { type: 'insert', columns: columns.map(([, f]) => f.name), values: columns.map(([k]) => text(`${quoteIdent(SOURCE)}.${quoteIdent(k)}`)) } });
      break;
    case 'ignore':
      break;
    default: {
      const never: never = notMatched;
      throw new ValidationError(`unknown whenNotMatched '${String(never)}'`);
    }
  }
  if (clauses.length === 0) return { table, updated: 0, deleted: 0, inserted: 0 };

  const { engine } = session.context;
  const staged = `__floe_merge_rows_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const dir = await mkdtemp(join(tmpdir(), 'floe-rows-'));
  try {
    // The source rows reach DuckDB as JSON read with the target columns' types (as appendRows).
    const file = join(dir, 'rows.ndjson');
    await writeFile(file, options.source.map((r) => stringifyJson(normaliseRow(r))).join('\n'));
    const spec = columns.map(([k, f]) => `${quoteString(k)}: ${quoteString(duckdbType(f.type))}`).join(', ');
    await engine.run(`CREATE TEMP TABLE ${quoteIdent(staged)} AS SELECT * FROM read_json(${quoteString(file)}, format = 'newline_delimited', columns = {${spec}})`);
    const on = keys.map((f) => `${col(TARGET, f)} = ${quoteIdent(SOURCE)}.${quoteIdent(columns.find(([, g]) => g === f)![0])}`).join(' AND ');
    const s = branchSession(session, options.branch);
    const r = await merge(s, {
      kind: 'merge',
      target: nameOf(table),
      targetAlias: TARGET,
      source: text(`SELECT * FROM ${quoteIdent(staged)}`),
      sourceAlias: SOURCE,
      on: text(on),
      clauses,
    });
    const [updated, deleted, inserted] = r.rows[0]!.map((v) => Number(v));
    return { table: await table.refresh(), updated: updated!, deleted: deleted!, inserted: inserted! };
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(staged)}`).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A typed predicate as a SQL condition over `alias`'s columns. Columns must exist (exact name,
 * then case-insensitive as the SQL statements resolve them) and literals must convert to the
 * column's type. NOT is SQL's NOT: a row where the condition is NULL matches neither side,
 * as in the equivalent SQL statement.
 */
export function predicateSql(schema: Schema, p: UnboundPredicate, alias: string): string {
  const ref = (column: string): { f: NestedField; sql: string } => {
    const f = column_(schema, column, 'the table');
    if (!isPrimitive(f.type)) throw new ValidationError(`column '${column}' is not a primitive column`);
    return { f, sql: `${quoteIdent(alias)}.${quoteIdent(f.name)}` };
  };
  const lit = (f: NestedField, v: unknown): string => {
    if (v === null || v === undefined) throw new ValidationError(`a NULL literal cannot be compared with '${f.name}' (use isNull)`);
    return literalSql(f, v);
  };
  switch (p.op) {
    case 'alwaysTrue':
      return 'true';
    case 'alwaysFalse':
      return 'false';
    case 'and':
      return `(${predicateSql(schema, p.left, alias)} AND ${predicateSql(schema, p.right, alias)})`;
    case 'or':
      return `(${predicateSql(schema, p.left, alias)} OR ${predicateSql(schema, p.right, alias)})`;
    case 'not':
      return `(NOT ${predicateSql(schema, p.child, alias)})`;
    case 'eq':
    case 'notEq':
    case 'lt':
    case 'ltEq':
    case 'gt':
    case 'gtEq': {
      const { f, sql } = ref(p.column);
      return `(${sql} ${COMPARE[p.op]} ${lit(f, p.value)})`;
    }
    case 'in':
    case 'notIn': {
      const { f, sql } = ref(p.column);
      if (p.values.length === 0) return p.op === 'in' ? 'false' : 'true';
      return `(${sql} ${p.op === 'in' ? 'IN' : 'NOT IN'} (${p.values.map((v) => lit(f, v)).join(', ')}))`;
    }
    case 'isNull':
      return `(${ref(p.column).sql} IS NULL)`;
    case 'notNull':
      return `(${ref(p.column).sql} IS NOT NULL)`;
    case 'isNaN':
    case 'notNaN': {
      const { f, sql } = ref(p.column);
      if (f.type !== 'float' && f.type !== 'double') throw new ValidationError(`${p.op} needs a float or double column, '${f.name}' is ${String(f.type)}`);
      return `(${p.op === 'isNaN' ? '' : 'NOT '}isnan(${sql}))`;
    }
    case 'startsWith':
    case 'notStartsWith': {
      const { f, sql } = ref(p.column);
      if (f.type !== 'string') throw new ValidationError(`${p.op} needs a string column, '${f.name}' is ${String(f.type)}`);
      if (typeof p.value !== 'string') throw new ValidationError(`${p.op} on '${f.name}' needs a string prefix`);
      return `(${p.op === 'startsWith' ? '' : 'NOT '}starts_with(${sql}, ${quoteString(p.value)}))`;
    }
    default: {
      const never: never = p;
      throw new ValidationError(`unknown predicate ${JSON.stringify(never)}`);
    }
  }
}

const COMPARE = { eq: '=', notEq: '<>', lt: '<', ltEq: '<=', gt: '>', gtEq: '>=' } as const;

/** A value for a SET: NULL or a literal of the column's type. */
function valueSql(f: NestedField, v: unknown): string {
  if (v === null || v === undefined) return sqlLiteral(f.type, null);
  if (!isPrimitive(f.type)) throw new ValidationError(`updateRows: column '${f.name}' is not a primitive column (set it with SQL)`);
  return literalSql(f, v);
}

function literalSql(f: NestedField, v: unknown): string {
  if (!isPrimitive(f.type)) throw new ValidationError(`column '${f.name}' is not a primitive column`);
  if (typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) throw new ValidationError(`cannot convert ${stringifyJson(v)} to ${f.type} for column '${f.name}'`);
  // spec: a string column holds strings; other values are not silently turned into text.
  if (f.type === 'string' && typeof v !== 'string') throw new ValidationError(`cannot convert ${String(v)} to string for column '${f.name}'`);
  if (f.type === 'boolean' && typeof v !== 'boolean') throw new ValidationError(`cannot convert ${String(v)} to boolean for column '${f.name}'`);
  let value: Value | null;
  try {
    value = coerceValue(f.type, v);
  } catch (e) {
    if (e instanceof ValidationError) throw new ValidationError(`${e.message} for column '${f.name}'`);
    throw e;
  }
  return sqlLiteral(f.type, value);
}

/** The schema column of a user-given name: exact match first, then case-insensitive (as SQL). */
function column_(schema: Schema, column: string, table: string): NestedField {
  const f = schema.fields.find((x) => x.name === column) ?? schema.fields.find((x) => x.name.toLowerCase() === column.toLowerCase());
  if (!f) throw new ValidationError(`unknown column '${column}' in ${table}`);
  return f;
}

function text(sql: string): QueryText {
  return { sql, refs: [], functions: [] };
}

function nameOf(t: Table): string[] {
  return [...t.identifier.namespace, t.identifier.name];
}

/** A session like `session` (same settings) writing to `branch` when given. */
function branchSession(session: SqlSession, branch: string | undefined): SqlSession {
  if (branch === undefined) return session;
  const s = new SqlSession(session.context);
  for (const [k, v] of session.settings) s.settings.set(k, v);
  s.settings.set('floe.branch', branch);
  return s;
}

/** Row values as JSON the engine reads back with the column types (dates as ISO, bytes as base64). */
export function normaliseRow(r: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) {
    out[k] = v instanceof Date ? v.toISOString() : v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v;
  }
  return out;
}
