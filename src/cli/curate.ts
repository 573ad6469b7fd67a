import type { Command } from 'commander';
import type { SqlValue } from '../engine/duckdb.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { joinPath } from '../io/paths.js';
import type { Warehouse } from '../warehouse.js';
import { loadContract, parseContract, type Contract } from '../zones/contract.js';
import { curate } from '../zones/curate.js';
import { checkDatasetName } from '../zones/raw.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';
import { progressBar } from './progress.js';

/** Where `floe curate --contract FILE` keeps the contract so later runs can leave the flag out. */
export function storedContractPath(wh: Warehouse, dataset: string): string {
  return joinPath(wh.root, 'contracts', `${dataset}.json`);
}

async function contractFor(wh: Warehouse, dataset: string, file: string | undefined): Promise<Contract> {
  if (file) {
    const contract = await loadContract(file);
    if (contract.dataset !== dataset) throw new ValidationError(`${file} is the contract of dataset '${contract.dataset}', not '${dataset}'`);
    await wh.io.write(storedContractPath(wh, dataset), new Uint8Array(Buffer.from(`${JSON.stringify(contract.text, null, 2)}\n`)));
    return contract;
  }
  try {
    const bytes = await wh.io.read(storedContractPath(wh, dataset));
    return parseContract(JSON.parse(Buffer.from(bytes).toString('utf8')), `stored contract of ${dataset}`);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`dataset ${dataset} has no contract yet: pass --contract FILE`);
    throw e;
  }
}

/**
 * `floe curate DATASET [--contract FILE]`: turns every raw batch not yet curated into rows of
 * `curated.<dataset>` (failing rows into `curated.<dataset>__quarantine`); prints one row per batch
 * and a total. The contract given is stored in the warehouse and used when the flag is left out.
 * A rejected batch stops the run (later batches stay pending) and makes the exit status 3.
 */
export function registerCurate(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('curate')
    .description('validate pending raw batches against the dataset contract into curated.<dataset>')
    .argument('<dataset>', 'dataset name (as in raw/<dataset>)')
    .option('--contract <file>', 'dataset contract (YAML or JSON); stored for later runs')
    .option('--memory-limit <size>', "DuckDB's memory limit while curating (spills to disk beyond it)", '512MB')
    .action(async (dataset: string, opts: { contract?: string; memoryLimit: string }) => {
      const g = globals();
      checkDatasetName(dataset);
      await withWarehouse(g, async (wh) => {
        const contract = await contractFor(wh, dataset, opts.contract);
        const started = performance.now();
        const bar = progressBar('batches');
        let results;
        try {
          results = await curate(wh, contract, { memoryLimit: opts.memoryLimit, onBatch: (d, t, r) => bar.update(d, t, r.source) });
        } finally {
          bar.stop();
        }
        const seconds = (performance.now() - started) / 1000;
        const sum = (k: 'rowsIn' | 'rowsCurated' | 'rowsQuarantined' | 'bytes'): number => results.reduce((a, r) => a + r[k], 0);
        const rows: SqlValue[][] = results.map((r) => [
          r.sha256.slice(0, 12),
          BigInt(r.position),
          r.status,
          BigInt(r.rowsIn),
          BigInt(r.rowsCurated),
          BigInt(r.rowsQuarantined),
          BigInt(r.bytes),
          Number((r.ms / 1000).toFixed(3)),
          r.message,
        ]);
        rows.push([
          'total',
          null,
          `${results.filter((r) => r.status === 'curated').length} of ${results.length} batch(es) curated`,
          BigInt(sum('rowsIn')),
          BigInt(sum('rowsCurated')),
          BigInt(sum('rowsQuarantined')),
          BigInt(sum('bytes')),
          Number(seconds.toFixed(3)),
          results.length === 0 ? 'nothing pending' : `${Math.round(sum('rowsIn') / Math.max(seconds, 1e-3)).toLocaleString('en-US')} rows/s`,
        ]);
        const cols: [string, string][] = [
          ['batch', 'VARCHAR'],
          ['position', 'BIGINT'],
          ['status', 'VARCHAR'],
          ['rows_in', 'BIGINT'],
          ['rows_curated', 'BIGINT'],
          ['rows_quarantined', 'BIGINT'],
          ['bytes', 'BIGINT'],
          ['seconds', 'DOUBLE'],
          ['message', 'VARCHAR'],
        ];
        io.out(`${render(formatOf(g, io), cols.map(([name, type]) => ({ name, type })), rows)}\n`);
        const rejected = results.find((r) => r.status === 'rejected');
        if (rejected) throw new ValidationError(rejected.message);
      });
    });
}
