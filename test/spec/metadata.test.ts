import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CommitFailedError, CorruptMetadataError, ValidationError } from '../../src/errors.js';
import { ancestorsOf, currentSnapshot, newSnapshotId, newTableMetadata, parseTableMetadata, serializeTableMetadata, snapshotAsOf } from '../../src/spec/metadata.js';
import { checkRequirements } from '../../src/spec/requirements.js';
import type { Schema, Snapshot } from '../../src/spec/types.js';
import { applyUpdates } from '../../src/spec/updates.js';

const FIXTURES = join(__dirname, '../../../shared/fixtures/iceberg');

const schema: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'id', required: true, type: 'long' },
    { id: 2, name: 'ts', required: false, type: 'timestamptz' },
    { id: 3, name: 'tags', required: false, type: { type: 'list', 'element-id': 4, element: 'string', 'element-required': false } },
    { id: 5, name: 'price', required: false, type: 'decimal(10, 2)' },
  ],
};

function snapshot(id: bigint, parent: bigint | undefined, seq: number, ts: number): Snapshot {
  const s: Snapshot = { 'snapshot-id': id, 'sequence-number': seq, 'timestamp-ms': ts, 'manifest-list': `/t/metadata/snap-${id}.avro`, summary: { operation: 'append' } };
  if (parent !== undefined) s['parent-snapshot-id'] = parent;
  return s;
}

describe('table metadata', () => {
  it('round-trips through JSON, keeping 64-bit snapshot ids exact', () => {
    const base = newTableMetadata({ schema, location: '/t', spec: { 'spec-id': 0, fields: [{ 'source-id': 2, 'field-id': 1000, name: 'ts_day', transform: 'day' }] } });
    const big = 9_007_199_254_740_993n; // 2^53 + 1
    const m = applyUpdates(base, [
      { action: 'add-snapshot', snapshot: snapshot(big, undefined, 1, 1000) },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': big },
    ]);
    const text = serializeTableMetadata(m);
    expect(text).toContain('"current-snapshot-id": 9007199254740993');
    const back = parseTableMetadata(text);
    expect(back).toEqual(m);
    expect(currentSnapshot(back)?.['snapshot-id']).toBe(big);
    expect(back['last-column-id']).toBe(5);
    expect(back['last-partition-id']).toBe(1000);
  });

  it('reads every foreign fixture metadata file', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const n of readdirSync(dir)) {
        const p = join(dir, n);
        if (statSync(p).isDirectory()) walk(p);
        else if (n.endsWith('.metadata.json')) files.push(p);
      }
    };
    walk(FIXTURES);
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const m = parseTableMetadata(readFileSync(f, 'utf8'));
      expect(m.schemas.length).toBeGreaterThan(0);
      const again = parseTableMetadata(serializeTableMetadata(m));
      expect(again).toEqual(m);
    }
  });

  it('lifts v1 metadata (schema, partition-spec, embedded manifests)', () => {
    const m = parseTableMetadata(readFileSync(join(FIXTURES, 'iceberg_v1_deprecated/default/legacy_v1/metadata/v2.metadata.json'), 'utf8'));
    expect(m['format-version']).toBe(1);
    expect(m.schemas[0].fields.map((f) => f.name)).toEqual(['id', 'category', 'amount']);
    expect(currentSnapshot(m)?.manifests?.length).toBeGreaterThan(0);
  });

  it('rejects corrupt metadata with a typed error', () => {
    expect(() => parseTableMetadata('{not json')).toThrow(CorruptMetadataError);
    expect(() => parseTableMetadata('{"format-version": 9}')).toThrow(/format-version/);
    expect(() => parseTableMetadata('[]')).toThrow(/JSON object/);
    const good = serializeTableMetadata(newTableMetadata({ schema, location: '/t' }));
    expect(() => parseTableMetadata(good.replace('"current-schema-id": 0', '"current-schema-id": 7'))).toThrow(/current-schema-id 7/);
  });

  it('walks ancestry and time', () => {
    let m = newTableMetadata({ schema, location: '/t' });
    m = applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(1n, undefined, 1, 1000) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1n }]);
    m = applyUpdates(m, [{ action: 'add-snapshot', snapshot: snapshot(2n, 1n, 2, 2000) }, { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 2n }]);
    expect(ancestorsOf(m, 2n).map((s) => s['snapshot-id'])).toEqual([2n, 1n]);
    expect(snapshotAsOf(m, 1500)['snapshot-id']).toBe(1n);
    expect(snapshotAsOf(m, 2000)['snapshot-id']).toBe(2n);
    expect(() => snapshotAsOf(m, 10)).toThrow(/no snapshot/);
    expect(m['snapshot-log'].map((e) => e['snapshot-id'])).toEqual([1n, 2n]);
    expect(newSnapshotId()).toBeGreaterThan(0n);
  });
});

describe('updates and requirements', () => {
  it('adds schemas, specs and sort orders with -1 meaning the last added', () => {
    const base = newTableMetadata({ schema, location: '/t' });
    const next: Schema = { ...schema, fields: [...schema.fields, { id: 6, name: 'note', required: false, type: 'string' }] };
    const m = applyUpdates(base, [
      { action: 'add-schema', schema: next },
      { action: 'set-current-schema', 'schema-id': -1 },
      { action: 'add-spec', spec: { 'spec-id': 0, fields: [{ 'source-id': 1, 'field-id': 1000, name: 'id_bucket', transform: 'bucket[8]' }] } },
      { action: 'set-default-spec', 'spec-id': -1 },
      { action: 'add-sort-order', 'sort-order': { 'order-id': 0, fields: [{ 'source-id': 1, transform: 'identity', direction: 'asc', 'null-order': 'nulls-first' }] } },
      { action: 'set-default-sort-order', 'sort-order-id': -1 },
      { action: 'set-properties', updates: { k: 'v' } },
    ]);
    expect(m['current-schema-id']).toBe(1);
    expect(m['last-column-id']).toBe(6);
    expect(m['default-spec-id']).toBe(1);
    expect(m['last-partition-id']).toBe(1000);
    expect(m['default-sort-order-id']).toBe(1);
    expect(m.properties.k).toBe('v');
    expect(base.schemas).toHaveLength(1);
    expect(() => applyUpdates(base, [{ action: 'set-current-schema', 'schema-id': 42 }])).toThrow(ValidationError);
    expect(() => applyUpdates(base, [{ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 5n }])).toThrow(/does not exist/);
  });

  it('checks requirements against current metadata', () => {
    const m = newTableMetadata({ schema, location: '/t' });
    expect(() => checkRequirements(m, [{ type: 'assert-table-uuid', uuid: m['table-uuid'] }, { type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }])).not.toThrow();
    expect(() => checkRequirements(m, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': 1n }])).toThrow(CommitFailedError);
    expect(() => checkRequirements(m, [{ type: 'assert-create' }])).toThrow(/already exists/);
    expect(() => checkRequirements(null, [{ type: 'assert-create' }])).not.toThrow();
    expect(() => checkRequirements(m, [{ type: 'assert-current-schema-id', 'current-schema-id': 3 }])).toThrow(/current schema/);
  });
});

describe('JSON with 64-bit integers', () => {
  it('keeps big integers exact and leaves look-alikes in strings alone', async () => {
    const { parseJson, stringifyJson } = await import('../../src/spec/json.js');
    const text = '{"a": 9223372036854775807, "b": [12345678901234567, 1], "c": "x: 12345678901234567890, y", "d": 1.5, "e": -9007199254740993}';
    const v = parseJson(text) as Record<string, unknown>;
    expect(v.a).toBe(9223372036854775807n);
    expect(v.b).toEqual([12345678901234567n, 1]);
    expect(v.c).toBe('x: 12345678901234567890, y');
    expect(v.d).toBe(1.5);
    expect(v.e).toBe(-9007199254740993n);
    expect(parseJson(stringifyJson(v))).toEqual(v);
    expect(stringifyJson({ id: 2n ** 62n })).toBe('{"id":4611686018427387904}');
  });
});
