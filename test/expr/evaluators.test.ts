import { describe, expect, it } from 'vitest';
import { bind } from '../../src/expr/bind.js';
import { manifestEvaluator, metricsEvaluator, partitionEvaluator } from '../../src/expr/evaluators.js';
import type { UnboundPredicate } from '../../src/expr/predicate.js';
import { manifestFileFor } from '../../src/manifest/manifest.js';
import { EntryStatus, FileContent, ManifestContent, type DataFile } from '../../src/manifest/types.js';
import type { PartitionSpec, Schema } from '../../src/spec/types.js';
import { coerceValue, toBinary } from '../../src/spec/values.js';

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamp' },
    { id: 3, name: 'name', required: false, type: 'string' },
    { id: 4, name: 'score', required: false, type: 'double' },
  ],
};
const spec: PartitionSpec = {
  'spec-id': 0,
  fields: [
    { 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' },
    { 'source-id': 1, 'field-id': 1001, name: 'id_bucket', transform: 'bucket[8]' },
    { 'source-id': 3, 'field-id': 1002, name: 'name_trunc', transform: 'truncate[2]' },
  ],
};

const day = (s: string) => coerceValue('date', s) as number;
const part = (d: string, bucket: number, trunc: string | null) => ({ ts_day: day(d), id_bucket: bucket, name_trunc: trunc });
const pe = (p: UnboundPredicate) => partitionEvaluator(spec, schema, bind(schema, p));

describe('partition pruning through transforms', () => {
  it('projects timestamp ranges onto day partitions', () => {
    const ev = pe({ op: 'and', left: { op: 'gtEq', column: 'ts', value: '2024-03-02 00:00:00' }, right: { op: 'lt', column: 'ts', value: '2024-03-03' } });
    expect(ev(part('2024-03-01', 0, 'ab'))).toBe(false);
    expect(ev(part('2024-03-02', 0, 'ab'))).toBe(true);
    expect(ev(part('2024-03-03', 0, 'ab'))).toBe(true); // inclusive projection of `<`
    expect(ev(part('2024-03-04', 0, 'ab'))).toBe(false);
  });
  it('projects equality through bucket and truncate', () => {
    const ev = pe({ op: 'eq', column: 'id', value: 34 });
    const bucket = Number((2017239379 & 0x7fffffff) % 8);
    expect(ev(part('2024-01-01', bucket, null))).toBe(true);
    expect(ev(part('2024-01-01', (bucket + 1) % 8, null))).toBe(false);
    const s = pe({ op: 'startsWith', column: 'name', value: 'abc' });
    expect(s(part('2024-01-01', 0, 'ab'))).toBe(true);
    expect(s(part('2024-01-01', 0, 'ac'))).toBe(false);
  });
  it('never prunes on range predicates through bucket, and handles null partitions', () => {
    const ev = pe({ op: 'gt', column: 'id', value: 10 });
    for (let b = 0; b < 8; b++) expect(ev(part('2024-01-01', b, null))).toBe(true);
    expect(pe({ op: 'isNull', column: 'name' })(part('2024-01-01', 0, 'xy'))).toBe(false);
    expect(pe({ op: 'isNull', column: 'name' })(part('2024-01-01', 0, null))).toBe(true);
    expect(pe({ op: 'eq', column: 'name', value: 'xy' })(part('2024-01-01', 0, null))).toBe(false);
  });
  it('honours NOT by pushing it down', () => {
    const ev = pe({ op: 'not', child: { op: 'lt', column: 'ts', value: '2024-03-02' } });
    expect(ev(part('2024-03-01', 0, null))).toBe(false);
    expect(ev(part('2024-03-02', 0, null))).toBe(true);
  });
});

function dataFile(partition: Record<string, unknown>, bounds: Partial<Record<number, [unknown, unknown]>>, extra: Partial<DataFile> = {}): DataFile {
  const lower = new Map<number, Uint8Array>();
  const upper = new Map<number, Uint8Array>();
  for (const [id, [lo, hi]] of Object.entries(bounds) as [string, [unknown, unknown]][]) {
    const f = schema.fields.find((x) => x.id === Number(id))!;
    lower.set(Number(id), toBinary(f.type as 'long', lo));
    upper.set(Number(id), toBinary(f.type as 'long', hi));
  }
  return { content: FileContent.Data, file_path: '/x.parquet', file_format: 'PARQUET', partition, record_count: 10, file_size_in_bytes: 1, lower_bounds: lower, upper_bounds: upper, value_counts: new Map([[1, 10], [3, 10], [4, 10]]), null_value_counts: new Map([[1, 0], [3, 0], [4, 0]]), ...extra };
}

describe('manifest summaries and column metrics', () => {
  it('skips manifests whose partition range cannot match', () => {
    const entries = [part('2024-01-01', 1, 'aa'), part('2024-01-05', 2, 'bb')].map((p) => ({ status: EntryStatus.Added, snapshot_id: null, sequence_number: null, file_sequence_number: null, data_file: dataFile(p, {}) }));
    const m = manifestFileFor({ path: 'm', length: 1, spec, schema, content: ManifestContent.Data, sequenceNumber: 1, snapshotId: 1n, entries });
    const ev = (p: UnboundPredicate) => manifestEvaluator(spec, schema, bind(schema, p))(m);
    expect(ev({ op: 'eq', column: 'ts', value: '2024-01-03 10:00:00' })).toBe(true);
    expect(ev({ op: 'gt', column: 'ts', value: '2024-01-06' })).toBe(false);
    expect(ev({ op: 'lt', column: 'ts', value: '2023-12-31' })).toBe(false);
    expect(ev({ op: 'isNull', column: 'name' })).toBe(false);
    expect(ev({ op: 'startsWith', column: 'name', value: 'c' })).toBe(false);
  });
  it('skips files by column bounds and null counts', () => {
    const f = dataFile({}, { 1: [10n, 20n], 3: ['apple', 'banana'] });
    const ev = (p: UnboundPredicate) => metricsEvaluator(schema, bind(schema, p))(f);
    expect(ev({ op: 'eq', column: 'id', value: 15 })).toBe(true);
    expect(ev({ op: 'eq', column: 'id', value: 21 })).toBe(false);
    expect(ev({ op: 'in', column: 'id', values: [1, 2, 30] })).toBe(false);
    expect(ev({ op: 'lt', column: 'id', value: 10 })).toBe(false);
    expect(ev({ op: 'ltEq', column: 'id', value: 10 })).toBe(true);
    expect(ev({ op: 'startsWith', column: 'name', value: 'c' })).toBe(false);
    expect(ev({ op: 'startsWith', column: 'name', value: 'b' })).toBe(true);
    expect(ev({ op: 'isNull', column: 'id' })).toBe(false);
    expect(ev({ op: 'or', left: { op: 'eq', column: 'id', value: 1 }, right: { op: 'eq', column: 'name', value: 'apricot' } })).toBe(true);
  });
  it('keeps files with NaNs for comparisons DuckDB lets NaN satisfy', () => {
    const f = dataFile({}, { 4: [1.0, 2.0] }, { nan_value_counts: new Map([[4, 3]]) });
    const ev = (p: UnboundPredicate) => metricsEvaluator(schema, bind(schema, p))(f);
    expect(ev({ op: 'gt', column: 'score', value: 5 })).toBe(true);
    expect(ev({ op: 'lt', column: 'score', value: 0 })).toBe(false);
  });
  it('refuses to bind what it cannot prune exactly', () => {
    expect(() => bind(schema, { op: 'eq', column: 'id', value: 1.5 })).toThrow(/cannot convert/);
    expect(() => bind(schema, { op: 'eq', column: 'nope', value: 1 })).toThrow(/does not exist/);
    expect(() => bind(schema, { op: 'eq', column: 'ID', value: 1 })).toThrow(/does not exist/);
    expect(() => bind(schema, { op: 'eq', column: 'ID', value: 1 }, false)).not.toThrow();
  });
});
