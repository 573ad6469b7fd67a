import type { Column } from '@aws-sdk/client-glue';
import { currentSchema } from '../spec/metadata.js';
import type { IcebergType, PrimitiveTypeName, TableMetadata } from '../spec/types.js';

/**
 * An Iceberg type in Hive's spelling, as Athena reads Glue columns (Iceberg GlueCatalog's
 * convention): time and uuid as `string`, fixed as `binary`, both timestamps as `timestamp`.
 */
export function hiveType(type: IcebergType): string {
  if (typeof type !== 'string') {
    switch (type.type) {
      case 'struct':
        return `struct<${type.fields.map((f) => `${f.name}:${hiveType(f.type)}`).join(',')}>`;
      case 'list':
        return `array<${hiveType(type.element)}>`;
      case 'map':
        return `map<${hiveType(type.key)},${hiveType(type.value)}>`;
      default: {
        const never: never = type;
        return never;
      }
    }
  }
  return primitive(type);
}

function primitive(type: PrimitiveTypeName): string {
  const decimal = /^decimal\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return `decimal(${decimal[1]},${decimal[2]})`;
  if (type.startsWith('fixed[')) return 'binary';
  switch (type) {
    case 'boolean':
    case 'int':
    case 'float':
    case 'double':
    case 'date':
    case 'string':
    case 'binary':
    case 'timestamp':
      return type;
    case 'long':
      return 'bigint';
    case 'timestamptz':
    case 'timestamp_ns':
    case 'timestamptz_ns':
      return 'timestamp';
    case 'time':
    case 'uuid':
    case 'unknown':
      return 'string';
    default:
      return 'string';
  }
}

/**
 * The columns Glue shows for a table: the current schema's top-level fields first, then fields
 * of older schemas no longer current (Iceberg GlueCatalog keeps them with `iceberg.field.current`
 * = false), each with its field id and optionality as column parameters.
 */
export function glueColumns(metadata: TableMetadata): Column[] {
  const current = currentSchema(metadata);
  const seen = new Set<number>();
  const out: Column[] = [];
  const add = (f: (typeof current.fields)[number], isCurrent: boolean): void => {
    if (seen.has(f.id)) return;
    seen.add(f.id);
    out.push({
      Name: f.name,
      Type: hiveType(f.type),
      ...(f.doc ? { Comment: f.doc } : {}),
      Parameters: { 'iceberg.field.id': String(f.id), 'iceberg.field.optional': String(!f.required), 'iceberg.field.current': String(isCurrent) },
    });
  };
  for (const f of current.fields) add(f, true);
  for (const s of metadata.schemas) for (const f of s.fields) add(f, false);
  return out;
}
