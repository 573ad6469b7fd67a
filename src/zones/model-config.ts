import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ValidationError } from '../errors.js';

/**
 * A model file's header: YAML in a leading block comment (`/* … *\/`) or between `---` fences.
 *
 *   materialized: table | incremental | merge   (default table)
 *   unique_key: order_id | [k1, k2]             (merge: the MERGE … ON keys)
 *   partitioned_by: [day(ordered_at)]           (CREATE TABLE … PARTITIONED BY terms)
 *   sorted_by: [ordered_at DESC]                (ALTER TABLE … WRITE ORDERED BY terms)
 *   incremental_sources: [curated.orders]       (default: every source; others are read in full)
 *   on_source_change: fail | full_refresh       (a source snapshot since the last run changed rows)
 *   properties: { key: value }                  (TBLPROPERTIES when the table is created)
 *   checks:                                     (each must hold for the run to be published)
 *     - not_null: order_id                      (or a list of columns)
 *     - unique: order_id                        (or a list: unique together)
 *     - name: positive_totals                   (SQL that must return zero rows)
 *       sql: SELECT * FROM analytics.daily WHERE total < 0
 *     - SELECT * FROM analytics.daily WHERE day IS NULL
 */
const columns = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v));
const terms = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (typeof v === 'string' ? [v] : v));

const checkSchema = z.union([
  z.string().min(1).transform((sql) => ({ kind: 'sql' as const, sql })),
  z.strictObject({ name: z.string().min(1).optional(), sql: z.string().min(1) }).transform((c) => ({ kind: 'sql' as const, ...c })),
  z.strictObject({ not_null: columns }).transform((c) => ({ kind: 'not_null' as const, columns: c.not_null })),
  z.strictObject({ unique: columns }).transform((c) => ({ kind: 'unique' as const, columns: c.unique })),
]);

const headerSchema = z
  .strictObject({
    materialized: z.enum(['table', 'incremental', 'merge']).default('table'),
    unique_key: columns.optional(),
    partitioned_by: terms.default([]),
    sorted_by: terms.default([]),
    incremental_sources: terms.optional(),
    on_source_change: z.enum(['fail', 'full_refresh']).default('fail'),
    properties: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).default({}),
    checks: z.array(checkSchema).default([]),
  })
  .refine((h) => h.materialized !== 'merge' || h.unique_key !== undefined, { message: 'materialized: merge needs unique_key', path: ['unique_key'] });

export type Materialization = 'table' | 'incremental' | 'merge';

/** One assertion about a model's output; `sql` checks must return zero rows. */
export type ModelCheck =
  | { kind: 'sql'; name?: string; sql: string }
  | { kind: 'not_null'; columns: string[] }
  | { kind: 'unique'; columns: string[] };

export interface ModelConfig {
  materialized: Materialization;
  uniqueKey?: string[];
  partitionedBy: string[];
  sortedBy: string[];
  /** Sources read incrementally (`ns.t`); undefined: all of them. */
  incrementalSources?: string[];
  onSourceChange: 'fail' | 'full_refresh';
  properties: Record<string, string>;
  checks: ModelCheck[];
}

/** Splits a model file into its header (parsed and validated) and its SQL body. */
export function parseModelFile(text: string, file: string): { config: ModelConfig; body: string } {
  let yamlText = '';
  let body = text;
  const fenced = /^\uFEFF?---[ \t]*\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)/.exec(text);
  const comment = /^\uFEFF?\s*\/\*([\s\S]*?)\*\//.exec(text);
  if (fenced) {
    yamlText = fenced[1]!;
    body = text.slice(fenced[0].length);
  } else if (comment) {
    yamlText = comment[1]!;
    body = text.slice(comment[0].length);
  }
  let raw: unknown;
  try {
    raw = yamlText.trim() === '' ? {} : parseYaml(yamlText);
  } catch (err) {
    throw new ValidationError(`${file}: the model header is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ValidationError(`${file}: the model header must be YAML key: value pairs`);
  }
  const parsed = headerSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
    throw new ValidationError(`${file}: model header ${where}${issue.message}`);
  }
  const h = parsed.data;
  const config: ModelConfig = {
    materialized: h.materialized,
    partitionedBy: h.partitioned_by,
    sortedBy: h.sorted_by,
    onSourceChange: h.on_source_change,
    properties: h.properties,
    checks: h.checks,
    ...(h.unique_key ? { uniqueKey: h.unique_key } : {}),
    ...(h.incremental_sources ? { incrementalSources: h.incremental_sources.map((s) => s.toLowerCase()) } : {}),
  };
  const sql = body.trim().replace(/;\s*$/, '').trim();
  if (sql === '') throw new ValidationError(`${file}: the model has no SELECT after its header`);
  return { config, body: sql };
}

/** A check's name as reports show it. */
export function checkName(c: ModelCheck, index: number): string {
  switch (c.kind) {
    case 'sql':
      return c.name ?? `check_${index + 1}`;
    case 'not_null':
      return `not_null(${c.columns.join(', ')})`;
    case 'unique':
      return `unique(${c.columns.join(', ')})`;
    default: {
      const never: never = c;
      throw new Error(`unknown check ${String(never)}`);
    }
  }
}
