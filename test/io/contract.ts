import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';

/** Larger than two 5 MiB multipart parts (the S3 minimum part size), with an odd tail. */
const LARGE_FILE_BYTES = 11 * 1024 * 1024 + 123;

/** The FileIO contract, run against every implementation. `base` is a fresh, empty prefix. */
export function fileIoContract(name: string, make: () => Promise<{ io: FileIO; base: string }>): void {
  describe(`FileIO contract: ${name}`, () => {
    const bytes = (s: string) => new Uint8Array(Buffer.from(s));
    it('writes, reads, stats, lists and deletes', async () => {
      const { io, base } = await make();
      await io.write(`${base}/a/b/c.txt`, bytes('hello'));
      expect(Buffer.from(await io.read(`${base}/a/b/c.txt`)).toString()).toBe('hello');
      await io.write(`${base}/a/b/c.txt`, bytes('again'));
      expect(Buffer.from(await io.read(`${base}/a/b/c.txt`)).toString()).toBe('again');
      expect((await io.stat(`${base}/a/b/c.txt`))?.size).toBe(5);
      expect(await io.stat(`${base}/a/nope`)).toBeNull();
      await io.write(`${base}/a/d.txt`, bytes('x'));
      const listed: string[] = [];
      for await (const f of io.list(`${base}/a`)) listed.push(f.path.slice(f.path.lastIndexOf('/') + 1));
      expect(listed.sort()).toEqual(['c.txt', 'd.txt']);
      await io.delete(`${base}/a/d.txt`);
      await io.delete(`${base}/a/d.txt`);
      expect(await io.stat(`${base}/a/d.txt`)).toBeNull();
      const none: string[] = [];
      for await (const f of io.list(`${base}/missing`)) none.push(f.path);
      expect(none).toEqual([]);
    });
    it('names a missing file in a NotFoundError', async () => {
      const { io, base } = await make();
      await expect(io.read(`${base}/gone.bin`)).rejects.toThrow(NotFoundError);
      await expect(io.read(`${base}/gone.bin`)).rejects.toThrow(/gone\.bin/);
    });
    it('lets exactly one of many concurrent writeIfAbsent calls win', async () => {
      const { io, base } = await make();
      // A folder that does not exist yet: the writers also race to create it.
      const target = `${base}/deep/er/once.txt`;
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => io.writeIfAbsent(target, bytes(`writer-${i}`))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(Buffer.from(await io.read(target)).toString()).toBe(`writer-${winner}`);
      expect(await io.writeIfAbsent(target, bytes('late'))).toBe(false);
      expect(Buffer.from(await io.read(target)).toString()).toBe(`writer-${winner}`);
    });
    it('lists nested files with paths that read back, sizes and times', async () => {
      const { io, base } = await make();
      const before = Date.now() - 5_000;
      await io.write(`${base}/t/x/1.bin`, bytes('one'));
      await io.write(`${base}/t/x/y/2.bin`, bytes('two!'));
      await io.write(`${base}/t/empty.bin`, new Uint8Array(0));
      await io.write(`${base}/t2/other.bin`, bytes('no'));
      const seen: Record<string, number> = {};
      for await (const f of io.list(`${base}/t`)) {
        expect(f.mtimeMs).toBeGreaterThan(before);
        seen[f.path.slice(f.path.lastIndexOf('/') + 1)] = f.size;
        expect((await io.read(f.path)).length).toBe(f.size);
      }
      expect(seen).toEqual({ '1.bin': 3, '2.bin': 4, 'empty.bin': 0 });
      expect((await io.read(`${base}/t/empty.bin`)).length).toBe(0);
    });
    it('reads byte ranges, short at the end of the file and empty past it', async () => {
      const { io, base } = await make();
      expect(io.readRange).toBeDefined();
      const readRange = io.readRange!.bind(io);
      await io.write(`${base}/r.txt`, bytes('hello world'));
      expect(Buffer.from(await readRange(`${base}/r.txt`, 6, 5)).toString()).toBe('world');
      expect(Buffer.from(await readRange(`${base}/r.txt`, 0, 5)).toString()).toBe('hello');
      expect(Buffer.from(await readRange(`${base}/r.txt`, 4, 100)).toString()).toBe('o world');
      expect((await readRange(`${base}/r.txt`, 11, 4)).length).toBe(0);
      expect((await readRange(`${base}/r.txt`, 3, 0)).length).toBe(0);
      await expect(readRange(`${base}/nope.txt`, 0, 4)).rejects.toThrow(NotFoundError);
      await expect(readRange(`${base}/r.txt`, -1, 4)).rejects.toThrow(ValidationError);
    });
    it('writes, reads and conditionally refuses large files (multipart on object stores)', async () => {
      const { io, base } = await make();
      const size = LARGE_FILE_BYTES;
      const big = new Uint8Array(size);
      for (let i = 0; i < size; i++) big[i] = (i * 7 + (i >> 13)) & 0xff;
      await io.write(`${base}/big/one.bin`, big);
      expect((await io.stat(`${base}/big/one.bin`))?.size).toBe(size);
      expect(Buffer.compare(Buffer.from(await io.read(`${base}/big/one.bin`)), Buffer.from(big))).toBe(0);
      // A range spanning the 5 MiB part boundary.
      const from = 5 * 1024 * 1024 - 10;
      expect(Buffer.compare(Buffer.from(await io.readRange!(`${base}/big/one.bin`, from, 20)), Buffer.from(big.subarray(from, from + 20)))).toBe(0);
      expect(await io.writeIfAbsent(`${base}/big/one.bin`, big.subarray(1))).toBe(false);
      expect((await io.stat(`${base}/big/one.bin`))?.size).toBe(size);
      expect(await io.writeIfAbsent(`${base}/big/two.bin`, big)).toBe(true);
      expect(Buffer.compare(Buffer.from(await io.read(`${base}/big/two.bin`)), Buffer.from(big))).toBe(0);
      const local = await io.localPath(`${base}/big/two.bin`);
      expect(Buffer.compare(readFileSync(local), Buffer.from(big))).toBe(0);
    });
    it('lists every file of a folder with many entries (pages on object stores)', async () => {
      const { io, base } = await make();
      const names = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.bin`);
      await Promise.all(names.map((n, i) => io.write(`${base}/many/${n}`, bytes('x'.repeat(i)))));
      await io.write(`${base}/many-not/other.bin`, bytes('no'));
      const seen: string[] = [];
      for await (const f of io.list(`${base}/many`)) {
        const n = f.path.slice(f.path.lastIndexOf('/') + 1);
        expect(f.size).toBe(names.indexOf(n));
        seen.push(n);
      }
      expect(seen.sort()).toEqual(names);
    });
    it('gives a local file with the bytes for localPath, new bytes after a rewrite', async () => {
      const { io, base } = await make();
      await io.write(`${base}/lp/a.parquet`, bytes('first'));
      expect(readFileSync(await io.localPath(`${base}/lp/a.parquet`), 'utf8')).toBe('first');
      await io.write(`${base}/lp/a.parquet`, bytes('second!'));
      expect(readFileSync(await io.localPath(`${base}/lp/a.parquet`), 'utf8')).toBe('second!');
    });
  });
}
