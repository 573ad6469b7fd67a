import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { parseContract } from '../../src/zones/contract.js';
import { CURATED_POSITION, QUARANTINE_POSITION, curate, curatedId, positionOf, quarantineId } from '../../src/zones/curate.js';
import { requireBuiltDist } from '../helpers/dist.js';
import { delayFor, runWorker, type WorkerExit } from '../helpers/kill.js';
import { q, tempWarehouse } from '../helpers/warehouse.js';
import { ingestText } from './helpers.js';

/**
 * Curation killed with SIGKILL in a child process, at each named step of a batch and at seeded
 * random delays; the rerun must apply every batch exactly once (issue 6: a batch is either fully
 * processed or not at all). Compared with an undisturbed curation of the same batches, one
 * batch at a time.
 */

const worker = resolve(__dirname, 'curate-worker.mjs');

const CONTRACT = {
  dataset: 'orders',
  columns: [
    { name: 'id', type: 'long', nullable: false },
    { name: 'status', type: 'string' },
    { name: 'amount', type: 'decimal(10, 2)' },
  ],
  checks: [
    { rule: 'range', column: 'amount', min: 0, max: 1000 },
    { rule: 'enum', column: 'status', values: ['new', 'paid'] },
    { rule: 'unique', columns: ['id'] },
  ],
};

/**
 * Batches: clean (one pass, nothing quarantined), failing rows (one pass, the failing rows staged
 * alone), a malformed line (one pass, quarantined by line), a duplicate key (staged whole).
 */
const BATCHES = [
  `id,status,amount\n${Array.from({ length: 300 }, (_, i) => `${i},new,${i % 100}.25`).join('\n')}\n`,
  `id,status,amount\n${Array.from({ length: 300 }, (_, i) => `${1000 + i},${i % 7 === 0 ? 'lost' : 'paid'},${i % 11 === 0 ? '1.234' : `${i}.50`}`).join('\n')}\n`,
  `id,status,amount\n${Array.from({ length: 300 }, (_, i) => (i === 150 ? '2000,new' : `${2000 + i},new,1.00`)).join('\n')}\n`,
  `id,status,amount\n${Array.from({ length: 300 }, (_, i) => `${3000 + (i === 299 ? 0 : i)},paid,2.00`).join('\n')}\n`,
];

const curatedRows = (wh: Warehouse) => q(wh, 'SELECT * FROM curated.orders ORDER BY ALL');
const quarantineRows = (wh: Warehouse) => q(wh, 'SELECT raw_sha256, line, row_number, rule, reason, raw_row FROM curated.orders__quarantine ORDER BY ALL');

/** Curated and quarantine rows after the first k batches of an undisturbed curation, k = 0…n. */
let reference: { curated: unknown[][]; quarantine: unknown[][] }[] = [];

const open: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const d of open.splice(0)) await d();
});

async function warehouseWithBatches(): Promise<{ wh: Warehouse; dir: string; contractPath: string }> {
  const t = await tempWarehouse();
  open.push(t.dispose);
  for (const [i, body] of BATCHES.entries()) await ingestText(t.wh, 'orders', `b${i}.csv`, body);
  const contractPath = join(t.dir, 'orders.contract.json');
  await writeFile(contractPath, JSON.stringify(CONTRACT));
  return { wh: t.wh, dir: t.dir, contractPath };
}

beforeAll(async () => {
  requireBuiltDist('zones/curate.js');
  const t = await tempWarehouse();
  open.push(t.dispose);
  {
    const contract = parseContract(CONTRACT);
    reference = [{ curated: [], quarantine: [] }];
    const paths: string[] = [];
    for (const [i, body] of BATCHES.entries()) {
      await ingestText(t.wh, 'orders', `b${i}.csv`, body);
      const [r] = await curate(t.wh, contract);
      expect(r!.status).toBe('curated');
      paths.push(r!.path!);
      reference.push({ curated: await curatedRows(t.wh), quarantine: await quarantineRows(t.wh) });
    }
    // The batches cover both paths and both commits.
    expect(paths).toEqual(['single-pass', 'single-pass', 'single-pass', 'staged']);
    expect(reference[1]!.quarantine).toHaveLength(0);
    expect(reference[2]!.quarantine.length).toBeGreaterThan(0);
    expect(reference[3]!.quarantine.length).toBeGreaterThan(reference[2]!.quarantine.length);
    expect(reference[4]!.quarantine.length).toBe(reference[3]!.quarantine.length + 2);
  }
}, 60_000);

function work(dir: string, contractPath: string, killAt: string, killAfterMs: string): Promise<WorkerExit> {
  return runWorker(worker, [dir, contractPath, killAt, killAfterMs]);
}

/**
 * After a kill: the curated table shows exactly the batches its position counts (no partial
 * batch), the quarantine those or one batch more (its commit comes first); after the rerun both equal the undisturbed curation, and
 * each batch is one curated snapshot.
 */
async function checkAfterKill(wh: Warehouse, label: string): Promise<void> {
  const exists = await wh.catalog.tableExists(curatedId('orders'));
  if (exists) {
    const curated = await wh.loadTable(curatedId('orders'));
    const quarantine = await wh.loadTable(quarantineId('orders'));
    const c = positionOf(curated, CURATED_POSITION);
    const qp = positionOf(quarantine, QUARANTINE_POSITION);
    // The quarantine position moves only with quarantine rows, and at most one batch ahead.
    expect(qp <= c + 1, `${label}: positions ${c}/${qp}`).toBe(true);
    expect(await curatedRows(wh), label).toEqual(reference[c]!.curated);
    const visible = await quarantineRows(wh);
    const ahead = qp === c + 1;
    expect(visible, label).toEqual(reference[ahead ? c + 1 : c]!.quarantine);
  }
  const results = await curate(wh, parseContract(CONTRACT));
  expect(results.every((r) => r.status === 'curated'), `${label}: ${results.map((r) => r.message).join('; ')}`).toBe(true);
  const done = reference[BATCHES.length]!;
  expect(await curatedRows(wh), label).toEqual(done.curated);
  expect(await quarantineRows(wh), label).toEqual(done.quarantine);
  expect(await q(wh, 'SELECT count(*), count(DISTINCT id) FROM curated.orders'), label).toEqual([[done.curated.length, done.curated.length]]);
  const curated = await wh.loadTable(curatedId('orders'));
  expect(positionOf(curated, CURATED_POSITION)).toBe(BATCHES.length);
  expect(positionOf(await wh.loadTable(quarantineId('orders')), QUARANTINE_POSITION)).toBe(BATCHES.length);
  const batches = curated.snapshots().map((s) => s.summary['floe.raw-log-position']).filter((p) => p !== undefined);
  expect(batches, label).toEqual(BATCHES.map((_, i) => String(i)));
  expect(await curate(wh, parseContract(CONTRACT))).toEqual([]);
}

describe('curate killed with SIGKILL (a batch is processed exactly once)', () => {
  const steps = ['written@0', 'committed@0', 'written@1', 'quarantine-written@1', 'quarantine-committed@1', 'committed@1', 'quarantine-committed@2', 'committed@2', 'written@3', 'quarantine-written@3', 'quarantine-committed@3', 'committed@3'];
  for (const at of steps) {
    it(`killed at '${at}': nothing partial is visible and the rerun applies each batch once`, async () => {
      const { wh, dir, contractPath } = await warehouseWithBatches();
      const r = await work(dir, contractPath, at, '');
      expect(r.err).toBe('');
      expect(r.signal, r.out).toBe('SIGKILL');
      expect(r.out.trim().split('\n').pop()).toBe(at);
      await checkAfterKill(wh, at);
    }, 60_000);
  }

  it('killed at seeded random points: nothing partial is visible and the rerun applies each batch once', async () => {
    // Calibrate: undisturbed runs say how long curation takes in a child process (the first
    // run is slower with cold caches, so the faster of two).
    const durations: number[] = [];
    for (let i = 0; i < 2; i++) {
      const calibration = await warehouseWithBatches();
      const full = await work(calibration.dir, calibration.contractPath, '', '');
      expect(full.err).toBe('');
      const [, took, statuses] = /done (\d+) (\S+)/.exec(full.out) ?? [];
      expect(statuses).toBe('curated,curated,curated,curated');
      durations.push(Number(took));
      await checkAfterKill(calibration.wh, 'undisturbed');
    }
    const ms = Math.min(...durations);
    const outcomes: string[] = [];
    for (const seed of [1, 2, 3, 4, 5]) {
      const { wh, dir, contractPath } = await warehouseWithBatches();
      const r = await work(dir, contractPath, '', String(delayFor(seed, ms)));
      expect(r.err, `seed ${seed}`).toBe('');
      const reached = r.out.trim().split('\n').pop() ?? '(before start)';
      outcomes.push(r.signal === 'SIGKILL' ? `killed after '${reached}'` : r.code === 0 ? 'finished' : `exit ${r.code}`);
      expect(r.signal === 'SIGKILL' || r.code === 0, `seed ${seed}: ${outcomes[outcomes.length - 1]}`).toBe(true);
      await checkAfterKill(wh, `seed ${seed}`);
    }
    console.log(`random kills (curation takes ${ms} ms after start):`, outcomes.join('; '));
  }, 120_000);
});
