import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { scanSql } from '../../src/engine/scan-view.js';
import { identityPaths } from '../../src/table/manifest-reader.js';
import type { Warehouse } from '../../src/index.js';
import { lastLineage } from '../../src/zones/run-model.js';
import { runModels } from '../../src/zones/runner.js';
import { lastRuns, readRuns } from '../../src/zones/runs.js';
import { q, useWarehouse } from '../helpers/warehouse.js';
import { CREATE_ORDERS, TWO_MODELS, writeModels } from './models-dir.js';

const ctx = useWarehouse();

async function head(wh: Warehouse, name: string): Promise<string | undefined> {
  const s = (await wh.loadTable(name)).currentSnapshot();
  return s ? String(s['snapshot-id']) : undefined;
}

async function insertOrders(wh: Warehouse, rows: [number, string, number | null, string][]): Promise<void> {
  const values = rows.map(([id, c, a, d]) => `(${id}, '${c}', ${a === null ? 'NULL' : a}, TIMESTAMP '${d}')`).join(', ');
  await wh.sql(`INSERT INTO curated.orders VALUES ${values}`);
}

/** Rewrites every live data file of a table into one file with the same rows (a `replace` snapshot, as compaction). */
async function compact(wh: Warehouse, name: string): Promise<void> {
  const t = await wh.loadTable(name);
  const plan = await t.planScan();
  const old = new Set(plan.tasks.map((x) => x.file.file_path));
  const files = await wh.writeFiles(t, `SELECT * FROM (${await scanSql(plan.schema, plan.tasks, wh.io, identityPaths, { engine: wh.engine })})`);
  await t.newTransaction().overwriteFiles({ add: files, removes: (f) => old.has(f.file_path), operation: 'replace', ownsFiles: true }).commit();
}

const RECOMPUTE_CLEAN = 'SELECT id, customer, amount, ts FROM curated.orders WHERE amount IS NOT NULL ORDER BY id';
const RECOMPUTE_TOTALS = 'SELECT customer, sum(amount) AS total, count(*) AS orders FROM curated.orders WHERE amount IS NOT NULL GROUP BY customer ORDER BY customer';

describe('floe run: SQL models into the analytics zone', () => {
  it('runs dependent models in order and records lineage in their snapshot summaries', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00'], [2, 'bob', 5, '2026-01-01 11:00:00'], [3, 'ann', null, '2026-01-02 09:00:00']]);
    const dir = await writeModels(wh.root, TWO_MODELS);
    const records = await runModels(wh, { modelsDir: dir });
    expect(records.map((r) => [r.model, r.status])).toEqual([['orders_clean', 'success'], ['customer_totals', 'success']]);
    expect(await q(wh, 'SELECT * FROM analytics.customer_totals ORDER BY customer')).toEqual(await q(wh, RECOMPUTE_TOTALS));
    expect(records[0]!.rowsWritten).toBe(2);

    const clean = await wh.loadTable('analytics.orders_clean');
    const summary = clean.currentSnapshot()!.summary;
    expect(summary['floe.source.curated.orders']).toBe(await head(wh, 'curated.orders'));
    expect(summary['floe.run.id']).toBe(records[0]!.runId);
    expect(summary['floe.model']).toBe('orders_clean');
    const totals = (await wh.loadTable('analytics.customer_totals')).currentSnapshot()!.summary;
    expect(totals['floe.source.analytics.orders_clean']).toBe(String(clean.currentSnapshot()!['snapshot-id']));
    expect(records[1]!.sources).toEqual({ 'analytics.orders_clean': String(clean.currentSnapshot()!['snapshot-id']) });
    // Published: no run branch is left behind.
    expect(Object.keys(clean.metadata.refs)).toEqual(['main']);
    const log = await readRuns(wh.root);
    expect(log.map((r) => r.model)).toEqual(['orders_clean', 'customer_totals']);
  });

  it('an incremental run reads only the snapshots appended since the last run and equals a full recompute', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00'], [2, 'bob', 5, '2026-01-01 11:00:00']]);
    const first = await head(wh, 'curated.orders');
    const dir = await writeModels(wh.root, TWO_MODELS);
    const [run1] = await runModels(wh, { modelsDir: dir, select: ['orders_clean'] });
    expect(run1!.mode).toBe('full');
    await insertOrders(wh, [[3, 'cid', 7, '2026-01-02 10:00:00'], [4, 'ann', null, '2026-01-02 11:00:00']]);
    const second = await head(wh, 'curated.orders');

    const [run2] = await runModels(wh, { modelsDir: dir, select: ['orders_clean'] });
    expect(run2).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 1, sourcesFrom: { 'curated.orders': first }, sources: { 'curated.orders': second } });
    expect(run2!.scans).toEqual([{ table: 'curated.orders', dataFilesSelected: 1, dataFilesTotal: 2 }]);
    expect(await q(wh, 'SELECT * FROM analytics.orders_clean ORDER BY id')).toEqual(await q(wh, RECOMPUTE_CLEAN));
    const lineage = lastLineage((await wh.loadTable('analytics.orders_clean')).metadata)!;
    expect(lineage.sources.get('curated.orders')).toBe(BigInt(second!));

    // Nothing new: the run succeeds, writes nothing, and still records where it stands.
    const [run3] = await runModels(wh, { modelsDir: dir, select: ['orders_clean'] });
    expect(run3).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 0 });
    expect(run3!.scans[0]!.dataFilesSelected).toBe(0);
    expect((await wh.loadTable('analytics.orders_clean')).currentSnapshot()!.summary['floe.run.id']).toBe(run3!.runId);
    expect(await q(wh, 'SELECT count(*) FROM analytics.orders_clean')).toEqual([[3]]);
  });

  it('a merge model upserts the new source rows by its unique key', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE NAMESPACE curated');
    await wh.sql('CREATE TABLE curated.order_events (id BIGINT, status STRING, seq INT)');
    await wh.sql(`INSERT INTO curated.order_events VALUES (1, 'new', 1), (2, 'new', 1)`);
    const dir = await writeModels(wh.root, {
      order_status: `/*
materialized: merge
unique_key: id
*/
SELECT id, status, seq FROM curated.order_events`,
    });
    const [r1] = await runModels(wh, { modelsDir: dir });
    expect(r1).toMatchObject({ status: 'success', mode: 'full', rowsWritten: 2 });
    await wh.sql(`INSERT INTO curated.order_events VALUES (1, 'shipped', 2), (3, 'new', 1)`);
    const [r2] = await runModels(wh, { modelsDir: dir });
    expect(r2).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 2 });
    expect(await q(wh, 'SELECT id, status FROM analytics.order_status ORDER BY id')).toEqual([[1, 'shipped'], [2, 'new'], [3, 'new']]);
    const s = (await wh.loadTable('analytics.order_status')).currentSnapshot()!.summary;
    expect(s['floe.source.curated.order_events']).toBe(await head(wh, 'curated.order_events'));
    // No new events: a merge with nothing to do still records the lineage in an empty commit.
    const [r3] = await runModels(wh, { modelsDir: dir });
    expect(r3).toMatchObject({ status: 'success', rowsWritten: 0 });
    expect((await wh.loadTable('analytics.order_status')).currentSnapshot()!.summary['floe.run.id']).toBe(r3!.runId);

    // A batch repeating a new key would insert it twice: the implied unique(id) check stops it.
    const published = (await wh.loadTable('analytics.order_status')).currentSnapshot()!['snapshot-id'];
    await wh.sql(`INSERT INTO curated.order_events VALUES (4, 'new', 1), (4, 'paid', 2)`);
    const [r4] = await runModels(wh, { modelsDir: dir });
    expect(r4).toMatchObject({ status: 'failed', failedCheck: 'unique(id)', error: 'check unique(id) failed: 1 row(s)' });
    expect((await wh.loadTable('analytics.order_status')).currentSnapshot()!['snapshot-id']).toBe(published);
  });

  it('a failing check leaves main unchanged, keeps the branch, names the check and skips downstream models', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00']]);
    const dir = await writeModels(wh.root, TWO_MODELS);
    await runModels(wh, { modelsDir: dir });
    const cleanBefore = await head(wh, 'analytics.orders_clean');
    const totalsBefore = await q(wh, 'SELECT * FROM analytics.customer_totals ORDER BY customer');
    await insertOrders(wh, [[2, 'bob', -3, '2026-01-02 10:00:00']]);

    // orders_clean passes (its check is not_null(id)); customer_totals' positive_totals fails.
    const records = await runModels(wh, { modelsDir: dir });
    expect(records.map((r) => r.status)).toEqual(['success', 'failed']);
    const failed = records[1]!;
    expect(failed.failedCheck).toBe('positive_totals');
    expect(failed.error).toBe('check positive_totals failed: 1 row(s)');
    expect(failed.branchKept).toBe(true);
    expect(await q(wh, 'SELECT * FROM analytics.customer_totals ORDER BY customer')).toEqual(totalsBefore);
    expect(await q(wh, `SELECT total FROM analytics.customer_totals FOR VERSION AS OF '${failed.branch}' WHERE customer = 'bob'`)).toEqual([['-3.00']]);
    expect(await head(wh, 'analytics.orders_clean')).not.toBe(cleanBefore);

    // A failure upstream: the upstream model's main is unchanged and the downstream one is skipped.
    await wh.sql('INSERT INTO curated.orders VALUES (NULL, \'cid\', 1, NULL)');
    const cleanNow = await head(wh, 'analytics.orders_clean');
    const again = await runModels(wh, { modelsDir: dir });
    expect(again.map((r) => [r.status, r.failedCheck])).toEqual([['failed', 'not_null(id)'], ['skipped', undefined]]);
    expect(again[1]!.error).toBe('upstream model orders_clean did not succeed');
    expect(await head(wh, 'analytics.orders_clean')).toBe(cleanNow);
    expect((await lastRuns(wh.root)).map((r) => [r.model, r.status]).sort()).toEqual([['customer_totals', 'skipped'], ['orders_clean', 'failed']]);
  });

  it('a source that changed rows fails the incremental run naming the snapshot; --full-refresh recomputes', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00'], [2, 'bob', 5, '2026-01-01 11:00:00']]);
    const dir = await writeModels(wh.root, { orders_clean: TWO_MODELS.orders_clean });
    await runModels(wh, { modelsDir: dir });
    const before = await head(wh, 'analytics.orders_clean');
    await wh.sql('DELETE FROM curated.orders WHERE id = 2');
    const del = await head(wh, 'curated.orders');

    const [failed] = await runModels(wh, { modelsDir: dir });
    expect(failed!.status).toBe('failed');
    expect(failed!.error).toContain(`source curated.orders cannot be read incrementally: snapshot ${del} (overwrite) changed existing rows`);
    expect(failed!.error).toContain('--full-refresh');
    expect(failed!.branchKept).toBe(false);
    expect(await head(wh, 'analytics.orders_clean')).toBe(before);
    expect(Object.keys((await wh.loadTable('analytics.orders_clean')).metadata.refs)).toEqual(['main']);

    const [full] = await runModels(wh, { modelsDir: dir, fullRefresh: true });
    expect(full).toMatchObject({ status: 'success', mode: 'full', note: 'full refresh requested', rowsWritten: 1 });
    expect(await q(wh, 'SELECT * FROM analytics.orders_clean ORDER BY id')).toEqual(await q(wh, RECOMPUTE_CLEAN));

    // on_source_change: full_refresh makes the same situation recompute on its own.
    await writeModels(wh.root, { orders_clean: TWO_MODELS.orders_clean.replace('materialized: incremental', 'materialized: incremental\non_source_change: full_refresh') });
    await wh.sql('DELETE FROM curated.orders WHERE id = 1');
    await insertOrders(wh, [[5, 'eve', 2, '2026-01-03 10:00:00']]);
    const [auto] = await runModels(wh, { modelsDir: dir });
    expect(auto).toMatchObject({ status: 'success', mode: 'full' });
    expect(auto!.note).toMatch(/^full refresh: source curated\.orders: snapshot \d+ \(/);
    expect(await q(wh, 'SELECT * FROM analytics.orders_clean ORDER BY id')).toEqual(await q(wh, RECOMPUTE_CLEAN));
  });

  it('a compaction (replace snapshot) in the source does not duplicate rows in the next incremental run', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00']]);
    await insertOrders(wh, [[2, 'bob', 5, '2026-01-01 11:00:00']]);
    const dir = await writeModels(wh.root, { orders_clean: TWO_MODELS.orders_clean });
    await runModels(wh, { modelsDir: dir });
    await insertOrders(wh, [[3, 'cid', 7, '2026-01-02 10:00:00']]);
    await compact(wh, 'curated.orders');
    expect((await wh.loadTable('curated.orders')).currentSnapshot()!.summary.operation).toBe('replace');
    await insertOrders(wh, [[4, 'dan', 1, '2026-01-02 11:00:00']]);
    const [r] = await runModels(wh, { modelsDir: dir });
    expect(r).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 2 });
    expect(await q(wh, 'SELECT * FROM analytics.orders_clean ORDER BY id')).toEqual(await q(wh, RECOMPUTE_CLEAN));
  });

  it('reads only the incremental_sources incrementally and the other sources in full', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await wh.sql('CREATE TABLE curated.customers (customer STRING, region STRING)');
    const dir = await writeModels(wh.root, {
      orders_by_region: `/*
materialized: incremental
incremental_sources: curated.orders
*/
SELECT o.id, c.region, o.amount FROM curated.orders o JOIN curated.customers c ON c.customer = o.customer`,
    });
    // Both sources still empty: the model's table is created empty and no lineage is recorded for them.
    const [r0] = await runModels(wh, { modelsDir: dir });
    expect(r0).toMatchObject({ status: 'success', rowsWritten: 0, sources: {} });
    await wh.sql("INSERT INTO curated.customers VALUES ('ann', 'north'), ('bob', 'south')");
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00']]);
    const [r1] = await runModels(wh, { modelsDir: dir });
    expect(r1).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 1 });
    expect(r1!.sourcesFrom).toBeUndefined();
    await insertOrders(wh, [[2, 'bob', 5, '2026-01-02 10:00:00'], [3, 'ann', 1, '2026-01-02 11:00:00']]);
    const [r2] = await runModels(wh, { modelsDir: dir });
    expect(r2).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 2 });
    // Old customers join the new orders: customers was read in full (all of its files).
    expect(r2!.scans.find((x) => x.table === 'curated.customers')).toEqual({ table: 'curated.customers', dataFilesSelected: 1, dataFilesTotal: 1 });
    expect(r2!.scans.find((x) => x.table === 'curated.orders')).toEqual({ table: 'curated.orders', dataFilesSelected: 1, dataFilesTotal: 2 });
    expect(await q(wh, 'SELECT * FROM analytics.orders_by_region ORDER BY id')).toEqual(
      await q(wh, 'SELECT o.id, c.region, o.amount FROM curated.orders o JOIN curated.customers c ON c.customer = o.customer ORDER BY id'),
    );
    await writeModels(wh.root, { orders_by_region: '/* {materialized: incremental, incremental_sources: [curated.nope]} */ SELECT * FROM curated.orders' });
    const [bad] = await runModels(wh, { modelsDir: dir });
    expect(bad!.error).toBe('model orders_by_region: incremental source curated.nope is not read by its SELECT (it reads curated.orders)');
  });

  it('creates the target partitioned and sorted per the model header', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00'], [2, 'bob', 5, '2026-01-02 11:00:00'], [3, 'ann', 4, '2026-01-02 12:00:00']]);
    const dir = await writeModels(wh.root, {
      daily: `/*
partitioned_by: [day(ts)]
sorted_by: [amount DESC]
properties: { write.delete.mode: merge-on-read }
*/
SELECT id, amount, ts FROM curated.orders`,
    });
    const [r] = await runModels(wh, { modelsDir: dir });
    expect(r!.status).toBe('success');
    const t = await wh.loadTable('analytics.daily');
    expect(t.spec().fields.map((f) => [f.name, f.transform])).toEqual([['ts_day', 'day']]);
    expect(t.sortOrder().fields.map((f) => f.direction)).toEqual(['desc']);
    expect(t.properties['write.delete.mode']).toBe('merge-on-read');
    expect(await q(wh, 'SELECT count(*) FROM analytics."daily$files"')).toEqual([[2]]);
    // A table model replaces every row on each run, across partitions.
    await wh.sql('DELETE FROM curated.orders WHERE id = 1');
    await runModels(wh, { modelsDir: dir });
    expect(await q(wh, 'SELECT id FROM analytics.daily ORDER BY id')).toEqual([[2], [3]]);
  });

  it('a model whose columns no longer match its table fails clearly and changes nothing', async () => {
    const wh = ctx.wh;
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00']]);
    const dir = await writeModels(wh.root, { m: 'SELECT id FROM curated.orders' });
    await runModels(wh, { modelsDir: dir });
    const before = await head(wh, 'analytics.m');
    await writeModels(wh.root, { m: '/* {materialized: merge, unique_key: idx} */ SELECT id FROM curated.orders' });
    expect((await runModels(wh, { modelsDir: dir }))[0]!.error).toBe("model m: unique_key column 'idx' is not a column of analytics.m");
    await writeModels(wh.root, { m: '/* {checks: [SELECT nope FROM analytics.m]} */ SELECT id FROM curated.orders' });
    const [broken] = await runModels(wh, { modelsDir: dir });
    expect(broken).toMatchObject({ status: 'failed', failedCheck: 'check_1' });
    expect(broken!.error).toMatch(/^check check_1 could not run: .*nope/);
    await writeModels(wh.root, { m: 'SELECT id, customer FROM curated.orders' });
    const [r] = await runModels(wh, { modelsDir: dir });
    expect(r!.error).toBe('model m selects (id, customer) but analytics.m has (id): evolve the table with ALTER TABLE, or drop it (DROP TABLE analytics.m) to rebuild it');
    expect(await head(wh, 'analytics.m')).toBe(before);
  });

  it('runs the README example models', async () => {
    const wh = ctx.wh;
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const files = Object.fromEntries([...readme.matchAll(/```sql\n-- models\/(\w+)\.sql\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));
    expect(Object.keys(files).sort()).toEqual(['customer_totals', 'orders_clean']);
    await wh.sqlAll(CREATE_ORDERS);
    await insertOrders(wh, [[1, 'ann', 10, '2026-01-01 10:00:00'], [2, 'bob', 5, '2026-01-02 11:00:00']]);
    const records = await runModels(wh, { modelsDir: await writeModels(wh.root, files) });
    expect(records.map((r) => [r.model, r.status])).toEqual([['orders_clean', 'success'], ['customer_totals', 'success']]);
    expect(await q(wh, 'SELECT * FROM analytics.customer_totals ORDER BY customer')).toEqual(await q(wh, RECOMPUTE_TOTALS));
    expect((await wh.loadTable('analytics.orders_clean')).spec().fields.map((f) => f.transform)).toEqual(['day']);
  });
});
