import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('manifest merging', () => {
  it('packs small manifests once min-count-to-merge is reached, keeping every row and sequence number', async () => {
    await ctx.wh.sql(`CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('commit.manifest.min-count-to-merge' = '4')`);
    for (let i = 0; i < 9; i++) await ctx.wh.sql(`INSERT INTO db.t VALUES (${i}, ${i % 2})`);
    await ctx.wh.sql('DELETE FROM db.t WHERE id = 3');
    const manifests = await q(ctx.wh, 'SELECT count(*) FROM db."t$manifests"');
    expect(manifests[0]![0]).toBeLessThan(4);
    expect(await q(ctx.wh, 'SELECT count(*), sum(id) FROM db.t')).toEqual([[8, 33]]);
    // Time travel still sees each snapshot's own rows.
    const first = (await ctx.wh.loadTable('db.t')).metadata.snapshots[0]!['snapshot-id'];
    expect(await q(ctx.wh, `SELECT count(*) FROM db.t FOR VERSION AS OF ${first}`)).toEqual([[1]]);
    // Pruning still works on merged manifests.
    const r = await ctx.wh.sql('SELECT count(*) FROM db.t WHERE p = 1');
    expect(r.rows).toEqual([[3n]]);
    expect(r.scans[0]!.metrics.dataFilesSelected).toBe(3);
  });

  it('can be switched off', async () => {
    await ctx.wh.sql(`CREATE TABLE db.u (id INT) TBLPROPERTIES ('commit.manifest-merge.enabled' = 'false', 'commit.manifest.min-count-to-merge' = '2')`);
    for (let i = 0; i < 4; i++) await ctx.wh.sql(`INSERT INTO db.u VALUES (${i})`);
    expect(await q(ctx.wh, 'SELECT count(*) FROM db."u$manifests"')).toEqual([[4]]);
  });
});
