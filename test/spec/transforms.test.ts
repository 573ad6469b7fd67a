import { describe, expect, it } from 'vitest';
import { applyTransform, bucketHash, humanTransformValue, parseTransform, transformResultType, transformToString } from '../../src/spec/transforms.js';
import { coerceValue } from '../../src/spec/values.js';
import type { PrimitiveTypeName } from '../../src/spec/types.js';

// spec appendix B: "32-bit Hash Requirements" reference values.
const REFERENCE: [PrimitiveTypeName, unknown, number][] = [
  ['int', 34, 2017239379],
  ['long', 34, 2017239379],
  ['decimal(9, 2)', '14.20', -500754589],
  ['date', '2017-11-16', -653330422],
  ['time', '22:31:08', -662762989],
  ['timestamp', '2017-11-16T22:31:08', -2047944441],
  ['timestamptz', '2017-11-16T14:31:08-08:00', -2047944441],
  ['timestamp', '2017-11-16T22:31:08.000001', -1207196810],
  ['timestamp_ns', '2017-11-16T22:31:08.000001001', -1207196810],
  ['string', 'iceberg', 1210000089],
  ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7', 1488055340],
];

describe('bucket hash (Murmur3 x86 32)', () => {
  for (const [type, input, expected] of REFERENCE) {
    it(`${type} ${String(input)} hashes to ${expected}`, () => {
      let value: unknown;
      if (type === 'timestamp_ns') value = coerceValue('timestamp', '2017-11-16T22:31:08.000001')! as bigint * 1000n + 1n;
      else value = coerceValue(type, input);
      expect(bucketHash(type, value)).toBe(expected);
    });
  }
  it('binary 00010203 hashes to -188683207', () => {
    expect(bucketHash('binary', Uint8Array.of(0, 1, 2, 3))).toBe(-188683207);
    expect(bucketHash('fixed[4]', Uint8Array.of(0, 1, 2, 3))).toBe(-188683207);
  });
  it('bucket[N] is (hash & MAX_INT) % N', () => {
    expect(applyTransform({ kind: 'bucket', n: 16 }, 'int', 34)).toBe((2017239379 & 0x7fffffff) % 16);
    expect(applyTransform({ kind: 'bucket', n: 100 }, 'string', 'iceberg')).toBe(1210000089 % 100);
  });
});

describe('transforms', () => {
  it('parses and prints every transform', () => {
    for (const name of ['identity', 'bucket[16]', 'truncate[4]', 'year', 'month', 'day', 'hour', 'void']) {
      expect(transformToString(parseTransform(name))).toBe(name);
    }
    expect(() => parseTransform('bucket[0]')).toThrow(/positive/);
    expect(() => parseTransform('squash')).toThrow(/unknown transform/);
  });
  it('truncates as the spec says (floor for negatives, code points for strings)', () => {
    const t = { kind: 'truncate' as const, width: 10 };
    expect(applyTransform(t, 'int', 1)).toBe(0);
    expect(applyTransform(t, 'int', -1)).toBe(-10);
    expect(applyTransform(t, 'long', 123n)).toBe(120n);
    expect(applyTransform(t, 'decimal(9, 2)', 1065n)).toBe(1060n);
    expect(applyTransform({ kind: 'truncate', width: 3 }, 'string', 'iceberg')).toBe('ice');
    expect(applyTransform({ kind: 'truncate', width: 2 }, 'string', '😀😁😂')).toBe('😀😁');
  });
  it('computes year/month/day/hour from the epoch, also before 1970', () => {
    const ts = coerceValue('timestamp', '2017-11-16T22:31:08')!;
    expect(applyTransform({ kind: 'year' }, 'timestamp', ts)).toBe(47);
    expect(applyTransform({ kind: 'month' }, 'timestamp', ts)).toBe(47 * 12 + 10);
    expect(applyTransform({ kind: 'day' }, 'timestamp', ts)).toBe(17486);
    expect(applyTransform({ kind: 'hour' }, 'timestamp', ts)).toBe(17486 * 24 + 22);
    const before = coerceValue('timestamp', '1969-12-31T23:59:59')!;
    expect(applyTransform({ kind: 'day' }, 'timestamp', before)).toBe(-1);
    expect(applyTransform({ kind: 'hour' }, 'timestamp', before)).toBe(-1);
    expect(applyTransform({ kind: 'year' }, 'date', -1)).toBe(-1);
    expect(humanTransformValue({ kind: 'month' }, 47 * 12 + 10)).toBe('2017-11');
    expect(humanTransformValue({ kind: 'hour' }, 17486 * 24 + 22)).toBe('2017-11-16-22');
    expect(humanTransformValue({ kind: 'day' }, -1)).toBe('1969-12-31');
  });
  it('rejects transforms that do not apply to a type', () => {
    expect(() => transformResultType({ kind: 'bucket', n: 4 }, 'double')).toThrow(/cannot be applied/);
    expect(() => transformResultType({ kind: 'hour' }, 'date')).toThrow(/cannot be applied/);
    expect(transformResultType({ kind: 'day' }, 'timestamptz')).toBe('date');
  });
});
