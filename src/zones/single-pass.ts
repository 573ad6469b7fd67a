import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { duckdbType } from '../engine/types.js';
import { writeDataFiles, type WriteTarget } from '../engine/writer.js';
import { ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { DataFile } from '../manifest/types.js';
import { decimalParams, isPrimitive } from '../spec/schema.js';
import type { NestedField, PrimitiveTypeName, Schema } from '../spec/types.js';
import type { Contract } from './contract.js';
import { strictTextCast } from './exact-cast.js';
import { CHECKED, collectCsvRejects, csvCastRejects, csvReader, dropRejects, rawJson, SRC, strictStageColumns, type CsvTyping, type StagedBatch } from './stage.js';
import { checkBatch, checkRules, detectDrift, hasDrift, sourceAmong } from './validate.js';

/**
 * Curation of a CSV batch in one pass: the CSV is read once and its good rows are cast and
 * checked in the projection that writes the curated data files, so each row is parsed, cast and
 * encoded once (the staged path parses into a staging file, then scans it for drift and again to
 * write: about twice the work).
 *
 * The pass is optimistic: the first row failing a type or row rule (a value that does not cast
 * exactly, a value too wide for its column, a failed check) aborts it through DuckDB's `error()`
 * and its files are removed. Then a pass over the CSV numbers the records and stages just the
 * failing rows, exactly as the staged path stages them, and runs the staged path's drift
 * detection and checks over them (their rule, reason, row number and raw record are the staged
 * path's); a last pass writes the other rows under the same condition. Drift among the failing
 * rows, or one the checks pass, sends the whole batch to the staged path. Lines the CSV reader
 * rejects (malformed, wrong encoding, fast parsing's unconvertible values) are quarantined by
 * line number, as in the staged path. A unique check (also an upsert's keys) is checked after
 * the writing pass on the written files' key columns: a duplicate key sends the batch to the
 * staged path too (its unique window counts only rows passing every other rule: the written
 * ones). Batches needing whole-batch knowledge before any row is written take the staged path
 * directly: new source columns (drift), nested columns, `onInvalid: reject`.
 */

/** The text `error()` aborts the optimistic pass with. */
const ABORT = 'floe single pass: a row fails the contract';

export interface SinglePassResult {
  data: DataFile[];
  rowsCurated: number;
  /** Lines the reader rejected, in `__floe_bad` for the quarantine. */
  unreadable: number;
  /** Nullable table columns the batch lacks (read as NULL). */
  missing: string[];
  /** SQL reading the written rows (for an upsert's keys). */
  goodSql: string;
  /** The rows that failed a rule, staged as the staged path stages them (`__floe_src`, checked in `__floe_checked`), or null. */
  failed: StagedBatch | null;
  rowsFailed: number;
}

/**
 * Whether a CSV batch can take the single pass: quarantine on invalid rows, primitive columns
 * only, every required column and no new column in the source (those take the staged path).
 */
export function singlePassApplies(contract: Contract, schema: Schema, header: string[]): boolean {
  if (contract.onInvalid !== 'quarantine') return false;
  if (!schema.fields.every((f) => isPrimitive(f.type))) return false;
  const used = new Set<string>();
  for (const f of schema.fields) {
    const src = sourceAmong(contract, f, header);
    if (src === undefined) {
      if (f.required) return false; // the staged path rejects the batch naming the column
      continue;
    }
    used.add(src);
  }
  return header.every((n) => used.has(n));
}

type Reading = 'double' | 'text' | 'fast';

/**
 * Each table column's value (`__v<i>`) from the source columns as read, and the SQL that holds
 * when a row fails a type or row rule: text cast exactly (`text`), strict parsing's doubles
 * checked exact (`double`), or the fast reader's wide types narrowed (`fast`).
 */
function rowSql(contract: Contract, fields: NestedField[], header: string[], reading: Reading, readAs: Map<string, string>): { values: string[]; fails: string; missing: string[]; unique: string[] | null } {
  const v = (name: string): string => `__v${fields.findIndex((f) => f.name.toLowerCase() === name.toLowerCase())}`;
  const missing: string[] = [];
  const values: string[] = [];
  const typeFailures: string[] = [];
  fields.forEach((f, i) => {
    const t = f.type as PrimitiveTypeName;
    const src = sourceAmong(contract, f, header);
    if (src === undefined) {
      missing.push(f.name);
      values.push(`CAST(NULL AS ${duckdbType(t)}) AS __v${i}`);
      return;
    }
    const col = quoteIdent(src);
    // The exact cast straight into the column's type, so a value wider than the column fails
    // here and the staged path decides on drift.
    const value =
      t === 'string' ? col : reading === 'fast' ? `TRY_CAST(${col} AS ${duckdbType(t)})` : reading === 'double' && readAs.has(src) ? exactFromDouble(col, t) : strictTextCast(col, t);
    values.push(`${value} AS __v${i}`);
    if (value !== col) typeFailures.push(`(${col} IS NOT NULL AND __v${i} IS NULL)`);
  });
  const { rules, unique } = checkRules(contract, fields, v);
  const fails = [...typeFailures, ...rules.map((r) => `coalesce(${r.when}, false)`)];
  return { values, fails: fails.length > 0 ? fails.join(' OR ') : 'false', missing, unique };
}

/**
 * Writes the batch's good rows as data files of `target` in one pass, and when rows failed,
 * stages just those rows (a second pass over the CSV numbering its records) and checks them as
 * the staged path would; returns null (nothing written) when the batch must be staged whole.
 */
export async function curateCsvSinglePass(
  engine: DuckDBEngine,
  io: FileIO,
  path: string,
  contract: Contract,
  target: WriteTarget,
  header: string[],
  filePrefix: string,
  typing: CsvTyping,
): Promise<SinglePassResult | null> {
  const written: DataFile[] = [];
  try {
    return await singlePass(written, engine, io, path, contract, target, header, filePrefix, typing);
  } catch (e) {
    // Files written before a failure are not part of the table: remove them.
    await Promise.all(written.map((f) => io.delete(f.file_path).catch(() => undefined)));
    throw e;
  }
}

async function singlePass(
  written: DataFile[],
  engine: DuckDBEngine,
  io: FileIO,
  path: string,
  contract: Contract,
  target: WriteTarget,
  header: string[],
  filePrefix: string,
  typing: CsvTyping,
): Promise<SinglePassResult | null> {
  const fields = target.schema.fields;
  const fast = typing.kind === 'reader' ? typing : undefined;
  // strict: numeric columns whose exact check goes through a double anyway are parsed by the
  // reader as DOUBLE (exact-cast.ts: int, decimals up to 15 digits; float and double as
  // themselves); a value the reader cannot parse rejects its line as a CAST error, and the batch
  // then takes the staged path so that it is quarantined by row with its text, as strict parsing
  // does. Every other column is read as text and cast exactly.
  const readAs = new Map<string, string>();
  if (!fast) {
    for (const f of fields) {
      const src = sourceAmong(contract, f, header);
      const t = f.type as PrimitiveTypeName;
      if (src !== undefined && (t === 'int' || t === 'float' || t === 'double' || (decimalParams(t)?.precision ?? 99) <= 15)) readAs.set(src, t === 'float' ? 'FLOAT' : 'DOUBLE');
    }
  }
  const castRule = fast ? `'type(' || ${fast.columnRule} || ')'` : undefined;
  const discard = async (): Promise<null> => {
    await Promise.all(written.map((f) => io.delete(f.file_path)));
    return null;
  };
  /** Writes the rows `keep` selects; rows failing `fails` abort the COPY when `abort`. */
  const writePass = async (reading: Reading, abort: boolean): Promise<{ data: DataFile[]; aborted: boolean; sql: ReturnType<typeof rowSql> }> => {
    const sql = rowSql(contract, fields, header, reading, readAs);
    const typeOf = reading === 'fast' ? fast?.typeOf : reading === 'double' && readAs.size > 0 ? (n: string) => readAs.get(n) : undefined;
    const source = `SELECT ${sql.values.join(', ')}, ${header.map(quoteIdent).join(', ')} FROM ${csvReader(path, contract, typeOf, header)}`;
    const keep = abort ? `CASE WHEN ${sql.fails} THEN error('${ABORT}') ELSE true END` : `NOT (${sql.fails})`;
    const good = `SELECT ${fields.map((f, i) => `__v${i} AS ${quoteIdent(f.name)}`).join(', ')} FROM (${source}) WHERE ${keep}`;
    await dropRejects(engine);
    try {
      const files = await writeDataFiles(engine, io, target, good, { filePrefix });
      written.push(...files);
      const empty = files.filter((f) => Number(f.record_count) === 0);
      await Promise.all(empty.map((f) => io.delete(f.file_path)));
      return { data: files.filter((f) => Number(f.record_count) > 0), aborted: false, sql };
    } catch (e) {
      if (abort && e instanceof ValidationError && e.message.includes(ABORT)) return { data: [], aborted: true, sql };
      throw e;
    }
  };

  // 1. The optimistic pass: every row valid (strict: numbers read as doubles by the reader).
  let pass = await writePass(fast ? 'fast' : 'double', true);
  let subset: StagedBatch | null = null;
  let rowsFailed = 0;
  if (pass.aborted || (!fast && (await csvCastRejects(engine)) > 0)) {
    await discard();
    written.length = 0;
    // 2. Some row failed: stage only the failing rows, numbered as the staged path numbers records
    // (the reader's parsed records in file order: row_number() over the scan, a streaming window
    // that keeps the scan's order), with the staged path's columns (strict: values cast into the
    // staging types, and the text of those that did not cast), then check them as it does.
    const reading: Reading = fast ? 'fast' : 'text';
    const second = rowSql(contract, fields, header, reading, readAs);
    const numbered = `SELECT row_number() OVER () AS __row, * FROM ${csvReader(path, contract, fast?.typeOf, header, false)}`;
    const failing = `SELECT * EXCLUDE (${fields.map((_, i) => `__v${i}`).join(', ')}) FROM (SELECT *, ${second.values.join(', ')} FROM (${numbered})) WHERE ${second.fails}`;
    let texts = new Map<string, string>();
    let staged = failing;
    if (typing.kind === 'exact') {
      const strict = strictStageColumns(header, typing.typeOf);
      texts = strict.texts;
      if (strict.casts.length > 0) staged = `SELECT __row, ${strict.outs.join(', ')} FROM (SELECT *, ${strict.casts.join(', ')} FROM (${failing}))`;
    }
    await engine.run(`CREATE TEMP TABLE ${SRC} AS ${staged}`);
    const described = await engine.query(`DESCRIBE ${SRC}`);
    const textNames = new Set(texts.values());
    const cols = described.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) })).filter((c) => c.name !== '__row' && !textNames.has(c.name));
    subset = { sourceColumns: cols, widening: 'values', rowExpr: '__row', ridExpr: '__row', rawExpr: rawJson(cols, texts), files: [], texts };
    // Values wider than their column fail, so drift shows among the failing rows alone.
    if (hasDrift(await detectDrift(engine, subset, contract, target.schema))) return null;
    await checkBatch(engine, subset, contract, target.schema);
    const counts = await engine.query(`SELECT count(*), count(*) FILTER (WHERE __rule IS NULL) FROM ${CHECKED}`);
    // Safety net: each of them fails a rule of the staged path's checks too.
    if (Number(counts.rows[0]![1]) !== 0) return null;
    rowsFailed = Number(counts.rows[0]![0]);
    // 3. The good rows: the same reading and condition as step 2, so the two passes split the
    // parsed records exactly (the condition is never NULL).
    pass = await writePass(reading, false);
  }
  const data = pass.data;
  const local = await Promise.all(data.map((f) => io.localPath(f.file_path)));
  const goodSql =
    data.length > 0
      ? `SELECT * FROM read_parquet([${local.map(quoteString).join(', ')}])`
      : `SELECT ${fields.map((f) => `CAST(NULL AS ${duckdbType(f.type as PrimitiveTypeName)}) AS ${quoteIdent(f.name)}`).join(', ')} WHERE false`;
  if (pass.sql.unique && pass.sql.unique.length > 0 && data.length > 0) {
    const keys = pass.sql.unique.map((k) => quoteIdent(fields.find((f) => f.name.toLowerCase() === k.toLowerCase())!.name));
    const dup = await engine.query(`SELECT 1 FROM (${goodSql}) GROUP BY ${keys.join(', ')} HAVING count(*) > 1 LIMIT 1`);
    if (dup.rows.length > 0) return discard();
  }
  const unreadable = await collectCsvRejects(engine, castRule);
  return { data, rowsCurated: data.reduce((n, f) => n + Number(f.record_count), 0), unreadable, missing: pass.sql.missing, goodSql, failed: subset, rowsFailed };
}

/**
 * A value parsed as a double, taken only when it is exact in `t` (as `strictTextCast` checks
 * text): integral and within range for int, equal to its rounding to the scale for decimals (a
 * double holds 15 significant digits exactly). float and double are the reader's own values.
 */
function exactFromDouble(col: string, t: PrimitiveTypeName): string {
  if (t === 'float' || t === 'double') return col;
  const cast = `TRY_CAST(${col} AS ${duckdbType(t)})`;
  return `CASE WHEN ${cast} = ${col} THEN ${cast} END`;
}
