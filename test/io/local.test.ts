import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { LocalFileIO } from '../../src/io/local.js';
import { isUnder, joinPath, toLocalPath } from '../../src/io/paths.js';
import { fileIoContract } from './contract.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-io-'));
  dirs.push(d);
  return d;
};

fileIoContract('local', async () => ({ io: new LocalFileIO(), base: fresh() }));
fileIoContract('local with file:// URIs', async () => ({ io: new LocalFileIO(), base: `file://${fresh()}` }));

describe('local paths', () => {
  it('refuses paths outside its root, also through ..', async () => {
    const root = fresh();
    const io = new LocalFileIO({ root });
    await io.write(`${root}/ok.txt`, Uint8Array.of(1));
    await expect(io.write(`${root}/../escape.txt`, Uint8Array.of(1))).rejects.toThrow(ValidationError);
    await expect(io.read('/etc/passwd')).rejects.toThrow(/outside the warehouse/);
  });
  it('converts URIs and joins paths', () => {
    expect(toLocalPath('file:///tmp/a%20b')).toBe('/tmp/a b');
    expect(toLocalPath('file:/tmp/x')).toBe('/tmp/x');
    expect(() => toLocalPath('s3://bucket/key')).toThrow(/not a local path/);
    expect(() => toLocalPath('relative/path')).toThrow(/absolute/);
    expect(joinPath('s3://b/x/', '/y/', 'z')).toBe('s3://b/x/y/z');
    expect(isUnder('/a/b/c', '/a/b')).toBe(true);
    expect(isUnder('/a/bc', '/a/b')).toBe(false);
    expect(isUnder('/a/b/../c', '/a/b')).toBe(false);
    expect(isUnder('s3://b/w/t', 's3://b/w')).toBe(true);
    expect(isUnder('/b/w/t', 's3://b/w')).toBe(false);
  });
});
