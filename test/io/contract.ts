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
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => io.writeIfAbsent(`${base}/once.txt`, bytes(`writer-${i}`))));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(Buffer.from(await io.read(`${base}/once.txt`)).toString()).toBe(`writer-${winner}`);
    });
  });
}
