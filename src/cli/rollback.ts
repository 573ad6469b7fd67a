import type { Command } from 'commander';
import { ValidationError } from '../errors.js';
import { withWarehouse, type CliIO, type GlobalOptions } from './context.js';

/** `floe rollback TABLE --to SNAPSHOT_ID`: point main back at an ancestor snapshot. */
export function registerRollback(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('rollback')
    .description('make an earlier snapshot (an ancestor of the current one) current again')
    .argument('<table>', 'namespace.table')
    .requiredOption('--to <snapshot-id>', 'snapshot id to roll back to')
    .action(async (name: string, opts: { to: string }) => {
      if (!/^\d+$/.test(opts.to)) throw new ValidationError(`--to needs a snapshot id, got '${opts.to}'`);
      await withWarehouse(globals(), async (wh) => {
        const table = await wh.loadTable(name);
        await table.newTransaction().rollbackTo(BigInt(opts.to)).commit();
        io.out(`rolled ${table.name} back to snapshot ${opts.to}\n`);
      });
    });
}
