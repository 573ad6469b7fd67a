import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { rewriteDataFiles } from '../../src/table/rewrite-data.js';
import { q, tempWarehouse } from '../helpers/warehouse.js';
import { requireBuiltDist } from '../helpers/dist.js';
import { delayFor, runWorker, type WorkerExit } from '../helpers/kill.js';

const worker = resolve(__dirname, 'compact-worker.mjs');

let wh: Warehouse;
let dir: string;
let dispose: () => Promise<void>;
beforeAll(async () => {
  requireBuiltDist();
  ({ wh, dir, dispose } = await tempWarehouse());
  await wh.sql('CREATE NAMESPACE db');
});
afterAll(async () => dispose());

function work(name: string, killAt: string, killAfterMs: string): Promise<WorkerExit> {
  return runWorker(worker, [dir, name, killAt, killAfterMs]);
}

let n = 0;
async function prepare(): Promise<{ name: string; rows: unknown[][] }> {
  const name = `db.k${n++}`;
  await wh.sql(`CREATE TABLE ${name} (id INT, p INT, s STRING) PARTITIONED BY (p) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
  for (let i = 0; i < 6; i++) await wh.sql(`INSERT INTO ${name} SELECT range * 8 + ${i}, range % 2, 'row ' || range FROM range(25)`);
  await wh.sql(`DELETE FROM ${name} WHERE id % 5 = 0`);
  return { name, rows: await q(wh, `SELECT * FROM ${name} ORDER BY ALL`) };
}

/** After any kill: the table reads its rows, and a fresh compaction completes and changes none. */
async function checkAfterKill(name: string, rows: unknown[][]): Promise<void> {
  expect(await q(wh, `SELECT * FROM ${name} ORDER BY ALL`)).toEqual(rows);
  const t = await wh.loadTable(name);
  await rewriteDataFiles(t, { engine: wh.engine, targetFileSizeBytes: 4096 });
  expect(await q(wh, `SELECT * FROM ${name} ORDER BY ALL`)).toEqual(rows);
  expect(await q(wh, `SELECT count(*) FROM ${name.replace('.', '."')}$files" WHERE content = 1`)).toEqual([[0]]);
}

describe('compaction killed with SIGKILL (kill safety)', () => {
  for (const step of ['planned', 'written', 'committed']) {
    it(`leaves a readable table with the same rows when killed at step '${step}'`, async () => {
      const { name, rows } = await prepare();
      const before = (await wh.loadTable(name)).snapshots().length;
      const r = await work(name, step, '');
      expect(r.err).toBe('');
      expect(r.signal).toBe('SIGKILL');
      const after = (await wh.loadTable(name)).snapshots().length;
      // Killed after the catalog swap the replace snapshot is there; before it, nothing changed.
      expect(after).toBe(step === 'committed' ? before + 1 : before);
      await checkAfterKill(name, rows);
    }, 30_000);
  }

  it('leaves a readable table with the same rows when killed at random points (several seeds)', async () => {
    // Calibrate: undisturbed runs say how long compaction takes in a child process (the first
    // run is slower with cold caches, so the faster of two).
    const durations: number[] = [];
    for (let i = 0; i < 2; i++) {
      const calibration = await prepare();
      const full = await work(calibration.name, '', '');
      expect(full.err).toBe('');
      expect(full.code).toBe(0);
      const [, took, rewritten] = /done (\d+) (\d+)/.exec(full.out) ?? [];
      expect(Number(rewritten)).toBeGreaterThan(0);
      durations.push(Number(took));
      await checkAfterKill(calibration.name, calibration.rows);
    }
    const ms = Math.min(...durations);
    const outcomes: string[] = [];
    for (const seed of [1, 2, 3]) {
      const { name, rows } = await prepare();
      const r = await work(name, '', String(delayFor(seed, Math.ceil(ms * 0.9))));
      expect(r.err, `seed ${seed}`).toBe('');
      const reached = r.out.trim().split('\n').pop() ?? '(before start)';
      outcomes.push(r.signal === 'SIGKILL' ? `killed after '${reached}'` : r.code === 0 ? 'finished' : `exit ${r.code}`);
      expect(r.signal === 'SIGKILL' || r.code === 0, `seed ${seed}: ${outcomes[outcomes.length - 1]}`).toBe(true);
      await checkAfterKill(name, rows);
    }
    console.log(`random kills (compaction takes ${ms} ms):`, outcomes.join('; '));
  }, 60_000);
});
