import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
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

/**
 * A fresh warehouse with namespace `db` for every test of the calling file:
 * `const ctx = useWarehouse();` then `ctx.wh` inside tests.
 */
export function useWarehouse(): { readonly wh: Warehouse } {
  const state: { wh?: Warehouse; dispose?: () => Promise<void> } = {};
  beforeEach(async () => {
    const t = await tempWarehouse();
    state.wh = t.wh;
    state.dispose = t.dispose;
    await t.wh.sql('CREATE NAMESPACE db');
  });
  afterEach(async () => state.dispose?.());
  return {
    get wh(): Warehouse {
      if (!state.wh) throw new Error('useWarehouse: no warehouse outside a test');
      return state.wh;
    },
  };
}
