import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';
import { CURATED_POSITION, curate } from '../../src/zones/curate.js';
import { curateAll, ingestText, ordersContract } from './helpers.js';

const ctx = useWarehouse();

const CSV = `id,status,amount,ordered_at
1,new,10.50,2026-01-01 10:00:00
2,paid,abc,2026-01-01 11:00:00
3,lost,5.00,2026-01-02 09:00:00
4,paid,2000,2026-01-02 10:00:00
5,new,1.00,not-a-time
6,shipped,7.25,2026-01-03 12:00:00
,new,1.00,2026-01-03 12:00:00
`;

describe('curated zone', () => {
  it('casts good rows into curated.<dataset> and quarantines each failing row with its rule and reason', async () => {
    const { wh } = ctx;
    const ing = await ingestText(wh, 'orders', 'a.csv', CSV);
    const [r] = await curateAll(wh, ordersContract());
    expect(r).toMatchObject({ status: 'curated', rowsIn: 7, rowsCurated: 2, rowsQuarantined: 5 });
    expect(await q(wh, 'SELECT order_id, status, amount, ordered_at FROM curated.orders ORDER BY order_id')).toEqual([
      [1, 'new', '10.50', '2026-01-01T10:00:00'],
      [6, 'shipped', '7.25', '2026-01-03T12:00:00'],
    ]);
    const bad = await q(wh, 'SELECT row_number, rule, reason, raw_sha256 FROM curated.orders__quarantine ORDER BY row_number');
    expect(bad).toEqual([
      [2, 'type(amount)', "column 'amount': 'abc' is not a valid decimal(10, 2)", ing.sha256],
      [3, 'enum(status)', "column 'status' = 'lost' is not one of new, paid, shipped", ing.sha256],
      [4, 'range(amount)', "column 'amount' = '2000.00' is above the maximum 1000", ing.sha256],
      [5, 'type(ordered_at)', "column 'ordered_at': 'not-a-time' is not a valid timestamp", ing.sha256],
      [7, 'not_null(order_id)', "column 'order_id' is required but empty", ing.sha256],
    ]);
    const paths = await q(wh, 'SELECT DISTINCT raw_path FROM curated.orders__quarantine');
    expect(paths).toEqual([[`raw/orders/objects/${ing.sha256!.slice(0, 2)}/${ing.sha256}.csv`]]);
    const raw = await q(wh, 'SELECT raw_row FROM curated.orders__quarantine WHERE row_number = 3');
    expect(JSON.parse(String(raw[0]![0]))).toEqual({ id: '3', status: 'lost', amount: '5.00', ordered_at: '2026-01-02 09:00:00' });
  });

  it('is idempotent: a second run finds nothing pending, new batches are picked up in order', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'a.csv', 'id,status,amount,ordered_at\n1,new,1.00,2026-01-01 00:00:00\n');
    expect(await curateAll(wh, ordersContract())).toHaveLength(1);
    expect(await curateAll(wh, ordersContract())).toEqual([]);
    await ingestText(wh, 'orders', 'b.csv', 'id,status,amount,ordered_at\n2,new,2.00,2026-01-01 00:00:00\n');
    await ingestText(wh, 'orders', 'c.csv', 'id,status,amount,ordered_at\n3,new,3.00,2026-01-01 00:00:00\n');
    const r = await curateAll(wh, ordersContract());
    expect(r.map((x) => x.position)).toEqual([1, 2]);
    expect(await q(wh, 'SELECT order_id FROM curated.orders ORDER BY 1')).toEqual([[1], [2], [3]]);
    const summaries = (await wh.loadTable('curated.orders')).snapshots().map((s) => s.summary['floe.raw-log-position']);
    expect(summaries).toEqual(['0', '1', '2']);
    expect((await wh.loadTable('curated.orders')).properties[CURATED_POSITION]).toBe('3');
  });

  it('a crash between the quarantine and curated commits does not double-apply the batch', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'a.csv', 'id,status,amount,ordered_at\n1,new,1.00,2026-01-01 00:00:00\n2,lost,1.00,2026-01-01 00:00:00\n');
    // Make the curated commit fail once, after the quarantine commit landed.
    const catalog = wh.catalog;
    const original = catalog.commitTable.bind(catalog);
    let failed = false;
    catalog.commitTable = async (id, reqs, updates) => {
      if (!failed && id.name === 'orders') {
        failed = true;
        throw new Error('simulated crash before the curated commit');
      }
      return original(id, reqs, updates);
    };
    const first = await curateAll(wh, ordersContract());
    expect(first[0]!.status).toBe('rejected');
    expect(await q(wh, 'SELECT count(*) FROM curated.orders')).toEqual([[0]]);
    expect(await q(wh, 'SELECT count(*) FROM curated.orders__quarantine')).toEqual([[1]]);
    const second = await curateAll(wh, ordersContract());
    expect(second[0]).toMatchObject({ status: 'curated', rowsCurated: 1, rowsQuarantined: 1 });
    expect(await q(wh, 'SELECT count(*) FROM curated.orders')).toEqual([[1]]);
    expect(await q(wh, 'SELECT count(*) FROM curated.orders__quarantine')).toEqual([[1]]);
    expect(await curateAll(wh, ordersContract())).toEqual([]);
  });

  it('two curators racing on the same batches apply each batch once', async () => {
    const { wh } = ctx;
    for (let i = 0; i < 3; i++) await ingestText(wh, 'orders', `${i}.csv`, `id,status,amount,ordered_at\n${i},new,1.00,2026-01-01 00:00:00\n${i + 100},lost,1.00,2026-01-01 00:00:00\n`);
    const { openWarehouse } = await import('../../src/index.js');
    const other = await openWarehouse({ warehouse: wh.root, engine: { threads: 1 } });
    try {
      await Promise.all([curate(wh, ordersContract()), curate(other, ordersContract())]);
      // Whatever either run skipped, a last run finishes the rest.
      await curate(wh, ordersContract());
    } finally {
      await other.close();
    }
    expect(await q(wh, 'SELECT order_id FROM curated.orders ORDER BY 1')).toEqual([[0], [1], [2]]);
    expect(await q(wh, 'SELECT count(*) FROM curated.orders__quarantine')).toEqual([[3]]);
  });
});
