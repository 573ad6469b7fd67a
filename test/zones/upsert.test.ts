import { describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { parseContract } from '../../src/zones/contract.js';
import { REPLACED_KEYS, curate } from '../../src/zones/curate.js';
import { runModels } from '../../src/zones/runner.js';
import { q, useWarehouse } from '../helpers/warehouse.js';
import { writeModels } from './models-dir.js';
import { ingestText } from './helpers.js';

const ctx = useWarehouse();

const upsert = (keys: string[] = ['id']) =>
  parseContract({
    dataset: 'orders',
    columns: [
      { name: 'id', type: 'long', nullable: false },
      { name: 'region', type: 'string', nullable: false },
      { name: 'amount', type: 'decimal(10, 2)' },
    ],
    keys,
    mode: 'upsert',
  });

const MODEL = {
  orders_copy: `/*
materialized: incremental
on_source_change: full_refresh
*/
SELECT id, region, amount FROM curated.orders`,
};

async function curated(wh: Warehouse) {
  return wh.loadTable('curated.orders');
}

async function headSummary(wh: Warehouse, name: string): Promise<Record<string, string>> {
  return (await wh.loadTable(name)).currentSnapshot()!.summary;
}

describe('upserts write equality deletes only for keys the table holds', () => {
  it('a batch of new keys is an append: incremental models stay incremental, with the range in their lineage', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'a.csv', 'id,region,amount\n1,eu,10.00\n2,us,5.00\n');
    const [a] = await curate(wh, upsert());
    expect(a).toMatchObject({ status: 'curated', rowsCurated: 2 });
    const first = (await curated(wh)).currentSnapshot()!;
    expect(first.summary.operation).toBe('append');
    const dir = await writeModels(wh.root, MODEL);
    const [r1] = await runModels(wh, { modelsDir: dir });
    expect(r1).toMatchObject({ status: 'success', mode: 'full' });

    await ingestText(wh, 'orders', 'b.csv', 'id,region,amount\n3,eu,7.00\n4,us,1.00\n');
    const [b] = await curate(wh, upsert());
    expect(b).toMatchObject({ status: 'curated', path: 'single-pass', rowsCurated: 2 });
    const second = (await curated(wh)).currentSnapshot()!;
    expect(second.summary.operation).toBe('append');
    expect(second.summary[REPLACED_KEYS]).toBeUndefined();
    expect(await q(wh, `SELECT count(*) FROM curated."orders$files" WHERE content <> 0`)).toEqual([[0]]);

    const [r2] = await runModels(wh, { modelsDir: dir });
    expect(r2).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 2 });
    expect(r2!.note).toBeUndefined();
    const lineage = await headSummary(wh, 'analytics.orders_copy');
    expect(lineage['floe.run.mode']).toBe('incremental');
    expect(lineage['floe.source-from.curated.orders']).toBe(String(first['snapshot-id']));
    expect(lineage['floe.source.curated.orders']).toBe(String(second['snapshot-id']));
    expect(await q(wh, 'SELECT * FROM analytics.orders_copy ORDER BY id')).toEqual(await q(wh, 'SELECT * FROM curated.orders ORDER BY id'));
  });

  it('a batch that replaces keys deletes only those keys; the model refreshes fully and says why', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'a.csv', 'id,region,amount\n1,eu,10.00\n2,us,5.00\n3,eu,1.00\n');
    await curate(wh, upsert(['id', 'region']));
    const dir = await writeModels(wh.root, MODEL);
    await runModels(wh, { modelsDir: dir });

    // (2, us) replaces a row; (2, eu) and (4, us) are new keys.
    await ingestText(wh, 'orders', 'b.csv', 'id,region,amount\n2,us,6.00\n2,eu,8.00\n4,us,9.00\n');
    const [b] = await curate(wh, upsert(['id', 'region']));
    expect(b).toMatchObject({ status: 'curated', path: 'single-pass', rowsCurated: 3 });
    const snap = (await curated(wh)).currentSnapshot()!;
    expect(snap.summary.operation).toBe('overwrite');
    expect(snap.summary[REPLACED_KEYS]).toBe('1');
    const deletes = await q(wh, `SELECT content, record_count FROM curated."orders$files" WHERE content <> 0`);
    expect(deletes).toEqual([[2, 1]]);
    expect(await q(wh, 'SELECT id, region, amount FROM curated.orders ORDER BY id, region')).toEqual([
      [1, 'eu', '10.00'],
      [2, 'eu', '8.00'],
      [2, 'us', '6.00'],
      [3, 'eu', '1.00'],
      [4, 'us', '9.00'],
    ]);

    const [r] = await runModels(wh, { modelsDir: dir });
    expect(r).toMatchObject({ status: 'success', mode: 'full' });
    expect(r!.note).toMatch(new RegExp(`full refresh: source curated\\.orders: snapshot ${String(snap['snapshot-id'])} \\(overwrite\\) changed existing rows: it added delete file`));
    const lineage = await headSummary(wh, 'analytics.orders_copy');
    expect(lineage['floe.run.mode']).toBe('full');
    expect(lineage['floe.source-from.curated.orders']).toBeUndefined();
    expect(await q(wh, 'SELECT * FROM analytics.orders_copy ORDER BY ALL')).toEqual(await q(wh, 'SELECT * FROM curated.orders ORDER BY ALL'));

    // A key twice in a batch: the staged path quarantines both rows under the unique rule.
    await ingestText(wh, 'orders', 'd.csv', 'id,region,amount\n1,eu,3.00\n1,eu,4.00\n6,eu,1.00\n');
    const [d] = await curate(wh, upsert(['id', 'region']));
    expect(d).toMatchObject({ status: 'curated', path: 'staged', rowsCurated: 1, rowsQuarantined: 2 });
    expect(await q(wh, 'SELECT amount FROM curated.orders WHERE id = 1')).toEqual([['10.00']]);

    // A batch of only new keys after that is an append again.
    await ingestText(wh, 'orders', 'c.csv', 'id,region,amount\n5,eu,2.00\n');
    await curate(wh, upsert(['id', 'region']));
    expect((await curated(wh)).currentSnapshot()!.summary.operation).toBe('append');
    const [again] = await runModels(wh, { modelsDir: dir });
    expect(again).toMatchObject({ status: 'success', mode: 'incremental', rowsWritten: 2 });
  });
});
