import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { copyFixture, haveFixtures } from '../helpers/fixtures.js';
import { q, tempWarehouse } from '../helpers/warehouse.js';

let wh: Warehouse;
let dispose: () => Promise<void>;
beforeAll(async () => {
  ({ wh, dispose } = await tempWarehouse());
});
afterAll(async () => dispose());

const scan = (path: string, extra = ''): string => `iceberg_scan('${path}', allow_moved_paths => true${extra})`;

describe.skipIf(!haveFixtures)('tables written by Spark and PyIceberg (../shared/fixtures/iceberg)', () => {
  it('lineitem_iceberg: copy-on-write delete, TPC-H Q6 on both snapshots', async () => {
    const path = await copyFixture('lineitem_iceberg');
    const q6 = (src: string): string => `SELECT CAST(sum(l_extendedprice * l_discount) AS VARCHAR) FROM ${src}
      WHERE l_shipdate >= DATE '1994-01-01' AND l_shipdate < DATE '1995-01-01'
        AND l_discount BETWEEN 0.05 AND 0.07 AND l_quantity < 24`;
    expect(await q(wh, `SELECT count(*) FROM ${scan(path)}`)).toEqual([[51793]]);
    expect(await q(wh, q6(scan(path)))).toEqual([['1077536.9101']]);
    expect(await q(wh, `SELECT count(*) FROM ${scan(path, ", version => '1'")}`)).toEqual([[60175]]);
    expect(await q(wh, q6(scan(path, ", version => '1'")))).toEqual([['1193053.2253']]);
    expect(await q(wh, `SELECT count(*) FROM iceberg_snapshots('${path}')`)).toEqual([[2]]);
    const meta = await q(wh, `SELECT DISTINCT status FROM iceberg_metadata('${path}', allow_moved_paths => true) ORDER BY 1`);
    expect(meta.length).toBeGreaterThan(0);
  });

  it("takes DuckDB's `name = value` parameters and returns its extension's columns", async () => {
    const path = await copyFixture('lineitem_iceberg');
    expect(await q(wh, `SELECT count(*) FROM iceberg_scan('${path}', allow_moved_paths = true, version = '1')`)).toEqual([[60175]]);
    const snaps = await wh.sql(`SELECT * FROM iceberg_snapshots('${path}') ORDER BY sequence_number`);
    // duckdb-iceberg: iceberg_snapshots(sequence_number, snapshot_id, timestamp_ms, manifest_list, operation)
    expect(snaps.columns.map((c) => c.name)).toEqual(['sequence_number', 'snapshot_id', 'timestamp_ms', 'manifest_list', 'operation']);
    expect(snaps.columns.map((c) => c.type)).toEqual(['UBIGINT', 'UBIGINT', 'TIMESTAMP_MS', 'VARCHAR', 'VARCHAR']);
    expect(snaps.rows.map((r) => r[4])).toEqual(['append', 'overwrite']);
    const first = snaps.rows[0]![1];
    expect(await q(wh, `SELECT count(*) FROM iceberg_scan('${path}', allow_moved_paths = true, snapshot_from_id = ${String(first)})`)).toEqual([[60175]]);
    const meta = await wh.sql(
      `SELECT * FROM iceberg_metadata('${path}', allow_moved_paths = true) ORDER BY status, data_sequence_number`,
    );
    expect(meta.columns.map((c) => c.name)).toEqual([
      'manifest_path', 'manifest_sequence_number', 'manifest_content', 'status', 'content', 'file_path', 'file_format',
      'record_count', 'data_sequence_number', 'file_sequence_number',
    ]);
    // The current snapshot's manifests: the rewritten file added at sequence 2, the original deleted (written at 1).
    expect(meta.rows.map((r) => [r[3], r[7], r[8], r[9]])).toEqual([
      ['ADDED', 51793n, 2n, 2n],
      ['DELETED', 60175n, 1n, 1n],
    ]);
  });

  it('partition_integer: identity partition on an int', async () => {
    const path = await copyFixture('partition_integer');
    expect(await q(wh, `SELECT * FROM ${scan(path)} ORDER BY 1`)).toEqual([
      [42, 12345, 'click'],
      [1337, 67890, 'purchase'],
    ]);
    const r = await wh.sql(`SELECT user_id FROM ${scan(path)} WHERE partition_col = 42`);
    expect(r.rows).toEqual([[12345n]]);
  });

  it('partition_timestamp: identity partition on a timestamp, NNNNN-uuid metadata', async () => {
    const path = await copyFixture('partition_timestamp/default.db/partition_timestamp');
    const rows = await q(wh, `SELECT CAST(partition_col AS VARCHAR), user_id, event_type FROM ${scan(path)} ORDER BY 1`);
    expect(rows).toEqual([
      ['2023-05-15 14:30:45', 12345, 'click'],
      ['2023-08-22 09:15:20', 67890, 'purchase'],
    ]);
    expect(await q(wh, `SELECT user_id FROM ${scan(path)} WHERE partition_col = '2023-05-15T14:30:45'`)).toEqual([[12345]]);
  });

  it('equality_deletes: deletes on name, on id and on (id, name)', async () => {
    const path = await copyFixture('equality_deletes/warehouse/mydb/mytable');
    expect(await q(wh, `SELECT id, name, CAST(bir AS VARCHAR) FROM ${scan(path)} ORDER BY id`)).toEqual([
      [4, 'd', '2025-01-04'],
      [5, 'e', '2025-01-05'],
    ]);
  });

  it('equality_deletes inside identity partitions', async () => {
    const path = await copyFixture('equality_deletes/warehouse/mydb/mytable_partitioned');
    expect(await q(wh, `SELECT name, CAST(bir AS VARCHAR) FROM ${scan(path)} ORDER BY name`)).toEqual([
      ['a', '2025-01-01'],
      ['d', '2025-01-04'],
      ['e', '2025-01-05'],
    ]);
  });

  it('legacy v1 metadata with embedded manifests', async () => {
    const path = await copyFixture('iceberg_v1_deprecated/default/legacy_v1');
    expect(await q(wh, `SELECT * FROM ${scan(path)} ORDER BY 1`)).toEqual([
      [1, 'alpha', 10],
      [2, 'beta', 20],
      [3, 'alpha', null],
    ]);
    expect(await q(wh, `SELECT id, amount FROM ${scan(path)} WHERE category = 'beta'`)).toEqual([[2, 20]]);
  });

  it('columns added later read their initial-default', async () => {
    const path = await copyFixture('add_columns_with_defaults/default.db/add_columns_with_defaults');
    const rows = await q(
      wh,
      `SELECT col1, col_boolean, col_integer, col_long, col_string, CAST(col_decimal AS VARCHAR), CAST(col_date AS VARCHAR),
              CAST(col_timestamp AS VARCHAR)
       FROM ${scan(path)} ORDER BY col1`,
    );
    expect(rows).toEqual([
      ['click', true, 342342, -9223372036854775808n, 'HELLO', '12345.00', '2003-10-20', '1970-01-01 00:00:00.012345'],
      ['purchase', true, 342342, -9223372036854775808n, 'HELLO', '12345.00', '2003-10-20', '1970-01-01 00:00:00.012345'],
      ['test', false, 453243, 328725092345834, 'World', '3423434.23', '0011-03-05', '0011-03-05 12:06:45'],
    ]);
  });
});
