import type { IcebergType, NestedField } from '../spec/types.js';
import { isPrimitive } from '../spec/schema.js';
import { fromJsonValue } from '../spec/values.js';
import { quoteIdent, quoteString, type DuckDBEngine } from './duckdb.js';
import { duckdbType, sqlLiteral } from './types.js';

/**
 * Nested columns projected by field id (spec: "Column Projection" applies at every level).
 *
 * read_parquet's `schema` map matches top-level columns by field id only; inside a struct DuckDB
 * casts by name, so a renamed nested field would read NULL and a dropped one could fail the cast.
 * For columns holding structs we therefore read each file with the names its footer uses for the
 * field ids it holds, then rebuild the table's current shape in SQL.
 */

/** One node of a Parquet file's schema tree (DuckDB's parquet_schema rows). */
export interface ParquetNode {
  name: string;
  fieldId: number | null;
  children: ParquetNode[];
}

/** True when `t` has a struct anywhere inside it: only then can nested names differ by file. */
export function holdsStruct(t: IcebergType): boolean {
  if (isPrimitive(t)) return false;
  switch (t.type) {
    case 'struct':
      return true;
    case 'list':
      return holdsStruct(t.element);
    case 'map':
      return holdsStruct(t.key) || holdsStruct(t.value);
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/** The top-level nodes of each file's Parquet schema, keyed by the local file name. */
export async function parquetLayouts(engine: DuckDBEngine, localFiles: string[]): Promise<Map<string, ParquetNode[]>> {
  const out = new Map<string, ParquetNode[]>();
  if (localFiles.length === 0) return out;
  const r = await engine.query(
    `SELECT file_name, name, field_id, num_children FROM parquet_schema([${localFiles.map(quoteString).join(', ')}])`,
  );
  // Rows come depth-first per file, the root first; num_children rebuilds the tree.
  let stack: { node: ParquetNode; left: number }[] = [];
  let current: string | null = null;
  for (const [file, name, id, children] of r.rows) {
    const fileName = String(file);
    const node: ParquetNode = { name: String(name), fieldId: id === null || id === undefined ? null : Number(id), children: [] };
    const n = children === null || children === undefined ? 0 : Number(children);
    if (fileName !== current) {
      current = fileName;
      out.set(fileName, node.children);
      stack = [{ node, left: n }];
      continue;
    }
    while (stack.length > 0 && stack[stack.length - 1]!.left === 0) stack.pop();
    const parent = stack[stack.length - 1];
    if (!parent) continue;
    parent.node.children.push(node);
    parent.left--;
    if (n > 0) stack.push({ node, left: n });
  }
  return out;
}

/** How one file's column is read (`readType`, in the file's names) and turned into the table's shape. */
export interface NestedRead {
  /** DuckDB type to read the top-level column as; null when the file holds none of its fields. */
  readType: string | null;
  /** Expression over the read column giving the current type, or null when it already has it. */
  rebuild: ((column: string) => string) | null;
}

/** Plans the read of `field` from a file whose top-level node for its id is `node`. */
export function nestedRead(field: NestedField, node: ParquetNode): NestedRead {
  const plan = planType(field.type, node, 0);
  if (plan === null) return { readType: null, rebuild: null };
  return { readType: plan.readType, rebuild: plan.identity ? null : plan.build };
}

interface TypePlan {
  readType: string;
  identity: boolean;
  build: (expr: string) => string;
}

function planType(t: IcebergType, node: ParquetNode, depth: number): TypePlan | null {
  if (isPrimitive(t)) return { readType: duckdbType(t), identity: true, build: (e) => e };
  switch (t.type) {
    case 'struct': {
      const parts: { field: NestedField; physical: string; plan: TypePlan }[] = [];
      for (const f of t.fields) {
        const child = node.children.find((c) => c.fieldId === f.id);
        const plan = child ? planType(f.type, child, depth + 1) : null;
        if (child && plan) parts.push({ field: f, physical: child.name, plan });
      }
      if (parts.length === 0) return null;
      const identity =
        parts.length === t.fields.length && parts.every((p, i) => p.plan.identity && p.physical === t.fields[i]!.name);
      const readType = `STRUCT(${parts.map((p) => `${quoteIdent(p.physical)} ${p.plan.readType}`).join(', ')})`;
      const build = (e: string): string => {
        const members = t.fields.map((f) => {
          const p = parts.find((x) => x.field.id === f.id);
          const value = p ? p.plan.build(`${e}.${quoteIdent(p.physical)}`) : missingValue(f);
          return `${quoteString(f.name)}: ${value}`;
        });
        return `CASE WHEN ${e} IS NULL THEN NULL ELSE {${members.join(', ')}} END`;
      };
      return { readType, identity, build };
    }
    case 'list': {
      const element = listElement(node, t['element-id']);
      const plan = element ? planType(t.element, element, depth + 1) : null;
      if (!plan) return null;
      const v = `__floe_e${depth}`;
      return {
        readType: `${plan.readType}[]`,
        identity: plan.identity,
        build: (e) => `list_transform(${e}, lambda ${v}: ${plan.build(v)})`,
      };
    }
    case 'map': {
      const entry = node.children.length === 1 && node.children[0]!.fieldId === null ? node.children[0]! : node;
      // By id; by position (key, value) when a writer left the ids out.
      const keyNode = entry.children.find((c) => c.fieldId === t['key-id']) ?? entry.children[0];
      const valueNode = entry.children.find((c) => c.fieldId === t['value-id']) ?? entry.children[1];
      const key = keyNode ? planType(t.key, keyNode, depth + 1) : null;
      const value = valueNode ? planType(t.value, valueNode, depth + 1) : null;
      if (!key || !value) return null;
      const v = `__floe_e${depth}`;
      return {
        readType: `MAP(${key.readType}, ${value.readType})`,
        identity: key.identity && value.identity,
        build: (e) =>
          `map_from_entries(list_transform(map_entries(${e}), lambda ${v}: {'key': ${key.build(`${v}.key`)}, 'value': ${value.build(`${v}.value`)}}))`,
      };
    }
    default: {
      const never: never = t;
      throw new Error(`unknown type ${String(never)}`);
    }
  }
}

/**
 * The element node of a Parquet LIST by id: the 3-level `list.element`, or a legacy 2-level
 * repeated field; by position when a writer left the id out (a list has one element).
 */
function listElement(node: ParquetNode, elementId: number): ParquetNode | undefined {
  for (const child of node.children) {
    if (child.fieldId === elementId) return child;
    const inner = child.children.find((c) => c.fieldId === elementId);
    if (inner) return inner;
  }
  const only = node.children[0];
  return only && only.children.length === 1 ? only.children[0] : only;
}

/** A nested field the file lacks reads its `initial-default`, else NULL. */
function missingValue(f: NestedField): string {
  const d = f['initial-default'];
  if (d === undefined || d === null || !isPrimitive(f.type)) return `CAST(NULL AS ${duckdbType(f.type)})`;
  return sqlLiteral(f.type, fromJsonValue(f.type, d));
}
