import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitFailedError } from '../../src/errors.js';
import type { Warehouse } from '../../src/index.js';
import { rewriteDataFiles } from '../../src/table/rewrite-data.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

/** Every snapshot id of a table with the full sorted rows it reads (time travel). */
async function everySnapshot(wh: Warehouse, name: string): Promise<Map<string, unknown[][]>> {
  const t = await wh.loadTable(name);
  const out = new Map<string, unknown[][]>();
  for (const s of t.snapshots()) {
    out.set(String(s['snapshot-id']), await q(wh, `SELECT * FROM ${name} FOR VERSION AS OF ${s['snapshot-id']} ORDER BY ALL`));
  }
  return out;
}

async function liveFiles(wh: Warehouse, name: string, content: number): Promise<string[]> {
  const [ns, t] = name.split('.');
  return (await q(wh, `SELECT file_path FROM ${ns}."${t}$files" WHERE content = ${content} ORDER BY 1`)).map((r) => String(r[0]));
}

async function filesOnDisk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.parquet')) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

describe('rewriteDataFiles (bin-pack compaction)', () => {
  it('packs many small appends into one file per partition; every snapshot reads exactly what it read before', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT, p INT, s STRING) PARTITIONED BY (p)');
    for (let i = 0; i < 12; i++) await wh.sql(`INSERT INTO db.t VALUES (${i}, ${i % 3}, 'v${i}'), (${i + 100}, ${i % 3}, NULL)`);
    const before = await everySnapshot(wh, 'db.t');
    expect(await liveFiles(wh, 'db.t', 0)).toHaveLength(12);
    const r = await rewriteDataFiles(await wh.loadTable('db.t'), { engine: wh.engine });
    expect(r.rewrittenDataFiles).toBe(12);
    expect(r.addedDataFiles).toBe(3);
    expect(r.groups).toHaveLength(3);
    expect(r.addedRecords).toBe(24);
    expect(r.table.currentSnapshot()!.summary.operation).toBe('replace');
    expect(r.table.currentSnapshot()!['snapshot-id']).toBe(r.snapshotId);
    expect(await liveFiles(wh, 'db.t', 0)).toHaveLength(3);
    const after = await everySnapshot(wh, 'db.t');
    expect(after.size).toBe(before.size + 1);
    for (const [id, rows] of before) expect(after.get(id), `snapshot ${id}`).toEqual(rows);
    expect(after.get(String(r.snapshotId))).toEqual(before.get(String(r.table.currentSnapshot()!['parent-snapshot-id'])));
    // A second run has nothing left to do.
    const again = await rewriteDataFiles(r.table, { engine: wh.engine });
    expect(again.rewrittenDataFiles).toBe(0);
    expect(again.snapshotId).toBeUndefined();
  });

  it('applies position deletes (merge-on-read) and drops the delete files', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.m (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read')`);
    for (let i = 0; i < 4; i++) await wh.sql(`INSERT INTO db.m SELECT range * 10 + ${i}, range % 2 FROM range(20)`);
    await wh.sql('DELETE FROM db.m WHERE id % 3 = 0');
    await wh.sql('UPDATE db.m SET id = id + 1000 WHERE id % 7 = 1');
    expect((await liveFiles(wh, 'db.m', 1)).length).toBeGreaterThan(0);
    const before = await everySnapshot(wh, 'db.m');
    const r = await rewriteDataFiles(await wh.loadTable('db.m'), { engine: wh.engine });
    expect(r.removedDeleteFiles).toBeGreaterThan(0);
    expect(await liveFiles(wh, 'db.m', 1)).toEqual([]);
    expect(await liveFiles(wh, 'db.m', 0)).toHaveLength(2);
    const after = await everySnapshot(wh, 'db.m');
    for (const [id, rows] of before) expect(after.get(id), `snapshot ${id}`).toEqual(rows);
    expect(await q(wh, 'SELECT * FROM db.m ORDER BY ALL')).toEqual(before.get(String(r.table.currentSnapshot()!['parent-snapshot-id'])));
    expect(r.table.currentSnapshot()!.summary['total-delete-files']).toBe('0');
  });

  it('applies equality deletes and drops them; a concurrent upsert still replaces the compacted rows', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.u (id BIGINT NOT NULL, v INT)');
    await wh.sql('ALTER TABLE db.u SET IDENTIFIER FIELDS id');
    for (let i = 0; i < 4; i++) await wh.upsertRows('db.u', [{ id: 1, v: i }, { id: 2 + i, v: i }]);
    expect((await liveFiles(wh, 'db.u', 2)).length).toBe(4);
    const before = await everySnapshot(wh, 'db.u');
    let upserted = false;
    const r = await rewriteDataFiles(await wh.loadTable('db.u'), {
      engine: wh.engine,
      // Between reading and committing, another writer upserts keys held by the rewritten files.
      onStep: async (step) => {
        if (step !== 'written') return;
        await wh.upsertRows('db.u', [{ id: 1, v: 100 }, { id: 3, v: 300 }]);
        upserted = true;
      },
    });
    expect(upserted).toBe(true);
    expect(r.snapshotId).toBeDefined();
    // The old equality deletes are gone, the concurrent one stays and still applies.
    expect(await q(wh, 'SELECT record_count FROM db."u$files" WHERE content = 2')).toEqual([[2]]);
    expect(await q(wh, 'SELECT id, v FROM db.u ORDER BY id')).toEqual([
      [1, 100],
      [2, 0],
      [3, 300],
      [4, 2],
      [5, 3],
    ]);
    const after = await everySnapshot(wh, 'db.u');
    for (const [id, rows] of before) expect(after.get(id), `snapshot ${id}`).toEqual(rows);
  });

  it('keeps a concurrent append', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.a (id INT)');
    for (let i = 0; i < 5; i++) await wh.sql(`INSERT INTO db.a VALUES (${i})`);
    const r = await rewriteDataFiles(await wh.loadTable('db.a'), {
      engine: wh.engine,
      onStep: async (step) => {
        if (step === 'written') await wh.sql('INSERT INTO db.a VALUES (99)');
      },
    });
    expect(r.rewrittenDataFiles).toBe(5);
    expect(await q(wh, 'SELECT id FROM db.a ORDER BY id')).toEqual([[0], [1], [2], [3], [4], [99]]);
    expect(await liveFiles(wh, 'db.a', 0)).toHaveLength(2);
    const snaps = r.table.snapshots().map((s) => s.summary.operation);
    expect(snaps.slice(-2)).toEqual(['append', 'replace']);
  });

  for (const mode of ['merge-on-read', 'copy-on-write']) {
    it(`fails on a concurrent ${mode} delete of rows in a rewritten file, resurrecting nothing and leaving no files`, async () => {
      const wh = ctx.wh;
      await wh.sql(`CREATE TABLE db.d (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('write.delete.mode' = '${mode}', 'commit.retry.min-wait-ms' = '1')`);
      for (let i = 0; i < 3; i++) await wh.sql(`INSERT INTO db.d VALUES (${i}, 1), (${i + 10}, 1), (${i + 20}, 2)`);
      const diskBefore = await filesOnDisk(wh.root);
      let written: string[] = [];
      const run = rewriteDataFiles(await wh.loadTable('db.d'), {
        engine: wh.engine,
        onStep: async (step) => {
          if (step !== 'written') return;
          written = (await filesOnDisk(wh.root)).filter((f) => !diskBefore.includes(f));
          await wh.sql('DELETE FROM db.d WHERE id = 1');
        },
      });
      await expect(run).rejects.toBeInstanceOf(CommitFailedError);
      await expect(run).rejects.toThrow(/conflict/);
      expect(written.length).toBeGreaterThan(0);
      const disk = await filesOnDisk(wh.root);
      for (const f of written) expect(disk).not.toContain(f);
      expect(await q(wh, 'SELECT id FROM db.d WHERE p = 1 ORDER BY id')).toEqual([[0], [2], [10], [11], [12]]);
      expect((await wh.loadTable('db.d')).currentSnapshot()!.summary.operation).not.toBe('replace');
    });
  }

  it('sorts the new files by the table sort order when asked', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.s (id INT, k INT)');
    for (let i = 0; i < 6; i++) await wh.sql(`INSERT INTO db.s SELECT range, (range * 37 + ${i * 11}) % 101 FROM range(${i * 5}, ${i * 5 + 5})`);
    await wh.sql('ALTER TABLE db.s WRITE ORDERED BY k DESC');
    const t = await wh.loadTable('db.s');
    const r = await rewriteDataFiles(t, { engine: wh.engine, sort: true });
    expect(r.addedDataFiles).toBe(1);
    const [file] = await liveFiles(wh, 'db.s', 0);
    const inFile = (await q(wh, `SELECT k FROM read_parquet('${file}', file_row_number = true) ORDER BY file_row_number`)).map((x) => Number(x[0]));
    expect(inFile).toHaveLength(30);
    expect(inFile).toEqual([...inFile].sort((a, b) => b - a));
    expect(await q(wh, 'SELECT sort_order_id FROM db."s$files"')).toEqual([[t.sortOrder()['order-id']]]);
    await expect(rewriteDataFiles(t, { engine: wh.engine, targetFileSizeBytes: 0 })).rejects.toThrow(/positive/);
  });

  it('rejects sorting a table without a sort order', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.n (id INT)');
    await expect(rewriteDataFiles(await wh.loadTable('db.n'), { engine: wh.engine, sort: true })).rejects.toThrow(/no sort order/);
  });

  it('limits the rewrite to files matching WHERE', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.w (id INT, p INT) PARTITIONED BY (p)');
    for (let i = 0; i < 4; i++) await wh.sql(`INSERT INTO db.w VALUES (${i}, 1), (${i}, 2), (${i}, 3)`);
    const other = (await q(wh, `SELECT file_path FROM db."w$files" WHERE partition.p <> 1 ORDER BY 1`)).map(String);
    expect(other).toHaveLength(8);
    const r = await rewriteDataFiles(await wh.loadTable('db.w'), { engine: wh.engine, where: { op: 'eq', column: 'p', value: 1 } });
    expect(r.rewrittenDataFiles).toBe(4);
    expect(r.groups.map((g) => g.partition)).toEqual([{ p: 1 }]);
    expect((await q(wh, `SELECT file_path FROM db."w$files" WHERE partition.p <> 1 ORDER BY 1`)).map(String)).toEqual(other);
    expect(await q(wh, `SELECT count(*) FROM db."w$files"`)).toEqual([[9]]);
  });

  it('dry run lists the groups and writes nothing', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.r (id INT, p INT) PARTITIONED BY (p)`);
    for (let i = 0; i < 3; i++) await wh.sql(`INSERT INTO db.r VALUES (${i}, 1), (${i}, 2)`);
    const disk = await filesOnDisk(wh.root);
    const t = await wh.loadTable('db.r');
    const r = await rewriteDataFiles(t, { engine: wh.engine, dryRun: true });
    expect(r.dryRun).toBe(true);
    expect(r.groups).toHaveLength(2);
    expect(r.rewrittenDataFiles).toBe(6);
    expect(r.groups.every((g) => g.files.length === 3 && g.bins === 1)).toBe(true);
    expect(r.snapshotId).toBeUndefined();
    expect(await filesOnDisk(wh.root)).toEqual(disk);
    expect((await wh.loadTable('db.r')).metadataLocation).toBe(t.metadataLocation);
  });

  it('packs into several files by the target size and reports progress', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.b (id INT, s STRING)');
    for (let i = 0; i < 10; i++) await wh.sql(`INSERT INTO db.b VALUES (${i}, 'row ${i}')`);
    const size = Number((await q(wh, 'SELECT max(file_size_in_bytes) FROM db."b$files"'))[0]![0]);
    const progress: [number, number][] = [];
    const r = await rewriteDataFiles(await wh.loadTable('db.b'), {
      engine: wh.engine,
      targetFileSizeBytes: Math.ceil(size * 5.5),
      onProgress: (done, total) => progress.push([done, total]),
    });
    expect(r.rewrittenDataFiles).toBe(10);
    expect(r.addedDataFiles).toBe(r.groups[0]!.bins);
    expect(r.addedDataFiles).toBeGreaterThanOrEqual(2);
    expect(progress[0]).toEqual([0, 10]);
    expect(progress[progress.length - 1]).toEqual([10, 10]);
    expect(await q(wh, 'SELECT count(*), sum(id) FROM db.b')).toEqual([[10, 45]]);
  });

  it('compacts automatically after a commit once a partition has floe.maintenance.compact.min-small-files small files', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.auto (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('floe.maintenance.compact.min-small-files' = '3')`);
    await wh.sql('INSERT INTO db.auto VALUES (1, 1), (2, 2)');
    await wh.sql('INSERT INTO db.auto VALUES (3, 1)');
    expect(await liveFiles(wh, 'db.auto', 0)).toHaveLength(3);
    // The third small file of partition p=1 triggers compaction of that partition only.
    await wh.appendRows('db.auto', [{ id: 4, p: 1 }]);
    const t = await wh.loadTable('db.auto');
    expect(t.snapshots().map((s) => s.summary.operation)).toEqual(['append', 'append', 'append', 'replace']);
    expect(await q(wh, `SELECT partition, count(*) FROM db."auto$files" GROUP BY 1 ORDER BY 1`)).toEqual([
      [{ p: 1 }, 1],
      [{ p: 2 }, 1],
    ]);
    expect(await q(wh, 'SELECT id FROM db.auto ORDER BY id')).toEqual([[1], [2], [3], [4]]);
    // An invalid threshold turns it off without failing writes.
    await wh.sql(`ALTER TABLE db.auto SET TBLPROPERTIES ('floe.maintenance.compact.min-small-files' = 'often')`);
    for (let i = 5; i < 8; i++) await wh.sql(`INSERT INTO db.auto VALUES (${i}, 2)`);
    expect(await liveFiles(wh, 'db.auto', 0)).toHaveLength(5);
  });

  it('keeps each file in its partition spec across partition evolution', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.ev (id INT, p INT) PARTITIONED BY (p)');
    for (let i = 0; i < 3; i++) await wh.sql(`INSERT INTO db.ev VALUES (${i}, 1), (${i + 10}, 1)`);
    await wh.sql('ALTER TABLE db.ev ADD PARTITION FIELD bucket(2, id)');
    for (let i = 0; i < 3; i++) await wh.sql(`INSERT INTO db.ev VALUES (${i + 20}, 1), (${i + 30}, 1)`);
    const before = await everySnapshot(wh, 'db.ev');
    const groupsOf = async () => q(wh, 'SELECT DISTINCT spec_id, partition FROM db."ev$files" ORDER BY 1, 2');
    const groups = await groupsOf();
    // The partition ROW is the union of both specs' fields; spec 0 has no id_bucket.
    expect(groups.filter((g) => g[0] === 0)).toEqual([[0, { p: 1, id_bucket: null }]]);
    expect(groups.filter((g) => g[0] === 1).length).toBeGreaterThanOrEqual(1);
    const r = await rewriteDataFiles(await wh.loadTable('db.ev'), { engine: wh.engine });
    expect(r.groups.find((g) => g.specId === 0)?.files).toHaveLength(3);
    // Each file stays in its spec and partition; each partition is now one file.
    expect(await groupsOf()).toEqual(groups);
    expect(await q(wh, 'SELECT count(*) FROM db."ev$files"')).toEqual([[groups.length]]);
    const after = await everySnapshot(wh, 'db.ev');
    for (const [id, rows] of before) expect(after.get(id), `snapshot ${id}`).toEqual(rows);
    expect(await q(wh, 'SELECT count(*) FROM db.ev WHERE p = 1 AND id >= 20')).toEqual([[6]]);
  });

  it('compacts a branch and leaves main as it was; refuses tags', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.br (id INT)');
    for (let i = 0; i < 3; i++) await wh.sql(`INSERT INTO db.br VALUES (${i})`);
    await wh.sql('ALTER TABLE db.br CREATE BRANCH dev');
    await wh.sql('ALTER TABLE db.br CREATE TAG v1');
    const main = (await wh.loadTable('db.br')).currentSnapshot()!['snapshot-id'];
    const r = await rewriteDataFiles(await wh.loadTable('db.br'), { engine: wh.engine, branch: 'dev' });
    expect(r.rewrittenDataFiles).toBe(3);
    const t = await wh.loadTable('db.br');
    expect(t.currentSnapshot()!['snapshot-id']).toBe(main);
    expect(t.metadata.refs['dev']!['snapshot-id']).toBe(r.snapshotId);
    expect(await q(wh, `SELECT id FROM db.br FOR VERSION AS OF 'dev' ORDER BY id`)).toEqual([[0], [1], [2]]);
    expect(await q(wh, 'SELECT count(*) FROM db."br$files"')).toEqual([[3]]);
    await expect(rewriteDataFiles(t, { engine: wh.engine, branch: 'v1' })).rejects.toThrow(/tags are read-only/);
    await expect(rewriteDataFiles(t, { engine: wh.engine, branch: 'nope' })).rejects.toThrow(/does not exist/);
  });
});

