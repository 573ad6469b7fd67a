import { describe, expect, it } from 'vitest';
import { planScan } from '../../src/table/scan.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('position deletes attach only to the data files they may name', () => {
  it('a delete file whose file_path bounds exclude a data file of its partition is not planned for it', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.t (id BIGINT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
    await wh.sql(`INSERT INTO db.t SELECT range, 1 FROM range(0, 10)`);
    await wh.sql(`INSERT INTO db.t SELECT range, 1 FROM range(10, 20)`);
    await wh.sql(`DELETE FROM db.t WHERE id IN (3, 4)`);
    const table = await wh.loadTable('db.t');
    const plan = await planScan(table.metadata, table.context.reader, {});
    expect(plan.tasks).toHaveLength(2);
    const withDeletes = plan.tasks.filter((t) => t.deletes.length > 0);
    expect(withDeletes).toHaveLength(1);
    expect(withDeletes[0]!.file.lower_bounds).toBeDefined();
    // The rows read are still right, from the file with deletes and the one without.
    expect(await q(wh, `SELECT count(*), sum(id) FROM db.t`)).toEqual([[18, 190 - 7]]);
    await wh.sql(`DELETE FROM db.t WHERE id IN (15)`);
    expect(await q(wh, `SELECT count(*), sum(id) FROM db.t`)).toEqual([[17, 190 - 7 - 15]]);
    const again = await planScan((await wh.loadTable('db.t')).metadata, table.context.reader, {});
    expect(again.tasks.map((t) => t.deletes.length).sort()).toEqual([1, 1]);
  });
});
