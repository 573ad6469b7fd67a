import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteString } from '../engine/duckdb.js';
import type { UnboundPredicate } from '../expr/predicate.js';

/**
 * Finds, for each floe view in a query, the WHERE conjuncts that constrain only that view's
 * columns, as predicates scan planning can prune with. DuckDB parses the query
 * (`json_serialize_sql`); floe only reads the tree. Pruning is an optimisation: anything not
 * understood is left out, and DuckDB still applies the whole WHERE clause to the rows read.
 * Views on the null-supplying side of an outer join get no filters (pruning them would change
 * which rows are null-extended).
 */
export async function extractScanFilters(
  engine: DuckDBEngine,
  sql: string,
  viewNames: Set<string>,
): Promise<Map<string, UnboundPredicate[]>> {
  return (await scanHints(engine, sql, viewNames)).filters;
}

/**
 * The scan filters of extractScanFilters, and `mayFilterRows`: false only when the query surely
 * filters no table's rows, with no WHERE clause anywhere and no join with a condition (DuckDB
 * pushes join keys into the probe side's scan as dynamic filters). Scans of such a query read
 * every row of each file, so they may apply deletes in ways that forgo filter pushdown
 * (scan-view.ts, `fullScan`). A query that does not parse here may filter.
 */
export async function scanHints(
  engine: DuckDBEngine,
  sql: string,
  viewNames: Set<string>,
): Promise<{ filters: Map<string, UnboundPredicate[]>; mayFilterRows: boolean }> {
  const filters = new Map<string, UnboundPredicate[]>();
  if (viewNames.size === 0) return { filters, mayFilterRows: true };
  let tree: unknown;
  try {
    const r = await engine.query(`SELECT json_serialize_sql(${quoteString(sql)})`);
    tree = JSON.parse(String(r.rows[0]?.[0]));
  } catch {
    return { filters, mayFilterRows: true };
  }
  if (!isObj(tree) || tree['error'] === true) return { filters, mayFilterRows: true };
  let mayFilterRows = false;
  visit(tree, (node) => {
    if (isObj(node['where_clause'])) mayFilterRows = true;
    if (node['type'] === 'JOIN' && (isObj(node['condition']) || (Array.isArray(node['using_columns']) && node['using_columns'].length > 0))) {
      mayFilterRows = true;
    }
    if (!('from_table' in node) || !('where_clause' in node)) return;
    const tables: { view: string; names: string[]; safe: boolean }[] = [];
    collectTables(node['from_table'], true, tables, viewNames);
    if (tables.length === 0 || !isObj(node['where_clause'])) return;
    const single = isObj(node['from_table']) && node['from_table']['type'] === 'BASE_TABLE';
    for (const conjunct of conjuncts(node['where_clause'])) {
      for (const t of tables) {
        if (!t.safe) continue;
        const p = toPredicate(conjunct, (parts) => columnOf(parts, t.names, single));
        if (p) {
          const list = filters.get(t.view);
          if (list) list.push(p);
          else filters.set(t.view, [p]);
        }
      }
    }
  });
  return { filters, mayFilterRows };
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function visit(v: unknown, fn: (node: Obj) => void): void {
  if (Array.isArray(v)) {
    for (const x of v) visit(x, fn);
    return;
  }
  if (!isObj(v)) return;
  fn(v);
  for (const x of Object.values(v)) visit(x, fn);
}

function collectTables(
  from: unknown,
  safe: boolean,
  out: { view: string; names: string[]; safe: boolean }[],
  viewNames: Set<string>,
): void {
  if (!isObj(from)) return;
  if (from['type'] === 'BASE_TABLE') {
    const name = String(from['table_name']);
    if (!viewNames.has(name) || from['schema_name'] !== '') return;
    const alias = String(from['alias'] ?? '');
    out.push({ view: name, names: alias ? [alias.toLowerCase()] : [name.toLowerCase()], safe });
    return;
  }
  if (from['type'] === 'JOIN') {
    const jt = String(from['join_type'] ?? 'INNER');
    collectTables(from['left'], safe && (jt === 'INNER' || jt === 'LEFT' || jt === 'SEMI' || jt === 'ANTI'), out, viewNames);
    collectTables(from['right'], safe && (jt === 'INNER' || jt === 'RIGHT'), out, viewNames);
  }
}

function conjuncts(e: Obj): Obj[] {
  if (e['type'] === 'CONJUNCTION_AND' && Array.isArray(e['children'])) {
    return (e['children'] as unknown[]).filter(isObj).flatMap(conjuncts);
  }
  return [e];
}

/** A column reference belongs to the table when qualified by its name/alias, or unqualified in a single-table FROM. */
function columnOf(parts: string[], names: string[], single: boolean): string | undefined {
  if (parts.length === 2 && names.includes(parts[0]!.toLowerCase())) return parts[1];
  if (parts.length === 1 && single) return parts[0];
  return undefined;
}

type ColumnResolver = (parts: string[]) => string | undefined;

const COMPARISONS: Record<string, 'eq' | 'notEq' | 'lt' | 'ltEq' | 'gt' | 'gtEq'> = {
  COMPARE_EQUAL: 'eq',
  COMPARE_NOTEQUAL: 'notEq',
  COMPARE_LESSTHAN: 'lt',
  COMPARE_LESSTHANOREQUALTO: 'ltEq',
  COMPARE_GREATERTHAN: 'gt',
  COMPARE_GREATERTHANOREQUALTO: 'gtEq',
};

const FLIPPED: Record<string, 'eq' | 'notEq' | 'lt' | 'ltEq' | 'gt' | 'gtEq'> = {
  eq: 'eq',
  notEq: 'notEq',
  lt: 'gt',
  ltEq: 'gtEq',
  gt: 'lt',
  gtEq: 'ltEq',
};

function toPredicate(e: Obj, col: ColumnResolver): UnboundPredicate | undefined {
  const type = String(e['type']);
  if (type in COMPARISONS) {
    const op = COMPARISONS[type]!;
    const l = e['left'];
    const r = e['right'];
    const lc = columnName(l, col);
    const rv = constant(r);
    if (lc !== undefined && rv !== undefined && rv !== null) return { op, column: lc, value: rv };
    const rc = columnName(r, col);
    const lv = constant(l);
    if (rc !== undefined && lv !== undefined && lv !== null) return { op: FLIPPED[op]!, column: rc, value: lv };
    return undefined;
  }
  switch (type) {
    case 'CONJUNCTION_AND':
    case 'CONJUNCTION_OR': {
      const kids = Array.isArray(e['children']) ? (e['children'] as unknown[]).filter(isObj) : [];
      const preds = kids.map((k) => toPredicate(k, col));
      if (type === 'CONJUNCTION_OR' && preds.some((p) => p === undefined)) return undefined;
      const defined = preds.filter((p): p is UnboundPredicate => p !== undefined);
      if (defined.length === 0) return undefined;
      const op = type === 'CONJUNCTION_AND' ? 'and' : 'or';
      return defined.reduce((a, b) => ({ op, left: a, right: b }));
    }
    case 'COMPARE_IN':
    case 'COMPARE_NOT_IN': {
      const kids = Array.isArray(e['children']) ? (e['children'] as unknown[]) : [];
      const c = columnName(kids[0], col);
      const values = kids.slice(1).map(constant);
      if (c === undefined || values.some((v) => v === undefined || v === null)) return undefined;
      return { op: type === 'COMPARE_IN' ? 'in' : 'notIn', column: c, values };
    }
    case 'OPERATOR_IS_NULL':
    case 'OPERATOR_IS_NOT_NULL': {
      const kids = Array.isArray(e['children']) ? (e['children'] as unknown[]) : [];
      const c = columnName(kids[0], col);
      if (c === undefined) return undefined;
      return { op: type === 'OPERATOR_IS_NULL' ? 'isNull' : 'notNull', column: c };
    }
    case 'COMPARE_BETWEEN': {
      const c = columnName(e['input'], col);
      const lo = constant(e['lower']);
      const hi = constant(e['upper']);
      if (c === undefined || lo === undefined || hi === undefined || lo === null || hi === null) return undefined;
      return { op: 'and', left: { op: 'gtEq', column: c, value: lo }, right: { op: 'ltEq', column: c, value: hi } };
    }
    case 'FUNCTION': {
      // `s LIKE 'abc%'` (DuckDB's `~~`) with a plain prefix is a startsWith.
      const name = String(e['function_name']);
      const kids = Array.isArray(e['children']) ? (e['children'] as unknown[]) : [];
      if ((name === '~~' || name === 'prefix' || name === 'starts_with') && kids.length === 2) {
        const c = columnName(kids[0], col);
        const v = constant(kids[1]);
        if (c === undefined || typeof v !== 'string') return undefined;
        if (name !== '~~') return { op: 'startsWith', column: c, value: v };
        const m = /^([^%_\\]*)%$/.exec(v);
        if (m && m[1]!.length > 0) return { op: 'startsWith', column: c, value: m[1] };
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

function columnName(e: unknown, col: ColumnResolver): string | undefined {
  if (!isObj(e)) return undefined;
  if (e['type'] === 'COLUMN_REF' && Array.isArray(e['column_names'])) {
    return col((e['column_names'] as unknown[]).map(String));
  }
  return undefined;
}

/** A constant's value: numbers, strings (dates and timestamps as their text), booleans. */
function constant(e: unknown): unknown {
  if (!isObj(e)) return undefined;
  if (e['type'] === 'OPERATOR_CAST' && !e['try_cast']) {
    const inner = constant(e['child']);
    return typeof inner === 'string' || typeof inner === 'number' ? inner : undefined;
  }
  if (e['type'] !== 'VALUE_CONSTANT' || !isObj(e['value'])) return undefined;
  const v = e['value'];
  if (v['is_null'] === true) return null;
  const t = isObj(v['type']) ? String(v['type']['id']) : '';
  const raw = v['value'];
  switch (t) {
    case 'INTEGER':
    case 'SMALLINT':
    case 'TINYINT':
    case 'BIGINT':
    case 'HUGEINT':
    case 'UBIGINT':
    case 'UINTEGER':
      return typeof raw === 'number' && Number.isSafeInteger(raw) ? raw : typeof raw === 'string' ? BigInt(raw) : raw;
    case 'DOUBLE':
    case 'FLOAT':
    case 'BOOLEAN':
    case 'VARCHAR':
      return raw;
    case 'DECIMAL': {
      const info = isObj(v['type']) && isObj(v['type']['type_info']) ? v['type']['type_info'] : undefined;
      const scale = Number(info?.['scale'] ?? 0);
      const digits = String(raw);
      const neg = digits.startsWith('-');
      const abs = (neg ? digits.slice(1) : digits).padStart(scale + 1, '0');
      const text = scale > 0 ? `${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}` : abs;
      return `${neg ? '-' : ''}${text}`;
    }
    default:
      return undefined;
  }
}
