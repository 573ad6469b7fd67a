import { ValidationError } from '../errors.js';
import { decimalParams, fixedLength } from './schema.js';
import type { PrimitiveTypeName } from './types.js';

/**
 * Values of primitive types, in one in-memory representation used everywhere in floe:
 * boolean → boolean; int, date (days since epoch), float, double → number;
 * long, time/timestamp/timestamptz (µs), *_ns (ns) → bigint; decimal → unscaled bigint;
 * string, uuid (canonical text) → string; fixed, binary → Uint8Array.
 */
export type Value = boolean | number | bigint | string | Uint8Array;

const US_PER_DAY = 86_400_000_000n;

// ---------------------------------------------------------------------------------------------
// Binary single-value serialisation (spec: appendix D)

export function toBinary(type: PrimitiveTypeName, value: unknown): Uint8Array {
  const dec = decimalParams(type);
  if (dec) return decimalBytes(asBigInt(value, type));
  if (type === 'binary' || fixedLength(type) !== null) return asBytes(value, type);
  switch (type) {
    case 'boolean':
      return Uint8Array.of(value ? 1 : 0);
    case 'int':
    case 'date': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(value));
      return new Uint8Array(b);
    }
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(asBigInt(value, type));
      return new Uint8Array(b);
    }
    case 'float': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(Number(value));
      return new Uint8Array(b);
    }
    case 'double': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(value));
      return new Uint8Array(b);
    }
    case 'string':
      return new Uint8Array(Buffer.from(String(value), 'utf8'));
    case 'uuid':
      return uuidBytes(String(value));
    default:
      throw new ValidationError(`type ${type} has no binary single-value form`);
  }
}

/** Reads the binary form; narrower widths written before a type promotion are accepted. */
export function fromBinary(type: PrimitiveTypeName, bytes: Uint8Array): Value {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dec = decimalParams(type);
  if (dec) return decimalFromBytes(bytes);
  if (type === 'binary' || fixedLength(type) !== null) return Uint8Array.from(bytes);
  switch (type) {
    case 'boolean':
      return b.length > 0 && b[0] !== 0;
    case 'int':
    case 'date':
      return b.readInt32LE(0);
    case 'long':
    case 'time':
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      if (b.length === 4) return BigInt(b.readInt32LE(0)) * (type === 'long' ? 1n : US_PER_DAY);
      return b.readBigInt64LE(0);
    case 'float':
      return b.readFloatLE(0);
    case 'double':
      return b.length === 4 ? b.readFloatLE(0) : b.readDoubleLE(0);
    case 'string':
      return b.toString('utf8');
    case 'uuid':
      return uuidText(bytes);
    default:
      throw new ValidationError(`type ${type} has no binary single-value form`);
  }
}

function decimalBytes(unscaled: bigint): Uint8Array {
  // Minimal two's-complement big-endian bytes.
  const out: number[] = [];
  let v = unscaled;
  for (;;) {
    out.unshift(Number(v & 0xffn));
    const sign = (out[0] & 0x80) !== 0;
    v >>= 8n;
    if ((v === 0n && !sign) || (v === -1n && sign)) break;
  }
  return Uint8Array.from(out);
}

/** Two's-complement big-endian bytes → bigint (decimal unscaled values). */
export function decimalFromBytes(bytes: Uint8Array): bigint {
  if (bytes.length === 0) return 0n;
  let v = 0n;
  for (const byte of bytes) v = (v << 8n) | BigInt(byte);
  if (bytes[0] & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v;
}

function uuidBytes(text: string): Uint8Array {
  const hex = text.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new ValidationError(`'${text}' is not a UUID`);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** 16 bytes → canonical UUID text. */
export function uuidText(bytes: Uint8Array): string {
  const h = Buffer.from(bytes).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

// ---------------------------------------------------------------------------------------------
// Ordering

/** Orders two values of one type (strings and binaries by unsigned bytes, as the spec's bounds). */
export function compareValues(type: PrimitiveTypeName, a: unknown, b: unknown): number {
  if (type === 'string') return Buffer.compare(Buffer.from(String(a), 'utf8'), Buffer.from(String(b), 'utf8'));
  if (type === 'uuid') return Buffer.compare(Buffer.from(uuidBytes(String(a))), Buffer.from(uuidBytes(String(b))));
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = asBigInt(a, type);
    const y = asBigInt(b, type);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : 1) : -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// JSON single-value serialisation (spec: appendix D, "JSON single-value serialization")

export function toJsonValue(type: PrimitiveTypeName, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const dec = decimalParams(type);
  if (dec) return decimalText(asBigInt(value, type), dec.scale);
  if (type === 'binary' || fixedLength(type) !== null) return Buffer.from(asBytes(value, type)).toString('hex').toUpperCase();
  switch (type) {
    case 'long':
      return asBigInt(value, type);
    case 'date':
      return dateText(Number(value));
    case 'time':
      return timeText(asBigInt(value, type), 6);
    case 'timestamp':
      return timestampText(asBigInt(value, type), 6).replace(' ', 'T');
    case 'timestamptz':
      return `${timestampText(asBigInt(value, type), 6).replace(' ', 'T')}+00:00`;
    case 'timestamp_ns':
      return timestampText(asBigInt(value, type), 9).replace(' ', 'T');
    case 'timestamptz_ns':
      return `${timestampText(asBigInt(value, type), 9).replace(' ', 'T')}+00:00`;
    default:
      return value;
  }
}

export function fromJsonValue(type: PrimitiveTypeName, json: unknown): Value | null {
  if (json === null || json === undefined) return null;
  const dec = decimalParams(type);
  if (dec) return parseDecimal(String(json), dec.scale);
  if (type === 'binary' || fixedLength(type) !== null) return Uint8Array.from(Buffer.from(String(json), 'hex'));
  return coerceValue(type, json);
}

// ---------------------------------------------------------------------------------------------
// Loose input → value

/** Converts user input (numbers, numeric strings, ISO dates, Date objects, bigint) to a value. */
export function coerceValue(type: PrimitiveTypeName, input: unknown): Value | null {
  if (input === null || input === undefined) return null;
  const fail = (): never => {
    throw new ValidationError(`cannot convert ${typeof input === 'string' ? `'${input}'` : String(input)} to ${type}`);
  };
  const dec = decimalParams(type);
  if (dec) {
    if (typeof input === 'bigint') return input * 10n ** BigInt(dec.scale);
    if (typeof input === 'number' || typeof input === 'string') return parseDecimal(String(input), dec.scale) ?? fail();
    return fail();
  }
  if (type === 'binary' || fixedLength(type) !== null) {
    if (input instanceof Uint8Array) return input;
    if (typeof input === 'string') return new Uint8Array(Buffer.from(input, 'utf8'));
    return fail();
  }
  switch (type) {
    case 'boolean':
      if (typeof input === 'boolean') return input;
      if (input === 'true' || input === 'false') return input === 'true';
      return fail();
    case 'int': {
      const n = Number(input);
      if (!Number.isInteger(n) || n < -2147483648 || n > 2147483647) return fail();
      return n;
    }
    case 'long':
      try {
        if (typeof input === 'number' && !Number.isInteger(input)) return fail();
        return BigInt(input as string | number | bigint);
      } catch {
        return fail();
      }
    case 'float':
    case 'double': {
      if (typeof input === 'bigint') return Number(input);
      const n = typeof input === 'number' ? input : Number(input);
      if (Number.isNaN(n) && !/^nan$/i.test(String(input))) return fail();
      return n;
    }
    case 'date':
      if (typeof input === 'number') return input;
      if (input instanceof Date) return Math.floor(input.getTime() / 86_400_000);
      return parseDate(String(input)) ?? fail();
    case 'time':
      if (typeof input === 'bigint') return input;
      return parseTime(String(input)) ?? fail();
    case 'timestamp':
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns': {
      const ns = type.endsWith('_ns');
      if (typeof input === 'bigint') return input;
      if (typeof input === 'number') return BigInt(Math.trunc(input));
      if (input instanceof Date) return BigInt(input.getTime()) * (ns ? 1_000_000n : 1000n);
      const us = parseTimestamp(String(input), type === 'timestamptz' || type === 'timestamptz_ns');
      if (us === null) return fail();
      return ns ? us * 1000n : us;
    }
    case 'string':
      return typeof input === 'string' ? input : String(input);
    case 'uuid': {
      const s = String(input).toLowerCase();
      if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/.test(s)) return fail();
      return uuidText(uuidBytes(s));
    }
    default:
      return fail();
  }
}

// ---------------------------------------------------------------------------------------------
// Text forms (readable, and castable by DuckDB)

/** The value as text: what people read and what `CAST('…' AS type)` accepts in DuckDB. */
export function formatValue(type: PrimitiveTypeName, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const dec = decimalParams(type);
  if (dec) return decimalText(asBigInt(value, type), dec.scale);
  if (type === 'binary' || fixedLength(type) !== null) return Buffer.from(asBytes(value, type)).toString('hex');
  switch (type) {
    case 'date':
      return dateText(Number(value));
    case 'time':
      return timeText(asBigInt(value, type), 6);
    case 'timestamp':
      return timestampText(asBigInt(value, type), 6);
    case 'timestamptz':
      return `${timestampText(asBigInt(value, type), 6)}+00`;
    case 'timestamp_ns':
      return timestampText(asBigInt(value, type), 9);
    case 'timestamptz_ns':
      return `${timestampText(asBigInt(value, type), 9)}+00`;
    case 'float':
    case 'double': {
      const n = Number(value);
      return Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n);
    }
    default:
      return String(value);
  }
}

export function decimalText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return neg ? `-${text}` : text;
}

/** Unscaled value of a decimal literal at `scale`, or null when it is not a number or loses digits. */
export function parseDecimal(text: string, scale: number): bigint | null {
  const m = /^\s*([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\s*$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  let digits = (m[2] || '0') + (m[3] ?? '');
  let exp = (m[4] ? Number(m[4]) : 0) - (m[3] ?? '').length + scale;
  if (exp >= 0) digits += '0'.repeat(exp);
  else {
    const dropped = digits.slice(digits.length + exp);
    if (/[1-9]/.test(dropped)) return null;
    digits = digits.slice(0, digits.length + exp) || '0';
    exp = 0;
  }
  const v = BigInt(digits);
  return m[1] === '-' ? -v : v;
}

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, '0');
}

export function dateText(days: number): string {
  const d = new Date(days * 86_400_000);
  const y = d.getUTCFullYear();
  const year = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  return `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

function timeText(units: bigint, digits: 6 | 9): string {
  const perSec = digits === 6 ? 1_000_000n : 1_000_000_000n;
  const secs = units / perSec;
  const frac = units % perSec;
  const h = secs / 3600n;
  const m = (secs / 60n) % 60n;
  const s = secs % 60n;
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(frac, digits)}`;
}

function timestampText(units: bigint, digits: 6 | 9): string {
  const perDay = digits === 6 ? US_PER_DAY : US_PER_DAY * 1000n;
  let days = units / perDay;
  let rest = units % perDay;
  if (rest < 0n) {
    rest += perDay;
    days -= 1n;
  }
  return `${dateText(Number(days))} ${timeText(rest, digits)}`;
}

function parseDate(text: string): number | null {
  const m = /^\s*(-?\d{4,})-(\d{2})-(\d{2})\s*$/.exec(text);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(ms);
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return null;
  return Math.round(ms / 86_400_000);
}

function parseTime(text: string): bigint | null {
  const m = /^\s*(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?\s*$/.exec(text);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const s = Number(m[3] ?? 0);
  if (h > 23 || min > 59 || s > 59) return null;
  const frac = BigInt((m[4] ?? '').padEnd(6, '0').slice(0, 6));
  return (BigInt(h * 3600 + min * 60 + s) * 1_000_000n) + frac;
}

/** ISO-like timestamp text to µs since epoch; zone offsets (or `Z`) are honoured. */
function parseTimestamp(text: string, withZone: boolean): bigint | null {
  const m = /^\s*(-?\d{4,}-\d{2}-\d{2})(?:[T ](\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*$/i.exec(text);
  if (!m) return null;
  const days = parseDate(m[1]);
  const time = m[2] ? parseTime(m[2]) : 0n;
  if (days === null || time === null) return null;
  let us = BigInt(days) * US_PER_DAY + time;
  const zone = m[3];
  if (zone && zone.toUpperCase() !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
    if (!z) return null;
    const offset = BigInt(Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60) * 1_000_000n;
    us = z[1] === '+' ? us - offset : us + offset;
  } else if (zone && !withZone) {
    // A UTC marker on a zone-less timestamp is accepted as is.
  }
  return us;
}

function asBigInt(value: unknown, type: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new ValidationError(`expected an integer value for ${type}, found ${String(value)}`);
}

function asBytes(value: unknown, type: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new ValidationError(`expected bytes for ${type}`);
}
