import { randomBytes } from 'node:crypto';
import { isInteger, parse, stringify } from 'lossless-json';

/**
 * JSON with 64-bit integers kept exact: integers beyond 2^53 parse to `bigint` (snapshot ids are
 * random 63-bit numbers), every other number to `number`; `bigint` values serialise as plain
 * JSON numbers. A fast path over the built-in JSON handles table metadata of thousands of
 * snapshots; text it cannot prove safe goes through lossless-json.
 */
export function parseJson(text: string): unknown {
  const marker = `~big${randomBytes(4).toString("hex")}:`;
  // Long integers outside strings become marked strings; inside a string the inserted quotes
  // would break the JSON, so a wrong rewrite can only fail and fall back.
  const rewritten = text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, (_m, pre: string, digits: string) => `${pre}"${marker}${digits}"`);
  try {
    return JSON.parse(rewritten, (_k, v: unknown) => {
      if (typeof v === 'string' && v.startsWith(marker)) {
        const digits = v.slice(marker.length);
        const n = Number(digits);
        return Number.isSafeInteger(n) ? n : BigInt(digits);
      }
      return v;
    });
  } catch {
    return parse(text, null, (value: string) => {
      if (isInteger(value)) {
        const n = Number(value);
        return Number.isSafeInteger(n) ? n : BigInt(value);
      }
      return Number(value);
    });
  }
}

export function stringifyJson(value: unknown, indent?: number): string {
  const marker = `big${randomBytes(6).toString('hex')}:`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v}` : v), indent);
  } catch {
    text = stringify(value, null, indent);
  }
  if (text === undefined) throw new TypeError('value cannot be serialised as JSON');
  return text.replace(new RegExp(`"${marker}(-?\\d+)"`, 'g'), '$1');
}

/** A JSON number (number or bigint) as a bigint; throws on anything else. */
export function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`${what} must be an integer`);
}
