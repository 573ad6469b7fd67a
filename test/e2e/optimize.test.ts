import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

async function floe(dir: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'floe', '--warehouse', dir, ...args], { out: (s) => (out += s), err: (s) => (err += s), isTty: false });
  return { code, out, err };
}

describe('OPTIMIZE … REWRITE DATA USING BIN_PACK', () => {
  it('compacts the table, or only the partitions WHERE selects, and reports what it did', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.e (id INT, day DATE) PARTITIONED BY (day) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
    for (let i = 0; i < 6; i++) await wh.sql(`INSERT INTO db.e VALUES (${i}, DATE '2024-01-01' + ${i % 2}), (${i + 10}, DATE '2024-01-01' + ${i % 2})`);
    await wh.sql('DELETE FROM db.e WHERE id IN (1, 12)');
    const rows = await q(wh, 'SELECT * FROM db.e ORDER BY ALL');
    const one = await wh.sql(`OPTIMIZE db.e REWRITE DATA USING BIN_PACK WHERE day = DATE '2024-01-02'`);
    expect(one.columns.map((c) => c.name)).toEqual(['rewritten_data_files', 'added_data_files', 'removed_delete_files', 'rewritten_bytes', 'added_bytes', 'partitions', 'snapshot_id']);
    expect(one.rows[0]!.slice(0, 3)).toEqual([3n, 1n, 1n]);
    expect(one.rows[0]![5]).toBe(1n);
    expect(one.message).toMatch(/compacted db\.e: 3 data file\(s\) rewritten into 1/);
    expect(await q(wh, `SELECT partition, count(*) FROM db."e$files" WHERE content = 0 GROUP BY 1 ORDER BY 1`)).toEqual([
      [{ day: '2024-01-01' }, 3],
      [{ day: '2024-01-02' }, 1],
    ]);
    const all = await wh.sql('OPTIMIZE db.e REWRITE DATA USING BIN_PACK');
    expect(all.rows[0]!.slice(0, 3)).toEqual([3n, 1n, 1n]);
    expect(await q(wh, 'SELECT * FROM db.e ORDER BY ALL')).toEqual(rows);
    expect(await q(wh, `SELECT count(*) FROM db."e$files"`)).toEqual([[2]]);
    const none = await wh.sql('OPTIMIZE db.e REWRITE DATA USING BIN_PACK');
    expect(none.rows[0]![0]).toBe(0n);
    expect(none.message).toMatch(/nothing to compact/);
    await expect(wh.sql('OPTIMIZE db.e REWRITE DATA USING BIN_PACK WHERE random() < 0.5')).rejects.toThrow(/cannot select files by WHERE/);
    expect((await q(wh, `SELECT operation FROM db."e$snapshots" ORDER BY committed_at`)).slice(-2)).toEqual([['replace'], ['replace']]);
  });
});

describe('floe maintain compact', () => {
  it('dry-runs, then compacts with --where, --target-size and --sort', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.c (id INT, p INT) PARTITIONED BY (p)');
    for (let i = 0; i < 4; i++) await wh.sql(`INSERT INTO db.c VALUES (${10 - i}, 1), (${i}, 2)`);
    await wh.sql('ALTER TABLE db.c WRITE ORDERED BY id');
    const snapshots = (await wh.loadTable('db.c')).snapshots().length;
    const dry = await floe(wh.root, '--format', 'json', 'maintain', 'compact', 'db.c', '--dry-run');
    expect(dry.err).toBe('');
    expect(dry.code).toBe(0);
    const groups = JSON.parse(dry.out) as { partition: string; files: number; output_files: number }[];
    expect(groups.map((g) => [g.partition, g.files, g.output_files]).sort()).toEqual([
      ['{"p":1}', 4, 1],
      ['{"p":2}', 4, 1],
    ]);
    expect((await wh.loadTable('db.c')).snapshots()).toHaveLength(snapshots);

    const r = await floe(wh.root, '--format', 'json', 'maintain', 'compact', 'db.c', '--where', 'p = 1', '--target-size', '100000000', '--sort');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const [res] = JSON.parse(r.out) as { rewritten_data_files: number; added_data_files: number; snapshot_id: string | number }[];
    expect(res!.rewritten_data_files).toBe(4);
    expect(res!.added_data_files).toBe(1);
    const t = await wh.loadTable('db.c');
    expect(String(t.currentSnapshot()!['snapshot-id'])).toBe(String(res!.snapshot_id));
    const [[file]] = (await q(wh, `SELECT file_path FROM db."c$files" WHERE partition.p = 1`)) as [[string]];
    expect(await q(wh, `SELECT id FROM read_parquet('${file}', file_row_number = true) ORDER BY file_row_number`)).toEqual([[7], [8], [9], [10]]);
    expect(await q(wh, `SELECT count(*) FROM db."c$files" WHERE partition.p = 2`)).toEqual([[4]]);

    const bad = await floe(wh.root, 'maintain', 'compact', 'db.c', '--target-size', 'big');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/--target-size needs a positive whole number/);
  });
});
