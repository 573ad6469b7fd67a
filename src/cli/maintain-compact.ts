import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { filePredicate, compactionRows } from '../sql/optimize.js';
import { rewriteDataFiles } from '../table/rewrite-data.js';
import { ValidationError } from '../errors.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import type { MaintenanceStep } from './maintain.js';
import { render } from './output.js';

interface CompactOptions {
  where?: string;
  targetSize?: string;
  minInputFiles?: string;
  sort?: boolean;
  dryRun?: boolean;
  branch?: string;
}

/**
 * `floe maintain compact TABLE [--where SQL] [--target-size BYTES] [--sort] [--dry-run]`:
 * bin-pack compaction. Registered on the `maintain` command passed in. Progress goes to stderr
 * as a bar when stderr is a terminal, and nowhere otherwise.
 */
export function registerMaintainCompact(maintain: Command, io: CliIO, globals: () => GlobalOptions): void {
  maintain
    .command('compact')
    .description('rewrite small data files (and files with deletes) into files of the target size')
    .argument('<table>', 'namespace.table')
    .option('--where <predicate>', 'only files that may hold rows matching this SQL condition (e.g. "day = DATE \'2024-01-01\'")')
    .option('--target-size <bytes>', 'target file size (default: table property write.target-file-size-bytes, else 512 MiB)')
    .option('--min-input-files <n>', 'rewrite a partition only when it has at least this many small files (default 2)')
    .option('--sort', "sort the new files by the table's sort order")
    .option('--branch <name>', 'branch to compact (default main)')
    .option('--dry-run', 'list the partitions and files that would be rewritten, change nothing')
    .action(async (name: string, opts: CompactOptions) => {
      const g = globals();
      const target = opts.targetSize !== undefined ? positiveInt(opts.targetSize, '--target-size') : undefined;
      const minInputFiles = opts.minInputFiles !== undefined ? positiveInt(opts.minInputFiles, '--min-input-files') : undefined;
      await withWarehouse(g, async (wh) => {
        const table = await wh.loadTable(name);
        const where = opts.where !== undefined ? await filePredicate(wh.engine, table.schema(), opts.where) : undefined;
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar({ stream: process.stderr, format: 'compacting [{bar}] {value}/{total} files', clearOnComplete: true }, cliProgress.Presets.shades_classic)
          : undefined;
        let started = false;
        try {
          const r = await rewriteDataFiles(table, {
            engine: wh.engine,
            caseSensitive: false,
            ...(where ? { where } : {}),
            ...(target !== undefined ? { targetFileSizeBytes: target } : {}),
            ...(minInputFiles !== undefined ? { minInputFiles } : {}),
            ...(opts.sort ? { sort: true } : {}),
            ...(opts.dryRun ? { dryRun: true } : {}),
            ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
            onProgress: (done, total) => {
              if (!bar) return;
              if (!started) bar.start(total, done);
              else bar.update(done);
              started = true;
            },
          });
          if (started) bar?.stop();
          started = false;
          const format = formatOf(g, io);
          if (opts.dryRun) {
            const cols = ['spec_id', 'partition', 'files', 'output_files', 'input_bytes', 'input_records', 'delete_files'].map((c) => ({ name: c, type: 'VARCHAR' }));
            const rows = r.groups.map((x) => [x.specId, JSON.stringify(x.partition, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)), x.files.length, x.bins, x.inputBytes, x.inputRecords, x.deleteFiles]);
            io.out(`${render(format, cols, rows)}\n`);
            if (format === 'table') io.out(`dry run: would rewrite ${r.rewrittenDataFiles} data file(s) in ${r.groups.length} partition(s) and remove ${r.removedDeleteFiles} delete file(s)\n`);
            return;
          }
          const { columns, rows } = compactionRows(r);
          io.out(`${render(format, columns, rows)}\n`);
        } finally {
          if (started) bar?.stop();
        }
      });
    });
}

/**
 * The first step of `floe maintain TABLE`: bin-pack compaction with the table's own settings, so
 * the manifests and snapshots it leaves are tidied and expired by the steps after it.
 */
export const compactStep: MaintenanceStep = {
  name: 'compact',
  async run(table, ctx) {
    const r = await rewriteDataFiles(table, {
      engine: ctx.warehouse.engine,
      caseSensitive: false,
      dryRun: ctx.dryRun,
      ...(ctx.onProgress ? { onProgress: (done: number, total: number) => ctx.onProgress?.({ phase: 'rewrite', done, total }) } : {}),
    });
    const verb = r.dryRun ? 'would rewrite' : 'rewrote';
    const result =
      r.rewrittenDataFiles === 0
        ? 'nothing to compact'
        : `${verb} ${r.rewrittenDataFiles} data file(s) in ${r.groups.length} partition(s)${r.dryRun ? '' : ` into ${r.addedDataFiles}`}, removing ${r.removedDeleteFiles} delete file(s)`;
    return { step: 'compact', result, filesDeleted: 0, bytesDeleted: 0 };
  },
};

function positiveInt(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || Number(s) <= 0 || !Number.isSafeInteger(Number(s))) throw new ValidationError(`${flag} needs a positive whole number, got '${s}'`);
  return Number(s);
}
