import type { Command } from 'commander';
import { gatherStatus } from '../zones/status.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render, renderJson } from './output.js';

/**
 * `floe status`: one section per zone (raw and curated: batches, bytes, freshness, pending
 * batches, quarantine; analytics: each model's last run and its table's freshness). JSON output is
 * one object keyed by section title.
 */
export function registerStatus(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('status')
    .description("each dataset's raw batches, curated freshness, pending batches and quarantined rows; each model's last run")
    .action(async () => {
      const g = globals();
      await withWarehouse(g, async (wh) => {
        const sections = await gatherStatus(wh);
        const format = formatOf(g, io);
        if (format === 'json') {
          io.out(`${JSON.stringify(Object.fromEntries(sections.map((s) => [s.title, JSON.parse(renderJson(s.columns, s.rows)) as unknown])))}\n`);
          return;
        }
        io.out(sections.map((s) => `# ${s.title}\n${render(format, s.columns, s.rows)}\n`).join('\n'));
      });
    });
}
