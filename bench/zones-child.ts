/**
 * Child process of the zones benchmark: ingests one CSV into raw/bench and curates it, then prints
 * its timings and peak RSS (`process.resourceUsage().maxRSS`, KiB) as one JSON line, so the
 * figure covers exactly the ingest and curation (and not the parent's baseline); curation's process
 * CPU time (DuckDB's threads included) is reported beside wall time, as the machine may be shared.
 */
import { openWarehouse } from '../src/index.js';
import { parseContract } from '../src/zones/contract.js';
import { curate } from '../src/zones/curate.js';
import { ingest } from '../src/zones/raw.js';

const [warehouse, csv, memoryLimit, parse, dirty] = process.argv.slice(2);
if (!warehouse || !csv) throw new Error('usage: zones-child WAREHOUSE CSV [MEMORY_LIMIT] [fast|strict] [dirty]');

const contract = parseContract({
  dataset: 'bench',
  source: { csv: { parse: parse === 'fast' ? 'fast' : 'strict' } },
  columns: [
    { name: 'l_orderkey', type: 'long', nullable: false },
    { name: 'l_partkey', type: 'int' },
    { name: 'l_quantity', type: 'decimal(12, 2)' },
    { name: 'l_extendedprice', type: 'decimal(12, 2)' },
    { name: 'l_returnflag', type: 'string' },
    { name: 'l_shipdate', type: 'date' },
  ],
  checks: [
    // dirty: quantities of 49.99 (one row in 5,000) fail the range check and are quarantined.
    { rule: 'range', column: 'l_quantity', min: 0, max: dirty === 'dirty' ? 49.98 : 100 },
    { rule: 'enum', column: 'l_returnflag', values: ['A', 'N', 'R'] },
  ],
});

const wh = await openWarehouse({ warehouse });
try {
  const t0 = performance.now();
  const outcomes = await ingest({ root: wh.root, io: wh.io }, [csv], { dataset: 'bench' });
  const ingestMs = performance.now() - t0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  const results = await curate(wh, contract, { memoryLimit: memoryLimit ?? '512MB' });
  const curateMs = performance.now() - t1;
  const cpu = process.cpuUsage(cpu0);
  const curateCpuMs = (cpu.user + cpu.system) / 1000;
  const r = results[0];
  if (!r || r.status !== 'curated') throw new Error(`curation failed: ${r?.message ?? 'no batch'}`);
  process.stdout.write(
    `${JSON.stringify({ bytes: outcomes[0]!.bytes, ingestMs, curateMs, curateCpuMs, rowsIn: r.rowsIn, rowsCurated: r.rowsCurated, rowsQuarantined: r.rowsQuarantined, path: r.path, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
  );
} finally {
  await wh.close();
}
