import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWarehouse, type Warehouse } from '../../src/index.js';

/** A fresh warehouse in a temp folder, removed by `dispose`. */
export async function tempWarehouse(): Promise<{ wh: Warehouse; dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'floe-test-'));
  const wh = await openWarehouse({ warehouse: dir, engine: { threads: 2 } });
  return {
    wh,
    dir,
    dispose: async () => {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of a query as plain arrays (bigints as numbers when safe) for compact assertions. */
export async function q(wh: Warehouse, sql: string): Promise<unknown[][]> {
  const r = await wh.sql(sql);
  return r.rows.map((row) => row.map((v) => (typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v)));
}
