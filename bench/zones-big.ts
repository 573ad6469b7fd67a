/**
 * The streaming bound of issue 6: a CSV of BENCH_BIG_ROWS rows (default 120M, about 5.2 GB) is
 * ingested and curated with strict parsing in a child process, whose peak RSS must stay within
 * 1 GB. Run alone (`node dist/bench/run.js zones-big`): it needs about 11 GB of free disk and
 * several minutes, so the default `npm run bench` leaves it out.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBEngine, quoteString } from '../src/engine/duckdb.js';
import { line } from './report.js';
import { lineitemCsvSql, runChild } from './zones.js';

export async function zonesBig(): Promise<void> {
  const rows = Number(process.env['BENCH_BIG_ROWS'] ?? 120_000_000);
  const memoryLimit = process.env['BENCH_ZONE_MEMORY'] ?? '512MB';
  console.log(`\n# raw → curated, streaming bound (${rows.toLocaleString()}-row CSV, strict parsing)`);
  const dir = await mkdtemp(join(tmpdir(), 'floe-bench-big-'));
  const engine = await DuckDBEngine.create();
  try {
    const csv = join(dir, 'lineitem.csv');
    await engine.run(`COPY (${lineitemCsvSql(rows)}) TO ${quoteString(csv)} (FORMAT csv, HEADER true)`);
    const r = await runChild(join(dir, 'wh'), csv, rows, memoryLimit, 'strict', false);
    line('CSV size, GB', ((await stat(csv)).size / 1e9).toFixed(2), '');
    line('rows/s: floe curate, strict parsing', Math.round(rows / (r.curateMs / 1000)).toLocaleString('en-US'), '');
    line('peak RSS of ingest + curate, MB', (r.maxRssKiB / 1024).toFixed(0), '<= 1024 MB');
  } finally {
    engine.close();
    await rm(dir, { recursive: true, force: true });
  }
}
