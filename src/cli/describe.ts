import type { Command } from 'commander';
import { quoteIdent } from '../engine/duckdb.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { printResult } from './sql.js';

/** `floe describe TABLE`: columns, partitioning and table metadata. */
export function registerDescribe(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('describe')
    .description('show a table\'s columns, partitioning and metadata')
    .argument('<table>', 'namespace.table')
    .action(async (table: string) => {
      const g = globals();
      await withWarehouse(g, async (wh) => {
        const name = table.split('.').map(quoteIdent).join('.');
        printResult(await wh.sql(`DESCRIBE EXTENDED ${name}`), formatOf(g, io), io);
      });
    });
}
