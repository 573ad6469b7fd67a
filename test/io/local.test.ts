import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IoError, ValidationError } from '../../src/errors.js';
import { LocalFileIO } from '../../src/io/local.js';
import { fileIoContract } from './contract.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-io-'));
  dirs.push(d);
  return d;
};
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

fileIoContract('local', async () => ({ io: new LocalFileIO(), base: fresh() }));
fileIoContract('local with file:// URIs', async () => ({ io: new LocalFileIO(), base: `file://${fresh()}` }));
fileIoContract('local with a root', async () => {
  const root = fresh();
  return { io: new LocalFileIO({ root }), base: `${root}/sub` };
});

describe('LocalFileIO specifics', () => {
  it('leaves no temporary files behind and returns the file itself as localPath', async () => {
    const d = fresh();
    const io = new LocalFileIO();
    await io.write(`${d}/x/a.bin`, bytes('1'));
    await io.write(`${d}/x/a.bin`, bytes('2'));
    expect(await io.writeIfAbsent(`${d}/x/b.bin`, bytes('3'))).toBe(true);
    expect(await io.writeIfAbsent(`${d}/x/b.bin`, bytes('4'))).toBe(false);
    expect(readdirSync(join(d, 'x')).sort()).toEqual(['a.bin', 'b.bin']);
    expect(Buffer.from(await io.read(`${d}/x/b.bin`)).toString()).toBe('3');
    expect(await io.localPath(`file://${d}/x/a.bin`)).toBe(`${d}/x/a.bin`);
  });

  it('reports other file system failures as IoError naming the path', async () => {
    const d = fresh();
    mkdirSync(join(d, 'dir'));
    const io = new LocalFileIO();
    await expect(io.read(`${d}/dir`)).rejects.toThrow(IoError);
    await expect(io.read(`${d}/dir`)).rejects.toThrow(new RegExp(`${d}/dir`));
    await expect(io.write(`${d}/dir`, bytes('x'))).rejects.toThrow(IoError);
  });

  it('refuses non-local paths', async () => {
    const io = new LocalFileIO();
    await expect(io.read('s3://bucket/key')).rejects.toThrow(ValidationError);
    await expect(io.write('relative/file', bytes('x'))).rejects.toThrow(ValidationError);
  });
});

describe('LocalFileIO with a root', () => {
  it('refuses paths outside its root, also through ..', async () => {
    const root = fresh();
    const io = new LocalFileIO({ root });
    await io.write(`${root}/ok.txt`, Uint8Array.of(1));
    await expect(io.write(`${root}/../escape.txt`, Uint8Array.of(1))).rejects.toThrow(ValidationError);
    await expect(io.write(`${root}/a/../../escape.txt`, Uint8Array.of(1))).rejects.toThrow(/outside the warehouse/);
    await expect(io.read('/etc/passwd')).rejects.toThrow(/outside the warehouse/);
    await expect(io.writeIfAbsent(`file://${root}/%2E%2E/x`, Uint8Array.of(1))).rejects.toThrow(ValidationError);
    await expect(io.delete(`${root}x/sibling`)).rejects.toThrow(ValidationError);
    await expect(io.stat(`${root}/../`)).rejects.toThrow(ValidationError);
    const listing = async () => {
      for await (const f of io.list(`${root}/..`)) void f;
    };
    await expect(listing()).rejects.toThrow(ValidationError);
    expect(readdirSync(join(root, '..')).includes('escape.txt')).toBe(false);
  });

  it('accepts a relative root, resolved against the working directory', async () => {
    const root = fresh();
    const io = new LocalFileIO({ root: relative(process.cwd(), root) });
    await io.write(`${root}/in.txt`, bytes('x'));
    expect((await io.stat(`${root}/in.txt`))?.size).toBe(1);
    await expect(io.read(`${root}-other/in.txt`)).rejects.toThrow(/outside the warehouse/);
  });
});
