import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

for (const mode of ['copy-on-write', 'merge-on-read'] as const) {
  describe(`MERGE (${mode})`, () => {
    it('updates, deletes and inserts by the first clause that applies', async () => {
      const wh = ctx.wh;
      await wh.sql(`CREATE TABLE db.t (id INT, v STRING, n INT) PARTITIONED BY (bucket(2, id)) TBLPROPERTIES ('write.merge.mode' = '${mode}')`);
      await wh.sql(`INSERT INTO db.t VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3), (4, 'd', 4)`);
      await wh.sql(`CREATE TABLE db.s (id INT, v STRING, op STRING)`);
      await wh.sql(`INSERT INTO db.s VALUES (1, 'A', 'u'), (2, NULL, 'd'), (5, 'E', 'i'), (6, 'F', 'skip')`);
      const r = await wh.sql(`MERGE INTO db.t t USING db.s s ON t.id = s.id
        WHEN MATCHED AND s.op = 'd' THEN DELETE
        WHEN MATCHED THEN UPDATE SET v = s.v, n = t.n * 10
        WHEN NOT MATCHED AND s.op <> 'skip' THEN INSERT (id, v) VALUES (s.id, s.v)`);
      expect(r.rows).toEqual([[1n, 1n, 1n]]);
      expect(await q(wh, 'SELECT id, v, n FROM db.t ORDER BY id')).toEqual([
        [1, 'A', 10],
        [3, 'c', 3],
        [4, 'd', 4],
        [5, 'E', null],
      ]);
      const ops = await q(wh, `SELECT operation FROM db."t$snapshots" ORDER BY committed_at`);
      expect(ops.map((x) => x[0])).toEqual(['append', 'overwrite']);
      if (mode === 'merge-on-read') expect(await q(wh, `SELECT count(*) FROM db."t$files" WHERE content = 1`)).toEqual([[expect.any(Number)]]);
    });

    it('fails when one target row matches several source rows, changing nothing', async () => {
      const wh = ctx.wh;
      await wh.sql(`CREATE TABLE db.t (id INT, v STRING) TBLPROPERTIES ('write.merge.mode' = '${mode}')`);
      await wh.sql(`INSERT INTO db.t VALUES (1, 'a')`);
      const before = (await wh.loadTable('db.t')).metadataLocation;
      await expect(
        wh.sql(`MERGE INTO db.t USING (SELECT 1 AS id, 'x' AS v UNION ALL SELECT 1, 'y') src ON t.id = src.id WHEN MATCHED THEN UPDATE SET v = src.v`),
      ).rejects.toThrow(/matched one target row with 2 source rows/);
      expect((await wh.loadTable('db.t')).metadataLocation).toBe(before);
      expect(await q(wh, 'SELECT * FROM db.t')).toEqual([[1, 'a']]);
    });

    it('supports UPDATE SET * and INSERT * and insert-only merges', async () => {
      const wh = ctx.wh;
      await wh.sql(`CREATE TABLE db.t (id INT, v STRING) TBLPROPERTIES ('write.merge.mode' = '${mode}')`);
      await wh.sql(`INSERT INTO db.t VALUES (1, 'a')`);
      await wh.sql(`MERGE INTO db.t USING (VALUES (1, 'z'), (2, 'b')) AS s(id, v) ON t.id = s.id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`);
      expect(await q(wh, 'SELECT * FROM db.t ORDER BY id')).toEqual([[1, 'z'], [2, 'b']]);
      await wh.sql(`MERGE INTO db.t USING (VALUES (3, 'c')) AS s(id, v) ON t.id = s.id WHEN NOT MATCHED THEN INSERT *`);
      expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[3]]);
      const ops = await q(wh, `SELECT operation FROM db."t$snapshots" ORDER BY committed_at`);
      expect(ops.map((x) => x[0])).toEqual(['append', 'overwrite', 'append']);
    });
  });
}
