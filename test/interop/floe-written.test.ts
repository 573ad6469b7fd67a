import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { pythonWith } from '../helpers/python.js';
import { tempWarehouse } from '../helpers/warehouse.js';

/**
 * Tables floe writes, read back without floe: the metadata with plain JSON, manifests with
 * Debian's python3-avro, data files with a separate DuckDB's plain read_parquet.
 */
let wh: Warehouse;
let dispose: () => Promise<void>;
let metadataLocation: string;

beforeAll(async () => {
  ({ wh, dispose } = await tempWarehouse());
  await wh.sql('CREATE NAMESPACE db');
  await wh.sql(`CREATE TABLE db.t (id BIGINT NOT NULL, cat STRING, price DECIMAL(9, 2), at TIMESTAMP)
                PARTITIONED BY (cat, day(at)) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
  await wh.sql(`INSERT INTO db.t SELECT range, CASE WHEN range % 2 = 0 THEN 'even' ELSE 'odd' END, range / 4,
                TIMESTAMP '2024-03-01 00:00:00' + to_hours(range) FROM range(100)`);
  await wh.sql('DELETE FROM db.t WHERE id % 10 = 3');
  metadataLocation = (await wh.catalog.loadTable({ namespace: ['db'], name: 't' })).metadataLocation;
});
afterAll(async () => dispose());

describe('floe-written tables read by independent readers', () => {
  it('has metadata any JSON parser reads, with the spec fields', () => {
    const m = JSON.parse(readFileSync(metadataLocation, 'utf8'));
    expect(m['format-version']).toBe(2);
    expect(m['partition-specs'][0].fields.map((f: { transform: string }) => f.transform)).toEqual(['identity', 'day']);
    expect(m.snapshots).toHaveLength(2);
    expect(m.snapshots[1].summary.operation).toBe('delete');
    expect(m['metadata-log'].length).toBeGreaterThan(0);
  });

  it('has manifests python3-avro reads: paths, partitions, counts and delete files', () => {
    const python = pythonWith('avro.datafile');
    if (!python) {
      console.log('skipping python3-avro check: install python3-avro (Debian) to run it');
      return;
    }
    const m = JSON.parse(readFileSync(metadataLocation, 'utf8'));
    const current = m.snapshots.find((s: { 'snapshot-id': number }) => String(s['snapshot-id']) === String(m['current-snapshot-id'])) ?? m.snapshots[m.snapshots.length - 1];
    const script = `
import sys, json
from avro.datafile import DataFileReader
from avro.io import DatumReader
lst = list(DataFileReader(open(sys.argv[1], 'rb'), DatumReader()))
out = []
for mf in lst:
    for e in DataFileReader(open(mf['manifest_path'], 'rb'), DatumReader()):
        if e['status'] == 2: continue
        d = e['data_file']
        out.append({'content': d['content'], 'path': d['file_path'], 'rows': d['record_count'], 'cat': d['partition']['cat'], 'day': d['partition']['at_day']})
print(json.dumps(out, default=str))`;
    const files = JSON.parse(execFileSync(python, ['-W', 'ignore', '-c', script, current['manifest-list']], { encoding: 'utf8' })) as { content: number; path: string; rows: number; cat: string; day: string }[];
    const data = files.filter((f) => f.content === 0);
    const deletes = files.filter((f) => f.content === 1);
    expect(data.reduce((a, f) => a + f.rows, 0)).toBe(100);
    expect(deletes.reduce((a, f) => a + f.rows, 0)).toBe(10);
    for (const f of data) {
      expect(f.path).toContain(`/cat=${f.cat}/`);
      expect(f.path).toContain(`/at_day=${f.day}/`);
    }
  });

  it('has data files a plain read_parquet reads, with Iceberg field ids', async () => {
    const t = await wh.loadTable('db.t');
    const r = await wh.sql('SELECT file_path FROM db."t$files" WHERE content = 0');
    const paths = r.rows.map((row) => String(row[0]));
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    try {
      const list = `[${paths.map((p) => `'${p}'`).join(', ')}]`;
      const ids = (await conn.runAndReadAll(`SELECT DISTINCT name, field_id FROM parquet_schema(${list}) WHERE field_id IS NOT NULL ORDER BY field_id`)).getRowsJson();
      expect(ids.map(([n, id]) => [n, Number(id)])).toEqual(t.schema().fields.map((f) => [f.name, f.id]));
      const sum = (await conn.runAndReadAll(`SELECT count(*), sum(id) FROM read_parquet(${list})`)).getRowsJson();
      expect(sum).toEqual([['100', '4950']]);
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    // And floe applies the position deletes the plain reader does not know about.
    expect((await wh.sql('SELECT count(*) FROM db.t')).rows).toEqual([[90n]]);
  });
});
