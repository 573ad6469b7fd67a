/**
 * Row filters as data, referring to columns by name (unbound). Literal values are loose
 * (numbers, bigints, strings such as '2024-01-31', booleans) and are converted to the column's
 * type when bound.
 */
export type ComparisonOp = 'eq' | 'notEq' | 'lt' | 'ltEq' | 'gt' | 'gtEq';

export type UnboundPredicate =
  | { op: 'alwaysTrue' }
  | { op: 'alwaysFalse' }
  | { op: ComparisonOp; column: string; value: unknown }
  | { op: 'in' | 'notIn'; column: string; values: unknown[] }
  | { op: 'isNull' | 'notNull' | 'isNaN' | 'notNaN'; column: string }
  | { op: 'startsWith' | 'notStartsWith'; column: string; value: string }
  | { op: 'and' | 'or'; left: UnboundPredicate; right: UnboundPredicate }
  | { op: 'not'; child: UnboundPredicate };

export const alwaysTrue: UnboundPredicate = { op: 'alwaysTrue' };

export function and(...preds: UnboundPredicate[]): UnboundPredicate {
  if (preds.length === 0) return alwaysTrue;
  return preds.reduce((a, b) => ({ op: 'and', left: a, right: b }));
}

export function or(...preds: UnboundPredicate[]): UnboundPredicate {
  if (preds.length === 0) return { op: 'alwaysFalse' };
  return preds.reduce((a, b) => ({ op: 'or', left: a, right: b }));
}
