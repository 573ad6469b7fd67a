import { ValidationError } from '../errors.js';
import { fieldById, isPrimitive } from './schema.js';
import { humanTransformValue, parseTransform, transformResultType } from './transforms.js';
import type { NestedField, PartitionSpec, PrimitiveTypeName, Schema, StructType } from './types.js';
import { formatValue } from './values.js';

export const UNPARTITIONED_SPEC: PartitionSpec = { 'spec-id': 0, fields: [] };

/** Partition field ids start at 1000 (spec: "Partition Specs"). */
export const FIRST_PARTITION_FIELD_ID = 1000;

/** The source column of a partition field; it must be a primitive in the schema. */
export function partitionSource(schema: Schema, sourceId: number): NestedField & { type: PrimitiveTypeName } {
  const source = fieldById(schema, sourceId);
  if (!source) throw new ValidationError(`partition source column ${sourceId} is not in schema ${schema['schema-id']}`);
  if (!isPrimitive(source.type)) throw new ValidationError(`partition source column '${source.name}' is not a primitive column`);
  return source as NestedField & { type: PrimitiveTypeName };
}

/** The partition tuple's struct type (spec: manifest `partition`, field 102). */
export function partitionType(spec: PartitionSpec, schema: Schema): StructType {
  return {
    type: 'struct',
    fields: spec.fields.map((f) => {
      const source = fieldById(schema, f['source-id']);
      // A source dropped from the current schema keeps its result type only through old schemas;
      // callers hand in the schema the spec was written with, or accept `unknown` here.
      const type: PrimitiveTypeName =
        source && isPrimitive(source.type) ? transformResultType(parseTransform(f.transform), source.type) : 'unknown';
      return { id: f['field-id'], name: f.name, required: false, type };
    }),
  };
}

/** `name=value/…` as other engines lay out data directories (values URL-encoded). */
export function partitionPath(spec: PartitionSpec, schema: Schema, values: Record<string, unknown>): string {
  const type = partitionType(spec, schema);
  return spec.fields
    .map((f, i) => {
      const v = values[f.name];
      const t = parseTransform(f.transform);
      const text =
        v === null || v === undefined
          ? 'null'
          : (humanTransformValue(t, v) ?? formatValue(type.fields[i].type as PrimitiveTypeName, v));
      return `${encodeURIComponent(f.name)}=${encodeURIComponent(text)}`;
    })
    .join('/');
}

/** Whether two specs partition the same way (same fields, transforms and ids). */
export function sameSpec(a: PartitionSpec, b: PartitionSpec): boolean {
  return (
    a.fields.length === b.fields.length &&
    a.fields.every((f, i) => {
      const g = b.fields[i];
      return f['source-id'] === g['source-id'] && f.transform === g.transform && f.name === g.name && f['field-id'] === g['field-id'];
    })
  );
}
