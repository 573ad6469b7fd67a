import { ValidationError } from '../errors.js';
import { assignFreshIds, canPromote, indexById, isPrimitive, typeToString } from '../spec/schema.js';
import type { IcebergType, NestedField, Schema, StructType } from '../spec/types.js';

/**
 * Schema evolution as pure functions over a schema (spec: "Schema Evolution"): columns are
 * identified by field id, so renames, reorders and drops never touch data files, and a re-added
 * column gets a new id and never reads the old data.
 */

export interface NewColumn {
  /** Dotted path: `a` for a top-level column, `s.a` inside struct `s`. */
  path: string;
  type: IcebergType;
  required: boolean;
  doc?: string;
  /** JSON single-value default: read for existing rows and written when a value is omitted. */
  defaultValue?: unknown;
  first?: boolean;
  after?: string;
}

export interface SchemaChange {
  schema: Schema;
  lastColumnId: number;
}

type Fields = NestedField[];

/**
 * The fields list holding `path`'s last part, and that part. Structs inside lists and map values
 * are reached as Spark names them (`points.element.x`, `attrs.value.y`; the `element` / `value`
 * step may be left out). Map keys cannot evolve (spec: keys must stay comparable).
 */
function locate(root: StructType, path: string, caseSensitive = false): { fields: Fields; name: string; index: number; field?: NestedField } {
  const parts = path.split('.');
  let fields = root.fields;
  let i = 0;
  while (i < parts.length - 1) {
    const part = parts[i]!;
    const f = fields.find((x) => same(x.name, part, caseSensitive));
    if (!f) throw new ValidationError(`column '${part}' does not exist (in '${path}')`);
    i++;
    let t: IcebergType = f.type;
    while (!isPrimitive(t) && t.type !== 'struct') {
      const step = parts[i]?.toLowerCase();
      const more = i < parts.length - 1;
      if (t.type === 'list') {
        if (step === 'element' && more) i++;
        t = t.element;
      } else {
        if (step === 'key' && more) throw new ValidationError(`cannot change '${path}': map keys cannot evolve`);
        if (step === 'value' && more) i++;
        t = t.value;
      }
    }
    if (isPrimitive(t)) throw new ValidationError(`column '${part}' holds no struct, so '${path}' cannot be inside it`);
    fields = t.fields;
  }
  const name = parts[parts.length - 1]!;
  const index = fields.findIndex((x) => same(x.name, name, caseSensitive));
  return { fields, name, index, ...(index >= 0 ? { field: fields[index] } : {}) };
}

function same(a: string, b: string, caseSensitive: boolean): boolean {
  return caseSensitive ? a === b : a.toLowerCase() === b.toLowerCase();
}

function clone(schema: Schema): Schema {
  return JSON.parse(JSON.stringify(schema)) as Schema;
}

function place(fields: Fields, field: NestedField, first?: boolean, after?: string): void {
  if (first) fields.unshift(field);
  else if (after !== undefined) {
    const name = after.split('.').pop()!;
    const i = fields.findIndex((f) => same(f.name, name, false));
    if (i < 0) throw new ValidationError(`cannot place a column after '${after}': no such column at that level`);
    fields.splice(i + 1, 0, field);
  } else fields.push(field);
}

export function addColumns(base: Schema, lastColumnId: number, columns: NewColumn[]): SchemaChange {
  const schema = clone(base);
  let last = lastColumnId;
  const next = (): number => ++last;
  for (const c of columns) {
    const at = locate(schema, c.path);
    if (at.field) throw new ValidationError(`column '${c.path}' already exists`);
    if (c.required && c.defaultValue === undefined) {
      throw new ValidationError(`cannot add required column '${c.path}' without a DEFAULT: existing rows have no value for it`);
    }
    const field: NestedField = { id: next(), name: at.name, required: c.required, type: assignFreshIds(c.type, next) };
    if (c.doc !== undefined) field.doc = c.doc;
    if (c.defaultValue !== undefined) {
      field['initial-default'] = c.defaultValue;
      field['write-default'] = c.defaultValue;
    }
    place(at.fields, field, c.first, c.after);
  }
  return { schema, lastColumnId: last };
}

export function dropColumn(base: Schema, path: string, protectedIds: Map<number, string>): Schema {
  const schema = clone(base);
  const at = locate(schema, path);
  if (!at.field) throw new ValidationError(`column '${path}' does not exist`);
  const ids = [at.field.id, ...indexById({ type: 'struct', fields: [at.field] }).keys()];
  for (const id of ids) {
    const why = protectedIds.get(id);
    if (why) throw new ValidationError(`cannot drop column '${path}': ${why}`);
  }
  if ((schema['identifier-field-ids'] ?? []).some((id) => ids.includes(id))) {
    throw new ValidationError(`cannot drop column '${path}': it is an identifier field`);
  }
  at.fields.splice(at.index, 1);
  if (schema.fields.length === 0) throw new ValidationError('cannot drop the last column of a table');
  return schema;
}

export function renameColumn(base: Schema, path: string, newName: string): Schema {
  const schema = clone(base);
  const at = locate(schema, path);
  if (!at.field) throw new ValidationError(`column '${path}' does not exist`);
  if (newName.length === 0 || newName.includes('.')) throw new ValidationError(`invalid column name '${newName}'`);
  if (at.fields.some((f, i) => i !== at.index && same(f.name, newName, false))) throw new ValidationError(`column '${newName}' already exists`);
  at.field.name = newName;
  return schema;
}

export interface ColumnUpdate {
  newType?: IcebergType;
  /** true: make required (refused: old rows may hold nulls); false: make optional. */
  required?: boolean;
  doc?: string;
  first?: boolean;
  after?: string;
  /** The table's format version, which decides the allowed promotions (default 2). */
  formatVersion?: number;
}

export function updateColumn(base: Schema, path: string, u: ColumnUpdate): Schema {
  const schema = clone(base);
  const at = locate(schema, path);
  if (!at.field) throw new ValidationError(`column '${path}' does not exist`);
  const f = at.field;
  if (u.newType !== undefined) {
    if (!canPromote(f.type, u.newType, u.formatVersion ?? 2)) {
      throw new ValidationError(
        `cannot change column '${path}' from ${typeToString(f.type)} to ${typeToString(u.newType)}: Iceberg allows int→long, float→double, wider decimal precision (and date→timestamp from format v3)`,
      );
    }
    f.type = u.newType;
  }
  if (u.required === true && !f.required) {
    throw new ValidationError(`cannot make column '${path}' NOT NULL: existing rows may hold nulls (the spec only allows required → optional)`);
  }
  if (u.required === false) f.required = false;
  if (u.doc !== undefined) f.doc = u.doc;
  if (u.first || u.after !== undefined) {
    at.fields.splice(at.index, 1);
    place(at.fields, f, u.first, u.after);
  }
  return schema;
}

export function setIdentifierFields(base: Schema, paths: string[]): Schema {
  const schema = clone(base);
  const ids = paths.map((p) => {
    const at = locate(schema, p);
    if (!at.field) throw new ValidationError(`column '${p}' does not exist`);
    if (!isPrimitive(at.field.type)) throw new ValidationError(`identifier field '${p}' must be a primitive column`);
    if (!at.field.required) throw new ValidationError(`identifier field '${p}' must be NOT NULL`);
    if (at.field.type === 'float' || at.field.type === 'double') throw new ValidationError(`identifier field '${p}' cannot be floating point`);
    return at.field.id;
  });
  schema['identifier-field-ids'] = ids;
  return schema;
}
