import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { manifestFileFor, readManifest, writeManifest } from '../../src/manifest/manifest.js';
import { readManifestList, writeManifestList } from '../../src/manifest/manifest-list.js';
import { EntryStatus, FileContent, ManifestContent, type ManifestEntry } from '../../src/manifest/types.js';
import type { PartitionSpec, Schema } from '../../src/spec/types.js';
import { toBinary } from '../../src/spec/values.js';
import { pythonWith } from '../helpers/python.js';

const FIXTURES = join(__dirname, '../../../shared/fixtures/iceberg');
const tmp = mkdtempSync(join(tmpdir(), 'floe-manifest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'day', required: false, type: 'date' },
    { id: 3, name: 'price', required: false, type: 'decimal(10, 2)' },
    { id: 4, name: 'key', required: false, type: 'uuid' },
  ],
};
const spec: PartitionSpec = {
  'spec-id': 3,
  fields: [
    { 'source-id': 2, 'field-id': 1000, name: 'day', transform: 'identity' },
    { 'source-id': 3, 'field-id': 1001, name: 'price', transform: 'identity' },
    { 'source-id': 1, 'field-id': 1002, name: 'id_bucket', transform: 'bucket[4]' },
    { 'source-id': 4, 'field-id': 1003, name: 'key', transform: 'identity' },
  ],
};

function entry(path: string, day: number | null, price: bigint, status: EntryStatus = EntryStatus.Added): ManifestEntry {
  return {
    status,
    snapshot_id: status === EntryStatus.Added ? null : 7n,
    sequence_number: status === EntryStatus.Added ? null : 1,
    file_sequence_number: status === EntryStatus.Added ? null : 1,
    data_file: {
      content: FileContent.Data,
      file_path: path,
      file_format: 'PARQUET',
      partition: { day, price, id_bucket: 2, key: 'f79c3e09-677c-4bbd-a479-3f349cb785e7' },
      record_count: 10,
      file_size_in_bytes: 1234,
      value_counts: new Map([[1, 10]]),
      null_value_counts: new Map([[1, 0]]),
      lower_bounds: new Map([[1, toBinary('long', 1n)]]),
      upper_bounds: new Map([[1, toBinary('long', 2n ** 40n)]]),
      split_offsets: [4],
    },
  };
}

describe('manifests', () => {
  const entries = [entry('/t/data/a.parquet', 19000, 1999n), entry('/t/data/b.parquet', null, -5n), entry('/t/data/c.parquet', 18000, 12n, EntryStatus.Existing)];
  const bytes = writeManifest({ schema, spec, formatVersion: 2, content: ManifestContent.Data, snapshotId: 9_007_199_254_740_993n, entries });
  const file = manifestFileFor({ path: '/t/metadata/m.avro', length: bytes.length, spec, schema, content: ManifestContent.Data, sequenceNumber: 4, snapshotId: 9_007_199_254_740_993n, entries });

  it('round-trips entries and inherits snapshot id and sequence numbers', () => {
    const back = readManifest(bytes, file);
    expect(back.formatVersion).toBe(2);
    expect(back.partitionSpecId).toBe(3);
    expect(back.entries).toHaveLength(3);
    const [a, b, c] = back.entries;
    expect(a.snapshot_id).toBe(9_007_199_254_740_993n);
    expect(a.sequence_number).toBe(4);
    expect(c.sequence_number).toBe(1);
    expect(c.snapshot_id).toBe(7n);
    expect(a.data_file.partition).toEqual({ day: 19000, price: 1999n, id_bucket: 2, key: 'f79c3e09-677c-4bbd-a479-3f349cb785e7' });
    expect(b.data_file.partition.day).toBeNull();
    expect(b.data_file.partition.price).toBe(-5n);
    expect(a.data_file.upper_bounds?.get(1)).toEqual(toBinary('long', 2n ** 40n));
    expect(a.data_file.split_offsets).toEqual([4]);
  });

  it('summarises counts and partitions for the manifest list', () => {
    expect(file.added_files_count).toBe(2);
    expect(file.existing_files_count).toBe(1);
    expect(file.added_rows_count).toBe(20);
    expect(file.min_sequence_number).toBe(1);
    expect(file.partitions?.[0]).toEqual({ contains_null: true, contains_nan: null, lower_bound: toBinary('date', 18000), upper_bound: toBinary('date', 19000) });
    expect(file.partitions?.[1].lower_bound).toEqual(toBinary('decimal(10, 2)', -5n));
  });

  it('round-trips manifest lists', () => {
    const list = writeManifestList([file], { snapshotId: 9_007_199_254_740_993n, parentSnapshotId: 1n, sequenceNumber: 4, formatVersion: 2 });
    const [back] = readManifestList(list);
    expect(back).toEqual({ ...file, key_metadata: null });
  });

  it('is readable by an independent Avro implementation with the spec field ids', () => {
    const python = pythonWith('avro.datafile');
    if (!python) {
      console.log('skipping independent Avro check: python3 with the avro package is not installed (apt-get install python3-avro)');
      return;
    }
    const mPath = join(tmp, 'm.avro');
    const lPath = join(tmp, 'l.avro');
    writeFileSync(mPath, bytes);
    writeFileSync(lPath, writeManifestList([file], { snapshotId: 5n, sequenceNumber: 4, formatVersion: 2 }));
    const script = `
import sys, json
from avro.datafile import DataFileReader
from avro.io import DatumReader
def read(p):
    r = DataFileReader(open(p, 'rb'), DatumReader())
    meta = {k: v.decode() for k, v in r.meta.items() if not k.startswith('avro.')}
    schema = json.loads(r.meta['avro.schema'].decode())
    rows = list(r)
    return meta, schema, rows
m_meta, m_schema, m_rows = read(sys.argv[1])
l_meta, l_schema, l_rows = read(sys.argv[2])
ids = {f['name']: f.get('field-id') for f in m_schema['fields']}
df = [f for f in m_schema['fields'] if f['name'] == 'data_file'][0]['type']
df_ids = {f['name']: f.get('field-id') for f in df['fields']}
print(json.dumps({
  'entry_ids': ids, 'data_file_ids': df_ids,
  'meta': m_meta, 'list_meta': l_meta,
  'paths': [r['data_file']['file_path'] for r in m_rows],
  'status': [r['status'] for r in m_rows],
  'record_counts': [r['data_file']['record_count'] for r in m_rows],
  'list': [{'path': r['manifest_path'], 'added': r['added_files_count'], 'seq': r['sequence_number'], 'content': r['content']} for r in l_rows],
}))
`;
    const out = JSON.parse(execFileSync(python, ['-c', script, mPath, lPath], { encoding: 'utf8' }));
    expect(out.entry_ids).toEqual({ status: 0, snapshot_id: 1, sequence_number: 3, file_sequence_number: 4, data_file: 2 });
    expect(out.data_file_ids).toMatchObject({ content: 134, file_path: 100, file_format: 101, partition: 102, record_count: 103, file_size_in_bytes: 104, lower_bounds: 125, upper_bounds: 128 });
    expect(out.meta['format-version']).toBe('2');
    expect(out.meta.content).toBe('data');
    expect(JSON.parse(out.meta.schema).fields.map((f: { name: string }) => f.name)).toEqual(['id', 'day', 'price', 'key']);
    expect(JSON.parse(out.meta['partition-spec'])).toHaveLength(4);
    expect(out.list_meta['snapshot-id']).toBe('5');
    expect(out.paths).toEqual(['/t/data/a.parquet', '/t/data/b.parquet', '/t/data/c.parquet']);
    expect(out.status).toEqual([1, 1, 0]);
    expect(out.record_counts).toEqual([10, 10, 10]);
    expect(out.list).toEqual([{ path: '/t/metadata/m.avro', added: 2, seq: 4, content: 0 }]);
  });

  it('reads every manifest list and manifest written by Spark and PyIceberg', () => {
    const avros: string[] = [];
    const walk = (dir: string): void => {
      for (const n of readdirSync(dir)) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.avro')) avros.push(p);
      }
    };
    walk(FIXTURES);
    expect(avros.length).toBeGreaterThan(10);
    let lists = 0;
    let manifests = 0;
    for (const p of avros) {
      const b = new Uint8Array(readFileSync(p));
      if (/(^|\/)snap-[^/]*\.avro$/.test(p)) {
        const files = readManifestList(b, p);
        expect(files.every((f) => f.manifest_path.endsWith('.avro'))).toBe(true);
        lists++;
      } else {
        const m = readManifest(b);
        expect(m.entries.every((e) => e.data_file.record_count >= 0 && e.data_file.file_path.length > 0)).toBe(true);
        manifests++;
      }
    }
    expect(lists).toBeGreaterThan(0);
    expect(manifests).toBeGreaterThan(0);
  });

  it('rejects a corrupt Avro file with a typed error', () => {
    expect(() => readManifest(Uint8Array.from([1, 2, 3]))).toThrow(/not an Avro file/);
    expect(() => readManifestList(bytes.slice(0, bytes.length - 20))).toThrow(/not a readable Avro file/);
  });
});
