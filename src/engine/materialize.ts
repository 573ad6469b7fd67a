import type { DuckDBEngine } from './duckdb.js';
import { quoteIdent, quoteString } from './duckdb.js';

/** A cell of a materialised relation; Maps become DuckDB MAPs, Uint8Array BLOBs. */
export type Cell = null | boolean | number | bigint | string | Uint8Array | Map<string | number, Cell> | Cell[] | StructCell;

/** A STRUCT value: its fields in declaration order. */
export interface StructCell {
  struct: [string, Cell][];
}

export interface Relation {
  columns: { name: string; type: string }[];
  rows: Cell[][];
}

/** Whether a DuckDB type is nested (STRUCT, MAP, LIST): such cells travel as JSON text. */
function isNested(type: string): boolean {
  return /^(STRUCT|MAP)\s*\(/i.test(type) || /\[\d*\]\s*$/.test(type);
}

/**
 * Creates (or replaces) a temporary table holding `relation`, typed as declared. Primitive cells
 * are SQL literals; nested cells are inserted as JSON text and cast to their type in one pass
 * afterwards (DuckDB casts JSON to STRUCT/MAP/LIST by name), since thousands of nested literals
 * each cost the binder more than the whole cast.
 */
export async function materialize(engine: DuckDBEngine, name: string, relation: Relation): Promise<void> {
  const nested = relation.columns.map((c) => isNested(c.type));
  if (!nested.some(Boolean)) {
    await insertRows(engine, name, relation.columns, relation.rows, nested);
    return;
  }
  const staging = `${name}__json`;
  const stagingColumns = relation.columns.map((c, i) => ({ name: c.name, type: nested[i] ? 'VARCHAR' : c.type }));
  try {
    await insertRows(engine, staging, stagingColumns, relation.rows, nested);
    const select = relation.columns
      .map((c, i) => (nested[i] ? `CAST(CAST(${quoteIdent(c.name)} AS JSON) AS ${c.type}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)))
      .join(', ');
    await engine.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} AS SELECT ${select} FROM ${quoteIdent(staging)}`);
  } finally {
    await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(staging)}`);
  }
}

async function insertRows(engine: DuckDBEngine, name: string, columns: Relation['columns'], rows: Cell[][], asJson: boolean[]): Promise<void> {
  const cols = columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${cols})`);
  const batch = 500;
  for (let i = 0; i < rows.length; i += batch) {
    const values = rows
      .slice(i, i + batch)
      .map((row) => `(${row.map((v, j) => (asJson[j] ? (v === null ? 'NULL' : quoteString(JSON.stringify(jsonOf(v)))) : `CAST(${literal(v)} AS ${columns[j]!.type})`)).join(', ')})`)
      .join(', ');
    await engine.run(`INSERT INTO ${quoteIdent(name)} VALUES ${values}`);
  }
}

/**
 * A cell as JSON that DuckDB casts to the column's type: bigints and non-finite numbers as text,
 * bytes as BLOB text (`\xNN` escapes), maps as objects, structs as objects.
 */
function jsonOf(v: Cell): unknown {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Array.from(v, (b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), jsonOf(x)]));
  if (Array.isArray(v)) return v.map(jsonOf);
  return Object.fromEntries(v.struct.map(([k, x]) => [k, jsonOf(x)]));
}

function literal(v: Cell): string {
  if (v === null) return 'NULL';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : quoteString(String(v));
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return quoteString(v);
  if (v instanceof Uint8Array) return `unhex(${quoteString(Buffer.from(v).toString('hex'))})`;
  if (v instanceof Map) {
    if (v.size === 0) return 'MAP {}';
    return `MAP {${[...v.entries()].map(([k, x]) => `${literal(k)}: ${literal(x)}`).join(', ')}}`;
  }
  if (!Array.isArray(v)) return `{${v.struct.map(([k, x]) => `${quoteString(k)}: ${literal(x)}`).join(', ')}}`;
  return `[${v.map(literal).join(', ')}]`;
}
