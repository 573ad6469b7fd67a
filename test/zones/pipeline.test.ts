import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeModels } from './models-dir.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

/**
 * The whole data flow from the CLI, as the issue describes it: files → raw (ingest) → curated
 * (curate, against a contract) → analytics (run, SQL models over the tables `floe curate` made) →
 * status; including upserting change feeds under an incremental model.
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-pipeline-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', join(dir, 'wh'), '--format', 'json', ...args);
}

const json = <T>(r: { out: string }): T => JSON.parse(r.out) as T;

async function contract(mode: 'append' | 'upsert'): Promise<string> {
  const path = join(dir, `orders-${mode}.contract.json`);
  await writeFile(
    path,
    JSON.stringify({
      dataset: 'orders',
      columns: [
        { name: 'order_id', type: 'long', nullable: false, source: 'id' },
        { name: 'customer', type: 'string' },
        { name: 'amount', type: 'decimal(10, 2)' },
        { name: 'ordered_at', type: 'timestamp', nullable: false },
      ],
      keys: ['order_id'],
      // spec: equality deletes apply within their partition, so upserts partition by the key.
      partitioning: [mode === 'upsert' ? 'bucket(4, order_id)' : 'day(ordered_at)'],
      checks: [{ rule: 'range', column: 'amount', min: 0 }],
      mode,
    }),
  );
  return path;
}

async function batch(name: string, rows: string[]): Promise<void> {
  const path = join(dir, name);
  await writeFile(path, `id,customer,amount,ordered_at\n${rows.join('\n')}\n`);
  expect((await floe('ingest', path, '--into', 'raw/orders')).code).toBe(0);
}

const MODELS = (onChange: 'fail' | 'full_refresh'): Record<string, string> => ({
  orders_daily: `/*
materialized: incremental
on_source_change: ${onChange}
partitioned_by: [day]
checks:
  - not_null: order_id
*/
SELECT order_id, customer, amount, CAST(ordered_at AS DATE) AS day FROM curated.orders`,
  customer_totals: `/*
checks:
  - name: positive
    sql: SELECT * FROM analytics.customer_totals WHERE total <= 0
*/
SELECT customer, sum(amount) AS total FROM orders_daily GROUP BY customer`,
});

interface RunRow {
  model: string;
  status: string;
  mode: string;
  rows_written: number;
  detail: string | null;
}

describe('raw → curated → analytics from the CLI', () => {
  it('append feeds: models over the curated table run incrementally with lineage; a failing check publishes nothing', async () => {
    const models = await writeModels(dir, MODELS('fail'));
    await batch('a.csv', ['1,ann,10.00,2026-01-01 10:00:00', '2,bob,5.00,2026-01-02 11:00:00', '3,bob,-1.00,2026-01-02 12:00:00']);
    expect((await floe('curate', 'orders', '--contract', await contract('append'))).code).toBe(0);
    const first = json<RunRow[]>(await floe('run', '--models', models));
    expect(first.map((r) => [r.model, r.status, r.mode, r.rows_written])).toEqual([
      ['analytics.orders_daily', 'success', 'incremental/full', 2],
      ['analytics.customer_totals', 'success', 'table/full', 2],
    ]);

    await batch('b.csv', ['4,cid,7.50,2026-01-03 09:00:00']);
    expect((await floe('curate', 'orders')).code).toBe(0);
    const second = json<RunRow[]>(await floe('run', '--models', models, 'orders_daily'));
    expect(second.map((r) => [r.status, r.mode, r.rows_written])).toEqual([['success', 'incremental/incremental', 1]]);
    // Lineage: the model's snapshot names the curated snapshot it consumed.
    const curatedHead = json<{ snapshot_id: string }[]>(await floe('sql', `SELECT snapshot_id FROM curated."orders$snapshots" ORDER BY committed_at DESC LIMIT 1`));
    const summary = json<{ v: string }[]>(
      await floe('sql', `SELECT summary['floe.source.curated.orders'] AS v FROM analytics."orders_daily$snapshots" ORDER BY committed_at DESC LIMIT 1`),
    );
    expect(String(summary[0]!.v)).toBe(String(curatedHead[0]!.snapshot_id));

    // A batch whose amounts make a total non-positive: the check fails, main keeps the old totals.
    await batch('c.csv', ['5,cid,0.00,2026-01-03 10:00:00']);
    await batch('d.csv', ['6,dan,0.00,2026-01-04 10:00:00']);
    expect((await floe('curate', 'orders')).code).toBe(0);
    const failed = await floe('run', '--models', models);
    expect(failed.code).not.toBe(0);
    const rows = json<RunRow[]>(failed);
    expect(rows.map((r) => [r.model, r.status])).toEqual([
      ['analytics.orders_daily', 'success'],
      ['analytics.customer_totals', 'failed'],
    ]);
    expect(rows[1]!.detail).toMatch(/check positive failed: 1 row/);
    expect(json(await floe('sql', 'SELECT customer FROM analytics.customer_totals ORDER BY 1'))).toEqual([{ customer: 'ann' }, { customer: 'bob' }]);
    const st = json<Record<string, Record<string, unknown>[]>>(await floe('status'));
    expect(st['raw and curated']![0]).toMatchObject({ dataset: 'orders', raw_batches: 4, curated_rows: 5, pending_batches: 0, quarantined_rows: 1 });
    expect(JSON.stringify(st)).toMatch(/customer_totals.*failed/);
  });

  it('upsert feeds: an incremental model fails clearly on equality deletes, or refreshes fully when told to', async () => {
    const models = await writeModels(dir, MODELS('fail'));
    const upsert = await contract('upsert');
    await batch('a.csv', ['1,ann,10.00,2026-01-01 10:00:00', '2,bob,5.00,2026-01-02 11:00:00']);
    const cu = await floe('curate', 'orders', '--contract', upsert);
    expect(cu.err).toBe('');
    expect(json<RunRow[]>(await floe('run', '--models', models)).map((r) => r.status)).toEqual(['success', 'success']);

    await batch('b.csv', ['2,bob,6.00,2026-01-02 11:00:00']);
    expect((await floe('curate', 'orders')).code).toBe(0);
    expect(json(await floe('sql', 'SELECT order_id, amount FROM curated.orders ORDER BY 1'))).toEqual([
      { order_id: 1, amount: '10.00' },
      { order_id: 2, amount: '6.00' },
    ]);
    const refused = await floe('run', '--models', models, 'orders_daily');
    expect(refused.code).not.toBe(0);
    expect(json<RunRow[]>(refused)[0]!.detail).toMatch(/source curated\.orders cannot be read incrementally: snapshot \d+ \(overwrite\) changed existing rows.*on_source_change: full_refresh/);
    // The model's table was left as it was.
    expect(json(await floe('sql', 'SELECT order_id, amount FROM analytics.orders_daily ORDER BY 1'))).toEqual([
      { order_id: 1, amount: '10.00' },
      { order_id: 2, amount: '5.00' },
    ]);

    const refreshing = await writeModels(join(dir, 'r'), MODELS('full_refresh'));
    const r = json<RunRow[]>(await floe('run', '--models', refreshing));
    expect(r.map((x) => [x.status, x.mode])).toEqual([
      ['success', 'incremental/full'],
      ['success', 'table/full'],
    ]);
    expect(r[0]!.detail).toMatch(/full refresh: source curated\.orders: snapshot \d+ \(overwrite\) changed existing rows/);
    expect(json(await floe('sql', 'SELECT order_id, amount FROM analytics.orders_daily ORDER BY 1'))).toEqual([
      { order_id: 1, amount: '10.00' },
      { order_id: 2, amount: '6.00' },
    ]);
    expect(json(await floe('sql', 'SELECT customer, total FROM analytics.customer_totals ORDER BY 1'))).toEqual([
      { customer: 'ann', total: '10.00' },
      { customer: 'bob', total: '6.00' },
    ]);
  });
});
