import { UnsupportedError, ValidationError } from '../errors.js';
import { decimalParams, fixedLength } from './schema.js';
import type { PrimitiveTypeName, TransformName } from './types.js';
import { dateText, toBinary } from './values.js';

/** A partition or sort transform (spec: "Partition Transforms"). */
export type Transform =
  | { kind: 'identity' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number }
  | { kind: 'year' }
  | { kind: 'month' }
  | { kind: 'day' }
  | { kind: 'hour' }
  | { kind: 'void' };

export function parseTransform(name: string): Transform {
  const text = name.trim().toLowerCase();
  switch (text) {
    case 'identity':
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
    case 'void':
      return { kind: text };
    default: {
      const m = /^(bucket|truncate)\[\s*(\d+)\s*\]$/.exec(text);
      if (m) {
        const n = Number(m[2]);
        if (n < 1) throw new ValidationError(`transform ${name}: the parameter must be positive`);
        return m[1] === 'bucket' ? { kind: 'bucket', n } : { kind: 'truncate', width: n };
      }
      throw new ValidationError(`unknown transform '${name}'`);
    }
  }
}

export function transformToString(t: Transform): TransformName {
  switch (t.kind) {
    case 'bucket':
      return `bucket[${t.n}]`;
    case 'truncate':
      return `truncate[${t.width}]`;
    default:
      return t.kind;
  }
}

const TEMPORAL = new Set<string>(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

/** The type of a transform's result for a source type; ValidationError when it does not apply. */
export function transformResultType(t: Transform, source: PrimitiveTypeName): PrimitiveTypeName {
  const bad = (): never => {
    throw new ValidationError(`transform ${transformToString(t)} cannot be applied to a ${source} column`);
  };
  switch (t.kind) {
    case 'identity':
    case 'void':
      return source;
    case 'bucket':
      if (source === 'float' || source === 'double' || source === 'boolean' || source === 'unknown') bad();
      return 'int';
    case 'truncate':
      if (source === 'int' || source === 'long' || source === 'string' || source === 'binary' || decimalParams(source)) return source;
      return bad();
    case 'year':
    case 'month':
      if (!TEMPORAL.has(source)) bad();
      return 'int';
    case 'day':
      if (!TEMPORAL.has(source)) bad();
      return 'date';
    case 'hour':
      if (source === 'date' || !TEMPORAL.has(source)) bad();
      return 'int';
    default: {
      const never: never = t;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}

/** Whether the transform keeps order, so bounds on the source project onto the result. */
export function preservesOrder(t: Transform): boolean {
  return t.kind !== 'bucket' && t.kind !== 'void';
}

// ---------------------------------------------------------------------------------------------
// Murmur3 (x86, 32-bit, seed 0) as the spec requires for bucket hashes (appendix B).

export function murmur3_32(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed | 0;
  const len = data.length;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2] << 16;
    if (tail >= 2) k ^= data[blocks + 1] << 8;
    k ^= data[blocks];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

function longBytes(v: bigint): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, v));
  return new Uint8Array(b);
}

/** The spec's 32-bit hash of a value (appendix B): ints, dates and times hash as longs. */
export function bucketHash(type: PrimitiveTypeName, value: unknown): number {
  if (decimalParams(type)) return murmur3_32(toBinary(type, value));
  if (type === 'binary' || fixedLength(type) !== null) return murmur3_32(value as Uint8Array);
  switch (type) {
    case 'int':
    case 'long':
    case 'date':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
      return murmur3_32(longBytes(BigInt(value as number | bigint)));
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return murmur3_32(longBytes(floorDiv(BigInt(value as bigint), 1000n)));
    case 'string':
    case 'uuid':
      return murmur3_32(toBinary(type, value));
    default:
      throw new UnsupportedError(`bucket of ${type} values is not defined`);
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q;
}

function floorMod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}

const US_PER_HOUR = 3_600_000_000n;
const US_PER_DAY = 86_400_000_000n;

/** Micros since epoch for a temporal source value (dates as midnight). */
function toMicros(type: PrimitiveTypeName, value: unknown): bigint {
  if (type === 'date') return BigInt(value as number) * US_PER_DAY;
  if (type === 'timestamp_ns' || type === 'timestamptz_ns') return floorDiv(value as bigint, 1000n);
  return BigInt(value as bigint);
}

function civil(days: number): { y: number; m: number } {
  const d = new Date(days * 86_400_000);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() };
}

/** Applies a transform to one source value (null stays null). */
export function applyTransform(t: Transform, type: PrimitiveTypeName, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (t.kind) {
    case 'identity':
      return value;
    case 'void':
      return null;
    case 'bucket':
      return (bucketHash(type, value) & 0x7fffffff) % t.n;
    case 'truncate': {
      if (type === 'int') {
        const v = value as number;
        return v - (((v % t.width) + t.width) % t.width);
      }
      if (type === 'long' || decimalParams(type)) {
        const v = BigInt(value as bigint);
        return v - floorMod(v, BigInt(t.width));
      }
      if (type === 'string') return Array.from(value as string).slice(0, t.width).join('');
      if (type === 'binary') return (value as Uint8Array).slice(0, t.width);
      throw new ValidationError(`truncate cannot be applied to ${type}`);
    }
    case 'year':
    case 'month': {
      const days = Number(floorDiv(toMicros(type, value), US_PER_DAY));
      const { y, m } = civil(days);
      return t.kind === 'year' ? y - 1970 : (y - 1970) * 12 + m;
    }
    case 'day':
      return Number(floorDiv(toMicros(type, value), US_PER_DAY));
    case 'hour':
      return Number(floorDiv(toMicros(type, value), US_PER_HOUR));
    default: {
      const never: never = t;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}

/**
 * The human-readable partition value used in paths (as Java's Transform.toHumanString):
 * year `2024`, month `2024-03`, day `2024-03-05`, hour `2024-03-05-17`.
 */
export function humanTransformValue(t: Transform, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  switch (t.kind) {
    case 'year':
      return String(1970 + (value as number));
    case 'month': {
      const v = value as number;
      const y = 1970 + Math.floor(v / 12);
      return `${y}-${String(((v % 12) + 12) % 12 + 1).padStart(2, '0')}`;
    }
    case 'day':
      return dateText(value as number);
    case 'hour': {
      const v = value as number;
      const days = Math.floor(v / 24);
      return `${dateText(days)}-${String(((v % 24) + 24) % 24).padStart(2, '0')}`;
    }
    default:
      return null;
  }
}
