import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { duckdbType } from '../engine/types.js';
import { UnsupportedError, ValidationError } from '../errors.js';
import { canPromote, decimalParams, isPrimitive, maxFieldId, typeToString } from '../spec/schema.js';
import type { NestedField, PrimitiveTypeName, Schema } from '../spec/types.js';
import { icebergTypeOfDuckdb } from '../sql/types.js';
import { addColumns, updateColumn } from '../table/update-schema.js';
import type { Contract } from './contract.js';
import { strictTextCast } from './exact-cast.js';
import { CHECKED, SRC, type StagedBatch } from './stage.js';

/** Differences between a batch's columns and the curated table (spec: schema evolution rules). */
export interface Drift {
  added: { name: string; type: PrimitiveTypeName }[];
  widened: { name: string; from: PrimitiveTypeName; to: PrimitiveTypeName }[];
  /** Nullable table columns the batch lacks (read as NULL; not drift). */
  missing: string[];
}

export function hasDrift(d: Drift): boolean {
  return d.added.length > 0 || d.widened.length > 0;
}

export function describeDrift(d: Drift): string {
  const parts = [
    ...d.added.map((a) => `new source column '${a.name}' (${a.type})`),
    ...d.widened.map((w) => `column '${w.name}' widened ${w.from} → ${w.to}`),
  ];
  return parts.join('; ');
}

/** Which source column feeds each table column: the contract's `source`, else the column's own name. */
export function sourceFor(contract: Contract, field: NestedField, staged: StagedBatch): string | undefined {
  return sourceAmong(contract, field, staged.sourceColumns.map((c) => c.name));
}

export function sourceAmong(contract: Contract, field: NestedField, names: string[]): string | undefined {
  const declared = contract.columns.find((c) => c.name.toLowerCase() === field.name.toLowerCase());
  const want = declared?.sourceName ?? field.name;
  return names.find((n) => n === want) ?? names.find((n) => n.toLowerCase() === want.toLowerCase());
}

function sourceType(staged: StagedBatch, name: string): string {
  return staged.sourceColumns.find((c) => c.name === name)!.type;
}

/** Whether a source column holds text to cast strictly into `t`. */
function isText(staged: StagedBatch, name: string, t: PrimitiveTypeName): boolean {
  return sourceType(staged, name) === 'VARCHAR' && t !== 'string';
}

/**
 * The type fast CSV parsing reads a column into: wide enough to see values beyond the column's
 * type (int as BIGINT, decimal(P, S) as DECIMAL(18, S) or (38, S), float as DOUBLE) so that drift
 * can widen the column instead of rejecting its rows.
 */
export function fastParseType(t: PrimitiveTypeName): string {
  if (t === 'int') return 'BIGINT';
  if (t === 'float') return 'DOUBLE';
  const dec = decimalParams(t);
  if (dec) return `DECIMAL(${dec.precision <= 18 ? 18 : 38}, ${dec.scale})`;
  return duckdbType(t);
}

/**
 * Finds new source columns and source values wider than their column (int values beyond 32 bits,
 * decimals with more integer digits, wider Parquet types) — only changes the spec allows
 * (int→long, float→double, decimal precision). Required table columns the batch lacks fail it.
 */
export async function detectDrift(engine: DuckDBEngine, staged: StagedBatch, contract: Contract, schema: Schema): Promise<Drift> {
  const used = new Set<string>();
  const drift: Drift = { added: [], widened: [], missing: [] };
  const missingRequired: string[] = [];
  // Every probe is one aggregate of a single scan over the staged rows.
  const probes: string[] = [];
  const after: ((row: unknown[]) => void)[] = [];
  const probe = (exprs: string[], use: (values: unknown[]) => void): void => {
    const at = probes.length;
    probes.push(...exprs);
    after.push((row) => use(row.slice(at, at + exprs.length)));
  };
  for (const f of schema.fields) {
    const src = sourceFor(contract, f, staged);
    if (src === undefined) {
      if (f.required) missingRequired.push(f.name);
      else drift.missing.push(f.name);
      continue;
    }
    used.add(src);
    if (!isPrimitive(f.type)) continue;
    const t = f.type;
    const col = quoteIdent(src);
    if (!isText(staged, src, t)) {
      if (staged.widening === 'types') {
        const wider = typeOfDuckdb(sourceType(staged, src));
        if (wider !== t && canPromote(t, wider)) drift.widened.push({ name: f.name, from: t, to: wider });
        continue;
      }
      // Values parsed into a wide type: do any exceed the column's type?
      if (t === 'int') {
        probe([`bool_or(${col} < -2147483648 OR ${col} > 2147483647)`], ([v]) => {
          if (v === true) drift.widened.push({ name: f.name, from: t, to: 'long' });
        });
      }
      const d = decimalParams(t);
      if (d) {
        // Strict CSV staging keeps the text of values too wide for its staging type.
        const text = staged.texts.get(src);
        const textDigits = text === undefined ? 'NULL' : wideDecimalDigits(quoteIdent(text), d.scale);
        probe([`greatest(max(CASE WHEN TRY_CAST(${col} AS ${duckdbType(t)}) IS NULL THEN length(CAST(trunc(abs(${col})) AS VARCHAR)) END), ${textDigits})`], ([digits]) => {
          if (digits === null || digits === undefined) return;
          const precision = Math.min(38, Number(digits) + d.scale);
          if (precision > d.precision) drift.widened.push({ name: f.name, from: t, to: `decimal(${precision}, ${d.scale})` });
        });
      }
      continue;
    }
    if (t === 'int') {
      probe([`bool_or(${strictTextCast(col, 'int')} IS NULL AND ${strictTextCast(col, 'long')} IS NOT NULL)`], ([v]) => {
        if (v === true) drift.widened.push({ name: f.name, from: t, to: 'long' });
      });
    }
    const dec = decimalParams(t);
    if (dec) {
      probe(
        [
          wideDecimalDigits(col, dec.scale, `${strictTextCast(col, t)} IS NOT NULL`),
        ],
        ([digits]) => {
          if (digits === null || digits === undefined) return;
          const precision = Math.min(38, Number(digits) + dec.scale);
          if (precision > dec.precision) drift.widened.push({ name: f.name, from: t, to: `decimal(${precision}, ${dec.scale})` });
        },
      );
    }
  }
  if (missingRequired.length > 0) {
    throw new ValidationError(`the batch has no source column for required column(s) ${missingRequired.map((n) => `'${n}'`).join(', ')}`);
  }
  for (const c of staged.sourceColumns) {
    if (used.has(c.name)) continue;
    if (c.type !== 'VARCHAR') {
      drift.added.push({ name: c.name, type: typeOfDuckdb(c.type) });
      continue;
    }
    // The narrowest of long, double, boolean, date, timestamp that reads every value; else string.
    const col = quoteIdent(c.name);
    const added = { name: c.name, type: 'string' as PrimitiveTypeName };
    drift.added.push(added);
    probe([...INFERRED.map((t) => `bool_and(${col} IS NULL OR ${strictTextCast(col, t)} IS NOT NULL)`), `count(${col})`], (vs) => {
      if (Number(vs[INFERRED.length] ?? 0) === 0) return;
      const i = INFERRED.findIndex((_, k) => vs[k] === true);
      if (i >= 0) added.type = INFERRED[i]!;
    });
  }
  if (probes.length > 0) {
    const r = await engine.query(`SELECT ${probes.join(', ')} FROM ${SRC}`);
    const row = r.rows[0] ?? [];
    for (const use of after) use(row);
  }
  return drift;
}

/**
 * The integer digits of text that reads exactly as a decimal of scale `scale` (any precision up
 * to 38), else NULL (also when `unless` holds), aggregated with max. CASE, not FILTER: DuckDB computes a FILTERed
 * aggregate's argument for every row.
 */
function wideDecimalDigits(text: string, scale: number, unless = 'false'): string {
  return `max(CASE WHEN ${unless} THEN NULL WHEN ${strictTextCast(text, `decimal(38, ${scale})`)} IS NOT NULL THEN length(split_part(regexp_replace(trim(${text}), '^[+-]?0*', ''), '.', 1)) END)`;
}

const INFERRED: PrimitiveTypeName[] = ['long', 'double', 'boolean', 'date', 'timestamp'];

function typeOfDuckdb(t: string): PrimitiveTypeName {
  try {
    const it = icebergTypeOfDuckdb(t, () => 0);
    return isPrimitive(it) ? it : 'string';
  } catch (e) {
    if (e instanceof UnsupportedError) return 'string';
    throw e;
  }
}

/** The table schema after applying drift (new columns optional, at the end). */
export function evolvedSchema(schema: Schema, lastColumnId: number, drift: Drift): Schema {
  let next = schema;
  if (drift.added.length > 0) next = addColumns(next, Math.max(lastColumnId, maxFieldId(schema)), drift.added.map((a) => ({ path: a.name, type: a.type, required: false }))).schema;
  for (const w of drift.widened) next = updateColumn(next, w.name, { newType: w.to });
  return next;
}


function lit(s: string): string {
  return quoteString(s);
}

/** `'<value>'` shortened to 80 characters for reasons. */
function shownValue(expr: string): string {
  return `'''' || left(CAST(${expr} AS VARCHAR), 80) || ''''`;
}

/**
 * Defines `__floe_checked`: each table column cast to its type, `__row`, `__rid` (the staged
 * row), and for rows that fail, `__rule` (the first failing rule) and `__reason`. Rules in
 * order: type, not_null, the contract's checks in order, then unique (over rows passing the rest).
 */
export async function checkBatch(engine: DuckDBEngine, staged: StagedBatch, contract: Contract, schema: Schema): Promise<void> {
  const fields = schema.fields.filter((f) => isPrimitive(f.type));
  const idx = new Map<string, number>(fields.map((f, i) => [f.name.toLowerCase(), i]));
  const v = (name: string): string => `__v${idx.get(name.toLowerCase())}`;
  const l1 = fields.map((f, i) => {
    const src = sourceFor(contract, f, staged);
    const t = duckdbType(f.type);
    // __t: text strict staging could not cast into its staging type; cast exactly into the column's
    // (possibly widened) type here, else a type failure.
    if (src === undefined) return `CAST(NULL AS VARCHAR) AS __s${i}, CAST(NULL AS VARCHAR) AS __t${i}, CAST(NULL AS ${t}) AS __v${i}`;
    const text = staged.texts.get(src);
    const typed = isText(staged, src, f.type as PrimitiveTypeName) ? strictTextCast(quoteIdent(src), f.type as PrimitiveTypeName) : `TRY_CAST(${quoteIdent(src)} AS ${t})`;
    const value = text === undefined ? typed : `CASE WHEN ${quoteIdent(text)} IS NULL THEN ${typed} ELSE ${strictTextCast(quoteIdent(text), f.type as PrimitiveTypeName)} END`;
    return `${quoteIdent(src)} AS __s${i}, ${text === undefined ? 'CAST(NULL AS VARCHAR)' : quoteIdent(text)} AS __t${i}, ${value} AS __v${i}`;
  });
  const rules: RowRule[] = [];
  fields.forEach((f, i) => {
    rules.push({
      rule: `type(${f.name})`,
      when: `((__t${i} IS NOT NULL OR __s${i} IS NOT NULL) AND __v${i} IS NULL)`,
      reason: `${lit(`column '${f.name}': `)} || ${shownValue(`coalesce(__t${i}, CAST(__s${i} AS VARCHAR))`)} || ${lit(` is not a valid ${typeToString(f.type)}`)}`,
    });
  });
  const contractRules = checkRules(contract, fields, v);
  rules.push(...contractRules.rules);
  const unique = contractRules.unique;
  const ruleCase = rules.length > 0 ? `CASE ${rules.map((r) => `WHEN ${r.when} THEN ${lit(r.rule)}`).join(' ')} END` : 'CAST(NULL AS VARCHAR)';
  const reasonCase = rules.length > 0 ? `CASE ${rules.map((r) => `WHEN ${r.when} THEN ${r.reason}`).join(' ')} END` : 'CAST(NULL AS VARCHAR)';
  const level1 = `SELECT ${staged.rowExpr} AS __row, ${staged.ridExpr} AS __rid, ${l1.join(', ')} FROM ${SRC}`;
  const level2 = `SELECT *, ${ruleCase} AS __rule0, ${reasonCase} AS __reason0 FROM (${level1})`;
  let level3 = `SELECT *, __rule0 AS __rule, __reason0 AS __reason FROM (${level2})`;
  if (unique && unique.length > 0) {
    const keys = unique.map(v);
    const dup = `(__rule0 IS NULL AND count(*) FILTER (WHERE __rule0 IS NULL) OVER (PARTITION BY ${keys.join(', ')}) > 1)`;
    const label = `unique(${unique.join(', ')})`;
    const keyText = `concat_ws(', ', ${keys.map((k) => `CAST(${k} AS VARCHAR)`).join(', ')})`;
    level3 = `SELECT *, CASE WHEN ${dup} THEN ${lit(label)} ELSE __rule0 END AS __rule,
      CASE WHEN ${dup} THEN ${lit(`key (${unique.join(', ')}) = (`)} || ${keyText} || ') appears ' || count(*) FILTER (WHERE __rule0 IS NULL) OVER (PARTITION BY ${keys.join(', ')}) || ' times in the batch' ELSE __reason0 END AS __reason
      FROM (${level2})`;
  }
  const out = fields.map((f, i) => `__v${i} AS ${quoteIdent(f.name)}`);
  // A view evaluates the casts and checks again in each pass (cheap next to copying every row);
  // the unique check's window is computed once into a table instead.
  const kind = unique && unique.length > 0 ? 'TABLE' : 'VIEW';
  await engine.run(`CREATE TEMP ${kind} ${CHECKED} AS SELECT ${out.join(', ')}, __row, __rid, __rule, __reason FROM (${level3})`);
}

/** A rule a checked row can fail: its name, the SQL condition under which it fails, the reason text. */
export interface RowRule {
  rule: string;
  when: string;
  reason: string;
}

/**
 * The contract's row rules after the type rules, over the column values `v(name)`: not_null for
 * required columns, then the contract's checks in order; `unique` is the column list of a unique
 * check (over the whole batch), or null.
 */
export function checkRules(contract: Contract, fields: NestedField[], v: (name: string) => string): { rules: RowRule[]; unique: string[] | null } {
  const idx = new Map<string, number>(fields.map((f, i) => [f.name.toLowerCase(), i]));
  const rules: RowRule[] = [];
  fields.forEach((f) => {
    if (f.required) rules.push({ rule: `not_null(${f.name})`, when: `${v(f.name)} IS NULL`, reason: lit(`column '${f.name}' is required but empty`) });
  });
  let unique: string[] | null = contract.mode === 'upsert' ? contract.keys : null;
  for (const c of contract.checks) {
    switch (c.rule) {
      case 'range': {
        const x = v(c.column);
        if (c.min !== undefined) rules.push({ rule: c.name ?? `range(${c.column})`, when: `${x} < ${c.min}`, reason: `${lit(`column '${c.column}' = `)} || ${shownValue(x)} || ${lit(` is below the minimum ${c.min}`)}` });
        if (c.max !== undefined) rules.push({ rule: c.name ?? `range(${c.column})`, when: `${x} > ${c.max}`, reason: `${lit(`column '${c.column}' = `)} || ${shownValue(x)} || ${lit(` is above the maximum ${c.max}`)}` });
        break;
      }
      case 'enum': {
        const x = v(c.column);
        const t = duckdbType(fields[idx.get(c.column.toLowerCase())!]!.type);
        rules.push({
          rule: c.name ?? `enum(${c.column})`,
          when: `${x} NOT IN (${c.values.map((val) => `CAST(${lit(String(val))} AS ${t})`).join(', ')})`,
          reason: `${lit(`column '${c.column}' = `)} || ${shownValue(x)} || ${lit(` is not one of ${c.values.join(', ')}`)}`,
        });
        break;
      }
      case 'regex': {
        const x = v(c.column);
        rules.push({
          rule: c.name ?? `regex(${c.column})`,
          when: `NOT regexp_matches(CAST(${x} AS VARCHAR), ${lit(c.pattern)})`,
          reason: `${lit(`column '${c.column}' = `)} || ${shownValue(x)} || ${lit(` does not match /${c.pattern}/`)}`,
        });
        break;
      }
      case 'not_null':
        rules.push({ rule: c.name ?? `not_null(${c.column})`, when: `${v(c.column)} IS NULL`, reason: lit(`column '${c.column}' is empty`) });
        break;
      case 'unique':
        unique = c.columns ?? contract.keys;
        break;
      default: {
        const never: never = c;
        throw new Error(`unknown rule ${String(never)}`);
      }
    }
  }
  return { rules, unique };
}

/** Failing rows with their source record as text (joined back to the staged rows by rowid). */
export function failedRowsSql(staged: StagedBatch): string {
  return `SELECT c.__row, c.__rule, c.__reason, s.__raw FROM ${CHECKED} c JOIN (SELECT ${staged.ridExpr} AS __rid, ${staged.rawExpr} AS __raw FROM ${SRC}) s ON s.__rid = c.__rid WHERE c.__rule IS NOT NULL`;
}
