import type { IcebergType, NestedField, PrimitiveTypeName, StructType } from '../spec/types.js';
import { decimalParams, fixedLength, isPrimitive } from '../spec/schema.js';
import { formatValue } from '../spec/values.js';
import { quoteIdent, quoteString } from './duckdb.js';

/** Iceberg type → DuckDB type (spec: Parquet type mapping; DuckDB's own type names). */
export function duckdbType(t: IcebergType): string {
  if (isPrimitive(t)) return duckdbPrimitive(t);
  switch (t.type) {
    case 'struct':
      return `STRUCT(${t.fields.map((f) => `${quoteIdent(f.name)} ${duckdbType(f.type)}`).join(', ')})`;
    case 'list':
      return `${duckdbType(t.element)}[]`;
    case 'map':
      return `MAP(${duckdbType(t.key)}, ${duckdbType(t.value)})`;
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

function duckdbPrimitive(t: PrimitiveTypeName): string {
  const dec = decimalParams(t);
  if (dec) return `DECIMAL(${dec.precision}, ${dec.scale})`;
  if (fixedLength(t) !== null) return 'BLOB';
  switch (t) {
    case 'boolean':
      return 'BOOLEAN';
    case 'int':
      return 'INTEGER';
    case 'long':
      return 'BIGINT';
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'date':
      return 'DATE';
    case 'time':
      return 'TIME';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamptz':
      return 'TIMESTAMPTZ';
    case 'timestamp_ns':
      return 'TIMESTAMP_NS';
    case 'timestamptz_ns':
      return 'TIMESTAMPTZ';
    case 'string':
      return 'VARCHAR';
    case 'uuid':
      return 'UUID';
    case 'binary':
      return 'BLOB';
    case 'unknown':
      return 'VARCHAR';
    default:
      return 'VARCHAR';
  }
}

/** A SQL literal of an Iceberg value (floe representation), typed for DuckDB. */
export function sqlLiteral(t: IcebergType, value: unknown): string {
  if (value === null || value === undefined) return `CAST(NULL AS ${duckdbType(t)})`;
  if (!isPrimitive(t)) return `CAST(NULL AS ${duckdbType(t)})`;
  if (t === 'binary' || fixedLength(t) !== null) {
    const bytes = value as Uint8Array;
    return `unhex(${quoteString(Buffer.from(bytes).toString('hex'))})`;
  }
  return `CAST(${quoteString(formatValue(t, value))} AS ${duckdbPrimitive(t)})`;
}

/**
 * The FIELD_IDS option of DuckDB's Parquet writer for a struct's fields: nested structs, list
 * elements and map keys/values carry their ids through `__duckdb_field_id`.
 */
export function fieldIdsOption(struct: StructType): string {
  return `{${struct.fields.map((f) => `${quoteIdent(f.name)}: ${fieldIdSpec(f)}`).join(', ')}}`;
}

function fieldIdSpec(f: NestedField): string {
  return typeIdSpec(f.id, f.type);
}

function typeIdSpec(id: number, t: IcebergType): string {
  if (isPrimitive(t)) return String(id);
  switch (t.type) {
    case 'struct':
      return `{__duckdb_field_id: ${id}, ${t.fields.map((f) => `${quoteIdent(f.name)}: ${fieldIdSpec(f)}`).join(', ')}}`;
    case 'list':
      return `{__duckdb_field_id: ${id}, element: ${typeIdSpec(t['element-id'], t.element)}}`;
    case 'map':
      return `{__duckdb_field_id: ${id}, key: ${typeIdSpec(t['key-id'], t.key)}, value: ${typeIdSpec(t['value-id'], t.value)}}`;
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}
