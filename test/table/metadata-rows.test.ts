import { describe, expect, it } from 'vitest';
import { applyTransform, parseTransform } from '../../src/spec/transforms.js';
import { newTableMetadata } from '../../src/spec/metadata.js';
import { ColumnStatsAccumulator, readableMetricsCell, leafColumns } from '../../src/table/metadata-metrics.js';
import { partitionCell, unionPartitionColumns } from '../../src/table/metadata-partition.js';
import type { DataFile } from '../../src/manifest/types.js';
import { toBinary } from '../../src/spec/values.js';
import type { TableMetadata } from '../../src/spec/types.js';
import { runFloe } from '../helpers/cli.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

const bucket4 = (id: bigint): unknown => applyTransform(parseTransform('bucket[4]'), 'long', id);

describe('$partitions and $files: partition as a ROW (Trino/Athena)', () => {
  it('types each partition field by its transform result and makes it addressable as partition.<field>', async () => {
    await ctx.wh.sql(`CREATE TABLE db.p (id BIGINT, cat STRING, name STRING, n INT, d DATE, ts TIMESTAMP, v DOUBLE)
      PARTITIONED BY (cat, bucket(4, id), truncate(2, name), truncate(10, n), year(d), day(ts))`);
    await ctx.wh.sql(`INSERT INTO db.p VALUES
      (1, 'a', 'alpha', 17, DATE '2024-03-05', TIMESTAMP '2024-03-05 10:00:00', 1.5),
      (1, 'a', 'alpha', 13, DATE '2024-07-01', TIMESTAMP '2024-03-05 23:00:00', NULL),
      (2, 'b', NULL, NULL, NULL, NULL, 2.5)`);
    const r = await ctx.wh.sql(`SELECT * FROM db."p$partitions" ORDER BY partition.cat`);
    expect(r.columns.map((c) => c.name)).toEqual(['partition', 'spec_id', 'record_count', 'file_count', 'total_size', 'delete_file_count', 'data']);
    expect(r.columns[0]!.type).toBe('STRUCT("cat" VARCHAR, "id_bucket" INTEGER, "name_trunc" VARCHAR, "n_trunc" INTEGER, "d_year" INTEGER, "ts_day" DATE)');
    expect(r.rows.map((row) => row[0])).toEqual([
      { cat: 'a', id_bucket: bucket4(1n), name_trunc: 'al', n_trunc: 10, d_year: 54, ts_day: '2024-03-05' },
      { cat: 'b', id_bucket: bucket4(2n), name_trunc: null, n_trunc: null, d_year: null, ts_day: null },
    ]);
    expect(await q(ctx.wh, `SELECT partition.ts_day, record_count, file_count FROM db."p$partitions" ORDER BY partition.cat`)).toEqual([
      ['2024-03-05', 2, 1],
      [null, 1, 1],
    ]);
    expect(await q(ctx.wh, `SELECT typeof(partition.ts_day), typeof(partition.d_year) FROM db."p$partitions" LIMIT 1`)).toEqual([['DATE', 'INTEGER']]);
    const sizes = await q(ctx.wh, `SELECT partition.cat, sum(file_size_in_bytes) FROM db."p$files" GROUP BY 1 ORDER BY 1`);
    expect(await q(ctx.wh, `SELECT partition.cat, total_size FROM db."p$partitions" ORDER BY 1`)).toEqual(sizes);
    expect(await q(ctx.wh, `SELECT file_path FROM db."p$files" WHERE partition.name_trunc = 'al'`)).toHaveLength(1);
  });

  it('month and hour are ints since the epoch; a void field is a typed null', async () => {
    await ctx.wh.sql(`CREATE TABLE db.mh (d DATE, ts TIMESTAMPTZ, x INT) PARTITIONED BY (month(d), hour(ts), void(x))`);
    await ctx.wh.sql(`INSERT INTO db.mh VALUES (DATE '1970-02-10', TIMESTAMPTZ '1970-01-01 02:30:00+00', 7)`);
    const r = await ctx.wh.sql(`SELECT partition FROM db."mh$partitions"`);
    expect(r.columns[0]!.type).toBe('STRUCT("d_month" INTEGER, "ts_hour" INTEGER, "x_null" INTEGER)');
    expect(r.rows).toEqual([[{ d_month: 1, ts_hour: 2, x_null: null }]]);
  });

  it('with partition evolution the ROW is the union of all specs, null where a spec lacks the field', async () => {
    await ctx.wh.sql(`CREATE TABLE db.ev (id INT, p INT, ts TIMESTAMP) PARTITIONED BY (p)`);
    await ctx.wh.sql(`INSERT INTO db.ev VALUES (1, 1, TIMESTAMP '2024-01-01 00:00:00'), (2, 1, TIMESTAMP '2024-01-02 00:00:00')`);
    await ctx.wh.sql(`ALTER TABLE db.ev REPLACE PARTITION FIELD p WITH day(ts)`);
    await ctx.wh.sql(`INSERT INTO db.ev VALUES (3, 1, TIMESTAMP '2024-01-02 05:00:00'), (4, 2, TIMESTAMP '2024-01-02 06:00:00')`);
    const r = await ctx.wh.sql(`SELECT partition, spec_id, record_count FROM db."ev$partitions" ORDER BY spec_id, partition.p`);
    expect(r.columns[0]!.type).toBe('STRUCT("p" INTEGER, "ts_day" DATE)');
    expect(r.rows).toEqual([
      [{ p: 1, ts_day: null }, 0, 2n],
      [{ p: null, ts_day: '2024-01-02' }, 1, 2n],
    ]);
    expect(await q(ctx.wh, `SELECT spec_id, partition.p, partition.ts_day FROM db."ev$files" ORDER BY 1`)).toEqual([
      [0, 1, null],
      [1, null, '2024-01-02'],
    ]);
  });

  it('an unpartitioned table has no partition column (as Trino), one row with the totals', async () => {
    await ctx.wh.sql(`CREATE TABLE db.u (id INT)`);
    await ctx.wh.sql(`INSERT INTO db.u VALUES (1), (2)`);
    await ctx.wh.sql(`INSERT INTO db.u VALUES (3)`);
    const r = await ctx.wh.sql(`SELECT * FROM db."u$partitions"`);
    expect(r.columns.map((c) => c.name)).not.toContain('partition');
    expect(await q(ctx.wh, `SELECT record_count, file_count, data.id.min, data.id.max, data.id.null_count FROM db."u$partitions"`)).toEqual([[3, 2, 1, 3, 0]]);
    expect((await ctx.wh.sql(`SELECT * FROM db."u$files"`)).columns.map((c) => c.name)).not.toContain('partition');
  });

  it('data holds typed min/max/null_count/nan_count per column over the partition, leaving out identity sources', async () => {
    await ctx.wh.sql(`CREATE TABLE db.st (k STRING, n INT, amt DECIMAL(10, 2), d DATE, f DOUBLE) PARTITIONED BY (k)`);
    await ctx.wh.sql(`INSERT INTO db.st VALUES ('a', 5, 1.25, DATE '2024-02-01', 1.0::DOUBLE), ('a', NULL, -3.50, DATE '2023-12-31', 'NaN'::DOUBLE)`);
    await ctx.wh.sql(`INSERT INTO db.st VALUES ('a', 9, 0.10, NULL, 2.0), ('b', 1, NULL, NULL, NULL)`);
    const r = await ctx.wh.sql(`SELECT data FROM db."st$partitions" ORDER BY partition.k`);
    expect(r.columns[0]!.type).not.toMatch(/"?k"? STRUCT/);
    const [a, b] = r.rows.map((row) => row[0] as Record<string, Record<string, unknown>>);
    expect(a!['n']).toEqual({ min: 5, max: 9, null_count: 1n, nan_count: null });
    expect(a!['amt']).toEqual({ min: '-3.50', max: '1.25', null_count: 0n, nan_count: null });
    expect(a!['d']).toEqual({ min: '2023-12-31', max: '2024-02-01', null_count: 1n, nan_count: null });
    // The file holding a NaN has no bounds for f (its Parquet min/max is NaN), so the partition's are unknown.
    expect(a!['f']).toEqual({ min: null, max: null, null_count: 0n, nan_count: null });
    expect(b!['amt']).toEqual({ min: null, max: null, null_count: 1n, nan_count: null });
    expect(await q(ctx.wh, `SELECT typeof(data.amt.min), typeof(data.d.max) FROM db."st$partitions" LIMIT 1`)).toEqual([['DECIMAL(10,2)', 'DATE']]);
  });

  it('the CLI prints the ROW as a nested JSON object', async () => {
    await ctx.wh.sql(`CREATE TABLE db.j (id BIGINT, ts TIMESTAMP) PARTITIONED BY (bucket(4, id), day(ts))`);
    await ctx.wh.sql(`INSERT INTO db.j VALUES (7, TIMESTAMP '2024-05-06 07:08:09')`);
    const r = await runFloe('--warehouse', ctx.wh.root, '--format', 'json', 'sql', `SELECT partition, record_count FROM db."j$partitions"`);
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual([{ partition: { id_bucket: bucket4(7n), ts_day: '2024-05-06' }, record_count: 1 }]);
  });
});

describe('$files.readable_metrics', () => {
  it('has one field per leaf column with its counts and bounds decoded into the column type', async () => {
    await ctx.wh.sql(`CREATE TABLE db.rm (n INT, s STRING, d DATE, amt DECIMAL(12, 3), ts TIMESTAMP, pt STRUCT<x: BIGINT>)`);
    await ctx.wh.sql(`INSERT INTO db.rm VALUES
      (3, 'pear', DATE '2024-01-31', 12.5, TIMESTAMP '2024-01-31 12:00:00.123456', {'x': 10}),
      (-8, 'apple', DATE '1999-12-31', -0.001, TIMESTAMP '1969-07-20 20:17:40', {'x': -2}),
      (NULL, NULL, NULL, NULL, NULL, NULL)`);
    const r = await ctx.wh.sql(`SELECT readable_metrics FROM db."rm$files"`);
    expect(r.columns[0]!.type).toMatch(/^STRUCT\("amt" STRUCT\("column_size" BIGINT, "value_count" BIGINT, "null_value_count" BIGINT, "nan_value_count" BIGINT, "lower_bound" DECIMAL\(12,3\), "upper_bound" DECIMAL\(12,3\)\), "d" /);
    const m = r.rows[0]![0] as Record<string, Record<string, unknown>>;
    expect(Object.keys(m)).toEqual(['amt', 'd', 'n', 'pt.x', 's', 'ts']);
    expect(m['n']).toMatchObject({ value_count: 3n, null_value_count: 1n, lower_bound: -8, upper_bound: 3 });
    expect(m['s']).toMatchObject({ lower_bound: 'apple', upper_bound: 'pear', null_value_count: 1n });
    expect(m['d']).toMatchObject({ lower_bound: '1999-12-31', upper_bound: '2024-01-31' });
    expect(m['amt']).toMatchObject({ lower_bound: '-0.001', upper_bound: '12.500' });
    expect(m['ts']).toMatchObject({ lower_bound: '1969-07-20T20:17:40', upper_bound: '2024-01-31T12:00:00.123456' });
    expect(m['pt.x']).toMatchObject({ lower_bound: -2n, upper_bound: 10n });
    expect((m['n']!['column_size'] as bigint) > 0n).toBe(true);
    expect(
      await q(ctx.wh, `SELECT typeof(readable_metrics.amt.lower_bound), typeof(readable_metrics.ts.upper_bound), readable_metrics.d.upper_bound > DATE '2024-01-01' FROM db."rm$files"`),
    ).toEqual([['DECIMAL(12,3)', 'TIMESTAMP', true]]);
  });
});

describe('unionPartitionColumns', () => {
  const base = (): TableMetadata => {
    const m = newTableMetadata({
      location: 'file:///t',
      schema: {
        type: 'struct',
        'schema-id': 0,
        fields: [
          { id: 1, name: 'a', required: false, type: 'long' },
          { id: 2, name: 'b', required: false, type: 'string' },
        ],
      },
      spec: { 'spec-id': 0, fields: [{ 'field-id': 1000, 'source-id': 1, name: 'a_bucket', transform: 'bucket[8]' }, { 'field-id': 1001, 'source-id': 3, name: 'gone', transform: 'identity' }] },
      formatVersion: 1,
    });
    return {
      ...m,
      'partition-specs': [
        ...m['partition-specs'],
        // v1: a dropped field becomes void under its id; a later field reuses the name under another id.
        { 'spec-id': 1, fields: [{ 'field-id': 1000, 'source-id': 1, name: 'a_bucket', transform: 'void' }, { 'field-id': 1002, 'source-id': 2, name: 'b', transform: 'identity' }] },
        { 'spec-id': 2, fields: [{ 'field-id': 1002, 'source-id': 2, name: 'b', transform: 'identity' }, { 'field-id': 1003, 'source-id': 2, name: 'a_bucket', transform: 'truncate[2]' }] },
      ],
    };
  };

  it('keeps each field id once, typed by its first non-void transform, skips dropped sources and renames clashes', () => {
    const m = base();
    const cols = unionPartitionColumns(m, m.schemas[0]!);
    expect(cols).toEqual([
      { fieldId: 1000, name: 'a_bucket', type: 'int' },
      { fieldId: 1002, name: 'b', type: 'string' },
      { fieldId: 1003, name: 'a_bucket_1003', type: 'string' },
    ]);
    expect(partitionCell(m, cols, 0, { a_bucket: 3, gone: 'x' })).toEqual({ struct: [['a_bucket', 3], ['b', null], ['a_bucket_1003', null]] });
    expect(partitionCell(m, cols, 1, { a_bucket: 5, b: 'zz' })).toEqual({ struct: [['a_bucket', null], ['b', 'zz'], ['a_bucket_1003', null]] });
    expect(partitionCell(m, cols, 2, { b: 'zz', a_bucket: 'zz' })).toEqual({ struct: [['a_bucket', null], ['b', 'zz'], ['a_bucket_1003', 'zz']] });
  });
});

describe('partition column stats', () => {
  const file = (over: Partial<DataFile>): DataFile => ({ content: 0, file_path: 'f', file_format: 'PARQUET', partition: {}, record_count: 2, file_size_in_bytes: 1, ...over });
  const col = [{ id: 1, name: 'x', type: 'double' as const }];

  it('sums NaN and null counts, and is null where a file does not report a figure', () => {
    const acc = new ColumnStatsAccumulator(col);
    acc.add(file({ value_counts: new Map([[1, 2]]), null_value_counts: new Map([[1, 0]]), nan_value_counts: new Map([[1, 1]]), lower_bounds: new Map([[1, toBinary('double', 1.5)]]), upper_bounds: new Map([[1, toBinary('double', 4)]]) }));
    acc.add(file({ value_counts: new Map([[1, 2]]), null_value_counts: new Map([[1, 2]]), nan_value_counts: new Map([[1, 2]]) }));
    expect(acc.cell()).toEqual({ struct: [['x', { struct: [['min', 1.5], ['max', 4], ['null_count', 2n], ['nan_count', 3n]] }]] });
    // A file with values but no bounds or NaN count makes min, max and nan_count unknown.
    acc.add(file({ value_counts: new Map([[1, 2]]), null_value_counts: new Map([[1, 0]]) }));
    expect(acc.cell()).toEqual({ struct: [['x', { struct: [['min', null], ['max', null], ['null_count', 2n], ['nan_count', null]] }]] });
  });

  it('readable_metrics names nested leaves by their full name, sorted, and decodes bounds', () => {
    const leaves = leafColumns({
      type: 'struct',
      'schema-id': 0,
      fields: [
        { id: 1, name: 'z', required: false, type: 'int' },
        { id: 2, name: 'loc', required: false, type: { type: 'struct', fields: [{ id: 3, name: 'lat', required: false, type: 'double' }] } },
        { id: 4, name: 'tags', required: false, type: { type: 'list', 'element-id': 5, element: 'string', 'element-required': false } },
      ],
    });
    expect(leaves.map((l) => l.name)).toEqual(['loc.lat', 'tags.element', 'z']);
    const cell = readableMetricsCell(leaves, file({ lower_bounds: new Map([[1, toBinary('int', -4)]]), column_sizes: new Map([[1, 10]]) }));
    expect(cell.struct[2]).toEqual(['z', { struct: [['column_size', 10n], ['value_count', null], ['null_value_count', null], ['nan_value_count', null], ['lower_bound', -4], ['upper_bound', null]] }]);
  });
});
