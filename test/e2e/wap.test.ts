import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('write–audit–publish with branches and procedures', () => {
  it('stages writes on a branch, audits them, then fast-forwards main', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT, ok BOOLEAN)');
    await wh.sql('INSERT INTO db.t VALUES (1, true)');
    await wh.sql('ALTER TABLE db.t CREATE BRANCH audit');
    await wh.sql('SET floe.branch = audit');
    await wh.sql('INSERT INTO db.t VALUES (2, true), (3, false)');
    await wh.sql('DELETE FROM db.t WHERE NOT ok');
    await wh.sql(`RESET floe.branch`);
    expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[1]]);
    expect(await q(wh, `SELECT count(*) FROM db.t FOR VERSION AS OF 'audit' WHERE NOT ok`)).toEqual([[0]]);
    const r = await wh.sql(`CALL system.fast_forward('db.t', 'main', 'audit')`);
    expect(r.rows[0]![1]).toBe((await wh.loadTable('db.t')).metadata.refs.audit!['snapshot-id']);
    expect(await q(wh, 'SELECT id FROM db.t ORDER BY id')).toEqual([[1], [2]]);
  });

  it('refuses to fast-forward a diverged branch, and cherry-picks an append instead', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    await wh.sql('ALTER TABLE db.t CREATE BRANCH staged');
    await wh.sql('INSERT INTO db.t.branch_staged VALUES (10), (11)');
    await wh.sql('INSERT INTO db.t VALUES (2)');
    await expect(wh.sql(`CALL system.fast_forward('db.t', 'main', 'staged')`)).rejects.toThrow(/has commits that 'staged' does not/);
    const staged = (await wh.loadTable('db.t')).metadata.refs.staged!['snapshot-id'];
    await wh.sql(`CALL system.cherrypick_snapshot(table => 'db.t', snapshot_id => ${staged})`);
    expect(await q(wh, 'SELECT id FROM db.t ORDER BY id')).toEqual([[1], [2], [10], [11]]);
    const head = (await wh.loadTable('db.t')).currentSnapshot()!;
    expect(head.summary['source-snapshot-id']).toBe(String(staged));
  });

  it('rolls back and sets the current snapshot', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    const first = (await wh.loadTable('db.t')).currentSnapshot()!['snapshot-id'];
    await wh.sql('INSERT INTO db.t VALUES (2)');
    const second = (await wh.loadTable('db.t')).currentSnapshot()!['snapshot-id'];
    await wh.sql(`CALL system.rollback_to_snapshot('db.t', ${first})`);
    expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[1]]);
    await expect(wh.sql(`CALL system.rollback_to_snapshot('db.t', ${second})`)).rejects.toThrow(/not an ancestor/);
    await wh.sql(`CALL system.set_current_snapshot('db.t', ${second})`);
    expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[2]]);
    await expect(wh.sql(`CALL system.nope('db.t')`)).rejects.toThrow(/unknown procedure system.nope/);
  });

  it('rolls back to the snapshot that was current at a timestamp', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    const first = (await wh.loadTable('db.t')).currentSnapshot()!;
    // The next commit must get a later millisecond than the first (ordering, not speed).
    while (Date.now() <= first['timestamp-ms']) await new Promise((r) => setTimeout(r, 1));
    await wh.sql('INSERT INTO db.t VALUES (2)');
    await wh.sql(`CALL system.rollback_to_timestamp('db.t', epoch_ms(${first['timestamp-ms']}))`);
    expect((await wh.loadTable('db.t')).currentSnapshot()!['snapshot-id']).toBe(first['snapshot-id']);
    expect(await q(wh, 'SELECT id FROM db.t')).toEqual([[1]]);
    const location = (await wh.loadTable('db.t')).metadataLocation;
    await expect(wh.sql(`CALL system.rollback_to_timestamp(table => 'db.t', timestamp => TIMESTAMP '2000-01-01 00:00:00')`)).rejects.toThrow(
      /no ancestor of its current snapshot at or before 2000-01-01/,
    );
    expect((await wh.loadTable('db.t')).metadataLocation).toBe(location);
  });

  it("honours Spark's spark.wap.branch session setting for writes and reads", async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('CREATE TABLE db.other (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    await wh.sql('ALTER TABLE db.t CREATE BRANCH wap');
    await wh.sql(`SET spark.wap.branch = 'wap'`);
    await wh.sql('INSERT INTO db.t VALUES (2)');
    await wh.sql('DELETE FROM db.t WHERE id = 1');
    // Reads of a table that has the branch see it; a table without it reads main but is never written silently.
    expect(await q(wh, 'SELECT id FROM db.t')).toEqual([[2]]);
    await expect(wh.sql('INSERT INTO db.other VALUES (5)')).rejects.toThrow(/branch 'wap' of db.other does not exist/);
    expect(await q(wh, 'SELECT count(*) FROM db.other')).toEqual([[0]]);
    await wh.sql('RESET spark.wap.branch');
    expect(await q(wh, 'SELECT id FROM db.t')).toEqual([[1]]);
    expect(await q(wh, `SELECT id FROM db.t FOR VERSION AS OF 'wap'`)).toEqual([[2]]);
  });
});
