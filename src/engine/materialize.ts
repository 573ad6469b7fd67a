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

/** Creates (or replaces) a temporary table holding `relation`, typed as declared. */
export async function materialize(engine: DuckDBEngine, name: string, relation: Relation): Promise<void> {
  const cols = relation.columns.map((c) => `${quoteIdent(c.name)} ${c.type}`).join(', ');
  await engine.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(name)} (${cols})`);
  const batch = 500;
  for (let i = 0; i < relation.rows.length; i += batch) {
    const values = relation.rows
      .slice(i, i + batch)
      .map((row) => `(${row.map((v, j) => `CAST(${literal(v)} AS ${relation.columns[j]!.type})`).join(', ')})`)
      .join(', ');
    await engine.run(`INSERT INTO ${quoteIdent(name)} VALUES ${values}`);
  }
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
