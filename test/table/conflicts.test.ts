import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog.js';
import { SqliteCatalog } from '../../src/catalog/sqlite.js';
import { CommitFailedError } from '../../src/errors.js';
import { LocalFileIO } from '../../src/io/local.js';
import { openWarehouse, type Warehouse } from '../../src/index.js';

/**
 * Conflict matrix: operation A is planned, then operation B commits, then A commits (re-based and
 * validated). Whenever both commit, the table must equal running B then A one after the other
 * (serializable outcome); when A fails it is a CommitFailedError naming the conflict and the
 * table holds B's result only.
 */
type Op = 'append' | 'overwrite' | 'delete' | 'update' | 'merge' | 'compact';
const OPS: Op[] = ['append', 'overwrite', 'delete', 'update', 'merge', 'compact'];

function sql(op: Op, t: string, p: number): string {
  switch (op) {
    case 'append':
      return `INSERT INTO ${t} VALUES (${100 + p}, ${p})`;
    case 'overwrite':
      return `INSERT OVERWRITE ${t} VALUES (${200 + p}, ${p})`;
    case 'delete':
      return `DELETE FROM ${t} WHERE p = ${p} AND id % 10 = 1`;
    case 'update':
      return `UPDATE ${t} SET id = id + 1000 WHERE p = ${p} AND id % 10 = 2`;
    case 'merge':
      return `MERGE INTO ${t} t USING (SELECT ${p} AS p, 3 AS k) s ON t.p = s.p AND t.id % 10 = s.k WHEN MATCHED THEN DELETE`;
    case 'compact':
      return `OPTIMIZE ${t} REWRITE DATA USING BIN_PACK WHERE p = ${p}`;
  }
}

let dir: string;
let stale: Warehouse;
let other: Warehouse;
let before: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-conflicts-'));
  const io = new LocalFileIO();
  const inner = new SqliteCatalog({ warehouse: dir, io });
  // A catalog that lets another writer commit just before this one's next commit.
  const interleaved = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'commitTable') {
        return async (...args: Parameters<Catalog['commitTable']>) => {
          const run = before;
          before = undefined;
          if (run) await run();
          return target.commitTable(...args);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as Catalog;
  stale = await openWarehouse({ warehouse: dir, catalog: interleaved, engine: { threads: 1 } });
  other = await openWarehouse({ warehouse: dir, engine: { threads: 1 } });
  await other.sql('CREATE NAMESPACE m');
});
afterAll(async () => {
  await stale.close();
  await other.close();
  await rm(dir, { recursive: true, force: true });
});

let n = 0;
async function table(isolation: string, mode: string, compacting = false): Promise<string> {
  const t = `m.t${n++}`;
  await other.sql(`CREATE TABLE ${t} (id INT, p INT) PARTITIONED BY (p) TBLPROPERTIES (
    'write.delete.isolation-level' = '${isolation}', 'write.update.isolation-level' = '${isolation}', 'write.merge.isolation-level' = '${isolation}',
    'write.delete.mode' = '${mode}', 'write.update.mode' = '${mode}', 'write.merge.mode' = '${mode}', 'commit.retry.min-wait-ms' = '1')`);
  await other.sql(`INSERT INTO ${t} VALUES (1, 1), (2, 1), (3, 1), (4, 1)`);
  await other.sql(`INSERT INTO ${t} VALUES (11, 2), (12, 2), (13, 2), (14, 2)`);
  // Compaction needs two small files in a partition to have work to do.
  if (compacting) await other.sql(`INSERT INTO ${t} VALUES (5, 1), (15, 2)`);
  return t;
}

const rows = async (wh: Warehouse, t: string) => (await wh.sql(`SELECT id, p FROM ${t} ORDER BY id, p`)).rows.map((r) => r.map(Number));

for (const mode of ['copy-on-write', 'merge-on-read']) {
  for (const isolation of ['serializable', 'snapshot']) {
    describe(`${mode}, ${isolation} isolation`, () => {
      for (const a of OPS) {
        it(`${a} racing every operation on the same and another partition`, async () => {
          for (const b of OPS) {
            for (const same of [true, false]) {
              const compacting = a === 'compact' || b === 'compact';
              const t = await table(isolation, mode, compacting);
              const ref = await table(isolation, mode, compacting);
              const refAB = await table(isolation, mode, compacting);
              const pa = 1;
              const pb = same ? 1 : 2;
              before = async () => {
                await other.sql(sql(b, t, pb));
              };
              let failed: unknown;
              try {
                await stale.sql(sql(a, t, pa));
              } catch (e) {
                failed = e;
              }
              const label = `${a} after concurrent ${b} (${same ? 'same' : 'other'} partition)`;
              await other.sql(sql(b, ref, pb));
              if (failed) {
                expect(failed, label).toBeInstanceOf(CommitFailedError);
                expect(String((failed as Error).message), label).toMatch(/conflict/);
                expect(await rows(other, t), label).toEqual(await rows(other, ref));
              } else {
                await other.sql(sql(a, ref, pa));
                // Serializable: exactly B then A. Snapshot isolation: one of the two orders.
                await other.sql(sql(a, refAB, pa));
                await other.sql(sql(b, refAB, pb));
                const got = await rows(other, t);
                if (isolation === 'serializable') expect(got, label).toEqual(await rows(other, ref));
                else expect([JSON.stringify(await rows(other, ref)), JSON.stringify(await rows(other, refAB))], label).toContain(JSON.stringify(got));
              }
              // Cells whose outcome is fixed by the rules, whatever the engine's choices.
              if (a === 'append') expect(failed, label).toBeUndefined();
              if (!same && a !== 'merge') expect(failed, label).toBeUndefined();
              if (same && mode === 'copy-on-write' && ['delete', 'update'].includes(a) && ['delete', 'update', 'overwrite', 'merge'].includes(b)) {
                expect(failed, label).toBeInstanceOf(CommitFailedError);
              }
              // Compaction fails when a concurrent change touched a file it rewrites (never
              // resurrecting rows); a compaction adds no new rows, so it never blocks an overwrite.
              if (a === 'compact' && same && b !== 'append') expect(failed, label).toBeInstanceOf(CommitFailedError);
              if (b === 'compact' && a === 'overwrite') expect(failed, label).toBeUndefined();
            }
          }
        });
      }
    });
  }
}
