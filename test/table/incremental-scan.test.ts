import { describe, expect, it } from 'vitest';
import { scanSql } from '../../src/engine/scan-view.js';
import { identityPaths } from '../../src/table/manifest-reader.js';
import { IncrementalRangeError } from '../../src/table/incremental-scan.js';
import type { Table, Warehouse } from '../../src/index.js';
import { SqlSession } from '../../src/sql/session.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

async function head(wh: Warehouse, name: string): Promise<bigint> {
  return (await wh.loadTable(name)).currentSnapshot()!['snapshot-id'];
}

/** Reads the rows of planned tasks, sorted, as plain numbers. */
async function readPlan(wh: Warehouse, t: Table, plan: Awaited<ReturnType<Table['planIncrementalAppendScan']>>): Promise<number[]> {
  const sql = await scanSql(plan.schema, plan.tasks, wh.io, identityPaths, { specs: t.metadata['partition-specs'], engine: wh.engine });
  const r = await wh.engine.query(`SELECT id FROM (${sql}) ORDER BY id`);
  return r.rows.map((row) => Number(row[0]));
}

/** Rewrites every live data file of the table into one file with the same rows (a `replace` snapshot). */
async function compact(wh: Warehouse, name: string): Promise<void> {
  const t = await wh.loadTable(name);
  const plan = await t.planScan();
  const old = new Set(plan.tasks.map((x) => x.file.file_path));
  const files = await wh.writeFiles(t, `SELECT * FROM (${await scanSql(plan.schema, plan.tasks, wh.io, identityPaths, { engine: wh.engine })})`);
  await t.newTransaction().overwriteFiles({ add: files, removes: (f) => old.has(f.file_path), operation: 'replace', ownsFiles: true }).commit();
}

describe('incremental append scan', () => {
  it('plans only the files appended after `from` up to `to`', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT, v STRING)');
    await wh.sql("INSERT INTO db.t VALUES (1, 'a'), (2, 'b')");
    const s1 = await head(wh, 'db.t');
    await wh.sql("INSERT INTO db.t VALUES (3, 'c')");
    const s2 = await head(wh, 'db.t');
    await wh.sql("INSERT INTO db.t VALUES (4, 'd'), (5, 'e')");
    const s3 = await head(wh, 'db.t');
    const t = await wh.loadTable('db.t');

    const all = await t.planIncrementalAppendScan();
    expect(all.appendSnapshots).toEqual([s1, s2, s3]);
    expect(await readPlan(wh, t, all)).toEqual([1, 2, 3, 4, 5]);

    const since1 = await t.planIncrementalAppendScan({ fromSnapshotId: s1 });
    expect(since1.appendSnapshots).toEqual([s2, s3]);
    expect(since1.metrics.dataFilesTotal).toBe(3);
    expect(since1.metrics.dataFilesSelected).toBe(2);
    expect(await readPlan(wh, t, since1)).toEqual([3, 4, 5]);

    const middle = await t.planIncrementalAppendScan({ fromSnapshotId: s1, toSnapshotId: s2 });
    expect(middle.snapshot?.['snapshot-id']).toBe(s2);
    expect(await readPlan(wh, t, middle)).toEqual([3]);

    const none = await t.planIncrementalAppendScan({ fromSnapshotId: s3 });
    expect(none.tasks).toEqual([]);
  });

  it('skips replace snapshots, so compaction does not duplicate rows', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    const s1 = await head(wh, 'db.t');
    await wh.sql('INSERT INTO db.t VALUES (2)');
    await compact(wh, 'db.t');
    const replaced = await head(wh, 'db.t');
    await wh.sql('INSERT INTO db.t VALUES (3)');
    const t = await wh.loadTable('db.t');
    expect(t.metadata.snapshots.find((s) => s['snapshot-id'] === replaced)!.summary.operation).toBe('replace');
    const plan = await t.planIncrementalAppendScan({ fromSnapshotId: s1 });
    expect(plan.skippedSnapshots).toEqual([replaced]);
    expect(await readPlan(wh, t, plan)).toEqual([2, 3]);
    expect(await readPlan(wh, t, await t.planIncrementalAppendScan())).toEqual([1, 2, 3]);
  });

  it('fails naming the snapshot when the range deleted or overwrote rows', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    const s1 = await head(wh, 'db.t');
    await wh.sql('INSERT INTO db.t VALUES (2)');
    await wh.sql('DELETE FROM db.t WHERE id = 2');
    const del = await head(wh, 'db.t');
    const t = await wh.loadTable('db.t');
    const err = await t.planIncrementalAppendScan({ fromSnapshotId: s1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncrementalRangeError);
    expect((err as IncrementalRangeError).snapshotId).toBe(del);
    expect((err as Error).message).toContain(`snapshot ${del} (delete)`);

    await wh.sql('INSERT OVERWRITE db.t VALUES (7)');
    const over = await head(wh, 'db.t');
    const err2 = await (await wh.loadTable('db.t')).planIncrementalAppendScan({ fromSnapshotId: del }).catch((e: unknown) => e);
    expect((err2 as IncrementalRangeError).snapshotId).toBe(over);
    expect((err2 as Error).message).toMatch(new RegExp(`snapshot ${over} \\(overwrite\\) changed existing rows: it removed data file`));
  });

  it('reads an overwrite that only added files (a new partition) as an append', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p)');
    await wh.sql('INSERT INTO db.t VALUES (1, 1)');
    const s1 = await head(wh, 'db.t');
    await wh.sql('INSERT OVERWRITE db.t VALUES (2, 2)');
    const t = await wh.loadTable('db.t');
    expect(t.currentSnapshot()!.summary.operation).toBe('overwrite');
    expect(await readPlan(wh, t, await t.planIncrementalAppendScan({ fromSnapshotId: s1 }))).toEqual([2]);
  });

  it('rejects a start that is not an ancestor of the end (after a rollback)', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1)');
    const s1 = await head(wh, 'db.t');
    await wh.sql('INSERT INTO db.t VALUES (2)');
    const s2 = await head(wh, 'db.t');
    await wh.sql(`CALL system.rollback_to_snapshot('db.t', ${s1})`);
    await wh.sql('INSERT INTO db.t VALUES (3)');
    const err = await (await wh.loadTable('db.t')).planIncrementalAppendScan({ fromSnapshotId: s2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IncrementalRangeError);
    expect((err as IncrementalRangeError).reason).toBe('not-ancestor');
    expect((err as Error).message).toContain(`snapshot ${s2} is not an ancestor`);
  });

  it('prunes appended files by partition with a filter', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p)');
    await wh.sql('INSERT INTO db.t VALUES (1, 1)');
    const s1 = await head(wh, 'db.t');
    await wh.sql('INSERT INTO db.t VALUES (2, 1), (3, 2)');
    const t = await wh.loadTable('db.t');
    const plan = await t.planIncrementalAppendScan({ fromSnapshotId: s1, filter: { op: 'eq', column: 'p', value: 2 } });
    expect(plan.tasks).toHaveLength(1);
    expect(await readPlan(wh, t, plan)).toEqual([3]);
  });

  it('substitutes an appended range for a table in SQL through the session', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql('INSERT INTO db.t VALUES (1), (2)');
    const s1 = await head(wh, 'db.t');
    await wh.sql('INSERT INTO db.t VALUES (3)');
    const session = new SqlSession(wh.session.context);
    session.sourceReads.set('db.t', { kind: 'appended', fromSnapshotId: s1, toSnapshotId: undefined });
    const [r] = await session.execute('SELECT sum(id) AS s, count(*) AS n FROM db.t');
    expect(r!.rows).toEqual([[3n, 1n]]);
    expect(r!.scans[0]!.metrics).toMatchObject({ dataFilesTotal: 2, dataFilesSelected: 1 });
    // Time travel still means what it says; other sessions are unaffected.
    const [tt] = await session.execute(`SELECT count(*) FROM db.t FOR VERSION AS OF ${s1}`);
    expect(tt!.rows).toEqual([[2n]]);
    expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[3]]);
  });
});

describe('statement options for runners', () => {
  it('adds floe.summary.* settings to the snapshot summary of every write', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT)');
    await wh.sql("SET floe.summary.floe.source.db.x = '42'");
    await wh.sql("SET floe.summary.operation = 'nope'");
    await wh.sql('INSERT INTO db.t VALUES (1)');
    let s = (await wh.loadTable('db.t')).currentSnapshot()!.summary;
    expect(s['floe.source.db.x']).toBe('42');
    expect(s.operation).toBe('append');
    await wh.sql('UPDATE db.t SET id = 2');
    s = (await wh.loadTable('db.t')).currentSnapshot()!.summary;
    expect([s.operation, s['floe.source.db.x']]).toEqual(['overwrite', '42']);
    await wh.sql('MERGE INTO db.t t USING (SELECT 2 AS id) s ON t.id = s.id WHEN MATCHED THEN DELETE');
    s = (await wh.loadTable('db.t')).currentSnapshot()!.summary;
    expect(s['floe.source.db.x']).toBe('42');
    expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[0]]);
    await wh.sql('RESET floe.summary.floe.source.db.x');
    await wh.sql('INSERT INTO db.t VALUES (3)');
    expect((await wh.loadTable('db.t')).currentSnapshot()!.summary['floe.source.db.x']).toBeUndefined();
  });

  it('INSERT OVERWRITE replaces every partition with floe.overwrite.mode = static', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p)');
    await wh.sql('INSERT INTO db.t VALUES (1, 1), (2, 2)');
    await wh.sql('INSERT OVERWRITE db.t VALUES (3, 2)');
    expect(await q(wh, 'SELECT id FROM db.t ORDER BY id')).toEqual([[1], [3]]);
    await wh.sql('SET floe.overwrite.mode = static');
    await wh.sql('INSERT OVERWRITE db.t VALUES (4, 2)');
    expect(await q(wh, 'SELECT id FROM db.t ORDER BY id')).toEqual([[4]]);
  });

  it('reports the scans of the source of INSERT … SELECT', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.a (id INT)');
    await wh.sql('CREATE TABLE db.b (id INT)');
    await wh.sql('INSERT INTO db.a VALUES (1)');
    const r = await wh.sql('INSERT INTO db.b SELECT * FROM db.a');
    expect(r.scans.map((s) => s.table)).toEqual(['db.a']);
  });
});
