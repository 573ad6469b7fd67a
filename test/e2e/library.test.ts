import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { libraryExample } from '../../examples/library.js';

it('the README library example runs as documented', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'floe-lib-'));
  try {
    const { rows, files } = await libraryExample(dir);
    expect(rows).toEqual([
      { kind: 'click', n: 1n },
      { kind: 'view', n: 1n },
    ]);
    expect(files).toBe(1);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
