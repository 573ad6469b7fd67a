import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';

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
  });
}
