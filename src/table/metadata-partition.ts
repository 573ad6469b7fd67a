import type { Cell, StructCell } from '../engine/materialize.js';
import { quoteIdent } from '../engine/duckdb.js';
import { duckdbType } from '../engine/types.js';
import type { PartitionValues } from '../manifest/types.js';
import { specById } from '../spec/metadata.js';
import { fieldById, isPrimitive } from '../spec/schema.js';
import { parseTransform, transformResultType } from '../spec/transforms.js';
import type { PrimitiveTypeName, Schema, TableMetadata } from '../spec/types.js';
import { valueCell } from './metadata-values.js';

/** One field of the partition ROW of `$partitions` and `$files`. */
export interface PartitionColumn {
  fieldId: number;
  name: string;
  type: PrimitiveTypeName;
}

/**
 * The partition fields of every spec of the table, once each by partition field id, as Trino's
 * `$partitions`/`$files` `partition` ROW: specs in id order, fields in spec order; fields whose source
 * column was dropped are left out (Trino: "skip columns that were dropped"). A field keeps the
 * name of the newest spec that has it and the result type of its first non-void transform
 * (a v1 table replaces a dropped field by `void` under the same id).
 */
export function unionPartitionColumns(m: TableMetadata, schema: Schema): PartitionColumn[] {
  const byId = new Map<number, PartitionColumn & { typed: boolean }>();
  for (const spec of [...m['partition-specs']].sort((a, b) => a['spec-id'] - b['spec-id'])) {
    for (const f of spec.fields) {
      const source = fieldById(schema, f['source-id']);
      if (!source || !isPrimitive(source.type)) continue;
      const t = parseTransform(f.transform);
      const seen = byId.get(f['field-id']);
      const typed = t.kind !== 'void';
      if (!seen) {
        byId.set(f['field-id'], { fieldId: f['field-id'], name: f.name, type: transformResultType(t, source.type), typed });
        continue;
      }
      seen.name = f.name;
      if (!seen.typed && typed) {
        seen.type = transformResultType(t, source.type);
        seen.typed = true;
      }
    }
  }
  // DuckDB struct fields need distinct names; a name reused by another field id gets its id appended.
  const names = new Set<string>();
  return [...byId.values()].map(({ fieldId, name, type }) => {
    const unique = names.has(name) ? `${name}_${fieldId}` : name;
    names.add(unique);
    return { fieldId, name: unique, type };
  });
}

/** The DuckDB type of the partition ROW, or undefined when no spec has a field (no column then, as Trino). */
export function partitionStructType(columns: PartitionColumn[]): string | undefined {
  if (columns.length === 0) return undefined;
  return `STRUCT(${columns.map((c) => `${quoteIdent(c.name)} ${duckdbType(c.type)}`).join(', ')})`;
}

/** A file's partition tuple as the union ROW: null where the file's spec lacks the field or voids it. */
export function partitionCell(m: TableMetadata, columns: PartitionColumn[], specId: number, values: PartitionValues): StructCell {
  const spec = specById(m, specId);
  return {
    struct: columns.map((c) => {
      const f = spec?.fields.find((x) => x['field-id'] === c.fieldId);
      if (!f || parseTransform(f.transform).kind === 'void') return [c.name, null];
      return [c.name, valueCell(c.type, values[f.name])];
    }),
  };
}

/** A stable text key of a partition ROW, for grouping. */
export function partitionKey(cell: StructCell): string {
  return JSON.stringify(cell.struct.map(([, v]) => keyOf(v)));
}

function keyOf(v: Cell): unknown {
  if (v instanceof Uint8Array) return `0x${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'bigint') return `${v}n`;
  return v;
}
