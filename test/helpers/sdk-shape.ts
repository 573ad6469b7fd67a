/**
 * Checks a request object against the AWS SDK's own static schema for it (the `…$` schema
 * exports of `@aws-sdk/client-*`, e.g. `StartQueryExecutionInput$`): every key must be a member
 * of the shape, required members present, and values of the member's type, recursively. Schemas
 * are smithy's static form: a struct is `[3, namespace, name, traits, memberNames, memberSchemas,
 * requiredCount?]`, a named list `[1, …, member]`, a named map `[2, …, key, value]`; simple types are
 * numbers (0 string, 1 number, 2 boolean, 4–7 timestamp, 15 document, 21 blob; `64 |` list of,
 * `128 |` map of); a member with traits is `[schema, traits]`; lazy members are thunks.
 */
type StaticSchema = number | (() => StaticSchema) | readonly unknown[];

export function shapeErrors(value: unknown, schema: unknown, path = 'input'): string[] {
  let s = schema as StaticSchema;
  while (typeof s === 'function') s = s();
  if (Array.isArray(s) && s.length === 2 && typeof s[0] !== 'string') return shapeErrors(value, s[0], path);
  if (typeof s === 'number') return simpleErrors(value, s, path);
  if (!Array.isArray(s)) return [`${path}: unknown schema`];
  const kind = s[0] as number;
  if (kind === 3 || kind === -3) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path}: expected a ${String(s[2])} object`];
    const names = s[4] as string[];
    const members = s[5] as unknown[];
    const required = typeof s[6] === 'number' ? s[6] : 0;
    const errors: string[] = [];
    for (const k of Object.keys(value)) {
      if (!names.includes(k)) errors.push(`${path}.${k}: not a member of ${String(s[2])} (members: ${names.join(', ')})`);
    }
    names.forEach((n, i) => {
      const v = (value as Record<string, unknown>)[n];
      if (v === undefined) {
        if (i < required) errors.push(`${path}.${n}: required by ${String(s[2])}`);
        return;
      }
      errors.push(...shapeErrors(v, members[i], `${path}.${n}`));
    });
    return errors;
  }
  if (kind === 1) return Array.isArray(value) ? value.flatMap((v, i) => shapeErrors(v, s[4], `${path}[${i}]`)) : [`${path}: expected a list`];
  if (kind === 2) {
    if (typeof value !== 'object' || value === null) return [`${path}: expected a map`];
    return Object.entries(value).flatMap(([k, v]) => shapeErrors(v, s[5], `${path}.${k}`));
  }
  return [];
}

function simpleErrors(value: unknown, s: number, path: string): string[] {
  if (s & 64) return Array.isArray(value) ? value.flatMap((v, i) => simpleErrors(v, s & 63, `${path}[${i}]`)) : [`${path}: expected a list`];
  if (s & 128) {
    if (typeof value !== 'object' || value === null) return [`${path}: expected a map`];
    return Object.entries(value).flatMap(([k, v]) => simpleErrors(v, s & 127, `${path}.${k}`));
  }
  const ok = ((): boolean => {
    switch (s) {
      case 0:
        return typeof value === 'string';
      case 1:
        return typeof value === 'number';
      case 2:
        return typeof value === 'boolean';
      case 4:
      case 5:
      case 6:
      case 7:
        return value instanceof Date;
      case 21:
        return value instanceof Uint8Array;
      default:
        return true;
    }
  })();
  return ok ? [] : [`${path}: ${JSON.stringify(value)} does not have the SDK's type (schema ${s})`];
}
