import { describe, expect, it } from 'vitest';
import { expirableSnapshots } from '../../src/table/expire.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('snapshot retention', () => {
  it('keeps the newest ancestors, young snapshots and tagged ones', async () => {
    await ctx.wh.sql('CREATE TABLE db.t (id INT)');
    for (let i = 0; i < 5; i++) await ctx.wh.sql(`INSERT INTO db.t VALUES (${i})`);
    const m = (await ctx.wh.loadTable('db.t')).metadata;
    const ids = m.snapshots.map((s) => s['snapshot-id']);
    const now = m.snapshots[4]!['timestamp-ms'] + 10_000;
    expect(expirableSnapshots(m, now, { maxSnapshotAgeMs: 0, minSnapshotsToKeep: 2 })).toEqual(ids.slice(0, 3));
    expect(expirableSnapshots(m, now, { maxSnapshotAgeMs: 3_600_000, minSnapshotsToKeep: 1 })).toEqual([]);
    const tagged = { ...m, refs: { ...m.refs, v1: { 'snapshot-id': ids[0]!, type: 'tag' as const } } };
    expect(expirableSnapshots(tagged, now, { maxSnapshotAgeMs: 0, minSnapshotsToKeep: 2 })).toEqual(ids.slice(1, 3));
  });

  it('expires at commit time when the table opts in, keeping the data', async () => {
    await ctx.wh.sql(`CREATE TABLE db.t (id INT) TBLPROPERTIES ('floe.commit.expire-snapshots' = 'true',
      'history.expire.max-snapshot-age-ms' = '0', 'history.expire.min-snapshots-to-keep' = '3')`);
    for (let i = 0; i < 6; i++) await ctx.wh.sql(`INSERT INTO db.t VALUES (${i})`);
    const m = (await ctx.wh.loadTable('db.t')).metadata;
    expect(m.snapshots).toHaveLength(3);
    expect(m['snapshot-log']).toHaveLength(3);
    expect(await q(ctx.wh, 'SELECT count(*), sum(id) FROM db.t')).toEqual([[6, 15]]);
  });
});
