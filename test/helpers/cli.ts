import { main } from '../../src/cli/main.js';

/** What one in-process `floe` run returned and printed. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** Runs `floe <args…>` in this process, as a pipe would (not a terminal), capturing stdout and stderr. */
export async function runFloe(...args: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(['node', 'floe', ...args], {
    out: (s) => (out += s),
    err: (s) => (err += s),
    isTty: false,
  });
  return { code, out, err };
}
