import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import type { PrimitiveTypeName } from '../spec/types.js';
import type { Contract } from './contract.js';
import { strictTextCast } from './exact-cast.js';
import type { RawFormat } from './sniff.js';

/**
 * Stages one raw object for DuckDB, streaming from the file (DuckDB reads gzip and zstd itself):
 * CSV is parsed once into a local Parquet file, Parquet is read in place, JSON lines go to a temp
 * table (spilling to DuckDB's temp directory past `memory_limit`):
 *  - `__floe_src`: one column per source column (VARCHAR for CSV/JSON, Parquet's own types), with
 *    expressions for the 1-based record number in the file and the record as text (quarantine);
 *  - `__floe_bad`: records the reader could not turn into a row (`line`, `rule`, `reason`, `raw`).
 * Row order: DuckDB keeps insertion order (preserve_insertion_order), so `rowid` follows the file.
 */
export interface StagedBatch {
  sourceColumns: { name: string; type: string }[];
  /**
   * How wider source values show: by the source column types (Parquet), or by the values of
   * columns the CSV reader parsed into a wide type (`fast` CSV parsing). VARCHAR columns are
   * text in either case and are cast strictly.
   */
  widening: 'types' | 'values';
  /** SQL over `__floe_src` for a row's 1-based record number, and for its source record as text. */
  rowExpr: string;
  rawExpr: string;
  /** SQL over `__floe_src` that identifies a staged row (to join failing rows back to their record). */
  ridExpr: string;
  /** Local staging files to delete once the batch is done. */
  files: string[];
  /**
   * Strict CSV parsing: source columns cast while staging, by name → the staged VARCHAR column
   * holding the text of each value that did not cast exactly (NULL for every value that did).
   */
  texts: Map<string, string>;
}

/** Position column of staged Parquet rows (`file_row_number` of read_parquet). */
const POS = '__floe_pos';

/**
 * A view over Parquet rows in file order: `file_row_number` numbers records as the file holds
 * them, so no copy into DuckDB is needed.
 */
async function parquetView(engine: DuckDBEngine, file: string): Promise<{ name: string; type: string }[]> {
  await engine.run(`CREATE TEMP VIEW ${SRC} AS SELECT * EXCLUDE (file_row_number), file_row_number AS ${POS} FROM read_parquet(${file}, file_row_number = true)`);
  return (await columnsOf(engine, SRC)).filter((c) => c.name !== POS);
}

/**
 * The source record as a JSON object of its columns, computed only for rows that fail. A column
 * cast while staging shows its text when the cast failed, else its value as DuckDB prints it.
 */
export function rawJson(cols: { name: string }[], texts = new Map<string, string>()): string {
  const value = (n: string): string => {
    const t = texts.get(n);
    return t === undefined ? quoteIdent(n) : `coalesce(${quoteIdent(t)}, CAST(${quoteIdent(n)} AS VARCHAR))`;
  };
  return `to_json(struct_pack(${cols.map((c) => `${quoteIdent(c.name)} := ${value(c.name)}`).join(', ')}))::VARCHAR`;
}

export const SRC = '__floe_src';
export const BAD = '__floe_bad';
const REJECTS = '__floe_rejects';
const REJECT_SCANS = '__floe_reject_scans';
const LINES = '__floe_lines';

/** The checked rows of a batch (see validate.ts): a view, or a table when a window check needs one. */
export const CHECKED = '__floe_checked';

export async function dropStaged(engine: DuckDBEngine, staged?: StagedBatch): Promise<void> {
  for (const v of [CHECKED, SRC]) await engine.run(`DROP VIEW IF EXISTS ${v}`).catch(() => undefined);
  await Promise.all((staged?.files ?? []).map((f) => rm(f, { force: true })));
  for (const t of [CHECKED, SRC, BAD, REJECTS, REJECT_SCANS, LINES]) await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(t)}`).catch(() => undefined);
}

/**
 * Lines the CSV reader rejected, one row per line (DuckDB reports a short line once per missing
 * column: the first error of a line is kept); its error types → quarantine rule names.
 */
function rejectedLines(castRule = `'malformed'`): string {
  return `SELECT line, NULL, CASE arg_min(error_type, column_idx) WHEN 'INVALID ENCODING' THEN 'encoding' WHEN 'CAST' THEN arg_min(${castRule}, column_idx) ELSE 'malformed' END,
    arg_min(error_message, column_idx), arg_min(csv_line, column_idx) FROM ${REJECTS} GROUP BY line`;
}
const REJECTED_LINES = rejectedLines();

/**
 * How CSV columns are typed while staging, by source column name (undefined: VARCHAR):
 *  - `reader` (fast parsing): the DuckDB type the reader parses the column into; `columnRule`
 *    names the table column of a rejected column (SQL over the rejects table's `column_name`);
 *  - `exact` (strict parsing): the type the column's text is cast into exactly (exact-cast.ts)
 *    in the same pass, keeping the text of values that do not cast.
 * Without it every column is staged as text.
 */
export type CsvTyping =
  | { kind: 'reader'; typeOf: (sourceColumn: string) => string | undefined; columnRule: string }
  | { kind: 'exact'; typeOf: (sourceColumn: string) => PrimitiveTypeName | undefined };

/** Staged column holding the text of source column `i`'s values that did not cast exactly. */
const textColumn = (i: number): string => `__floe_text_${i}`;

/**
 * Strict parsing's staged columns: each typed column's text is cast exactly once, in the parsing
 * pass, so later passes read typed values; text that does not cast is kept beside it (mostly
 * NULL). `casts` go in an inner projection over the text columns, `outs` over it.
 */
export function strictStageColumns(names: string[], exact: (sourceColumn: string) => PrimitiveTypeName | undefined): { casts: string[]; outs: string[]; texts: Map<string, string> } {
  const texts = new Map<string, string>();
  const casts: string[] = [];
  const outs = names.map((n, i) => {
    const t = exact(n);
    if (t === undefined) return quoteIdent(n);
    texts.set(n, textColumn(i));
    casts.push(`${strictTextCast(quoteIdent(n), t)} AS __floe_v${i}`);
    return `__floe_v${i} AS ${quoteIdent(n)}, CASE WHEN __floe_v${i} IS NULL THEN ${quoteIdent(n)} END AS ${quoteIdent(textColumn(i))}`;
  });
  return { casts, outs, texts };
}

/** read_csv options from the contract's `source.csv`. */
function csvOptions(contract: Contract): string[] {
  const o = contract.source.csv;
  return [
    `header = ${o.header}`,
    `delim = ${quoteString(o.delimiter)}`,
    `quote = ${quoteString(o.quote)}`,
    ...(o.escape !== undefined ? [`escape = ${quoteString(o.escape)}`] : []),
    ...(o.null !== undefined ? [`nullstr = ${quoteString(o.null)}`] : []),
    `encoding = ${quoteString(o.encoding)}`,
  ];
}

const REJECTS_OPTIONS = `store_rejects = true, rejects_table = ${quoteString(REJECTS)}, rejects_scan = ${quoteString(REJECT_SCANS)}`;

/**
 * The single-pass reader (single-pass.ts): `read_csv` of one raw CSV object with the contract's
 * options, every column as text (strict) or the given types (fast), lines the reader cannot read
 * stored as rejects for `collectCsvRejects`.
 */
export function csvReader(path: string, contract: Contract, typeOf?: (sourceColumn: string) => string | undefined, names: string[] = [], storeRejects = true): string {
  const columns = typeOf
    ? `auto_detect = false, columns = {${names.map((n) => `${quoteString(n)}: ${quoteString(typeOf(n) ?? 'VARCHAR')}`).join(', ')}}`
    : 'all_varchar = true';
  return `read_csv(${quoteString(path)}, ${[columns, ...csvOptions(contract), storeRejects ? REJECTS_OPTIONS : 'ignore_errors = true'].join(', ')})`;
}

/** The table of a batch's unreadable records, one row per record (`__floe_bad`). */
async function createBad(engine: DuckDBEngine): Promise<void> {
  await engine.run(`CREATE TEMP TABLE ${BAD} (line BIGINT, row_number BIGINT, rule VARCHAR, reason VARCHAR, raw VARCHAR)`);
}

/** After a `csvReader` pass: `__floe_bad` holds one row per line the reader rejected. */
export async function collectCsvRejects(engine: DuckDBEngine, castRule = `'malformed'`): Promise<number> {
  await createBad(engine);
  await engine.run(`INSERT INTO ${BAD} ${rejectedLines(castRule)}`);
  const r = await engine.query(`SELECT count(*) FROM ${BAD}`);
  return Number(r.rows[0]![0]);
}

/** Drops the reject tables of an earlier `csvReader` pass (a new pass stores its own). */
export async function dropRejects(engine: DuckDBEngine): Promise<void> {
  for (const t of [REJECTS, REJECT_SCANS]) await engine.run(`DROP TABLE IF EXISTS ${quoteIdent(t)}`);
}

/** Values the typed reader could not convert in the last `csvReader` pass. */
export async function csvCastRejects(engine: DuckDBEngine): Promise<number> {
  const r = await engine.query(`SELECT count(*) FROM ${REJECTS} WHERE error_type = 'CAST'`);
  return Number(r.rows[0]![0]);
}

export async function stageBatch(engine: DuckDBEngine, path: string, format: RawFormat, contract: Contract, csvTyping?: CsvTyping): Promise<StagedBatch> {
  const typing = csvTyping?.kind === 'reader' ? csvTyping.typeOf : undefined;
  const exact = csvTyping?.kind === 'exact' ? csvTyping.typeOf : undefined;
  const columnRule = csvTyping?.kind === 'reader' ? csvTyping.columnRule : 'column_name';
  await dropStaged(engine);
  const file = quoteString(path);
  await createBad(engine);
  switch (format) {
    case 'csv': {
      const opts = csvOptions(contract);
      let columns = 'all_varchar = true';
      let castRule = `'malformed'`;
      let select = '*';
      const texts = new Map<string, string>();
      if (exact) {
        const names = await csvHeader(engine, file, opts);
        const strict = strictStageColumns(names, exact);
        for (const [k, v] of strict.texts) texts.set(k, v);
        if (strict.casts.length > 0) select = `${strict.outs.join(', ')} FROM (SELECT *, ${strict.casts.join(', ')}`;
      }
      if (typing) {
        // fast parsing: DuckDB's reader converts each column itself; values it cannot convert
        // reject their line (error type CAST), quarantined under the column's type rule.
        const names = await csvHeader(engine, file, opts);
        const types = names.map((n) => typing(n) ?? 'VARCHAR');
        columns = `auto_detect = false, columns = {${names.map((n, i) => `${quoteString(n)}: ${quoteString(types[i]!)}`).join(', ')}}`;
        castRule = `'type(' || ${columnRule} || ')'`;
      }
      // One streaming pass parses the CSV into a local Parquet file (DuckDB keeps the insertion
      // order in COPY, so file positions are record numbers); later passes read that file.
      const staging = join(tmpdir(), `floe-stage-${process.pid}-${randomUUID()}.parquet`);
      try {
        await engine.run(
          `COPY (SELECT ${select} FROM read_csv(${file}, ${[columns, ...opts, REJECTS_OPTIONS].join(', ')})${select === '*' ? '' : ')'}) TO ${quoteString(staging)} (FORMAT parquet, COMPRESSION snappy)`,
        );
        await engine.run(`INSERT INTO ${BAD} ${rejectedLines(castRule)}`);
        const textNames = new Set(texts.values());
        const cols = (await parquetView(engine, quoteString(staging))).filter((c) => !textNames.has(c.name));
        return { sourceColumns: cols, widening: 'values', rowExpr: `${POS} + 1`, ridExpr: POS, rawExpr: rawJson(cols, texts), files: [staging], texts };
      } catch (e) {
        await rm(staging, { force: true });
        throw e;
      }
    }
    case 'json':
      return stageJson(engine, file);
    case 'parquet': {
      const cols = await parquetView(engine, file);
      return { sourceColumns: cols, widening: 'types', rowExpr: `${POS} + 1`, ridExpr: POS, rawExpr: rawJson(cols), files: [], texts: new Map() };
    }
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}

/**
 * NDJSON is read as lines (a record separator U+001E as the column delimiter: JSON text never
 * holds a raw control character), so that each malformed line becomes its own quarantine row;
 * every JSON object's keys become the source columns. A file holding one JSON array is read as
 * an array: a broken array cannot be split into records, so it fails the batch.
 */
async function stageJson(engine: DuckDBEngine, file: string): Promise<StagedBatch> {
  await engine.run(
    `CREATE TEMP TABLE ${LINES} AS SELECT __line FROM read_csv(${file}, columns = {'__line': 'VARCHAR'}, header = false, delim = E'\\x1e', quote = '', escape = '', auto_detect = false, ${REJECTS_OPTIONS})`,
  );
  const first = await engine.query(`SELECT ltrim(__line) FROM ${LINES} ORDER BY rowid LIMIT 1`);
  const startsArray = String(first.rows[0]?.[0] ?? '').startsWith('[');
  if (startsArray) {
    await engine.run(`DROP TABLE ${LINES}`);
    await engine.run(`CREATE TEMP TABLE ${LINES} AS SELECT json::VARCHAR AS __line FROM read_json_objects(${file}, format = 'array')`);
  } else {
    await engine.run(`INSERT INTO ${BAD} ${REJECTED_LINES}`);
  }
  const lines = `(SELECT __line, rowid + 1 AS __row FROM ${LINES})`;
  const valid = `json_valid(__line) AND CASE WHEN json_valid(__line) THEN json_type(__line::JSON) = 'OBJECT' ELSE false END`;
  await engine.run(
    `INSERT INTO ${BAD} SELECT NULL, __row, 'malformed', CASE WHEN json_valid(__line) THEN 'not a JSON object' ELSE 'malformed JSON' END, __line FROM ${lines} WHERE NOT (${valid})`,
  );
  const keys = await engine.query(
    `SELECT k FROM (SELECT unnest(json_keys(__line::JSON)) AS k, __row FROM ${lines} WHERE ${valid}) GROUP BY k ORDER BY min(__row), k`,
  );
  const names = keys.rows.map((r) => String(r[0]));
  const extract = names.map((n) => `json_extract_string(__line::JSON, ${quoteString(`$."${n.replace(/"/g, '\\"')}"`)}) AS ${quoteIdent(n)}`);
  await engine.run(
    `CREATE TEMP TABLE ${SRC} AS SELECT ${[...extract, '__row', '__line AS __raw'].join(', ')} FROM ${lines} WHERE ${valid}`,
  );
  await engine.run(`DROP TABLE ${LINES}`);
  return { sourceColumns: names.map((name) => ({ name, type: 'VARCHAR' })), widening: 'values', rowExpr: '__row', ridExpr: 'rowid', rawExpr: '__raw', files: [], texts: new Map() };
}

async function columnsOf(engine: DuckDBEngine, table: string): Promise<{ name: string; type: string }[]> {
  const r = await engine.query(`DESCRIBE ${quoteIdent(table)}`);
  return r.rows.map((row) => ({ name: String(row[0]), type: String(row[1]) }));
}

/** The source column names of a CSV file, as DuckDB's sniffer reads its header (or `column0`, … without one). */
async function csvHeader(engine: DuckDBEngine, file: string, opts: string[]): Promise<string[]> {
  const r = await engine.query(`DESCRIBE SELECT * FROM read_csv(${file}, all_varchar = true, ignore_errors = true, ${opts.join(', ')})`);
  return r.rows.map((row) => String(row[0]));
}

/** Header names of a raw CSV object, for choosing the types fast parsing reads it with. */
export async function csvSourceColumns(engine: DuckDBEngine, path: string, contract: Contract): Promise<string[]> {
  return csvHeader(engine, quoteString(path), csvOptions(contract));
}
