import { resolve } from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { runModels } from '../zones/runner.js';
import type { RunRecord } from '../zones/runs.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';

/**
 * `floe run [MODEL…] [--models DIR] [--full-refresh]`: runs SQL models into `analytics.<model>`
 * in dependency order (write–audit–publish per model), prints a summary, and exits non-zero
 * (status 3) when a model failed or was skipped.
 */
export function registerRun(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description('run SQL models (default ./models/*.sql) into the analytics zone, in dependency order')
    .argument('[models...]', 'models to run: NAME, +NAME (with upstream), NAME+ (with downstream); default all')
    .option('--models <dir>', 'folder of *.sql models', 'models')
    .option('--full-refresh', 'recompute incremental and merge models from every source row')
    .action(async (selection: string[], opts: { models: string; fullRefresh?: boolean }) => {
      const g = globals();
      const format = formatOf(g, io);
      await withWarehouse(g, async (wh) => {
        const bar = process.stderr.isTTY
          ? new cliProgress.SingleBar(
              { stream: process.stderr, format: 'floe run |{bar}| {value}/{total} models | {model}', hideCursor: true, clearOnComplete: true },
              cliProgress.Presets.shades_classic,
            )
          : undefined;
        let records: RunRecord[];
        try {
          records = await runModels(wh, {
            modelsDir: resolve(opts.models),
            select: selection,
            fullRefresh: opts.fullRefresh === true,
            onProgress: (e) => {
              if (!bar) return;
              if (e.index === 0 && !e.record) bar.start(e.total, 0, { model: e.model });
              else bar.update(e.index, { model: e.record ? '' : e.model });
            },
          });
        } finally {
          bar?.stop();
        }
        const columns = ['model', 'status', 'mode', 'rows_written', 'sources', 'snapshot_id', 'seconds', 'detail'].map((name) => ({ name, type: 'VARCHAR' }));
        const rows = records.map((r) => [
          r.target,
          r.status,
          `${r.materialized}/${r.mode}`,
          BigInt(r.rowsWritten),
          Object.entries(r.sources)
            .map(([t, id]) => `${t}@${id}`)
            .join(' '),
          r.snapshotId ?? null,
          (r.durationMs / 1000).toFixed(2),
          detail(r),
        ]);
        io.out(`${render(format, columns, rows)}\n`);
        const bad = records.filter((r) => r.status !== 'success');
        if (bad.length > 0) {
          const first = bad[0]!;
          throw new ValidationError(`${bad.length} of ${records.length} model(s) did not succeed: ${first.model}: ${first.error ?? first.status}`);
        }
      });
    });
}

function detail(r: RunRecord): string | null {
  if (r.status === 'success') return r.note ?? null;
  const parts = [r.error ?? r.status];
  if (r.branchKept) parts.push(`branch '${r.branch}' kept for inspection`);
  return parts.join('; ');
}
