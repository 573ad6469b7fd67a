import { AthenaClient } from '@aws-sdk/client-athena';
import type { Command } from 'commander';
import { AthenaRunner, formatBytes, type AthenaResult } from '../engine/athena.js';
import { ValidationError } from '../errors.js';
import { chunkedInsert } from '../sql/athena-chunk.js';
import { routeForAthena } from '../sql/athena-dialect.js';
import { splitStatements } from '../sql/split.js';
import type { CliIO, GlobalOptions } from './context.js';
import { render, type OutputFormat } from './output.js';

/** Global options of the Athena engine (`floe --engine athena --workgroup WG sql "…"`). */
export function registerAthenaOptions(program: Command): void {
  program
    .option('--engine <engine>', 'duckdb (embedded, default) | athena')
    .option('--workgroup <name>', 'Athena workgroup (with --engine athena)')
    .option('--region <region>', 'AWS region (default from the AWS environment/profile)')
    .option('--database <name>', 'Athena database for unqualified table names')
    .option('--data-catalog <name>', 'Athena data catalog (default AwsDataCatalog)')
    .option('--output-location <s3uri>', 'Athena result location, when the workgroup sets none')
    .option('--price-per-tb <usd>', 'Athena price per TB scanned, for the cost line (default 5)')
    .option('--chunk-partitions', 'split INSERT … SELECT into writes of at most 100 partitions each');
}

export interface AthenaCliOptions {
  engine?: string;
  workgroup?: string;
  region?: string;
  database?: string;
  dataCatalog?: string;
  outputLocation?: string;
  pricePerTb?: string;
  chunkPartitions?: boolean;
}

/** Whether the global options select Athena. */
export function usesAthena(g: GlobalOptions): boolean {
  const engine = (g as AthenaCliOptions).engine ?? 'duckdb';
  if (engine !== 'duckdb' && engine !== 'athena') throw new ValidationError(`unknown engine '${engine}' (use duckdb or athena)`);
  return engine === 'athena';
}

export function runnerFrom(g: GlobalOptions): AthenaRunner {
  const o = g as AthenaCliOptions;
  if (!o.workgroup) throw new ValidationError('--engine athena needs --workgroup WG');
  const price = o.pricePerTb === undefined ? undefined : Number(o.pricePerTb);
  if (price !== undefined && !(price >= 0)) throw new ValidationError(`--price-per-tb must be a non-negative number, got '${o.pricePerTb}'`);
  const client = new AthenaClient(o.region ? { region: o.region } : {});
  return new AthenaRunner({
    client,
    workgroup: o.workgroup,
    ...(o.dataCatalog !== undefined ? { catalog: o.dataCatalog } : {}),
    ...(o.database !== undefined ? { database: o.database } : {}),
    ...(o.outputLocation !== undefined ? { outputLocation: o.outputLocation } : {}),
    ...(price !== undefined ? { pricing: { usdPerTb: price } } : {}),
  });
}

/**
 * Runs a script on Athena, statement by statement, with floe's routing (translations and
 * warnings); tables print every result, json/csv only the last (as the DuckDB path does). Each
 * statement ends with a one-line stderr summary of data scanned and cost. Ctrl-C stops the
 * running query (StopQueryExecution) and ends the script.
 */
export async function runAthenaScript(text: string, g: GlobalOptions, format: OutputFormat, io: CliIO, runner = runnerFrom(g)): Promise<void> {
  const controller = new AbortController();
  const onSigint = (): void => {
    io.err('floe: cancelling the Athena query…\n');
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  try {
    const statements = splitStatements(text).filter((s) => s.trim() !== '');
    if (statements.length === 0) throw new ValidationError('no SQL statement given');
    let last: AthenaResult | undefined;
    for (const s of statements) {
      const route = routeForAthena(s);
      for (const w of route.warnings) io.err(`floe: warning: ${w}\n`);
      const results =
        (g as AthenaCliOptions).chunkPartitions === true && route.statement?.kind === 'insert'
          ? await chunkedInsert(runner, route.statement, { signal: controller.signal, log: (m) => io.err(`floe: ${m}\n`) })
          : [await runner.query(route.sql, { signal: controller.signal })];
      for (const raw of results) {
        const r = rowCountResult(raw, route.statement?.kind);
        io.err(`floe: ${summary(r)}\n`);
        if (format === 'table' && (r.columns.length > 0 || r.rows.length > 0)) io.out(`${render(format, r.columns, r.rows)}\n`);
        last = r;
      }
    }
    if (format !== 'table' && last) io.out(`${render(format, last.columns, last.rows)}\n`);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/**
 * A write's row count in the shape the DuckDB path prints: `rows_inserted` / `rows_deleted` /
 * `rows_updated` from Athena's UpdateCount. MERGE gets one `rows_affected` column: Athena reports
 * only the total, not DuckDB's split into updated, deleted and inserted rows.
 */
export function rowCountResult(r: AthenaResult, kind: string | undefined): AthenaResult {
  const n = r.stats.updateCount;
  if (n === undefined || r.columns.length > 0) return r;
  const name = kind === 'insert' || kind === 'createTable' ? 'rows_inserted' : kind === 'delete' ? 'rows_deleted' : kind === 'update' ? 'rows_updated' : 'rows_affected';
  return { ...r, columns: [{ name, type: 'BIGINT' }], rows: [[BigInt(n)]] };
}

/** `scanned 12.0 MB, cost $0.000057` (billed bytes follow Athena's 10 MB minimum). */
export function summary(r: AthenaResult): string {
  return `scanned ${formatBytes(r.stats.dataScannedBytes)}, cost $${r.stats.costUsd.toFixed(6)} (query ${r.stats.queryExecutionId})`;
}
