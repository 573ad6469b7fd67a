import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FileInfo, FileIO } from '../../src/io/file-io.js';
import { ManifestReader } from '../../src/table/manifest-reader.js';
import { removeOrphanFiles } from '../../src/table/remove-orphans.js';
import { Table } from '../../src/table/table.js';
import { fileTree, rowsBySnapshot } from '../helpers/maintenance.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();
const DAY = 24 * 3600 * 1000;

/** Sets every file under `dir` to have been modified `ageMs` ago. */
async function age(dir: string, ageMs: number): Promise<void> {
  const when = new Date(Date.now() - ageMs);
  for (const p of (await fileTree(dir)).keys()) await utimes(p, when, when);
}

async function makeTable(): Promise<Table> {
  const { wh } = ctx;
  await wh.sql(`CREATE TABLE db.t (id INT, v STRING) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
  await wh.sql(`INSERT INTO db.t VALUES (1, 'a'), (2, 'b')`);
  await wh.sql(`INSERT INTO db.t VALUES (3, 'c')`);
  await wh.sql(`DELETE FROM db.t WHERE id = 2`);
  await wh.sql(`ALTER TABLE db.t CREATE TAG v1`);
  return wh.loadTable('db.t');
}

describe('removeOrphanFiles', () => {
  it('deletes unreferenced files older than the window, keeps everything metadata names', async () => {
    const { wh } = ctx;
    let t = await makeTable();
    // A data file committed under Java's `file:/x` spelling of its path.
    const [extra] = await wh.writeFiles(t, `SELECT 9 AS id, 'z' AS v`);
    const local = extra!.file_path.replace(/^file:\/\//, '');
    t = await t.newTransaction().appendFiles([{ ...extra!, file_path: `file:${local}` }]).commit();
    const before = await rowsBySnapshot(wh, 'db.t');
    await mkdir(join(t.location, 'data', 'x=1'), { recursive: true });
    const oldOrphans = [join(t.location, 'data', 'x=1', 'orphan.parquet'), join(t.location, 'metadata', 'stray-m0.avro'), join(t.location, 'metadata', '00099-dead.metadata.json')];
    for (const p of oldOrphans) await writeFile(p, 'junk');
    await age(t.location, 10 * DAY);
    const young = join(t.location, 'data', 'in-flight.parquet');
    await writeFile(young, 'being written');

    const dry = await removeOrphanFiles(t, { dryRun: true });
    expect(dry.orphans.map((f) => f.path).sort()).toEqual([...oldOrphans].sort());
    for (const p of oldOrphans) expect(existsSync(p)).toBe(true);

    const r = await removeOrphanFiles(t);
    expect(r.orphans.map((f) => f.path).sort()).toEqual([...oldOrphans].sort());
    expect(r.bytes).toBe(4 * oldOrphans.length);
    for (const p of oldOrphans) expect(existsSync(p)).toBe(false);
    expect(existsSync(young)).toBe(true);
    expect(existsSync(local)).toBe(true);
    const after = await rowsBySnapshot(wh, 'db.t');
    expect(after).toEqual(before);
    expect(await q(wh, 'SELECT id FROM db.t ORDER BY id')).toEqual([[1], [3], [9]]);
  });

  it('never deletes the files of a writer that commits between listing and deleting', async () => {
    const { wh } = ctx;
    const t0 = await makeTable();
    const orphan = join(t0.location, 'data', 'old-orphan.parquet');
    await writeFile(orphan, 'junk');
    await age(t0.location, 10 * DAY);
    // The writer's files exist (old enough to pass any window) before the listing starts…
    const files = await wh.writeFiles(t0, `SELECT 7 AS id, 'w' AS v`);
    for (const f of files) await utimes(f.file_path.replace(/^file:\/\//, ''), new Date(Date.now() - 10 * DAY), new Date(Date.now() - 10 * DAY));
    let committed = false;
    // …and it commits as soon as the listing has finished, before anything is deleted.
    const racing: FileIO = new Proxy(wh.io, {
      get(target, prop, receiver) {
        if (prop !== 'list') return Reflect.get(target, prop, receiver) as unknown;
        return async function* (prefix: string): AsyncIterable<FileInfo> {
          yield* target.list(prefix);
          if (!committed) {
            committed = true;
            await (await wh.loadTable('db.t')).newTransaction().appendFiles(files).commit();
          }
        };
      },
    });
    const t = new Table({ catalog: wh.catalog, io: racing, reader: new ManifestReader(racing) }, t0.loaded);
    const r = await removeOrphanFiles(t, { olderThanMs: Date.now() + DAY });
    expect(committed).toBe(true);
    expect(r.orphans.map((f) => f.path)).toEqual([orphan]);
    for (const f of files) expect(existsSync(f.file_path.replace(/^file:\/\//, ''))).toBe(true);
    expect(await q(wh, 'SELECT id FROM db.t ORDER BY id')).toEqual([[1], [3], [7]]);
  });

  it('refuses a location outside the table', async () => {
    const t = await makeTable();
    await expect(removeOrphanFiles(t, { location: join(t.location, '..') })).rejects.toThrow(/not inside the location/);
  });
});
