import { ValidationError } from '../errors.js';
import { findField, isPrimitive } from '../spec/schema.js';
import type { NestedField, PrimitiveTypeName, Schema } from '../spec/types.js';
import { coerceValue, type Value } from '../spec/values.js';
import type { ComparisonOp, UnboundPredicate } from './predicate.js';

/** A primitive column a predicate refers to, by field id. */
export interface BoundField {
  id: number;
  name: string;
  type: PrimitiveTypeName;
}

/** A predicate bound to a schema: columns resolved to field ids, literals converted, NOTs pushed down. */
export type BoundPredicate =
  | { op: 'alwaysTrue' }
  | { op: 'alwaysFalse' }
  | { op: ComparisonOp; field: BoundField; value: Value }
  | { op: 'in' | 'notIn'; field: BoundField; values: Value[] }
  | { op: 'isNull' | 'notNull' | 'isNaN' | 'notNaN'; field: BoundField }
  | { op: 'startsWith' | 'notStartsWith'; field: BoundField; value: string }
  | { op: 'and' | 'or'; left: BoundPredicate; right: BoundPredicate };

const NEGATE: Record<ComparisonOp, ComparisonOp> = { eq: 'notEq', notEq: 'eq', lt: 'gtEq', ltEq: 'gt', gt: 'ltEq', gtEq: 'lt' };

/**
 * Binds a predicate. Unknown or non-primitive columns and literals that do not convert exactly to
 * the column's type (e.g. 3.5 for an int column) are ValidationErrors: such a filter cannot be
 * used for pruning and callers keep it for the engine only.
 */
export function bind(schema: Schema, pred: UnboundPredicate, caseSensitive = true): BoundPredicate {
  return bindInner(schema, pushNot(pred, false), caseSensitive);
}

function pushNot(p: UnboundPredicate, negate: boolean): UnboundPredicate {
  switch (p.op) {
    case 'not':
      return pushNot(p.child, !negate);
    case 'and':
    case 'or': {
      const op = negate ? (p.op === 'and' ? 'or' : 'and') : p.op;
      return { op, left: pushNot(p.left, negate), right: pushNot(p.right, negate) };
    }
    default:
      if (!negate) return p;
      switch (p.op) {
        case 'alwaysTrue':
          return { op: 'alwaysFalse' };
        case 'alwaysFalse':
          return { op: 'alwaysTrue' };
        case 'eq':
        case 'notEq':
        case 'lt':
        case 'ltEq':
        case 'gt':
        case 'gtEq':
          return { op: NEGATE[p.op], column: p.column, value: p.value };
        case 'in':
          return { op: 'notIn', column: p.column, values: p.values };
        case 'notIn':
          return { op: 'in', column: p.column, values: p.values };
        case 'isNull':
          return { op: 'notNull', column: p.column };
        case 'notNull':
          return { op: 'isNull', column: p.column };
        case 'isNaN':
          return { op: 'notNaN', column: p.column };
        case 'notNaN':
          return { op: 'isNaN', column: p.column };
        case 'startsWith':
          return { op: 'notStartsWith', column: p.column, value: p.value };
        case 'notStartsWith':
          return { op: 'startsWith', column: p.column, value: p.value };
        default: {
          const never: never = p;
          throw new ValidationError(`unknown predicate ${JSON.stringify(never)}`);
        }
      }
  }
}

function bindField(schema: Schema, column: string, caseSensitive: boolean): BoundField {
  const f: NestedField | undefined = findField(schema, column, caseSensitive);
  if (!f) throw new ValidationError(`column '${column}' does not exist`);
  if (!isPrimitive(f.type)) throw new ValidationError(`column '${column}' is not a primitive column`);
  return { id: f.id, name: column, type: f.type };
}

function literal(field: BoundField, value: unknown): Value {
  const v = coerceValue(field.type, value);
  if (v === null) throw new ValidationError(`a NULL literal cannot be compared with '${field.name}'`);
  if (typeof v === 'number' && Number.isNaN(v)) throw new ValidationError('NaN literals are not used for pruning');
  return v;
}

function bindInner(schema: Schema, p: UnboundPredicate, cs: boolean): BoundPredicate {
  switch (p.op) {
    case 'alwaysTrue':
    case 'alwaysFalse':
      return { op: p.op };
    case 'and':
    case 'or':
      return { op: p.op, left: bindInner(schema, p.left, cs), right: bindInner(schema, p.right, cs) };
    case 'not':
      return bindInner(schema, pushNot(p, false), cs);
    case 'eq':
    case 'notEq':
    case 'lt':
    case 'ltEq':
    case 'gt':
    case 'gtEq': {
      const field = bindField(schema, p.column, cs);
      return { op: p.op, field, value: literal(field, p.value) };
    }
    case 'in':
    case 'notIn': {
      const field = bindField(schema, p.column, cs);
      return { op: p.op, field, values: p.values.map((v) => literal(field, v)) };
    }
    case 'isNull':
    case 'notNull':
    case 'isNaN':
    case 'notNaN':
      return { op: p.op, field: bindField(schema, p.column, cs) };
    case 'startsWith':
    case 'notStartsWith': {
      const field = bindField(schema, p.column, cs);
      if (field.type !== 'string') throw new ValidationError(`startsWith needs a string column, '${p.column}' is ${field.type}`);
      return { op: p.op, field, value: p.value };
    }
    default: {
      const never: never = p;
      throw new ValidationError(`unknown predicate ${JSON.stringify(never)}`);
    }
  }
}
