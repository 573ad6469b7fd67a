import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NotFoundError } from '../errors.js';
import type { StatementResult } from '../sql/session.js';
import type { Warehouse } from '../warehouse.js';
import { runAthenaScript, usesAthena } from './athena-sql.js';
import { formatOf, withWarehouse, type CliIO, type GlobalOptions } from './context.js';
import { render, type OutputFormat } from './output.js';
import { repl } from './repl.js';

/** `floe sql "<SQL>"`, `floe sql -f file.sql`, or an interactive prompt when no SQL is given. */
export function registerSql(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('sql')
    .description('run SQL: statements separated by ";" run in order')
    .argument('[sql]', 'SQL text (omit for an interactive prompt, or pipe it on stdin)')
    .option('-f, --file <file>', 'read SQL from a file')
    .action(async (sqlText: string | undefined, opts: { file?: string }) => {
      const g = globals();
      const format = formatOf(g, io);
      let text = sqlText;
      if (opts.file !== undefined) {
        const file = opts.file;
        text = await readFile(file, 'utf8').catch((e: unknown) => {
          throw new NotFoundError(`cannot read SQL file '${file}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
        });
      }
      if (usesAthena(g)) return runAthenaScript(text ?? (await readStdin()), g, format, io);
      await withWarehouse(g, async (wh) => {
        if (text === undefined) {
          if (process.stdin.isTTY) return repl(wh, io, format);
          text = await readStdin();
        }
        await runScript(wh, text, format, io);
      });
    });
}

/** Runs a script; tables print every result, json/csv only the last statement's (for scripts to parse). */
export async function runScript(wh: Warehouse, text: string, format: OutputFormat, io: CliIO): Promise<void> {
  const results = await wh.sqlAll(text);
  if (format === 'table') {
    for (const r of results) printResult(r, format, io);
    return;
  }
  const last = results[results.length - 1];
  if (last) io.out(`${render(format, last.columns, last.rows)}\n`);
}

export function printResult(r: StatementResult, format: OutputFormat, io: CliIO): void {
  if (r.statement === 'query' || r.columns.length > 0) io.out(`${render(format, r.columns, r.rows)}\n`);
  if (r.message !== undefined && format === 'table') io.out(`${r.message}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
