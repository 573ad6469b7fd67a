import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog.js';
import { Table, newTableContext } from '../../src/table/table.js';
import { EntryStatus, ManifestContent } from '../../src/manifest/types.js';
import { rewriteManifests } from '../../src/table/rewrite-manifests.js';
import { fileTree, rowsBySnapshot } from '../helpers/maintenance.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

/** 24 two-row appends scattered over 8 partitions, a merge-on-read delete, and a tag. */
async function scattered(): Promise<void> {
  const { wh } = ctx;
  await wh.sql(`CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p)
    TBLPROPERTIES ('commit.manifest-merge.enabled' = 'false', 'write.delete.mode' = 'merge-on-read')`);
  for (let i = 0; i < 24; i++) await wh.sql(`INSERT INTO db.t VALUES (${i}, ${(i * 5) % 8}), (${i + 100}, ${(i * 5) % 8})`);
  await wh.sql(`ALTER TABLE db.t CREATE TAG before_delete`);
  await wh.sql(`DELETE FROM db.t WHERE id IN (3, 17)`);
}

describe('rewriteManifests', () => {
  it('clusters manifests by partition in a replace snapshot; every snapshot reads the same rows', async () => {
    const { wh } = ctx;
    await scattered();
    const before = await rowsBySnapshot(wh, 'db.t');
    const t = await wh.loadTable('db.t');
    const head = t.currentSnapshot()!;
    const reader = t.context.reader;
    const oldManifests = await reader.manifestsOf(head, t.metadata);
    const filesBefore = await q(wh, `SELECT file_path, content FROM db."t$files" ORDER BY ALL`);
    // About 6 entries per manifest: four data manifests, one delete manifest.
    const perEntry = oldManifests.filter((m) => m.content === ManifestContent.Data).reduce((a, m) => a + m.manifest_length, 0) / 24;
    const r = await rewriteManifests(t, { targetSizeBytes: Math.ceil(perEntry * 6) });
    // The data manifests are rewritten; the one delete manifest is its group's only one: kept.
    expect(oldManifests.filter((m) => m.content === ManifestContent.Deletes)).toHaveLength(1);
    expect(r.replaced).toBe(oldManifests.length - 1);
    expect(r.kept).toBe(1);
    expect(r.entries).toBe(filesBefore.filter((f) => f[1] === 0).length);
    expect(filesBefore.filter((f) => f[1] !== 0).length).toBeGreaterThan(0);
    const after = r.table;
    const snap = after.currentSnapshot()!;
    expect(snap['snapshot-id']).toBe(r.snapshotId);
    expect(snap['parent-snapshot-id']).toBe(head['snapshot-id']);
    expect(snap.summary.operation).toBe('replace');
    expect(snap.summary['total-records']).toBe(head.summary['total-records']);

    const manifests = await reader.manifestsOf(snap, after.metadata);
    expect(manifests.length).toBeLessThan(oldManifests.length);
    const data = manifests.filter((m) => m.content === ManifestContent.Data);
    const deletes = manifests.filter((m) => m.content === ManifestContent.Deletes);
    expect(data.length).toBe(4);
    expect(deletes.length).toBe(1);
    // Clustered: the partition ranges of the data manifests do not interleave.
    const ranges: [number, number][] = [];
    for (const m of data) {
      const ps = (await reader.entriesOf(m)).map((e) => {
        expect(e.status).toBe(EntryStatus.Existing);
        return Number(e.data_file.partition.p);
      });
      ranges.push([Math.min(...ps), Math.max(...ps)]);
    }
    ranges.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i - 1]![1]).toBeLessThanOrEqual(ranges[i]![0]);

    const rows = await rowsBySnapshot(wh, 'db.t');
    for (const [id, rs] of before) expect(rows.get(id)).toEqual(rs);
    expect(rows.get(snap['snapshot-id'])).toEqual(before.get(head['snapshot-id']));
    expect(await q(wh, `SELECT file_path, content FROM db."t$files" ORDER BY ALL`)).toEqual(filesBefore);

    // Planning a one-partition scan now opens fewer manifests than before.
    const pruned = await after.planScan({ filter: { op: 'eq', column: 'p', value: 0 } });
    const old = await t.planScan({ filter: { op: 'eq', column: 'p', value: 0 } });
    expect(pruned.tasks.map((x) => x.file.file_path).sort()).toEqual(old.tasks.map((x) => x.file.file_path).sort());
    expect(pruned.metrics.manifestsScanned).toBeLessThan(old.metrics.manifestsScanned);
  });

  it('re-plans on the new head when a writer commits first, losing no rows and leaving no stray manifests', async () => {
    const { wh } = ctx;
    await scattered();
    let raced = false;
    const racing: Catalog = new Proxy(wh.catalog, {
      get(target, prop, receiver) {
        if (prop !== 'commitTable') return Reflect.get(target, prop, receiver) as unknown;
        return async (...args: Parameters<Catalog['commitTable']>) => {
          if (!raced) {
            raced = true;
            await wh.sql(`INSERT INTO db.t VALUES (500, 3)`);
          }
          return target.commitTable(...args);
        };
      },
    });
    const loaded = await wh.catalog.loadTable({ namespace: ['db'], name: 't' });
    const t = new Table(newTableContext(racing, wh.io), loaded);
    const r = await rewriteManifests(t);
    expect(raced).toBe(true);
    const snap = r.table.currentSnapshot()!;
    expect(snap.summary.operation).toBe('replace');
    expect((await wh.loadTable('db.t')).snapshots().find((s) => s['snapshot-id'] === snap['parent-snapshot-id'])?.summary.operation).toBe('append');
    expect(await q(wh, 'SELECT count(*), sum(id) FROM db.t')).toEqual(await q(wh, `SELECT count(*), sum(id) FROM db.t FOR VERSION AS OF ${snap['parent-snapshot-id']}`));
    expect(await q(wh, 'SELECT count(*) FROM db.t WHERE id = 500')).toEqual([[1]]);
    // Only manifests some snapshot references remain.
    const referenced = new Set<string>();
    const reader = r.table.context.reader;
    for (const s of r.table.snapshots()) {
      referenced.add(s['manifest-list']!);
      for (const m of await reader.manifestsOf(s, r.table.metadata)) referenced.add(m.manifest_path);
    }
    const avro = [...(await fileTree(r.table.location)).keys()].filter((p) => p.endsWith('.avro'));
    for (const p of avro) expect(referenced.has(p) || referenced.has(`file://${p}`)).toBe(true);
  });

  it('a dry run reports the plan and writes nothing; a tidy table is left alone', async () => {
    const { wh } = ctx;
    await scattered();
    const t = await wh.loadTable('db.t');
    const tree = await fileTree(t.location);
    const dry = await rewriteManifests(t, { dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.written).toBe(1);
    expect(await fileTree(t.location)).toEqual(tree);
    expect((await wh.loadTable('db.t')).metadataLocation).toBe(t.metadataLocation);

    const once = await rewriteManifests(t);
    expect(once.written).toBe(1);
    const twice = await rewriteManifests(once.table);
    expect(twice.snapshotId).toBeUndefined();
    expect(twice.table.metadataLocation).toBe(once.table.metadataLocation);
  });
});
