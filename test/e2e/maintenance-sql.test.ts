import { existsSync } from 'node:fs';
import { utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rowsBySnapshot } from '../helpers/maintenance.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

async function table(props: string): Promise<void> {
  const { wh } = ctx;
  await wh.sql(`CREATE TABLE db.t (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES ('commit.manifest-merge.enabled' = 'false', 'write.delete.mode' = 'copy-on-write'${props})`);
  for (let i = 0; i < 6; i++) await wh.sql(`INSERT INTO db.t VALUES (${i}, ${i % 3})`);
  await wh.sql(`DELETE FROM db.t WHERE id = 0`);
}

describe('maintenance SQL', () => {
  it('VACUUM expires snapshots per the Athena properties and removes old orphans', async () => {
    const { wh } = ctx;
    await table(`, 'vacuum_max_snapshot_age_seconds' = '0', 'vacuum_min_snapshots_to_keep' = '1'`);
    const t = await wh.loadTable('db.t');
    const before = await rowsBySnapshot(wh, 'db.t');
    const orphan = join(t.location, 'data', 'lost.parquet');
    await writeFile(orphan, 'x');
    const old = new Date(Date.now() - 4 * 24 * 3600 * 1000);
    await utimes(orphan, old, old);
    const r = await wh.sql('VACUUM db.t');
    expect(r.statement).toBe('vacuum');
    const row = Object.fromEntries(r.columns.map((c, i) => [c.name, Number(r.rows[0]![i])]));
    expect(row.expired_snapshots).toBe(6);
    expect(row.deleted_manifest_lists).toBe(6);
    expect(row.deleted_data_files).toBe(1);
    expect(row.deleted_orphan_files).toBe(1);
    expect(existsSync(orphan)).toBe(false);
    const after = await rowsBySnapshot(wh, 'db.t');
    expect(after.size).toBe(1);
    for (const [id, rows] of after) expect(rows).toEqual(before.get(id));
  });

  it('VACUUM keeps young snapshots under the default retention', async () => {
    const { wh } = ctx;
    await table('');
    const r = await wh.sql('VACUUM db.t');
    expect(Number(r.rows[0]![0])).toBe(0);
    expect((await wh.loadTable('db.t')).snapshots()).toHaveLength(7);
  });

  it('CALL system.expire_snapshots / remove_orphan_files / rewrite_manifests', async () => {
    const { wh } = ctx;
    await table('');
    const future = new Date(Date.now() + 60_000).toISOString().replace('T', ' ').replace('Z', '');
    const e = await wh.sql(`CALL system.expire_snapshots('db.t', TIMESTAMP '${future}', 3)`);
    expect(e.columns.map((c) => c.name)).toContain('deleted_manifest_lists_count');
    expect(Number(e.rows[0]![3])).toBe(4);
    expect((await wh.loadTable('db.t')).snapshots()).toHaveLength(3);

    const t = await wh.loadTable('db.t');
    const orphan = join(t.location, 'metadata', 'lost.avro');
    await writeFile(orphan, 'x');
    const dry = await wh.sql(`CALL system.remove_orphan_files(table => 'db.t', older_than => TIMESTAMP '${future}', dry_run => true)`);
    expect(dry.rows).toEqual([[orphan]]);
    expect(existsSync(orphan)).toBe(true);
    // Default window (3 days): the fresh orphan stays.
    expect((await wh.sql(`CALL system.remove_orphan_files('db.t')`)).rows).toEqual([]);
    await wh.sql(`CALL system.remove_orphan_files(table => 'db.t', older_than => TIMESTAMP '${future}')`);
    expect(existsSync(orphan)).toBe(false);

    const rw = await wh.sql(`CALL system.rewrite_manifests('db.t')`);
    expect(Number(rw.rows[0]![0])).toBeGreaterThan(1);
    expect(Number(rw.rows[0]![1])).toBe(1);
    expect(await q(wh, 'SELECT count(*), sum(id) FROM db.t')).toEqual([[5, 15]]);
    await expect(wh.sql(`CALL system.expire_snapshots('db.t', 'yesterday')`)).rejects.toThrow(/older_than must be a timestamp/);
  });
});
