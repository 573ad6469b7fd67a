import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { lastRuns } from '../../src/zones/runs.js';
import { CREATE_ORDERS, TWO_MODELS, writeModels } from './models-dir.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
let models: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-cli-run-'));
  models = await writeModels(dir, TWO_MODELS);
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', join(dir, 'wh'), ...args);
}

interface SummaryRow {
  model: string;
  status: string;
  mode: string;
  rows_written: number;
  sources: string;
  snapshot_id: string | null;
  seconds: string;
  detail: string | null;
}

describe('floe run', () => {
  it('runs the models in dependency order and prints a summary', async () => {
    expect((await floe('sql', `${CREATE_ORDERS}; INSERT INTO curated.orders VALUES (1, 'ann', 10, NULL), (2, 'bob', 5, NULL), (3, 'ann', 1, NULL)`)).code).toBe(0);
    const r = await floe('--format', 'json', 'run', '--models', models);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as SummaryRow[];
    expect(rows.map((x) => [x.model, x.status, x.mode, x.rows_written])).toEqual([
      ['analytics.orders_clean', 'success', 'incremental/full', 3],
      ['analytics.customer_totals', 'success', 'table/full', 2],
    ]);
    expect(rows[0]!.sources).toMatch(/^curated\.orders@\d+$/);
    expect(rows[0]!.detail).toBe('first run');
    const totals = JSON.parse((await floe('--format', 'json', 'sql', 'SELECT customer, total FROM analytics.customer_totals ORDER BY customer')).out);
    expect(totals).toEqual([{ customer: 'ann', total: '11.00' }, { customer: 'bob', total: '5.00' }]);
  });

  it('runs only the named model, or it and its upstream with +', async () => {
    await floe('sql', `INSERT INTO curated.orders VALUES (4, 'cid', 2, NULL)`);
    const only = JSON.parse((await floe('--format', 'json', 'run', '--models', models, 'customer_totals')).out) as SummaryRow[];
    expect(only.map((x) => x.model)).toEqual(['analytics.customer_totals']);
    // orders_clean did not run, so the totals do not see order 4 yet.
    expect(JSON.parse((await floe('--format', 'json', 'sql', 'SELECT sum(orders) AS n FROM analytics.customer_totals')).out)).toEqual([{ n: 3 }]);
    const withUp = JSON.parse((await floe('--format', 'json', 'run', '--models', models, '+customer_totals')).out) as SummaryRow[];
    expect(withUp.map((x) => [x.model, x.mode, x.rows_written])).toEqual([
      ['analytics.orders_clean', 'incremental/incremental', 1],
      ['analytics.customer_totals', 'table/full', 3],
    ]);
    const table = await floe('--format', 'table', 'run', '--models', models, 'orders_clean', '--full-refresh');
    expect(table.code).toBe(0);
    expect(table.out).toContain('full refresh requested');
    expect(table.out).toContain('(1 row)');
  });

  it('exits non-zero naming the failed check, and records the runs', async () => {
    await floe('sql', `INSERT INTO curated.orders VALUES (5, 'dan', -9, NULL)`);
    const r = await floe('--format', 'json', 'run', '--models', models);
    expect(r.code).toBe(3);
    expect(r.err).toBe('floe: 1 of 2 model(s) did not succeed: customer_totals: check positive_totals failed: 1 row(s)\n');
    const rows = JSON.parse(r.out) as SummaryRow[];
    expect(rows[1]!.status).toBe('failed');
    expect(rows[1]!.detail).toMatch(/^check positive_totals failed: 1 row\(s\); branch 'floe-run-[0-9T]+-[0-9a-f]{4}' kept for inspection$/);
    const last = await lastRuns(join(dir, 'wh'));
    expect(last.find((x) => x.model === 'customer_totals')).toMatchObject({ status: 'failed', failedCheck: 'positive_totals' });
    expect(last.find((x) => x.model === 'orders_clean')).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 1 });
  });

  it('shows each model\'s last run and its table in floe status', async () => {
    const r = await floe('--format', 'json', 'status');
    expect(r.code).toBe(0);
    const status = JSON.parse(r.out) as Record<string, Record<string, unknown>[]>;
    const models = status['analytics models (last run)']!;
    const byModel = Object.fromEntries(models.map((m) => [m.model, m]));
    expect(byModel['customer_totals']).toMatchObject({ table: 'analytics.customer_totals', status: 'failed', detail: 'positive_totals' });
    expect(byModel['orders_clean']).toMatchObject({ table: 'analytics.orders_clean', status: 'success', mode: 'incremental', rows_written: 1 });
    const cleanRows = JSON.parse((await floe('--format', 'json', 'sql', 'SELECT count(*) AS n FROM analytics.orders_clean')).out) as { n: number }[];
    expect(byModel['orders_clean']!.table_rows).toBe(cleanRows[0]!.n);
    expect(String(byModel['orders_clean']!.sources)).toMatch(/^curated\.orders@\d+$/);
  });

  it('draws a progress bar when stderr is a terminal', async () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: true, configurable: true });
    try {
      await floe('--format', 'json', 'run', '--models', models, 'orders_clean');
    } finally {
      spy.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(written.join('')).toMatch(/floe run \|.*\| 0\/1 models \| orders_clean/);
  });

  it('reports unknown models and cycles as errors', async () => {
    const missing = await floe('run', '--models', models, 'nope');
    expect(missing.code).toBe(4);
    expect(missing.err).toBe("floe: no model named 'nope' (models: customer_totals, orders_clean)\n");
    const cyclic = await writeModels(join(dir, 'cyclic'), { a: 'SELECT * FROM b', b: 'SELECT * FROM a' });
    const cycle = await floe('run', '--models', cyclic);
    expect(cycle.code).toBe(3);
    expect(cycle.err).toBe('floe: models form a cycle: a → b → a\n');
  });
});
