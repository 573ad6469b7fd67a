import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { isPrimitive, parseType } from '../spec/schema.js';
import type { PrimitiveTypeName } from '../spec/types.js';
import type { PartitionTerm, SortTerm } from '../sql/ast.js';
import { parseStatement } from '../sql/parser.js';

/**
 * A dataset contract: the declarative file that turns raw batches of one dataset into rows of
 * `curated.<dataset>`. YAML or JSON, validated here; every error names the key at fault
 * (`columns[2].type: unknown Iceberg type 'integer'`).
 */

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier (letters, digits, _)');

const icebergType = z.string().superRefine((t, ctx) => {
  try {
    if (!isPrimitive(parseType(t))) ctx.addIssue({ code: 'custom', message: `'${t}' is not a primitive Iceberg type` });
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `unknown Iceberg type '${t}' (use boolean, int, long, float, double, decimal(P, S), date, time, timestamp, timestamptz, string, uuid, binary)`,
    });
  }
});

const column = z.strictObject({
  name,
  type: icebergType,
  nullable: z.boolean().default(true),
  /** Name of the column in the source files (default: `name`). */
  source: z.string().min(1).optional(),
  doc: z.string().optional(),
});

const check = z.discriminatedUnion('rule', [
  z.strictObject({ rule: z.literal('range'), column: z.string(), min: z.number().optional(), max: z.number().optional(), name: z.string().optional() }),
  z.strictObject({ rule: z.literal('enum'), column: z.string(), values: z.array(z.union([z.string(), z.number()])).min(1), name: z.string().optional() }),
  z.strictObject({ rule: z.literal('regex'), column: z.string(), pattern: z.string(), name: z.string().optional() }),
  z.strictObject({ rule: z.literal('not_null'), column: z.string(), name: z.string().optional() }),
  /** Unique within a batch over `columns` (default: the keys). */
  z.strictObject({ rule: z.literal('unique'), columns: z.array(z.string()).min(1).optional(), name: z.string().optional() }),
]);

const csvOptions = z.strictObject({
  delimiter: z.string().min(1).max(4).default(','),
  header: z.boolean().default(true),
  /** DuckDB's read_csv encodings. */
  encoding: z.enum(['utf-8', 'latin-1', 'utf-16']).default('utf-8'),
  quote: z.string().max(1).default('"'),
  escape: z.string().max(1).optional(),
  /** Text that reads as NULL (default: the empty field). */
  null: z.string().optional(),
  /**
   * strict: read text and cast it exactly ('1.5' is not an int, '1.234' not a decimal(10, 2));
   * fast: DuckDB's reader parses typed columns itself (it rounds such values), about twice as fast.
   */
  parse: z.enum(['strict', 'fast']).default('strict'),
});

const contractSchema = z.strictObject({
  dataset: name,
  source: z
    .strictObject({
      /** Overrides the format recorded at ingest (normally left out). */
      format: z.enum(['csv', 'json', 'parquet']).optional(),
      csv: csvOptions.prefault({}),
    })
    .prefault({}),
  columns: z.array(column).min(1),
  keys: z.array(z.string()).default([]),
  partitioning: z.array(z.string()).default([]),
  sortOrder: z.array(z.string()).default([]),
  checks: z.array(check).default([]),
  /** New source columns / wider source types: evolve the table, or reject the batch. */
  drift: z.enum(['evolve', 'reject']).default('reject'),
  /** append: add rows; upsert: replace rows with the same keys (equality deletes for the keys the table holds). */
  mode: z.enum(['append', 'upsert']).default('append'),
  /** Rows failing a rule (or unreadable lines): quarantine them, or reject the whole batch. */
  onInvalid: z.enum(['quarantine', 'reject']).default('quarantine'),
});

type ContractInput = z.infer<typeof contractSchema>;
export type ContractColumn = ContractInput['columns'][number] & { icebergType: PrimitiveTypeName; sourceName: string };
export type ContractCheck = ContractInput['checks'][number];

export interface Contract extends Omit<ContractInput, 'columns' | 'partitioning' | 'sortOrder'> {
  columns: ContractColumn[];
  partitioning: PartitionTerm[];
  sortOrder: SortTerm[];
  /** The contract as written, partition and sort terms as text (stored beside the warehouse). */
  text: ContractInput;
}

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('') || '(root)';
}

/** Validates a parsed contract document; throws ValidationError listing every bad key. */
export function parseContract(doc: unknown, where = 'contract'): Contract {
  const r = contractSchema.safeParse(doc);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`);
    throw new ValidationError(`${where} is invalid: ${lines.join('; ')}`);
  }
  const c = r.data;
  const problems: string[] = [];
  const byName = new Map<string, ContractColumn>();
  const columns = c.columns.map((col, i) => {
    const out: ContractColumn = { ...col, icebergType: parseType(col.type) as PrimitiveTypeName, sourceName: col.source ?? col.name };
    if (byName.has(col.name.toLowerCase())) problems.push(`columns[${i}].name: column '${col.name}' is defined twice`);
    byName.set(col.name.toLowerCase(), out);
    return out;
  });
  const known = (col: string, at: string): ContractColumn | undefined => {
    const f = byName.get(col.toLowerCase());
    if (!f) problems.push(`${at}: unknown column '${col}' (columns are ${[...byName.values()].map((x) => x.name).join(', ')})`);
    return f;
  };
  c.keys.forEach((k, i) => {
    const f = known(k, `keys[${i}]`);
    if (f && f.nullable) problems.push(`keys[${i}]: key column '${k}' must be nullable: false (Iceberg identifier fields are required)`);
    if (f && (f.icebergType === 'float' || f.icebergType === 'double')) problems.push(`keys[${i}]: key column '${k}' cannot be floating point`);
  });
  const partitioning = c.partitioning.map((text, i) => {
    const term = parseTerm(text, `partitioning[${i}]`, problems, 'partition');
    if (term) known(term.column, `partitioning[${i}]`);
    return term;
  });
  const sortOrder = c.sortOrder.map((text, i) => {
    const term = parseTerm(text, `sortOrder[${i}]`, problems, 'sort');
    if (term) known(term.term.column, `sortOrder[${i}]`);
    return term;
  });
  c.checks.forEach((chk, i) => {
    switch (chk.rule) {
      case 'range': {
        const f = known(chk.column, `checks[${i}].column`);
        if (f && !/^(int|long|float|double|decimal)/.test(f.icebergType)) problems.push(`checks[${i}]: a range check needs a numeric column, and '${f.name}' is ${f.icebergType}`);
        if (chk.min === undefined && chk.max === undefined) problems.push(`checks[${i}]: a range check needs min, max or both`);
        if (chk.min !== undefined && chk.max !== undefined && chk.min > chk.max) problems.push(`checks[${i}]: min ${chk.min} is above max ${chk.max}`);
        break;
      }
      case 'enum':
      case 'not_null':
        known(chk.column, `checks[${i}].column`);
        break;
      case 'regex':
        known(chk.column, `checks[${i}].column`);
        try {
          new RegExp(chk.pattern);
        } catch (e) {
          problems.push(`checks[${i}].pattern: ${e instanceof Error ? e.message : String(e)}`);
        }
        break;
      case 'unique': {
        const cols = chk.columns ?? c.keys;
        if (cols.length === 0) problems.push(`checks[${i}]: a unique check needs columns or the contract's keys`);
        cols.forEach((col, k) => known(col, `checks[${i}].columns[${k}]`));
        break;
      }
      default: {
        const never: never = chk;
        problems.push(`checks[${i}]: unknown rule ${String(never)}`);
      }
    }
  });
  if (c.mode === 'upsert') {
    if (c.keys.length === 0) problems.push('mode: upsert needs keys');
    const keys = new Set(c.keys.map((k) => k.toLowerCase()));
    partitioning.forEach((t, i) => {
      if (t && t.transform !== 'void' && !keys.has(t.column.toLowerCase())) {
        problems.push(`partitioning[${i}]: an upsert table can only be partitioned by its keys (equality deletes must land in the key's partition)`);
      }
    });
  }
  if (problems.length > 0) throw new ValidationError(`${where} is invalid: ${problems.join('; ')}`);
  return {
    ...c,
    columns,
    partitioning: partitioning.filter((t): t is PartitionTerm => t !== null),
    sortOrder: sortOrder.filter((t): t is SortTerm => t !== null),
    text: c,
  };
}

/** Partition and sort terms use the SQL front end's syntax (`day(ts)`, `bucket(16, id)`, `ts DESC NULLS LAST`). */
function parseTerm(text: string, at: string, problems: string[], kind: 'partition'): PartitionTerm | null;
function parseTerm(text: string, at: string, problems: string[], kind: 'sort'): SortTerm | null;
function parseTerm(text: string, at: string, problems: string[], kind: 'partition' | 'sort'): PartitionTerm | SortTerm | null {
  try {
    const stmt = parseStatement(kind === 'partition' ? `ALTER TABLE t ADD PARTITION FIELD ${text}` : `ALTER TABLE t WRITE ORDERED BY ${text}`);
    if (stmt.kind === 'alterTable') {
      const a = stmt.action;
      if (a.type === 'addPartitionField' && a.name === undefined) return a.term;
      if (a.type === 'writeOrderedBy' && a.fields.length === 1) return a.fields[0]!;
    }
  } catch (e) {
    problems.push(`${at}: cannot read '${text}': ${e instanceof Error ? e.message : String(e)}`);
    return null;
  }
  problems.push(`${at}: '${text}' is not one ${kind} term`);
  return null;
}

/** Reads a contract file (`.yaml`, `.yml` or `.json`). */
export async function loadContract(path: string): Promise<Contract> {
  const text = await readFile(path, 'utf8').catch((e: unknown) => {
    throw new ValidationError(`cannot read contract ${path}: ${e instanceof Error ? e.message : String(e)}`);
  });
  return parseContractText(text, path);
}

export function parseContractText(text: string, where: string): Contract {
  let doc: unknown;
  try {
    doc = /\.json$/i.test(where) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ValidationError(`${where} is not valid ${/\.json$/i.test(where) ? 'JSON' : 'YAML'}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  return parseContract(doc, where);
}
