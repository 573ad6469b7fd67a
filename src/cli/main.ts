import { Command, CommanderError } from 'commander';
import type { CliIO, GlobalOptions } from './context.js';
import { registerAthenaOptions } from './athena-sql.js';
import { registerAwsConfig } from './aws-config.js';
import { registerAwsOptions } from './aws-options.js';
import { registerCurate } from './curate.js';
import { registerDescribe } from './describe.js';
import { reportError } from './errors.js';
import { registerHistory } from './history.js';
import { registerKeys } from './keys.js';
import { registerIngest } from './ingest.js';
import { registerMaintain } from './maintain.js';
import { compactStep, registerMaintainCompact } from './maintain-compact.js';
import { registerRollback } from './rollback.js';
import { registerRun } from './run.js';
import { registerSql } from './sql.js';
import { registerStatus } from './status.js';
import { registerTables } from './tables.js';

/** Runs the CLI with `argv` (as process.argv); returns the exit status. */
export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const program = new Command();
  program
    .name('floe')
    .description('a transactional Apache Iceberg lakehouse on your laptop')
    .option('-w, --warehouse <dir>', 'warehouse folder (env FLOE_WAREHOUSE, default ./warehouse)')
    .option('--catalog <uri>', 'shared catalog: postgres://user@host:port/db or glue (env FLOE_CATALOG; default the embedded SQLite)')
    .option('--catalog-db <file>', 'local SQLite catalog file, needed with an s3:// warehouse (env FLOE_CATALOG_DB)')
    .option('--format <format>', 'output: table | json | csv (table on a terminal)')
    .option('--debug', 'print stack traces with errors')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(false);
  registerAthenaOptions(program);
  registerAwsOptions(program);
  const globals = (): GlobalOptions => program.opts<GlobalOptions>();
  registerSql(program, io, globals);
  registerTables(program, io, globals);
  registerDescribe(program, io, globals);
  registerHistory(program, io, globals);
  registerRollback(program, io, globals);
  registerAwsConfig(program, io, globals);
  registerMaintain(program, io, globals, { leadingSteps: [compactStep], subcommands: [registerMaintainCompact] });
  registerRun(program, io, globals);
  registerKeys(program, io);
  registerIngest(program, io, globals);
  registerCurate(program, io, globals);
  registerStatus(program, io, globals);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 64;
    }
    return reportError(err, argv.includes('--debug'), io.err);
  }
}

function defaultIO(): CliIO {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTty: Boolean(process.stdout.isTTY),
  };
}
