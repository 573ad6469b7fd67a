import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalFileIO } from '../../src/io/local.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'floe-io-stream-'));
  dirs.push(d);
  return d;
};

async function* chunks(parts: string[], failAtEnd = false): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield new Uint8Array(Buffer.from(p));
  if (failAtEnd) throw new Error('source failed after its last chunk');
}

describe('LocalFileIO streaming put-if-absent and append', () => {
  it('streams a file into place only if absent, never replacing one', async () => {
    const d = fresh();
    const io = new LocalFileIO();
    expect(await io.writeStreamIfAbsent(`${d}/o/a.csv`, chunks(['id\n', '1\n']))).toBe(true);
    expect(await io.writeStreamIfAbsent(`${d}/o/a.csv`, chunks(['other']))).toBe(false);
    expect(readFileSync(`${d}/o/a.csv`, 'utf8')).toBe('id\n1\n');
    expect(readdirSync(`${d}/o`)).toEqual(['a.csv']);
  });

  it('makes nothing visible when the source fails, not even after all chunks were written', async () => {
    const d = fresh();
    const io = new LocalFileIO();
    await expect(io.writeStreamIfAbsent(`${d}/o/b.csv`, chunks(['id\n', '1\n'], true))).rejects.toThrow(/source failed/);
    expect(await io.stat(`${d}/o/b.csv`)).toBeNull();
    expect(readdirSync(`${d}/o`)).toEqual([]);
  });

  it('one racer wins a concurrent streamed put-if-absent', async () => {
    const d = fresh();
    const io = new LocalFileIO();
    const wins = await Promise.all([1, 2, 3, 4].map((i) => io.writeStreamIfAbsent(`${d}/c.txt`, chunks([`writer ${i}`]))));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(readFileSync(`${d}/c.txt`, 'utf8')).toMatch(/^writer [1-4]$/);
    expect(readdirSync(d)).toEqual(['c.txt']);
  });

  it('appends records at the end of the file, creating it when missing', async () => {
    const d = fresh();
    const io = new LocalFileIO();
    await Promise.all(['a', 'b', 'c'].map((x) => io.append(`${d}/log/l.ndjson`, new Uint8Array(Buffer.from(`${x}\n`)))));
    expect(readFileSync(`${d}/log/l.ndjson`, 'utf8').split('\n').filter(Boolean).sort()).toEqual(['a', 'b', 'c']);
  });
});
