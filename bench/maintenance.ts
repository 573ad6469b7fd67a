/**
 * Compaction benchmark: N one-row appends (BENCH_SMALL_APPENDS, default 10,000 commits of one
 * file each), then bin-pack compaction. Reports the query time on the compacted table against the
 * same query on one freshly written table of the same rows (target ≤ 1.2×), and planning time
 * before and after compaction.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteString } from '../src/engine/duckdb.js';
import { readParquetStats } from '../src/engine/parquet-stats.js';
import { fieldIdsOption } from '../src/engine/types.js';
import { toLocalPath } from '../src/io/paths.js';
import { FileContent } from '../src/manifest/types.js';
import { parquetFile } from '../src/engine/writer.js';
import { rewriteDataFiles, type Warehouse } from '../src/index.js';
import { line, time } from './report.js';

const APPENDS = Number(process.env['BENCH_SMALL_APPENDS'] ?? 10_000);

const ROWS = (n: number): string => `SELECT range::BIGINT AS id, (range % 97)::INT AS grp, range * 0.25 AS v FROM range(${n})`;

export async function maintenance(wh: Warehouse): Promise<void> {
  console.log(`\n# compaction (${APPENDS.toLocaleString()} one-row appends, one file per commit)`);
  await wh.sql('CREATE NAMESPACE maint');
  // Commit-time retention keeps the metadata file bounded (the newest 100 snapshots), so the
  // ratios measure the data layout and not the parsing of 10,000 snapshots per query (expiry
  // has its own benchmark).
  await wh.sql(`CREATE TABLE maint.small (id BIGINT, grp INT, v DOUBLE) TBLPROPERTIES ('floe.commit.expire-snapshots' = 'true',
    'history.expire.max-snapshot-age-ms' = '0', 'history.expire.min-snapshots-to-keep' = '100')`);
  await wh.sql('CREATE TABLE maint.fresh (id BIGINT, grp INT, v DOUBLE)');
  let table = await wh.loadTable('maint.small');

  // One Parquet file per row, written in one DuckDB COPY (a partition folder per row), so setting
  // up does not dominate; each file is then its own commit.
  const dir = join(toLocalPath(table.location), 'data', 'one-row');
  await mkdir(dir, { recursive: true });
  await wh.engine.run(
    `COPY (SELECT *, id AS __k FROM (${ROWS(APPENDS)})) TO ${quoteString(dir)} (FORMAT parquet, PARTITION_BY (__k), FIELD_IDS ${fieldIdsOption(table.schema())})`,
  );
  const paths: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.parquet')) paths.push(join(e.parentPath, e.name));
  }
  const stats = await readParquetStats(wh.engine, paths, table.schema());
  const [appendMs] = await time(async () => {
    for (const p of paths) {
      const st = stats.get(p)!;
      const file = parquetFile(FileContent.Data, p, {}, st);
      table = await table.newTransaction().appendFiles([file]).commit();
    }
  });
  line(`${paths.length.toLocaleString()} one-file commits, ms per commit`, (appendMs / paths.length).toFixed(2), '');
  await wh.sql(`INSERT INTO maint.fresh ${ROWS(APPENDS)}`);

  const queries: [string, string][] = [
    ['aggregate', 'SELECT grp, count(*), sum(v), min(id), max(id) FROM {T} GROUP BY grp ORDER BY grp'],
    ['selective', `SELECT count(*), sum(v) FROM {T} WHERE id BETWEEN ${Math.floor(APPENDS / 3)} AND ${Math.floor(APPENDS / 3) + 50}`],
  ];
  const median = async (sql: string): Promise<number> => {
    await wh.sql(sql);
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) ts.push((await time(() => wh.sql(sql)))[0]);
    return ts.sort((a, b) => a - b)[2]!;
  };
  const planMs = async (): Promise<number> => {
    const t = await wh.loadTable('maint.small');
    await t.planScan();
    const ts: number[] = [];
    for (let i = 0; i < 3; i++) ts.push((await time(() => t.planScan()))[0]);
    return ts.sort((a, b) => a - b)[1]!;
  };

  const planBefore = await planMs();
  const queryBefore = await median(queries[0]![1].replace('{T}', 'maint.small'));
  const [compactMs, r] = await time(() => rewriteDataFiles(table, { engine: wh.engine }));
  const planAfter = await planMs();
  line(`compaction: ${r.rewrittenDataFiles.toLocaleString()} files into ${r.addedDataFiles}, ms`, compactMs.toFixed(0), '');
  line('compaction files rewritten per second', Math.round(r.rewrittenDataFiles / (compactMs / 1000)).toLocaleString(), '');
  line('planning before compaction, ms', planBefore.toFixed(2), '');
  line('planning after compaction, ms', planAfter.toFixed(3), '');
  line('planning after / before', `${(planAfter / planBefore).toFixed(4)}x`, '');
  line('query aggregate before compaction / fresh table', `${(queryBefore / (await median(queries[0]![1].replace('{T}', 'maint.fresh')))).toFixed(2)}x`, '');
  // Alternating runs of the two tables, medians of 15: the load on the machine hits both alike.
  for (const [name, sql] of queries) {
    const a = sql.replace('{T}', 'maint.small');
    const b = sql.replace('{T}', 'maint.fresh');
    await wh.sql(a);
    await wh.sql(b);
    const ta: number[] = [];
    const tb: number[] = [];
    for (let i = 0; i < 15; i++) {
      ta.push((await time(() => wh.sql(a)))[0]);
      tb.push((await time(() => wh.sql(b)))[0]);
    }
    const mid = (xs: number[]): number => [...xs].sort((x, y) => x - y)[7]!;
    line(`query ${name}: compacted / freshly written table`, `${(mid(ta) / mid(tb)).toFixed(2)}x`, '<= 1.20x');
  }
}
