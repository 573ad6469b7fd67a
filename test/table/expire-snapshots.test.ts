import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog.js';
import { CommitStateUnknownError } from '../../src/errors.js';
import { expireSnapshots } from '../../src/table/expire-snapshots.js';
import { Table, newTableContext } from '../../src/table/table.js';
import { fileTree, rowsBySnapshot } from '../helpers/maintenance.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

/** A table with appends, a copy-on-write delete, merge-on-read deletes, a tag and a branch. */
async function history(): Promise<void> {
  const { wh } = ctx;
  await wh.sql(`CREATE TABLE db.t (id INT, v STRING) TBLPROPERTIES ('write.delete.mode' = 'copy-on-write', 'write.update.mode' = 'merge-on-read')`);
  await wh.sql(`INSERT INTO db.t VALUES (1, 'a'), (2, 'b')`);
  await wh.sql(`INSERT INTO db.t VALUES (3, 'c')`);
  await wh.sql(`ALTER TABLE db.t CREATE TAG v1`);
  await wh.sql(`DELETE FROM db.t WHERE id = 1`);
  await wh.sql(`ALTER TABLE db.t CREATE BRANCH dev`);
  await wh.sql(`INSERT INTO db.t.branch_dev VALUES (10, 'dev')`);
  await wh.sql(`INSERT INTO db.t VALUES (4, 'd')`);
  await wh.sql(`INSERT INTO db.t VALUES (5, 'e')`);
  await wh.sql(`DELETE FROM db.t WHERE id = 5`);
  await wh.sql(`UPDATE db.t SET v = 'B' WHERE id = 2`);
  await wh.sql(`DELETE FROM db.t WHERE id = 3`);
}

describe('expireSnapshots', () => {
  it('removes unreferenced snapshots and exactly their files; every retained snapshot reads the same rows', async () => {
    const { wh } = ctx;
    await history();
    const before = await rowsBySnapshot(wh, 'db.t');
    const t = await wh.loadTable('db.t');
    const r = await expireSnapshots(t, { olderThanMs: Date.now() + 1, retainLast: 1 });
    const m = r.table.metadata;
    // Kept: main's head, the tag's snapshot, the dev branch's head.
    const kept = new Set([m.refs.main!['snapshot-id'], m.refs.v1!['snapshot-id'], m.refs.dev!['snapshot-id']]);
    expect(new Set(m.snapshots.map((s) => s['snapshot-id']))).toEqual(kept);
    expect(r.expiredSnapshotIds).toHaveLength(before.size - kept.size);
    const after = await rowsBySnapshot(wh, 'db.t');
    for (const [id, rows] of after) expect(rows).toEqual(before.get(id));
    expect(await q(wh, 'SELECT id, v FROM db.t ORDER BY id')).toEqual([[2, 'B'], [4, 'd']]);
    expect(await q(wh, `SELECT count(*) FROM db.t FOR VERSION AS OF 'v1'`)).toEqual([[3]]);

    expect(r.counts['manifest-list']).toBe(r.expiredSnapshotIds.length);
    expect(r.counts.manifest).toBeGreaterThan(0);
    // The copy-on-write delete replaced a file only expired snapshots read; the merge-on-read
    // update's delete file is still read by main's head.
    expect(r.counts.data).toBeGreaterThan(0);
    expect(r.counts.delete).toBe(0);
    for (const f of r.files) expect(existsSync(f.path.replace(/^file:\/\//, ''))).toBe(false);
    expect(r.bytes).toBe(r.files.reduce((a, f) => a + Math.max(0, f.size), 0));
    expect(r.failures).toEqual([]);

    // Every file a retained snapshot references is still there.
    const live = await wh.sql(`SELECT file_path FROM db."t$files"`);
    for (const [p] of live.rows) expect(existsSync(String(p).replace(/^file:\/\//, ''))).toBe(true);
  });

  it('a dry run lists what the real run deletes and changes nothing', async () => {
    const { wh } = ctx;
    await history();
    const t = await wh.loadTable('db.t');
    const tree = await fileTree(t.location);
    const dry = await expireSnapshots(t, { olderThanMs: Date.now() + 1, dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(await fileTree(t.location)).toEqual(tree);
    expect((await wh.loadTable('db.t')).metadataLocation).toBe(t.metadataLocation);
    expect(dry.files.length).toBeGreaterThan(0);
    const real = await expireSnapshots(t, { olderThanMs: Date.now() + 1 });
    expect(real.expiredSnapshotIds).toEqual(dry.expiredSnapshotIds);
    const data = (r: typeof dry): string[] => r.files.filter((f) => f.kind !== 'metadata').map((f) => f.path).sort();
    expect(data(real)).toEqual(data(dry));
  });

  it('honours table retention properties and per-ref retention', async () => {
    const { wh } = ctx;
    await wh.sql(`CREATE TABLE db.r (id INT) TBLPROPERTIES ('history.expire.min-snapshots-to-keep' = '2', 'history.expire.max-snapshot-age-ms' = '0')`);
    for (let i = 0; i < 4; i++) await wh.sql(`INSERT INTO db.r VALUES (${i})`);
    await wh.sql(`ALTER TABLE db.r CREATE BRANCH keep3`);
    await wh.sql(`ALTER TABLE db.r CREATE BRANCH old`);
    for (let i = 4; i < 6; i++) await wh.sql(`INSERT INTO db.r VALUES (${i})`);
    let t = await wh.loadTable('db.r');
    const ids = t.snapshots().map((s) => s['snapshot-id']);
    // Per-ref settings: keep3 keeps 3 ancestors; `old` expires as a ref after 1 ms.
    t = await t.newTransaction().apply(() => ({
      updates: [
        { action: 'set-snapshot-ref', 'ref-name': 'keep3', type: 'branch', 'snapshot-id': ids[3]!, 'min-snapshots-to-keep': 3 },
        { action: 'set-snapshot-ref', 'ref-name': 'old', type: 'branch', 'snapshot-id': ids[1]!, 'max-ref-age-ms': 1 },
      ],
    })).commit();
    const r = await expireSnapshots(t, { now: Date.now() + 10 });
    expect(r.removedRefs).toEqual(['old']);
    const left = r.table.snapshots().map((s) => s['snapshot-id']);
    // main keeps its 2 newest (table property); keep3 keeps ids[1..3]; ids[0] goes.
    expect(left).toEqual(ids.slice(1));
    expect(Object.keys(r.table.metadata.refs).sort()).toEqual(['keep3', 'main']);

    // Without an explicit cutoff, young snapshots stay (history.expire.max-snapshot-age-ms).
    await wh.sql(`ALTER TABLE db.r SET TBLPROPERTIES ('history.expire.max-snapshot-age-ms' = '3600000')`);
    const young = await expireSnapshots(await wh.loadTable('db.r'), { retainLast: 1 });
    expect(young.expiredSnapshotIds).toEqual([]);
  });

  it('deletes nothing when the commit outcome is unknown', async () => {
    const { wh } = ctx;
    await history();
    for (const landed of [false, true]) {
      // A catalog whose commit throws CommitStateUnknownError (before or after really committing).
      const unknown: Catalog = new Proxy(wh.catalog, {
        get(target, prop, receiver) {
          if (prop !== 'commitTable') return Reflect.get(target, prop, receiver) as unknown;
          return async (...args: Parameters<Catalog['commitTable']>) => {
            if (landed) await target.commitTable(...args);
            throw new CommitStateUnknownError('connection lost during commit');
          };
        },
      });
      const loaded = await wh.catalog.loadTable({ namespace: ['db'], name: 't' });
      const t = new Table(newTableContext(unknown, wh.io), loaded);
      const tree = await fileTree(t.location);
      await expect(expireSnapshots(t, { olderThanMs: Date.now() + 1 })).rejects.toThrow(CommitStateUnknownError);
      const now = await fileTree(t.location);
      for (const [p] of tree) expect(now.has(p)).toBe(true);
    }
    // The landed commit expired the snapshots; their files are still on disk (orphans for later).
    expect((await wh.loadTable('db.t')).snapshots()).toHaveLength(3);
  });

  it('re-plans when a writer moves a ref meanwhile: a rollback onto an expiring snapshot keeps it, appended files stay', async () => {
    const { wh } = ctx;
    await wh.sql(`CREATE TABLE db.w (id INT)`);
    for (let i = 0; i < 4; i++) await wh.sql(`INSERT INTO db.w VALUES (${i})`);
    const first = (await wh.loadTable('db.w')).snapshots()[1]!['snapshot-id'];
    let raced = 0;
    // Before each of the expiry's first two commit attempts, another writer commits.
    const racing: Catalog = new Proxy(wh.catalog, {
      get(target, prop, receiver) {
        if (prop !== 'commitTable') return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<Catalog['commitTable']>) => {
          raced++;
          if (raced === 1) await (await wh.loadTable('db.w')).newTransaction().rollbackTo(first).commit();
          if (raced === 2) await wh.sql(`INSERT INTO db.w VALUES (100)`);
          return target.commitTable(...args);
        };
      },
    });
    const t = new Table(newTableContext(racing, wh.io), await wh.catalog.loadTable({ namespace: ['db'], name: 'w' }));
    const r = await expireSnapshots(t, { olderThanMs: Date.now() + 60_000, retainLast: 1 });
    expect(raced).toBe(3);
    const m = (await wh.loadTable('db.w')).metadata;
    // main = the append on top of the rolled-back snapshot; only it remains.
    expect(m.snapshots.map((s) => s['snapshot-id'])).toEqual([m.refs.main!['snapshot-id']]);
    expect(m.snapshots[0]!['parent-snapshot-id']).toBe(first);
    expect(r.expiredSnapshotIds).toContain(first);
    expect(await q(wh, 'SELECT id FROM db.w ORDER BY id')).toEqual([[0], [1], [100]]);
  });

  it('deletes metadata files that fell out of the metadata log', async () => {
    const { wh } = ctx;
    await wh.sql(`CREATE TABLE db.m (id INT) TBLPROPERTIES ('write.metadata.previous-versions-max' = '2')`);
    for (let i = 0; i < 5; i++) await wh.sql(`INSERT INTO db.m VALUES (${i})`);
    const t = await wh.loadTable('db.m');
    const metaFiles = (tree: Map<string, number>): string[] => [...tree.keys()].filter((p) => p.endsWith('.metadata.json'));
    expect(metaFiles(await fileTree(t.location))).toHaveLength(6);
    const r = await expireSnapshots(t, { olderThanMs: 0 });
    expect(r.expiredSnapshotIds).toEqual([]);
    // Kept: the current file and the two the log keeps (nothing expired: no new commit).
    const left = metaFiles(await fileTree(t.location)).sort();
    expect(left).toEqual([r.table.metadataLocation, ...r.table.metadata['metadata-log'].map((e) => e['metadata-file'])].sort());
    expect(r.counts.metadata).toBe(3);
    expect(await q(wh, 'SELECT count(*) FROM db.m')).toEqual([[5]]);
  });

  it('removes the statistics of expired snapshots with their files, and keeps those of retained ones', async () => {
    const { wh } = ctx;
    await wh.sql(`CREATE TABLE db.s (id INT)`);
    for (let i = 0; i < 3; i++) await wh.sql(`INSERT INTO db.s VALUES (${i})`);
    let t = await wh.loadTable('db.s');
    const ids = t.metadata.snapshots.map((s) => s['snapshot-id']);
    const io = t.context.io;
    const stat = async (id: bigint, kind: string): Promise<{ 'snapshot-id': bigint; 'statistics-path': string; 'file-size-in-bytes': number }> => {
      const path = `${t.location}/metadata/${kind}-${id}.stats`;
      await io.write(path, new TextEncoder().encode(`${kind} of ${id}`));
      return { 'snapshot-id': id, 'statistics-path': path, 'file-size-in-bytes': 9 };
    };
    const entries = [await stat(ids[0]!, 'table'), await stat(ids[2]!, 'table')];
    const partition = await stat(ids[0]!, 'partition');
    t = await t
      .newTransaction()
      .apply(() => ({
        requirements: [],
        updates: [
          ...entries.map((e) => ({ action: 'set-statistics' as const, statistics: { ...e, 'file-footer-size-in-bytes': 1, 'blob-metadata': [] } })),
          { action: 'set-partition-statistics' as const, 'partition-statistics': partition },
        ],
      }))
      .commit();
    // Read back from the catalog: the entries survive a metadata round trip.
    t = await wh.loadTable('db.s');
    expect(t.metadata.statistics).toHaveLength(2);
    const r = await expireSnapshots(t, { olderThanMs: Date.now() + 1, retainLast: 1 });
    expect(r.expiredSnapshotIds).toContain(ids[0]);
    expect(r.counts.statistics).toBe(2);
    expect(existsSync(entries[0]!['statistics-path'])).toBe(false);
    expect(existsSync(partition['statistics-path'])).toBe(false);
    expect(existsSync(entries[1]!['statistics-path'])).toBe(true);
    const after = await wh.loadTable('db.s');
    expect((after.metadata.statistics ?? []).map((e) => String((e as { 'snapshot-id': unknown })['snapshot-id']))).toEqual([String(ids[2])]);
    expect(after.metadata['partition-statistics'] ?? []).toEqual([]);
  });

  it('refuses statistics for a snapshot the table does not have, and changes nothing', async () => {
    const { wh } = ctx;
    await wh.sql(`CREATE TABLE db.s2 (id INT)`);
    await wh.sql(`INSERT INTO db.s2 VALUES (1)`);
    const t = await wh.loadTable('db.s2');
    const tx = t.newTransaction().apply(() => ({
      requirements: [],
      updates: [{ action: 'set-statistics' as const, statistics: { 'snapshot-id': 42n, 'statistics-path': `${t.location}/metadata/x.stats` } }],
    }));
    await expect(tx.commit()).rejects.toThrow(/statistics of snapshot 42: it does not exist/);
    expect((await wh.loadTable('db.s2')).metadataLocation).toBe(t.metadataLocation);
  });
});
