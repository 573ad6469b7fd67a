import { isInteger, parse, stringify } from 'lossless-json';

/**
 * JSON with 64-bit integers kept exact: integers beyond 2^53 parse to `bigint` (snapshot ids are
 * random 63-bit numbers), every other number to `number`; `bigint` values serialise as plain
 * JSON numbers.
 */
export function parseJson(text: string): unknown {
  return parse(text, null, (value: string) => {
    if (isInteger(value)) {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : BigInt(value);
    }
    return Number(value);
  });
}

export function stringifyJson(value: unknown, indent?: number): string {
  const text = stringify(value, null, indent);
  if (text === undefined) throw new TypeError('value cannot be serialised as JSON');
  return text;
}

/** A JSON number (number or bigint) as a bigint; throws on anything else. */
export function toBigInt(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new TypeError(`${what} must be an integer`);
}
