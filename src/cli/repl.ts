import { appendFile, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Warehouse } from '../warehouse.js';
import type { CliIO } from './context.js';
import { reportError } from './errors.js';
import type { OutputFormat } from './output.js';
import { printResult } from './sql.js';
import { splitStatements } from '../sql/split.js';

const HISTORY_FILE = join(homedir(), '.floe_history');

/**
 * Interactive prompt: a statement may span lines and runs when it ends with `;`.
 * History persists in ~/.floe_history. `.quit` or Ctrl-D leaves.
 */
export async function repl(wh: Warehouse, io: CliIO, format: OutputFormat): Promise<void> {
  const history = await readFile(HISTORY_FILE, 'utf8')
    .then((s) => s.split('\n').filter((l) => l.length > 0).reverse().slice(0, 500))
    .catch(() => [] as string[]);
  const rl = createInterface({ input: process.stdin, output: process.stdout, history, historySize: 500, terminal: true });
  io.out(`floe — warehouse ${wh.root}. End statements with ';'. .quit to leave.\n`);
  let buffer = '';
  try {
    for (;;) {
      let line: string;
      try {
        line = await rl.question(buffer ? '   ...> ' : 'floe> ');
      } catch {
        break;
      }
      if (!buffer && (line.trim() === '.quit' || line.trim() === '.exit')) break;
      buffer += (buffer ? '\n' : '') + line;
      if (!buffer.trim().endsWith(';')) continue;
      const text = buffer;
      buffer = '';
      await appendFile(HISTORY_FILE, `${text.replace(/\n/g, ' ')}\n`).catch(() => undefined);
      if (splitStatements(text).length === 0) continue;
      try {
        for (const r of await wh.sqlAll(text)) printResult(r, format, io);
      } catch (err) {
        reportError(err, false, io.err);
      }
    }
  } finally {
    rl.close();
  }
}
