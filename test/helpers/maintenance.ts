import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Warehouse } from '../../src/index.js';
import { q } from './warehouse.js';

/** Every retained snapshot's full, sorted rows, keyed by snapshot id. */
export async function rowsBySnapshot(wh: Warehouse, name: string): Promise<Map<bigint, unknown[][]>> {
  const t = await wh.loadTable(name);
  const out = new Map<bigint, unknown[][]>();
  for (const s of t.snapshots()) {
    out.set(s['snapshot-id'], await q(wh, `SELECT * FROM ${name} FOR VERSION AS OF ${s['snapshot-id']} ORDER BY ALL`));
  }
  return out;
}

/** Every file under a folder with its mtime (to prove that nothing was deleted or rewritten). */
export async function fileTree(dir: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out.set(p, (await stat(p)).mtimeMs);
    }
  };
  await walk(dir);
  return out;
}
