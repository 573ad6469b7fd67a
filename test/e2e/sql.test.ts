import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('DDL and writes', () => {
  it('creates a partitioned table, inserts and reads it back', async () => {
    await ctx.wh.sql(`CREATE TABLE db.t (id BIGINT NOT NULL, name STRING, amount DECIMAL(10, 2), d DATE, ts TIMESTAMP)
                  PARTITIONED BY (bucket(4, id), truncate(2, name), month(d), hour(ts))`);
    await ctx.wh.sql(`INSERT INTO db.t VALUES (1, 'alpha', 1.50, DATE '2024-01-15', TIMESTAMP '2024-01-15 10:30:00'),
                  (2, 'beta', 2.25, DATE '1969-12-31', TIMESTAMP '1969-12-31 23:59:59'), (3, NULL, NULL, NULL, NULL)`);
    expect(await q(ctx.wh, 'SELECT id, name, CAST(amount AS VARCHAR), CAST(d AS VARCHAR) FROM db.t ORDER BY id')).toEqual([
      [1, 'alpha', '1.50', '2024-01-15'],
      [2, 'beta', '2.25', '1969-12-31'],
      [3, null, null, null],
    ]);
    // The partition ROW holds transform results typed as Trino's: month and hour as ints since the epoch.
    const files = await q(ctx.wh, 'SELECT partition FROM db."t$files" ORDER BY partition.d_month NULLS LAST');
    expect(files).toHaveLength(3);
    expect(files.map((r) => r[0])).toEqual([
      { id_bucket: expect.any(Number), name_trunc: 'be', d_month: -1, ts_hour: -1 },
      { id_bucket: expect.any(Number), name_trunc: 'al', d_month: 648, ts_hour: 473698 },
      { id_bucket: expect.any(Number), name_trunc: null, d_month: null, ts_hour: null },
    ]);
  });

  it('CREATE TABLE AS SELECT, SHOW TABLES, DESCRIBE, SHOW CREATE TABLE and DROP', async () => {
    await ctx.wh.sql(`CREATE TABLE db.src AS SELECT range AS id, 'n' || range AS label FROM range(5)`);
    expect(await q(ctx.wh, 'SELECT count(*) FROM db.src')).toEqual([[5]]);
    expect(await q(ctx.wh, 'SHOW TABLES IN db')).toEqual([['db', 'src']]);
    expect((await q(ctx.wh, 'DESCRIBE db.src')).slice(0, 2)).toEqual([
      ['id', 'long', null],
      ['label', 'string', null],
    ]);
    const ddl = String((await q(ctx.wh, 'SHOW CREATE TABLE db.src'))[0]![0]);
    expect(ddl).toContain('CREATE TABLE db.src');
    expect(ddl).toContain('id BIGINT');
    await ctx.wh.sql('DROP TABLE db.src');
    expect(await q(ctx.wh, 'SHOW TABLES IN db')).toEqual([]);
  });

  it('registers an existing table from its metadata file (CALL system.register_table)', async () => {
    await ctx.wh.sql(`CREATE TABLE db.orig (id INT) PARTITIONED BY (id)`);
    await ctx.wh.sql(`INSERT INTO db.orig VALUES (1), (2), (3)`);
    const orig = await ctx.wh.loadTable('db.orig');
    const r = await ctx.wh.sql(`CALL system.register_table(table => 'db.copy', metadata_file => '${orig.metadataLocation}')`);
    expect(r.columns.map((c) => c.name)).toEqual(['current_snapshot_id', 'total_records_count', 'total_data_files_count']);
    expect(r.rows).toEqual([[orig.currentSnapshot()!['snapshot-id'], 3n, 3n]]);
    expect(await q(ctx.wh, 'SELECT id FROM db.copy ORDER BY id')).toEqual([[1], [2], [3]]);
    await expect(ctx.wh.sql(`CALL system.register_table('db.copy', '${orig.metadataLocation}')`)).rejects.toThrow(/db\.copy already exists/);
    await expect(ctx.wh.sql(`CALL system.register_table('db.none', '${orig.metadataLocation}.missing')`)).rejects.toThrow(/does not exist/);
    expect(await q(ctx.wh, 'SHOW TABLES IN db')).toEqual([['db', 'copy'], ['db', 'orig']]);
  });

  it('INSERT OVERWRITE replaces only the partitions it writes', async () => {
    await ctx.wh.sql(`CREATE TABLE db.p (k STRING, v INT) PARTITIONED BY (k)`);
    await ctx.wh.sql(`INSERT INTO db.p VALUES ('a', 1), ('a', 2), ('b', 3)`);
    await ctx.wh.sql(`INSERT OVERWRITE db.p VALUES ('a', 10)`);
    expect(await q(ctx.wh, 'SELECT k, v FROM db.p ORDER BY k, v')).toEqual([
      ['a', 10],
      ['b', 3],
    ]);
  });

  it('runs joins, CTEs and window functions across tables', async () => {
    await ctx.wh.sql(`CREATE TABLE db.customers (id INT, name STRING)`);
    await ctx.wh.sql(`CREATE TABLE db.orders (id INT, customer INT, amount DOUBLE)`);
    await ctx.wh.sql(`INSERT INTO db.customers VALUES (1, 'ann'), (2, 'bob')`);
    await ctx.wh.sql(`INSERT INTO db.orders VALUES (1, 1, 10), (2, 1, 20), (3, 2, 5)`);
    const rows = await q(
      ctx.wh,
      `WITH totals AS (SELECT c.name, sum(o.amount) AS total FROM db.orders o JOIN db.customers c ON o.customer = c.id GROUP BY c.name)
       SELECT name, total, rank() OVER (ORDER BY total DESC) AS r FROM totals ORDER BY r`,
    );
    expect(rows).toEqual([
      ['ann', 30, 1],
      ['bob', 5, 2],
    ]);
    expect(await q(ctx.wh, 'SELECT orders.id FROM db.orders WHERE orders.amount > 15')).toEqual([[2]]);
  });
});

describe('planning and time travel', () => {
  it('prunes by partition and by column bounds before reading files', async () => {
    await ctx.wh.sql(`CREATE TABLE db.e (id BIGINT, day DATE) PARTITIONED BY (day)`);
    for (let i = 0; i < 5; i++) {
      await ctx.wh.sql(`INSERT INTO db.e SELECT range + ${i * 100}, DATE '2024-01-01' + ${i} FROM range(100)`);
    }
    const byPartition = await ctx.wh.sql(`SELECT count(*) FROM db.e WHERE day = DATE '2024-01-03'`);
    expect(byPartition.rows).toEqual([[100n]]);
    expect(byPartition.scans[0]!.metrics.dataFilesSelected).toBe(1);
    expect(byPartition.scans[0]!.metrics.dataFilesTotal).toBe(5);
    const byBounds = await ctx.wh.sql(`SELECT count(*) FROM db.e WHERE id >= 450`);
    expect(byBounds.rows).toEqual([[50n]]);
    expect(byBounds.scans[0]!.metrics.dataFilesSelected).toBe(1);
  });

  it('reads old snapshots by id, timestamp and tag-like refs, and lists metadata tables', async () => {
    await ctx.wh.sql(`CREATE TABLE db.h (id INT)`);
    await ctx.wh.sql(`INSERT INTO db.h VALUES (1)`);
    const t1 = await ctx.wh.loadTable('db.h');
    const s1 = t1.currentSnapshot()!;
    await new Promise((r) => setTimeout(r, 20));
    await ctx.wh.sql(`INSERT INTO db.h VALUES (2)`);
    expect(await q(ctx.wh, `SELECT count(*) FROM db.h`)).toEqual([[2]]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db.h FOR VERSION AS OF ${s1['snapshot-id']}`)).toEqual([[1]]);
    const at = new Date(s1['timestamp-ms'] + 5).toISOString().replace('T', ' ').replace('Z', '');
    expect(await q(ctx.wh, `SELECT count(*) FROM db.h FOR TIMESTAMP AS OF TIMESTAMP '${at}'`)).toEqual([[1]]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db.h FOR VERSION AS OF 'main'`)).toEqual([[2]]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db."h$snapshots"`)).toEqual([[2]]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db."h$history" WHERE is_current_ancestor`)).toEqual([[2]]);
    expect(await q(ctx.wh, `SELECT name, type FROM db."h$refs"`)).toEqual([['main', 'BRANCH']]);
    expect(await q(ctx.wh, `SELECT sum(record_count) FROM db."h$files"`)).toEqual([[2]]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db."h$manifests"`)).toEqual([[2]]);
    expect(await q(ctx.wh, `SELECT record_count FROM db."h$partitions"`)).toEqual([[2]]);
  });

  it("names metadata table columns as Trino and Athena do, with partition summaries per manifest", async () => {
    await ctx.wh.sql(`CREATE TABLE db.mt (id INT, d DATE) PARTITIONED BY (month(d), id)`);
    await ctx.wh.sql(`INSERT INTO db.mt VALUES (1, DATE '2024-01-05'), (2, DATE '2024-03-01'), (NULL, DATE '2024-02-01')`);
    const cols = async (t: string): Promise<string[]> => (await ctx.wh.sql(`SELECT * FROM db."mt$${t}"`)).columns.map((c) => c.name);
    expect(await cols('snapshots')).toEqual(['committed_at', 'snapshot_id', 'parent_id', 'operation', 'manifest_list', 'summary']);
    expect(await cols('history')).toEqual(['made_current_at', 'snapshot_id', 'parent_id', 'is_current_ancestor']);
    expect(await cols('refs')).toEqual(['name', 'type', 'snapshot_id', 'max_reference_age_in_ms', 'min_snapshots_to_keep', 'max_snapshot_age_in_ms']);
    for (const c of ['content', 'file_path', 'file_format', 'spec_id', 'partition', 'record_count', 'file_size_in_bytes', 'column_sizes', 'value_counts',
      'null_value_counts', 'nan_value_counts', 'lower_bounds', 'upper_bounds', 'key_metadata', 'split_offsets', 'equality_ids', 'sort_order_id']) {
      expect(await cols('files')).toContain(c);
    }
    for (const c of ['path', 'length', 'partition_spec_id', 'added_snapshot_id', 'added_data_files_count', 'added_rows_count', 'existing_data_files_count',
      'existing_rows_count', 'deleted_data_files_count', 'deleted_rows_count', 'partition_summaries']) {
      expect(await cols('manifests')).toContain(c);
    }
    for (const c of ['partition', 'record_count', 'file_count', 'total_size']) expect(await cols('partitions')).toContain(c);
    const sums = await q(ctx.wh, `SELECT s.contains_null, s.lower_bound, s.upper_bound FROM (SELECT unnest(partition_summaries) AS s FROM db."mt$manifests")`);
    expect(sums).toEqual([
      [false, '2024-01', '2024-03'],
      [true, '1', '2'],
    ]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db."mt$files" WHERE len(split_offsets) >= 1`)).toEqual([[3]]);
  });

  it('rolls back to an earlier snapshot', async () => {
    await ctx.wh.sql(`CREATE TABLE db.r (id INT)`);
    await ctx.wh.sql(`INSERT INTO db.r VALUES (1)`);
    const first = (await ctx.wh.loadTable('db.r')).currentSnapshot()!['snapshot-id'];
    await ctx.wh.sql(`INSERT INTO db.r VALUES (2)`);
    const t = await ctx.wh.loadTable('db.r');
    await t.newTransaction().rollbackTo(first).commit();
    expect(await q(ctx.wh, 'SELECT id FROM db.r')).toEqual([[1]]);
  });
});

describe('row-level changes', () => {
  it('a DELETE covering whole partitions drops their files and counts them as changed partitions', async () => {
    await ctx.wh.sql(`CREATE TABLE db.wp (k STRING, v INT) PARTITIONED BY (k)`);
    await ctx.wh.sql(`INSERT INTO db.wp VALUES ('a', 1), ('b', 2), ('c', 3)`);
    await ctx.wh.sql(`DELETE FROM db.wp WHERE k IN ('a', 'b')`);
    const s = (await ctx.wh.loadTable('db.wp')).currentSnapshot()!.summary;
    expect([s.operation, s['deleted-data-files'], s['added-data-files'], s['added-delete-files'], s['changed-partition-count']]).toEqual([
      'delete', '2', undefined, undefined, '2',
    ]);
    expect(await q(ctx.wh, 'SELECT k FROM db.wp')).toEqual([['c']]);
  });

  for (const mode of ['copy-on-write', 'merge-on-read']) {
    it(`DELETE and UPDATE (${mode})`, async () => {
      await ctx.wh.sql(`CREATE TABLE db.d (id INT, grp STRING, v INT) PARTITIONED BY (grp)
                    TBLPROPERTIES ('write.delete.mode' = '${mode}', 'write.update.mode' = '${mode}')`);
      await ctx.wh.sql(`INSERT INTO db.d SELECT range, CASE WHEN range < 5 THEN 'a' ELSE 'b' END, range FROM range(10)`);
      const whole = await ctx.wh.sql(`DELETE FROM db.d WHERE grp = 'a'`);
      expect(whole.rows).toEqual([[5n]]);
      const partial = await ctx.wh.sql(`DELETE FROM db.d WHERE id = 7`);
      expect(partial.rows).toEqual([[1n]]);
      await ctx.wh.sql(`UPDATE db.d SET v = v * 10 WHERE id >= 8`);
      expect(await q(ctx.wh, 'SELECT id, v FROM db.d ORDER BY id')).toEqual([
        [5, 5],
        [6, 6],
        [8, 80],
        [9, 90],
      ]);
      const ops = await q(ctx.wh, `SELECT operation FROM db."d$snapshots" ORDER BY committed_at`);
      expect(ops.map((r) => r[0])).toEqual(['append', 'delete', mode === 'copy-on-write' ? 'overwrite' : 'delete', 'overwrite']);
      if (mode === 'merge-on-read') {
        expect(await q(ctx.wh, `SELECT count(*) FROM db."d$files" WHERE content = 1`)).toEqual([[2]]);
      }
    });
  }
});
