import { decimalParams, fixedLength } from '../spec/schema.js';
import { parseTransform, transformResultType, type Transform } from '../spec/transforms.js';
import type { PrimitiveTypeName } from '../spec/types.js';
import { UnsupportedError } from '../errors.js';

/**
 * A partition transform as a DuckDB expression over a column already cast to its Iceberg type,
 * producing a canonical text-friendly value that `parsePartitionText` turns back into the floe
 * value of the transform's result type (spec: "Partition Transforms").
 */
export function transformSql(transformName: string, sourceType: PrimitiveTypeName, col: string): string {
  const t = parseTransform(transformName);
  switch (t.kind) {
    case 'identity':
      return canonical(sourceType, col);
    case 'void':
      return 'NULL';
    case 'bucket':
      return bucketSql(t.n, sourceType, col);
    case 'truncate':
      return truncateSql(t.width, sourceType, col);
    case 'year':
      return `(year(${col}) - 1970)`;
    case 'month':
      return `((year(${col}) - 1970) * 12 + month(${col}) - 1)`;
    case 'day':
      return `date_diff('day', DATE '1970-01-01', CAST(${col} AS DATE))`;
    case 'hour': {
      const us = `epoch_us(${col})`;
      return `((${us} - (((${us} % 3600000000) + 3600000000) % 3600000000)) // 3600000000)`;
    }
    default: {
      const never: never = t;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}

/** Values whose text form is not their floe form are written as integers or hex. */
function canonical(type: PrimitiveTypeName, col: string): string {
  const dec = decimalParams(type);
  if (dec) return `CAST(${col} * ${pow10(dec.scale)} AS HUGEINT)`;
  if (type === 'binary' || fixedLength(type) !== null) return `hex(${col})`;
  switch (type) {
    case 'date':
      return `date_diff('day', DATE '1970-01-01', ${col})`;
    case 'time':
      return `date_diff('microsecond', TIME '00:00:00', ${col})`;
    case 'timestamp':
    case 'timestamptz':
      return `epoch_us(${col})`;
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return `epoch_ns(${col})`;
    default:
      return col;
  }
}

function bucketSql(n: number, type: PrimitiveTypeName, col: string): string {
  if (type === 'string') return `iceberg_bucket_string(${col}, ${n})`;
  if (type === 'binary' || fixedLength(type) !== null) return `iceberg_bucket_bytes(${col}, ${n})`;
  if (type === 'uuid') return `iceberg_bucket_bytes(unhex(replace(CAST(${col} AS VARCHAR), '-', '')), ${n})`;
  switch (type) {
    case 'int':
    case 'long':
      return bucketLongSql(`CAST(${col} AS BIGINT)`, n);
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return bucketLongSql(canonical(type, col), n);
    default:
      throw new UnsupportedError(`writing bucket partitions of ${type} columns is not supported`);
  }
}

const U32 = '4294967295';

/**
 * The bucket of a BIGINT expression in DuckDB arithmetic, so no row crosses into JavaScript (spec
 * appendix B: Murmur3 x86 32-bit, seed 0, of the value's 8 little-endian bytes, then
 * `(hash & Integer.MAX_VALUE) % n`). Every intermediate is a BIGINT holding an unsigned 32-bit
 * word. A product of two words needs 64 unsigned bits, so it is taken in UBIGINT and masked.
 * A rotation left by r of a word x is `((x << r) - 1) % (2^32 - 1) + 1`: x << r splits into a
 * high part H (< 2^r) and a low part L (multiple of 2^r), the rotation is L + H, and 2^32 ≡ 1
 * (mod 2^32 - 1) makes x << r ≡ L + H; for x ≠ 0 the rotation lies in [1, 2^32 - 1], which the
 * shifted remainder picks, and x = 0 gives (-1 % m) + 1 = 0. Written so, x appears once, and the
 * expression stays small (only the final mix repeats its input).
 */
export function bucketLongSql(value: string, n: number): string {
  const mul = (x: string, c: number): string => `((${x})::UBIGINT * ${c}::UBIGINT & ${U32})::BIGINT`;
  const rotl = (x: string, r: number): string => `((((${x}) << ${r}) - 1) % ${U32} + 1)`;
  const block = (k: string): string => mul(rotl(mul(k, 0xcc9e2d51), 15), 0x1b873593);
  const step = (h: string): string => `((${rotl(h, 13)} * 5 + ${0xe6546b64}) & ${U32})`;
  const shiftXor = (x: string, s: number): string => `xor(${x}, (${x}) >> ${s})`;
  const low = `((${value}) & ${U32})`;
  const high = `(((${value}) >> 32) & ${U32})`;
  let h = step(block(low));
  h = step(`xor(${h}, ${block(high)})`);
  h = `xor(${h}, 8)`; // the input length
  h = shiftXor(mul(shiftXor(mul(shiftXor(h, 16), 0x85ebca6b), 13), 0xc2b2ae35), 16);
  return `CAST((${h} & 2147483647) % ${n} AS INTEGER)`;
}

function truncateSql(w: number, type: PrimitiveTypeName, col: string): string {
  const dec = decimalParams(type);
  if (dec) {
    const unscaled = `CAST(${col} * ${pow10(dec.scale)} AS HUGEINT)`;
    return `(${unscaled} - (((${unscaled} % ${w}) + ${w}) % ${w}))`;
  }
  switch (type) {
    case 'int':
    case 'long':
      return `(${col} - (((${col} % ${w}) + ${w}) % ${w}))`;
    case 'string':
      return `substring(${col}, 1, ${w})`;
    case 'binary':
      return `hex(${col}[1:${w}])`;
    default:
      throw new UnsupportedError(`truncate of ${type} columns is not supported`);
  }
}

function pow10(scale: number): string {
  return `CAST(1${'0'.repeat(scale)} AS HUGEINT)`;
}

/** Parses the canonical text of a partition value (from a Hive-style path) into a floe value. */
export function parsePartitionText(t: Transform, sourceType: PrimitiveTypeName, text: string | null): unknown {
  if (text === null) return null;
  const result = transformResultType(t, sourceType);
  const dec = decimalParams(result);
  if (dec) return BigInt(text);
  if (result === 'binary' || fixedLength(result) !== null) return Uint8Array.from(Buffer.from(text, 'hex'));
  switch (result) {
    case 'boolean':
      return text === 'true';
    case 'int':
    case 'date':
      return Number(text);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return BigInt(text);
    case 'float':
    case 'double':
      return text === 'nan' ? NaN : text === 'inf' ? Infinity : text === '-inf' ? -Infinity : Number(text);
    default:
      return text;
  }
}
