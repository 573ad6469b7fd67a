import { BOOLEAN, DuckDBScalarFunction, VARCHAR, type DuckDBConnection } from '@duckdb/node-api';
import type { DuckDBEngine } from './duckdb.js';

/**
 * `floe_count_row(key)`: a volatile scalar function that counts the rows it is evaluated for,
 * by key, and returns false — a side channel for a COPY that filters rows out
 * (`WHERE CASE WHEN <drop> THEN floe_count_row('k') ELSE true END`) to say how many it dropped.
 * Volatile, so DuckDB neither folds it as a constant nor evaluates it for other rows.
 */
export const COUNT_ROW_FUNCTION = 'floe_count_row';

const counts = new Map<string, number>();
const registered = new WeakSet<DuckDBConnection>();

export function registerRowCounter(engine: DuckDBEngine): void {
  if (registered.has(engine.connection)) return;
  engine.connection.registerScalarFunction(
    DuckDBScalarFunction.create({
      name: COUNT_ROW_FUNCTION,
      returnType: BOOLEAN,
      parameterTypes: [VARCHAR],
      volatile: true,
      mainFunction: (_info, input, output) => {
        const keys = input.getColumnVector(0);
        for (let row = 0; row < input.rowCount; row++) {
          const key = String(keys.getItem(row));
          counts.set(key, (counts.get(key) ?? 0) + 1);
          output.setItem(row, false);
        }
        output.flush();
      },
    }),
  );
  registered.add(engine.connection);
}

/** The rows counted under `key` so far; forgets them. */
export function takeRowCount(key: string): number {
  const n = counts.get(key) ?? 0;
  counts.delete(key);
  return n;
}
