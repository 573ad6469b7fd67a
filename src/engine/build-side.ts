import type { DuckDBEngine } from './duckdb.js';
import { quoteString } from './duckdb.js';

const FLIP = 'build_side_probe_side';

/**
 * Runs one statement with DuckDB's hash joins building on their right-hand side as written.
 * DuckDB flips a join to build on the side it estimates smaller, but it estimates a read_parquet
 * scan that uses the `schema` field-id map at about a thousand rows per file whatever the files
 * hold, so a large table looks smaller than a small temporary table and its rows get hashed.
 * Callers that know the real sizes (manifest record counts, a counted temporary table) put the
 * smaller side on the right and turn the flip off for that statement only.
 */
export async function runBuildingRight(engine: DuckDBEngine, sql: string): Promise<void> {
  const before = String((await engine.query(`SELECT current_setting('disabled_optimizers')`)).rows[0]?.[0] ?? '');
  const names = before.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.includes(FLIP)) return engine.run(sql);
  await engine.run(`SET disabled_optimizers = ${quoteString([...names, FLIP].join(','))}`);
  try {
    await engine.run(sql);
  } finally {
    await engine.run(before === '' ? 'RESET disabled_optimizers' : `SET disabled_optimizers = ${quoteString(before)}`);
  }
}
