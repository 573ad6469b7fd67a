import type { AthenaResult, AthenaRunner } from '../engine/athena.js';
import { ValidationError } from '../errors.js';
import type { ColumnDef, PartitionTerm, Statement } from './ast.js';
import { ATHENA_MAX_PARTITIONS_PER_WRITE } from './athena-dialect.js';
import { parseStatement } from './parser.js';

type Insert = Extract<Statement, { kind: 'insert' }>;

/**
 * Athena fails an INSERT INTO that writes more than 100 partitions (Athena limit). This splits
 * `INSERT INTO t [cols] <query>` into several INSERTs of at most 100 partitions each:
 *  1. the target's columns and partition spec are read from Athena (`SHOW CREATE TABLE`);
 *  2. the distinct partition keys of the query are computed on Athena
 *     (`SELECT DISTINCT <partition expressions> FROM (<query>) AS __src (<columns>)`);
 *  3. each chunk runs `INSERT INTO t [cols] SELECT * FROM (<query>) AS __src (…) WHERE <keys in chunk>`.
 * Partition expressions need only split rows the way the transforms do: identity → the column,
 * year/month/day/hour → year()/date_trunc(), truncate → substr()/floored remainder. Athena has no
 * Iceberg bucket hash, so a bucket(N) field counts as up to N partitions for every key.
 * Each chunk commits on its own (not one atomic write) and the query runs once per chunk, so
 * it must be deterministic; floe says so in the log.
 */
export async function chunkedInsert(
  runner: AthenaRunner,
  stmt: Insert,
  options: { signal?: AbortSignal; log?: (message: string) => void; maxPartitions?: number } = {},
): Promise<AthenaResult[]> {
  const log = options.log ?? ((): void => undefined);
  const max = options.maxPartitions ?? ATHENA_MAX_PARTITIONS_PER_WRITE;
  const target = quoteName(stmt.table);
  const original = `INSERT INTO ${target}${stmt.columns ? ` (${stmt.columns.map(quoteIdent).join(', ')})` : ''} ${stmt.source.sql.trim()}`;
  const ddl = await runner.query(`SHOW CREATE TABLE ${target}`, withSignal(options.signal));
  const table = parseDdl(ddl.rows.map((r) => String(r[0] ?? '')).join('\n'), stmt.table.join('.'));
  const results: AthenaResult[] = [ddl];
  if (table.partitionBy.length === 0) {
    results.push(await runner.query(original, withSignal(options.signal)));
    return results;
  }
  const aliases = stmt.columns ?? table.columns.map((c) => c.name);
  const exprs: string[] = [];
  let perKey = 1;
  for (const p of table.partitionBy) {
    if (p.transform === 'bucket') {
      perKey *= p.param ?? 1;
      continue;
    }
    if (p.transform === 'void') continue;
    if (!aliases.includes(p.column)) throw new ValidationError(`cannot chunk the INSERT into ${stmt.table.join('.')}: it does not write partition source column ${p.column}`);
    exprs.push(partitionExpr(p, table.columns.find((c) => c.name === p.column)));
  }
  const budget = Math.floor(max / perKey);
  if (budget < 1) throw new ValidationError(`cannot chunk the INSERT into ${stmt.table.join('.')}: its bucket partitions alone can reach ${perKey} partitions (over ${max})`);
  const src = `(${stmt.source.sql.trim()}) AS __src (${aliases.map(quoteIdent).join(', ')})`;
  if (exprs.length === 0) {
    results.push(await runner.query(original, withSignal(options.signal)));
    return results;
  }
  const keysSql = `SELECT DISTINCT ${exprs.map((e, i) => `${e} AS __p${i}`).join(', ')} FROM ${src}`;
  const keys: { values: (string | undefined)[]; types: string[] }[] = [];
  const raw = runner.streamRaw(keysSql, withSignal(options.signal));
  let page = await raw.next();
  while (!page.done) {
    const types = page.value.meta.map((m) => (m.Type ?? 'varchar').toLowerCase());
    for (const r of page.value.rows) keys.push({ values: r, types });
    page = await raw.next();
  }
  results.push({ columns: [{ name: 'partition_keys', type: 'BIGINT' }], rows: [[BigInt(keys.length)]], stats: page.value });
  if (keys.length <= budget) {
    results.push(await runner.query(original, withSignal(options.signal)));
    return results;
  }
  const chunks = Math.ceil(keys.length / budget);
  log(`writing ${keys.length} partition keys in ${chunks} INSERTs of at most ${budget} (each commits on its own; the query runs once per chunk)`);
  for (let c = 0; c < chunks; c++) {
    const slice = keys.slice(c * budget, (c + 1) * budget);
    const where = slice
      .map((k) => `(${exprs.map((e, i) => (k.values[i] === undefined ? `${e} IS NULL` : `${e} = ${literal(k.values[i]!, k.types[i]!)}`)).join(' AND ')})`)
      .join(' OR ');
    const sql = `INSERT INTO ${target}${stmt.columns ? ` (${stmt.columns.map(quoteIdent).join(', ')})` : ''} SELECT * FROM ${src} WHERE ${where}`;
    log(`chunk ${c + 1}/${chunks}: ${slice.length} partition key(s)`);
    results.push(await runner.query(sql, withSignal(options.signal)));
  }
  return results;
}

/** Columns and partition spec from Athena's SHOW CREATE TABLE text (Hive DDL with backquotes). */
export function parseDdl(text: string, name: string): { columns: ColumnDef[]; partitionBy: PartitionTerm[] } {
  const cleaned = text.replace(/`/g, '');
  let stmt: Statement;
  try {
    stmt = parseStatement(cleaned);
  } catch (e) {
    throw new ValidationError(`cannot read the columns and partitions of ${name} from SHOW CREATE TABLE; run the INSERT without --chunk-partitions`, { cause: e });
  }
  if (stmt.kind !== 'createTable') throw new ValidationError(`SHOW CREATE TABLE ${name} did not return a CREATE TABLE statement`);
  return { columns: stmt.columns, partitionBy: stmt.partitionBy };
}

/** An Athena (Trino) expression splitting rows as the partition transform does. */
function partitionExpr(p: PartitionTerm, col: ColumnDef | undefined): string {
  const c = `__src.${quoteIdent(p.column)}`;
  switch (p.transform) {
    case 'identity':
      return c;
    case 'year':
      return `year(${c})`;
    case 'month':
    case 'day':
    case 'hour':
      return `date_trunc('${p.transform}', ${c})`;
    case 'truncate': {
      const w = p.param ?? 1;
      const isString = col?.type.kind === 'primitive' && (col.type.name === 'string' || col.type.name === 'binary');
      // spec: truncate(W, v) for integers and decimals is v - (((v % W) + W) % W).
      return isString ? `substr(${c}, 1, ${w})` : `(${c} - (((${c} % ${w}) + ${w}) % ${w}))`;
    }
    case 'bucket':
    case 'void':
      throw new ValidationError(`no Athena expression for ${p.transform} partitions`);
    default: {
      const never: never = p.transform;
      throw new Error(`unknown transform ${String(never)}`);
    }
  }
}

/** A Trino literal for a value Athena printed for a column of `type`. */
function literal(v: string, type: string): string {
  const q = `'${v.replace(/'/g, "''")}'`;
  if (/^(tinyint|smallint|integer|int|bigint|real|float|double|boolean)$/.test(type)) return v;
  if (type.startsWith('decimal')) return `DECIMAL ${q}`;
  if (type === 'date') return `DATE ${q}`;
  if (type.startsWith('timestamp')) return `TIMESTAMP ${q}`;
  if (type === 'varbinary') return `from_hex('${v.replace(/\s+/g, '')}')`;
  return q;
}

function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

function quoteName(parts: string[]): string {
  return parts.map(quoteIdent).join('.');
}
