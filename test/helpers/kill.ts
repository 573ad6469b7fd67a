/** For the crash tests: a Node worker run in a child process, and seeded kill delays. */
import { spawn } from 'node:child_process';

export interface WorkerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `script` with `args` in a new Node process and collects its exit and output. */
export function runWorker(script: string, args: string[]): Promise<WorkerExit> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code, signal, out, err }));
  });
}

/** A deterministic pseudo-random delay in [0, maxMs) per seed (mulberry32). */
export function delayFor(seed: number, maxMs: number): number {
  let a = seed + 0x6d2b79f5;
  a = Math.imul(a ^ (a >>> 15), a | 1);
  a ^= a + Math.imul(a ^ (a >>> 7), a | 61);
  return Math.floor((((a ^ (a >>> 14)) >>> 0) / 4294967296) * maxMs);
}
