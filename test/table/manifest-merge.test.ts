import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { q, tempWarehouse } from '../helpers/warehouse.js';

let wh: Warehouse;
let dispose: () => Promise<void>;
beforeEach(async () => {
  ({ wh, dispose } = await tempWarehouse());
  await wh.sql('CREATE NAMESPACE db');
});
afterEach(async () => dispose());

describe('manifest merging', () => {
  it('packs small manifests once min-count-to-merge is reached, keeping every row and sequence number', async () => {
    await wh.sql(`CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('commit.manifest.min-count-to-merge' = '4')`);
    for (let i = 0; i < 9; i++) await wh.sql(`INSERT INTO db.t VALUES (${i}, ${i % 2})`);
    await wh.sql('DELETE FROM db.t WHERE id = 3');
    const manifests = await q(wh, 'SELECT count(*) FROM db."t$manifests"');
    expect(manifests[0]![0]).toBeLessThan(4);
    expect(await q(wh, 'SELECT count(*), sum(id) FROM db.t')).toEqual([[8, 33]]);
    // Time travel still sees each snapshot's own rows.
    const first = (await wh.loadTable('db.t')).metadata.snapshots[0]!['snapshot-id'];
    expect(await q(wh, `SELECT count(*) FROM db.t FOR VERSION AS OF ${first}`)).toEqual([[1]]);
    // Pruning still works on merged manifests.
    const r = await wh.sql('SELECT count(*) FROM db.t WHERE p = 1');
    expect(r.rows).toEqual([[3n]]);
    expect(r.scans[0]!.metrics.dataFilesSelected).toBe(3);
  });

  it('can be switched off', async () => {
    await wh.sql(`CREATE TABLE db.u (id INT) TBLPROPERTIES ('commit.manifest-merge.enabled' = 'false', 'commit.manifest.min-count-to-merge' = '2')`);
    for (let i = 0; i < 4; i++) await wh.sql(`INSERT INTO db.u VALUES (${i})`);
    expect(await q(wh, 'SELECT count(*) FROM db."u$manifests"')).toEqual([[4]]);
  });
});
