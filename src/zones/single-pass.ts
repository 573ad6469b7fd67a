import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { duckdbType } from '../engine/types.js';
import { writeDataFiles, type WriteTarget } from '../engine/writer.js';
import { ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { DataFile } from '../manifest/types.js';
import { decimalParams, isPrimitive } from '../spec/schema.js';
import type { PrimitiveTypeName, Schema } from '../spec/types.js';
import type { Contract } from './contract.js';
import { strictTextCast } from './exact-cast.js';
import { collectCsvRejects, csvCastRejects, csvReader } from './stage.js';
import { checkRules, sourceAmong } from './validate.js';

/**
 * Curation of a CSV batch in one pass: the CSV is read once and its good rows are cast and
 * checked in the projection that writes the curated data files, so each row is parsed, cast and
 * encoded once (the staged path parses into a staging file, then scans it for drift and again to
 * write: about twice the work).
 *
 * The pass is optimistic: it applies only when every row is valid under the table's current
 * schema. The first row that fails a type or row rule (a value that does not cast exactly, a
 * value too wide for its column, a failed check) aborts the pass through DuckDB's `error()`, the
 * partial files are removed, and the batch takes the staged path, which finds drift and
 * quarantines failing rows with their row numbers. Lines the CSV reader rejects (malformed,
 * wrong encoding, fast parsing's unconvertible values) are quarantined by line number in either
 * path, so they do not abort the pass. A unique check (also an upsert's keys) is checked after
 * the pass on the written files' key columns: a duplicate key sends the batch to the staged path
 * too (every written row passed every other rule, so these are the rows the staged path's unique
 * window would count). Batches needing whole-batch knowledge before any row is written take the
 * staged path directly: new source columns (drift), nested columns, `onInvalid: reject`.
 */

export interface SinglePassResult {
  data: DataFile[];
  rowsCurated: number;
  /** Lines the reader rejected, in `__floe_bad` for the quarantine. */
  unreadable: number;
  /** Nullable table columns the batch lacks (read as NULL). */
  missing: string[];
  /** SQL reading the written rows (for an upsert's keys). */
  goodSql: string;
}

/** The text `error()` aborts the pass with; only an error carrying it falls back to staging. */
const ABORT = 'floe single pass: a row fails the contract';

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

/**
 * Writes the batch's rows as data files of `target`, or returns null (nothing written) when a
 * row fails; `fastType` is given for fast parsing (the reader's type of each source column).
 */
export async function curateCsvSinglePass(
  engine: DuckDBEngine,
  io: FileIO,
  path: string,
  contract: Contract,
  target: WriteTarget,
  header: string[],
  filePrefix: string,
  fast?: { typeOf: (sourceColumn: string) => string | undefined; columnRule: string },
): Promise<SinglePassResult | null> {
  const fields = target.schema.fields;
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
    // strict: the exact text cast (exact-cast.ts) straight into the column's type, so a value
    // wider than the column fails here and the staged path decides on drift; fast: the reader
    // parsed a wider type, narrowed here.
    const value = t === 'string' ? col : fast ? `TRY_CAST(${col} AS ${duckdbType(t)})` : readAs.has(src) ? exactFromDouble(col, t) : strictTextCast(col, t);
    values.push(`${value} AS __v${i}`);
    if (value !== col) typeFailures.push(`(${col} IS NOT NULL AND __v${i} IS NULL)`);
  });
  const { rules, unique } = checkRules(contract, fields, v);
  const fails = [...typeFailures, ...rules.map((r) => `coalesce(${r.when}, false)`)];
  const reader = csvReader(path, contract, fast ? fast.typeOf : readAs.size > 0 ? (n) => readAs.get(n) : undefined, header);
  const source = `SELECT ${values.join(', ')}${typeFailures.length > 0 ? `, ${header.map(quoteIdent).join(', ')}` : ''} FROM ${reader}`;
  const guard = fails.length > 0 ? ` WHERE CASE WHEN ${fails.join(' OR ')} THEN error('${ABORT}') ELSE true END` : '';
  const good = `SELECT ${fields.map((f, i) => `__v${i} AS ${quoteIdent(f.name)}`).join(', ')} FROM (${source})${guard}`;
  let files: DataFile[];
  try {
    files = await writeDataFiles(engine, io, target, good, { filePrefix });
  } catch (e) {
    if (e instanceof ValidationError && e.message.includes(ABORT)) return null;
    throw e;
  }
  if (!fast && (await csvCastRejects(engine)) > 0) {
    await Promise.all(files.map((f) => io.delete(f.file_path)));
    return null;
  }
  const empty = files.filter((f) => Number(f.record_count) === 0);
  await Promise.all(empty.map((f) => io.delete(f.file_path)));
  const data = files.filter((f) => Number(f.record_count) > 0);
  const local = await Promise.all(data.map((f) => io.localPath(f.file_path)));
  const goodSql = data.length > 0 ? `SELECT * FROM read_parquet([${local.map(quoteString).join(', ')}])` : `${good} LIMIT 0`;
  if (unique && unique.length > 0 && data.length > 0) {
    const keys = unique.map((k) => quoteIdent(fields.find((f) => f.name.toLowerCase() === k.toLowerCase())!.name));
    const dup = await engine.query(`SELECT 1 FROM (${goodSql}) GROUP BY ${keys.join(', ')} HAVING count(*) > 1 LIMIT 1`);
    if (dup.rows.length > 0) {
      await Promise.all(data.map((f) => io.delete(f.file_path)));
      return null;
    }
  }
  const unreadable = await collectCsvRejects(engine, fast ? `'type(' || ${fast.columnRule} || ')'` : undefined);
  return { data, rowsCurated: data.reduce((n, f) => n + Number(f.record_count), 0), unreadable, missing, goodSql };
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
