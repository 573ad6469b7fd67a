import { quoteIdent } from '../engine/duckdb.js';
import type { Cell, StructCell } from '../engine/materialize.js';
import { duckdbType } from '../engine/types.js';
import type { DataFile } from '../manifest/types.js';
import { primitiveLeaves, type PrimitiveLeaf } from '../spec/schema.js';
import type { PrimitiveTypeName, Schema } from '../spec/types.js';
import { compareValues, fromBinary, type Value } from '../spec/values.js';
import { valueCell } from './metadata-values.js';

export type LeafColumn = PrimitiveLeaf;

/** Every primitive leaf of the schema, sorted by full name (as Iceberg's `readable_metrics`). */
export function leafColumns(schema: Schema): LeafColumn[] {
  return primitiveLeaves(schema).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A bound in the spec's binary single-value form (appendix D) decoded to the column's type; null when undecodable. */
export function decodeBound(type: PrimitiveTypeName, bytes: Uint8Array | undefined): Value | null {
  if (!bytes) return null;
  try {
    return fromBinary(type, bytes);
  } catch {
    return null;
  }
}

function count(m: Map<number, number> | undefined, id: number): Cell {
  const v = m?.get(id);
  return v === undefined ? null : BigInt(v);
}

/**
 * `$files.readable_metrics` (Iceberg's files metadata table): one field per leaf column, named by
 * its full name, holding the file's metrics for it with bounds decoded into the column's type.
 * Undefined when the schema has no primitive column (DuckDB has no empty STRUCT).
 */
export function readableMetricsType(leaves: LeafColumn[]): string | undefined {
  if (leaves.length === 0) return undefined;
  const fields = leaves.map(
    (c) =>
      `${quoteIdent(c.name)} STRUCT(column_size BIGINT, value_count BIGINT, null_value_count BIGINT, nan_value_count BIGINT, ` +
      `lower_bound ${duckdbType(c.type)}, upper_bound ${duckdbType(c.type)})`,
  );
  return `STRUCT(${fields.join(', ')})`;
}

export function readableMetricsCell(leaves: LeafColumn[], f: DataFile): StructCell {
  return {
    struct: leaves.map((c) => [
      c.name,
      {
        struct: [
          ['column_size', count(f.column_sizes, c.id)],
          ['value_count', count(f.value_counts, c.id)],
          ['null_value_count', count(f.null_value_counts, c.id)],
          ['nan_value_count', count(f.nan_value_counts, c.id)],
          ['lower_bound', valueCell(c.type, decodeBound(c.type, f.lower_bounds?.get(c.id)))],
          ['upper_bound', valueCell(c.type, decodeBound(c.type, f.upper_bounds?.get(c.id)))],
        ],
      },
    ]),
  };
}

/**
 * Trino's `$partitions.data`: per top-level primitive column that is not an identity partition
 * source, the smallest lower bound, largest upper bound and summed null/NaN counts over a
 * partition's data files. A figure is null when some file does not report it (a bound is only
 * required of files that hold a non-null value of the column).
 */
export class ColumnStatsAccumulator {
  private readonly stats: { min: Value | null; max: Value | null; minKnown: boolean; maxKnown: boolean; nulls: bigint | null; nans: bigint | null }[];

  constructor(private readonly columns: LeafColumn[]) {
    this.stats = columns.map(() => ({ min: null, max: null, minKnown: true, maxKnown: true, nulls: 0n, nans: 0n }));
  }

  add(f: DataFile): void {
    this.columns.forEach((c, i) => {
      const s = this.stats[i]!;
      const nulls = f.null_value_counts?.get(c.id);
      const values = f.value_counts?.get(c.id);
      s.nulls = s.nulls === null || nulls === undefined ? null : s.nulls + BigInt(nulls);
      const nans = f.nan_value_counts?.get(c.id);
      s.nans = s.nans === null || nans === undefined ? null : s.nans + BigInt(nans);
      const allNull = values !== undefined && nulls !== undefined && values === nulls;
      const lower = decodeBound(c.type, f.lower_bounds?.get(c.id));
      const upper = decodeBound(c.type, f.upper_bounds?.get(c.id));
      if (lower === null) s.minKnown &&= allNull;
      else if (s.min === null || compareValues(c.type, lower, s.min) < 0) s.min = lower;
      if (upper === null) s.maxKnown &&= allNull;
      else if (s.max === null || compareValues(c.type, upper, s.max) > 0) s.max = upper;
    });
  }

  cell(): StructCell {
    return {
      struct: this.columns.map((c, i) => {
        const s = this.stats[i]!;
        return [
          c.name,
          {
            struct: [
              ['min', s.minKnown ? valueCell(c.type, s.min) : null],
              ['max', s.maxKnown ? valueCell(c.type, s.max) : null],
              ['null_count', s.nulls],
              ['nan_count', s.nans],
            ],
          },
        ];
      }),
    };
  }
}

/** The DuckDB type of `$partitions.data`, or undefined when no column qualifies. */
export function partitionDataType(columns: LeafColumn[]): string | undefined {
  if (columns.length === 0) return undefined;
  const fields = columns.map((c) => `${quoteIdent(c.name)} STRUCT(min ${duckdbType(c.type)}, max ${duckdbType(c.type)}, null_count BIGINT, nan_count BIGINT)`);
  return `STRUCT(${fields.join(', ')})`;
}
