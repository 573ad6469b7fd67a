import type { DataFile, ManifestFile, PartitionValues } from '../manifest/types.js';
import { partitionType } from '../spec/partition.js';
import { applyTransform, parseTransform, type Transform } from '../spec/transforms.js';
import type { PartitionSpec, PrimitiveTypeName, Schema } from '../spec/types.js';
import { compareValues, fromBinary, type Value } from '../spec/values.js';
import type { BoundField, BoundPredicate } from './bind.js';
import type { ComparisonOp } from './predicate.js';

/**
 * Pruning evaluators. Each answers "might any row match?" — false only when no row can, so a
 * false answer lets the planner skip a manifest or a file without opening it.
 */

// ---------------------------------------------------------------------------------------------
// Inclusive projection of a row predicate onto partition values (spec: "Scan Planning")

interface PartRef {
  index: number;
  name: string;
  type: PrimitiveTypeName;
}

type PartPredicate =
  | { op: 'alwaysTrue' }
  | { op: 'alwaysFalse' }
  | { op: ComparisonOp; ref: PartRef; value: Value }
  | { op: 'in' | 'notIn'; ref: PartRef; values: Value[] }
  | { op: 'isNull' | 'notNull'; ref: PartRef }
  | { op: 'startsWith' | 'notStartsWith'; ref: PartRef; value: string }
  | { op: 'and' | 'or'; left: PartPredicate; right: PartPredicate };

const TRUE: PartPredicate = { op: 'alwaysTrue' };

function andP(a: PartPredicate, b: PartPredicate): PartPredicate {
  if (a.op === 'alwaysTrue') return b;
  if (b.op === 'alwaysTrue') return a;
  if (a.op === 'alwaysFalse' || b.op === 'alwaysFalse') return { op: 'alwaysFalse' };
  return { op: 'and', left: a, right: b };
}

function orP(a: PartPredicate, b: PartPredicate): PartPredicate {
  if (a.op === 'alwaysTrue' || b.op === 'alwaysTrue') return TRUE;
  if (a.op === 'alwaysFalse') return b;
  if (b.op === 'alwaysFalse') return a;
  return { op: 'or', left: a, right: b };
}

function project(spec: PartitionSpec, schema: Schema, p: BoundPredicate): PartPredicate {
  const ptype = partitionType(spec, schema);
  const parts = spec.fields.map((f, index) => ({
    sourceId: f['source-id'],
    transform: parseTransform(f.transform),
    ref: { index, name: f.name, type: ptype.fields[index].type as PrimitiveTypeName },
  }));
  const walk = (q: BoundPredicate): PartPredicate => {
    switch (q.op) {
      case 'alwaysTrue':
      case 'alwaysFalse':
        return { op: q.op };
      case 'and':
        return andP(walk(q.left), walk(q.right));
      case 'or':
        return orP(walk(q.left), walk(q.right));
      default: {
        let out: PartPredicate = TRUE;
        for (const part of parts) {
          if (part.sourceId !== q.field.id) continue;
          out = andP(out, projectLeaf(q, part.transform, part.ref));
        }
        return out;
      }
    }
  };
  return walk(p);
}

type Leaf = Exclude<BoundPredicate, { op: 'and' | 'or' | 'alwaysTrue' | 'alwaysFalse' }>;

function projectLeaf(q: Leaf, t: Transform, ref: PartRef): PartPredicate {
  if (t.kind === 'void') return TRUE;
  const source = q.field.type;
  const apply = (v: Value): Value => applyTransform(t, source, v) as Value;
  const identity = t.kind === 'identity';
  switch (q.op) {
    case 'isNull':
    case 'notNull':
      return { op: q.op, ref };
    case 'isNaN':
    case 'notNaN':
      return TRUE;
    case 'eq':
      return { op: 'eq', ref, value: apply(q.value) };
    case 'notEq':
      return identity ? { op: 'notEq', ref, value: q.value } : TRUE;
    case 'in':
      return { op: 'in', ref, values: q.values.map(apply) };
    case 'notIn':
      return identity ? { op: 'notIn', ref, values: q.values } : TRUE;
    case 'lt':
    case 'ltEq':
    case 'gt':
    case 'gtEq': {
      if (identity) return { op: q.op, ref, value: q.value };
      if (t.kind === 'bucket') return TRUE;
      // Order-preserving transforms are monotone: x < v implies T(x) <= T(v), and so on.
      const op: ComparisonOp = q.op === 'lt' || q.op === 'ltEq' ? 'ltEq' : 'gtEq';
      return { op, ref, value: apply(q.value) };
    }
    case 'startsWith':
      if (identity) return { op: 'startsWith', ref, value: q.value };
      if (t.kind === 'truncate' && source === 'string') {
        const chars = Array.from(q.value);
        return chars.length >= t.width
          ? { op: 'eq', ref, value: chars.slice(0, t.width).join('') }
          : { op: 'startsWith', ref, value: q.value };
      }
      return TRUE;
    case 'notStartsWith':
      return identity ? { op: 'notStartsWith', ref, value: q.value } : TRUE;
    default: {
      const never: never = q;
      throw new Error(`unknown predicate ${String(never)}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Partition tuples

function compareOp(op: ComparisonOp, c: number): boolean {
  switch (op) {
    case 'eq':
      return c === 0;
    case 'notEq':
      return c !== 0;
    case 'lt':
      return c < 0;
    case 'ltEq':
      return c <= 0;
    case 'gt':
      return c > 0;
    case 'gtEq':
      return c >= 0;
    default: {
      const never: never = op;
      throw new Error(`unknown comparison ${String(never)}`);
    }
  }
}

type PartLeaf = Exclude<PartPredicate, { op: 'alwaysTrue' | 'alwaysFalse' | 'and' | 'or' }>;

/** Evaluates the boolean structure of a projected predicate, `leaf` deciding each comparison. */
function evalTree(p: PartPredicate, leaf: (l: PartLeaf) => boolean): boolean {
  switch (p.op) {
    case 'alwaysTrue':
      return true;
    case 'alwaysFalse':
      return false;
    case 'and':
      return evalTree(p.left, leaf) && evalTree(p.right, leaf);
    case 'or':
      return evalTree(p.left, leaf) || evalTree(p.right, leaf);
    default:
      return leaf(p);
  }
}

function evalPartition(p: PartPredicate, values: PartitionValues): boolean {
  return evalTree(p, (l) => partitionLeaf(l, values));
}

function partitionLeaf(p: PartLeaf, values: PartitionValues): boolean {
  switch (p.op) {
    case 'isNull':
      return values[p.ref.name] === null || values[p.ref.name] === undefined;
    case 'notNull':
      return !(values[p.ref.name] === null || values[p.ref.name] === undefined);
    default: {
      const v = values[p.ref.name];
      if (v === null || v === undefined) return false;
      if (p.ref.type === 'unknown') return true;
      switch (p.op) {
        case 'in':
          return p.values.some((x) => compareValues(p.ref.type, v, x) === 0);
        case 'notIn':
          return !p.values.some((x) => compareValues(p.ref.type, v, x) === 0);
        case 'startsWith':
          return String(v).startsWith(p.value);
        case 'notStartsWith':
          return !String(v).startsWith(p.value);
        default:
          return compareOp(p.op, compareValues(p.ref.type, v, p.value));
      }
    }
  }
}

/** Might a file in this partition hold matching rows? */
export function partitionEvaluator(spec: PartitionSpec, schema: Schema, bound: BoundPredicate): (partition: PartitionValues) => boolean {
  const projected = project(spec, schema, bound);
  return (partition) => evalPartition(projected, partition);
}

// ---------------------------------------------------------------------------------------------
// Manifest partition summaries

/** Might a manifest hold matching files, judged by its partition field summaries? */
export function manifestEvaluator(spec: PartitionSpec, schema: Schema, bound: BoundPredicate): (manifest: ManifestFile) => boolean {
  const projected = project(spec, schema, bound);
  return (m) => {
    const summaries = m.partitions;
    if (!summaries || summaries.length !== spec.fields.length) return true;
    const bounds = summaries.map((s, i) => {
      const type = partitionType(spec, schema).fields[i].type as PrimitiveTypeName;
      return {
        containsNull: s.contains_null,
        containsNan: s.contains_nan ?? null,
        lower: s.lower_bound && type !== 'unknown' ? fromBinary(type, s.lower_bound) : null,
        upper: s.upper_bound && type !== 'unknown' ? fromBinary(type, s.upper_bound) : null,
      };
    });
    return evalSummary(projected, bounds);
  };
}

interface Range {
  containsNull: boolean;
  containsNan: boolean | null;
  lower: Value | null;
  upper: Value | null;
  /** Only for files: the column has no non-null values at all. */
  allNull?: boolean;
  /** Only for files: whether NaNs may be present (null: unknown). */
  nanCount?: number | null;
}

function mightMatchRange(op: ComparisonOp | 'in' | 'notIn' | 'startsWith' | 'notStartsWith', type: PrimitiveTypeName, r: Range, value: Value | Value[] | string): boolean {
  const { lower, upper } = r;
  const cmp = (a: Value, b: Value) => compareValues(type, a, b);
  switch (op) {
    case 'eq':
      if (lower !== null && cmp(value as Value, lower) < 0) return false;
      if (upper !== null && cmp(value as Value, upper) > 0) return false;
      return true;
    case 'lt':
      return lower === null || cmp(lower, value as Value) < 0;
    case 'ltEq':
      return lower === null || cmp(lower, value as Value) <= 0;
    case 'gt':
      return upper === null || cmp(upper, value as Value) > 0;
    case 'gtEq':
      return upper === null || cmp(upper, value as Value) >= 0;
    case 'in':
      return (value as Value[]).some((v) => mightMatchRange('eq', type, r, v));
    case 'startsWith': {
      const prefix = Buffer.from(value as string, 'utf8');
      if (lower !== null) {
        const lo = Buffer.from(String(lower), 'utf8');
        if (Buffer.compare(lo.subarray(0, prefix.length), prefix) > 0) return false;
      }
      if (upper !== null) {
        const hi = Buffer.from(String(upper), 'utf8');
        if (Buffer.compare(hi.subarray(0, prefix.length), prefix) < 0) return false;
      }
      return true;
    }
    case 'notEq':
      // Only a single-valued range equal to the literal cannot match.
      return !(lower !== null && upper !== null && cmp(lower, value as Value) === 0 && cmp(upper, value as Value) === 0);
    case 'notIn':
      return !(lower !== null && upper !== null && cmp(lower, upper) === 0 && (value as Value[]).some((v) => cmp(lower, v) === 0));
    case 'notStartsWith':
      return true;
    default: {
      const never: never = op;
      throw new Error(`unknown comparison ${String(never)}`);
    }
  }
}

function evalSummary(p: PartPredicate, ranges: Range[]): boolean {
  return evalTree(p, (l) => summaryLeaf(l, ranges));
}

function summaryLeaf(p: PartLeaf, ranges: Range[]): boolean {
  switch (p.op) {
    case 'isNull':
      return ranges[p.ref.index].containsNull;
    case 'notNull': {
      const r = ranges[p.ref.index];
      return !(r.containsNull && r.lower === null && r.upper === null && r.containsNan !== true);
    }
    default: {
      const r = ranges[p.ref.index];
      if (p.ref.type === 'unknown') return true;
      // Every value null: nothing compares true.
      if (r.lower === null && r.upper === null && r.containsNull && r.containsNan !== true) return false;
      const value = 'values' in p ? p.values : p.value;
      return mightMatchRange(p.op, p.ref.type, r, value);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Column metrics of data files

/**
 * Might a data file hold matching rows, judged by its per-column counts and bounds? Missing
 * metrics never prune. Floating-point columns: DuckDB orders NaN above every number, so `>`
 * and `<>` comparisons may match NaNs that the bounds (which exclude NaN) do not show.
 */
export function metricsEvaluator(schema: Schema, bound: BoundPredicate): (file: DataFile) => boolean {
  void schema;
  const walk = (p: BoundPredicate, f: DataFile): boolean => {
    switch (p.op) {
      case 'alwaysTrue':
        return true;
      case 'alwaysFalse':
        return false;
      case 'and':
        return walk(p.left, f) && walk(p.right, f);
      case 'or':
        return walk(p.left, f) || walk(p.right, f);
      default:
        return leaf(p, f);
    }
  };
  const leaf = (p: Leaf, f: DataFile): boolean => {
    if (f.record_count === 0) return false;
    const id = p.field.id;
    const valueCount = f.value_counts?.get(id);
    const nullCount = f.null_value_counts?.get(id);
    const nanCount = f.nan_value_counts?.get(id);
    const allNull = valueCount !== undefined && nullCount !== undefined && nullCount === valueCount;
    switch (p.op) {
      case 'isNull':
        return nullCount === undefined || nullCount > 0;
      case 'notNull':
        return !allNull;
      case 'isNaN':
        return nanCount === undefined || nanCount > 0;
      case 'notNaN':
        return true;
      default:
        break;
    }
    if (allNull) return false;
    const floating = p.field.type === 'float' || p.field.type === 'double';
    const nanPossible = floating && (nanCount === undefined || nanCount > 0);
    if (nanPossible && (p.op === 'gt' || p.op === 'gtEq' || p.op === 'notEq' || p.op === 'notIn')) return true;
    const range = fileRange(p.field, f);
    const value = 'values' in p ? p.values : p.value;
    return mightMatchRange(p.op, p.field.type, range, value);
  };
  return (file) => walk(bound, file);
}

function fileRange(field: BoundField, f: DataFile): Range {
  const lo = f.lower_bounds?.get(field.id);
  const hi = f.upper_bounds?.get(field.id);
  const decode = (b: Uint8Array | undefined): Value | null => {
    if (!b) return null;
    try {
      const v = fromBinary(field.type, b);
      return typeof v === 'number' && Number.isNaN(v) ? null : v;
    } catch {
      return null;
    }
  };
  return { containsNull: true, containsNan: null, lower: decode(lo), upper: decode(hi) };
}
