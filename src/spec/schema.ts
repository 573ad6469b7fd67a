import { CorruptMetadataError } from '../errors.js';
import type { IcebergType, ListType, MapType, NestedField, PrimitiveTypeName, Schema, StructType } from './types.js';

const SIMPLE_PRIMITIVES = new Set<string>([
  'boolean', 'int', 'long', 'float', 'double', 'date', 'time', 'timestamp', 'timestamptz',
  'timestamp_ns', 'timestamptz_ns', 'string', 'uuid', 'binary', 'unknown',
]);
const DECIMAL = /^decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)$/;
const FIXED = /^fixed\[\s*(\d+)\s*\]$/;

export function isPrimitive(t: IcebergType): t is PrimitiveTypeName {
  return typeof t === 'string';
}

/** Precision and scale of a `decimal(P, S)` type, or null for any other type. */
export function decimalParams(t: IcebergType): { precision: number; scale: number } | null {
  if (typeof t !== 'string') return null;
  const m = DECIMAL.exec(t);
  return m ? { precision: Number(m[1]), scale: Number(m[2]) } : null;
}

/** Length of a `fixed[L]` type, or null for any other type. */
export function fixedLength(t: IcebergType): number | null {
  if (typeof t !== 'string') return null;
  const m = FIXED.exec(t);
  return m ? Number(m[1]) : null;
}

/** Parses and validates a type from its JSON form (spec: appendix C, "Schemas"). */
export function parseType(json: unknown, where = 'type'): IcebergType {
  if (typeof json === 'string') {
    const t = json.trim().toLowerCase();
    if (SIMPLE_PRIMITIVES.has(t)) return t as PrimitiveTypeName;
    const dec = DECIMAL.exec(t);
    if (dec) {
      const p = Number(dec[1]);
      const s = Number(dec[2]);
      if (p < 1 || p > 38 || s > p) throw new CorruptMetadataError(`${where}: invalid decimal precision/scale in '${json}'`);
      return `decimal(${p}, ${s})`;
    }
    const fixed = FIXED.exec(t);
    if (fixed) return `fixed[${Number(fixed[1])}]`;
    throw new CorruptMetadataError(`${where}: unknown type '${json}'`);
  }
  if (!isObject(json)) throw new CorruptMetadataError(`${where}: expected a type, found ${describe(json)}`);
  switch (json.type) {
    case 'struct':
      return { type: 'struct', fields: parseFields(json.fields, where) };
    case 'list':
      return {
        type: 'list',
        'element-id': int(json['element-id'], `${where}.element-id`),
        element: parseType(json.element, `${where}.element`),
        'element-required': Boolean(json['element-required']),
      };
    case 'map':
      return {
        type: 'map',
        'key-id': int(json['key-id'], `${where}.key-id`),
        key: parseType(json.key, `${where}.key`),
        'value-id': int(json['value-id'], `${where}.value-id`),
        value: parseType(json.value, `${where}.value`),
        'value-required': Boolean(json['value-required']),
      };
    default:
      throw new CorruptMetadataError(`${where}: unknown type ${describe(json.type)}`);
  }
}

function parseFields(json: unknown, where: string): NestedField[] {
  if (!Array.isArray(json)) throw new CorruptMetadataError(`${where}.fields must be a list`);
  return json.map((f, i) => {
    if (!isObject(f)) throw new CorruptMetadataError(`${where}.fields[${i}] must be an object`);
    if (typeof f.name !== 'string') throw new CorruptMetadataError(`${where}.fields[${i}].name must be a string`);
    const field: NestedField = {
      id: int(f.id, `${where}.fields[${i}].id`),
      name: f.name,
      required: Boolean(f.required),
      type: parseType(f.type, `field '${f.name}'`),
    };
    if (typeof f.doc === 'string') field.doc = f.doc;
    if ('initial-default' in f) field['initial-default'] = f['initial-default'];
    if ('write-default' in f) field['write-default'] = f['write-default'];
    return field;
  });
}

/** Parses a schema from its JSON form; v1 schemas without `schema-id` get id 0. */
export function parseSchema(json: unknown): Schema {
  if (!isObject(json)) throw new CorruptMetadataError(`schema must be an object, found ${describe(json)}`);
  const struct = parseType({ ...json, type: 'struct' }, 'schema') as StructType;
  const schema: Schema = {
    type: 'struct',
    'schema-id': json['schema-id'] === undefined ? 0 : int(json['schema-id'], 'schema-id'),
    fields: struct.fields,
  };
  const ids = json['identifier-field-ids'];
  if (Array.isArray(ids)) schema['identifier-field-ids'] = ids.map((x, i) => int(x, `identifier-field-ids[${i}]`));
  const seen = new Set<number>();
  for (const id of allFieldIds(schema)) {
    if (seen.has(id)) throw new CorruptMetadataError(`schema ${schema['schema-id']}: field id ${id} is used twice`);
    seen.add(id);
  }
  return schema;
}

/** Every field id in a type, depth first (struct fields, list elements, map keys and values). */
/** A primitive leaf of a schema with its full dotted name (list elements `a.element`, maps `m.key`/`m.value`). */
export interface PrimitiveLeaf {
  id: number;
  name: string;
  type: PrimitiveTypeName;
}

/** Every primitive leaf of `schema`, depth first in field order. */
export function primitiveLeaves(schema: StructType): PrimitiveLeaf[] {
  const out: PrimitiveLeaf[] = [];
  const walk = (id: number, name: string, t: IcebergType): void => {
    if (isPrimitive(t)) {
      out.push({ id, name, type: t });
      return;
    }
    switch (t.type) {
      case 'struct':
        for (const f of t.fields) walk(f.id, name === '' ? f.name : `${name}.${f.name}`, f.type);
        return;
      case 'list':
        walk(t['element-id'], `${name}.element`, t.element);
        return;
      case 'map':
        walk(t['key-id'], `${name}.key`, t.key);
        walk(t['value-id'], `${name}.value`, t.value);
        return;
      default: {
        const never: never = t;
        throw new Error(`unknown type ${String(never)}`);
      }
    }
  };
  for (const f of schema.fields) walk(f.id, f.name, f.type);
  return out;
}

export function allFieldIds(t: IcebergType): number[] {
  const out: number[] = [];
  visit(t, (id) => out.push(id));
  return out;
}

function visit(t: IcebergType, onId: (id: number, type: IcebergType) => void): void {
  if (isPrimitive(t)) return;
  switch (t.type) {
    case 'struct':
      for (const f of t.fields) {
        onId(f.id, f.type);
        visit(f.type, onId);
      }
      return;
    case 'list':
      onId(t['element-id'], t.element);
      visit(t.element, onId);
      return;
    case 'map':
      onId(t['key-id'], t.key);
      visit(t.key, onId);
      onId(t['value-id'], t.value);
      visit(t.value, onId);
      return;
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/** Every named field (struct members at any depth) by id. */
export function indexById(t: StructType): Map<number, NestedField> {
  const out = new Map<number, NestedField>();
  const walk = (type: IcebergType): void => {
    if (isPrimitive(type)) return;
    if (type.type === 'struct') {
      for (const f of type.fields) {
        out.set(f.id, f);
        walk(f.type);
      }
    } else if (type.type === 'list') walk(type.element);
    else {
      walk(type.key);
      walk(type.value);
    }
  };
  walk(t);
  return out;
}

/** Every named field by its full dotted name (`a.b.c`). */
export function indexByName(t: StructType): Map<string, NestedField> {
  const out = new Map<string, NestedField>();
  const walk = (type: IcebergType, prefix: string): void => {
    if (isPrimitive(type)) return;
    if (type.type === 'struct') {
      for (const f of type.fields) {
        const name = prefix + f.name;
        out.set(name, f);
        walk(f.type, `${name}.`);
      }
    } else if (type.type === 'list') walk(type.element, `${prefix}element.`);
    else {
      walk(type.key, `${prefix}key.`);
      walk(type.value, `${prefix}value.`);
    }
  };
  walk(t, '');
  return out;
}

export function fieldById(t: StructType, id: number): NestedField | undefined {
  return indexById(t).get(id);
}

/** A field by name; a dotted name reaches into nested structs. */
export function findField(t: StructType, name: string, caseSensitive = true): NestedField | undefined {
  const index = indexByName(t);
  const exact = index.get(name);
  if (exact || caseSensitive) return exact;
  const lower = name.toLowerCase();
  for (const [n, f] of index) if (n.toLowerCase() === lower) return f;
  return undefined;
}

/** The highest field id used anywhere in a type (0 for none). */
export function maxFieldId(t: IcebergType): number {
  return allFieldIds(t).reduce((a, b) => Math.max(a, b), 0);
}

/** The type as readable text, e.g. `struct<a: int, b: list<string>>`. */
export function typeToString(t: IcebergType): string {
  if (isPrimitive(t)) return t;
  switch (t.type) {
    case 'struct':
      return `struct<${t.fields.map((f) => `${f.name}: ${typeToString(f.type)}${f.required ? ' not null' : ''}`).join(', ')}>`;
    case 'list':
      return `list<${typeToString(t.element)}>`;
    case 'map':
      return `map<${typeToString(t.key)}, ${typeToString(t.value)}>`;
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/**
 * Type promotions the spec allows without rewriting data (spec: "Schema Evolution"): int→long,
 * float→double, decimal(P,S)→decimal(P',S) with P'≥P; date→timestamp[_ns] only from format v3
 * (a v2 reader would meet INT32 dates in a timestamp column).
 */
export function canPromote(from: IcebergType, to: IcebergType, formatVersion = 2): boolean {
  if (!isPrimitive(from) || !isPrimitive(to)) return false;
  if (from === to) return true;
  if (from === 'int' && to === 'long') return true;
  if (from === 'float' && to === 'double') return true;
  if (from === 'date' && (to === 'timestamp' || to === 'timestamp_ns')) return formatVersion >= 3;
  const a = decimalParams(from);
  const b = decimalParams(to);
  return a !== null && b !== null && a.scale === b.scale && b.precision >= a.precision;
}

/** Gives every field (and list element / map key and value) a new id from `next()`. */
export function assignFreshIds<T extends IcebergType>(t: T, next: () => number): T {
  return freshIds(t, next) as T;
}

function freshIds(t: IcebergType, next: () => number): IcebergType {
  if (isPrimitive(t)) return t;
  switch (t.type) {
    case 'struct': {
      const ids = t.fields.map(() => next());
      return { ...t, fields: t.fields.map((f, i) => ({ ...f, id: ids[i], type: freshIds(f.type, next) })) };
    }
    case 'list': {
      const id = next();
      return { ...t, 'element-id': id, element: freshIds(t.element, next) };
    }
    case 'map': {
      const k = next();
      const v = next();
      return { ...t, 'key-id': k, 'value-id': v, key: freshIds(t.key, next), value: freshIds(t.value, next) };
    }
    default:
      return t;
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'an object' : String(v);
}

export function int(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  throw new CorruptMetadataError(`${where} must be an integer, found ${describe(v)}`);
}

export type { ListType, MapType };
