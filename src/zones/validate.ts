import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { duckdbType } from '../engine/types.js';
import { UnsupportedError, ValidationError } from '../errors.js';
import { canPromote, decimalParams, isPrimitive, maxFieldId, typeToString } from '../spec/schema.js';
import type { NestedField, PrimitiveTypeName, Schema } from '../spec/types.js';
import { icebergTypeOfDuckdb } from '../sql/types.js';
import { addColumns, updateColumn } from '../table/update-schema.js';
import type { Contract } from './contract.js';
import { SRC, type StagedBatch } from './stage.js';

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
  const declared = contract.columns.find((c) => c.name.toLowerCase() === field.name.toLowerCase());
  const want = declared?.sourceName ?? field.name;
  return (
    staged.sourceColumns.find((c) => c.name === want)?.name ??
    staged.sourceColumns.find((c) => c.name.toLowerCase() === want.toLowerCase())?.name
  );
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
  for (const f of schema.fields) {
    const src = sourceFor(contract, f, staged);
    if (src === undefined) {
      if (f.required) missingRequired.push(f.name);
      else drift.missing.push(f.name);
      continue;
    }
    used.add(src);
    if (!isPrimitive(f.type)) continue;
    const wider = await widerType(engine, staged, src, f.type);
    if (wider) drift.widened.push({ name: f.name, from: f.type, to: wider });
  }
  if (missingRequired.length > 0) {
    throw new ValidationError(`the batch has no source column for required column(s) ${missingRequired.map((n) => `'${n}'`).join(', ')}`);
  }
  for (const c of staged.sourceColumns) {
    if (used.has(c.name)) continue;
    drift.added.push({ name: c.name, type: staged.textual ? await inferTextType(engine, c.name) : typeOfDuckdb(c.type) });
  }
  return drift;
}

function typeOfDuckdb(t: string): PrimitiveTypeName {
  try {
    const it = icebergTypeOfDuckdb(t, () => 0);
    return isPrimitive(it) ? it : 'string';
  } catch (e) {
    if (e instanceof UnsupportedError) return 'string';
    throw e;
  }
}

async function widerType(engine: DuckDBEngine, staged: StagedBatch, src: string, t: PrimitiveTypeName): Promise<PrimitiveTypeName | null> {
  const col = quoteIdent(src);
  if (!staged.textual) {
    const s = typeOfDuckdb(staged.sourceColumns.find((c) => c.name === src)!.type);
    return s !== t && canPromote(t, s) ? s : null;
  }
  if (t === 'int') {
    const r = await engine.query(`SELECT bool_or(${strictTextCast(col, 'int')} IS NULL AND ${strictTextCast(col, 'long')} IS NOT NULL) FROM ${SRC}`);
    return r.rows[0]?.[0] === true ? 'long' : null;
  }
  const dec = decimalParams(t);
  if (dec) {
    const r = await engine.query(
      `SELECT max(length(split_part(regexp_replace(trim(${col}), '^[+-]?0*', ''), '.', 1))) FROM ${SRC}
       WHERE ${strictTextCast(col, t)} IS NULL AND ${strictTextCast(col, `decimal(38, ${dec.scale})`)} IS NOT NULL`,
    );
    const digits = r.rows[0]?.[0];
    if (digits === null || digits === undefined) return null;
    const precision = Math.min(38, Number(digits) + dec.scale);
    return precision > dec.precision ? `decimal(${precision}, ${dec.scale})` : null;
  }
  return null;
}

/** The narrowest of long, double, boolean, date, timestamp that reads every value; else string. */
async function inferTextType(engine: DuckDBEngine, name: string): Promise<PrimitiveTypeName> {
  const col = quoteIdent(name);
  const candidates: PrimitiveTypeName[] = ['long', 'double', 'boolean', 'date', 'timestamp'];
  const r = await engine.query(
    `SELECT ${candidates.map((t) => `bool_and(${col} IS NULL OR ${strictTextCast(col, t)} IS NOT NULL)`).join(', ')}, count(${col}) FROM ${SRC}`,
  );
  const row = r.rows[0] ?? [];
  if (Number(row[candidates.length] ?? 0) === 0) return 'string';
  const i = candidates.findIndex((_, k) => row[k] === true);
  return i >= 0 ? candidates[i]! : 'string';
}

/** The table schema after applying drift (new columns optional, at the end). */
export function evolvedSchema(schema: Schema, lastColumnId: number, drift: Drift): Schema {
  let next = schema;
  if (drift.added.length > 0) next = addColumns(next, Math.max(lastColumnId, maxFieldId(schema)), drift.added.map((a) => ({ path: a.name, type: a.type, required: false }))).schema;
  for (const w of drift.widened) next = updateColumn(next, w.name, { newType: w.to });
  return next;
}

export const CHECKED = '__floe_checked';

/**
 * Casts source text to a column type without DuckDB's lenient rounding ('1.5' as INTEGER is 2,
 * '1.234' as DECIMAL(10, 2) is 1.23): integers must be written as integers and decimals may not
 * carry more fractional digits than the column's scale; anything else reads as a type failure.
 */
export function strictTextCast(expr: string, t: PrimitiveTypeName): string {
  const cast = `TRY_CAST(${expr} AS ${duckdbType(t)})`;
  if (t === 'int' || t === 'long') return `CASE WHEN regexp_full_match(${expr}, '\\s*[+-]?[0-9]+\\s*') THEN ${cast} END`;
  const dec = decimalParams(t);
  if (dec) {
    const frac = dec.scale > 0 ? `(\\.[0-9]{0,${dec.scale}})?` : '\\.?';
    return `CASE WHEN regexp_full_match(${expr}, '\\s*[+-]?([0-9]+${frac}|\\.[0-9]{1,${Math.max(1, dec.scale)}})\\s*') THEN ${cast} END`;
  }
  return cast;
}

function lit(s: string): string {
  return quoteString(s);
}

/** `'<value>'` shortened to 80 characters for reasons. */
function shownValue(expr: string): string {
  return `'''' || left(CAST(${expr} AS VARCHAR), 80) || ''''`;
}

/**
 * Materialises `__floe_checked`: each table column cast to its type, `__row`, and for rows that
 * fail, `__rule` (the first failing rule), `__reason` and `__raw` (the source record). Rules in
 * order: type, not_null, the contract's checks in order, then unique (over rows passing the rest).
 */
export async function checkBatch(engine: DuckDBEngine, staged: StagedBatch, contract: Contract, schema: Schema): Promise<void> {
  const fields = schema.fields.filter((f) => isPrimitive(f.type));
  const idx = new Map<string, number>(fields.map((f, i) => [f.name.toLowerCase(), i]));
  const v = (name: string): string => `__v${idx.get(name.toLowerCase())}`;
  const l1 = fields.map((f, i) => {
    const src = sourceFor(contract, f, staged);
    const t = duckdbType(f.type);
    return src === undefined
      ? `CAST(NULL AS VARCHAR) AS __s${i}, CAST(NULL AS ${t}) AS __v${i}`
      : `${quoteIdent(src)} AS __s${i}, ${staged.textual ? strictTextCast(quoteIdent(src), f.type as PrimitiveTypeName) : `TRY_CAST(${quoteIdent(src)} AS ${t})`} AS __v${i}`;
  });
  const rules: { rule: string; when: string; reason: string }[] = [];
  fields.forEach((f, i) => {
    rules.push({
      rule: `type(${f.name})`,
      when: `__s${i} IS NOT NULL AND __v${i} IS NULL`,
      reason: `${lit(`column '${f.name}': `)} || ${shownValue(`__s${i}`)} || ${lit(` is not a valid ${typeToString(f.type)}`)}`,
    });
  });
  fields.forEach((f, i) => {
    if (f.required) rules.push({ rule: `not_null(${f.name})`, when: `__v${i} IS NULL`, reason: lit(`column '${f.name}' is required but empty`) });
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
  const ruleCase = rules.length > 0 ? `CASE ${rules.map((r) => `WHEN ${r.when} THEN ${lit(r.rule)}`).join(' ')} END` : 'CAST(NULL AS VARCHAR)';
  const reasonCase = rules.length > 0 ? `CASE ${rules.map((r) => `WHEN ${r.when} THEN ${r.reason}`).join(' ')} END` : 'CAST(NULL AS VARCHAR)';
  const level1 = `SELECT __row, __raw, ${l1.join(', ')} FROM ${SRC}`;
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
  await engine.run(`DROP TABLE IF EXISTS ${CHECKED}`);
  await engine.run(
    `CREATE TEMP TABLE ${CHECKED} AS SELECT ${out.join(', ')}, __row, __rule, __reason, CASE WHEN __rule IS NOT NULL THEN __raw END AS __raw FROM (${level3})`,
  );
}
