import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openWarehouse } from '../../src/index.js';
import { startPostgres } from '../helpers/postgres.js';
import { q } from '../helpers/warehouse.js';
import { requireBuiltDist } from '../helpers/dist.js';

const run = promisify(execFile);
const worker = resolve(__dirname, '../table/append-worker.mjs');
const server = await startPostgres();
afterAll(() => {
  if (typeof server !== 'string') server.stop();
});

describe('several OS processes appending through one Postgres catalog', () => {
  it('loses no commit: rows and snapshots equal the acknowledged commits', async () => {
    if (typeof server === 'string') {
      console.log(`skipping the Postgres multi-writer test: ${server}`);
      return;
    }
    requireBuiltDist();
    // Each process has its own warehouse object and connection pool; only the catalog and the files are shared.
    const dir = await mkdtemp(join(tmpdir(), 'floe-pgw-'));
    const wh = await openWarehouse({ warehouse: dir, catalog: server.url, engine: { threads: 1 } });
    try {
      await wh.sql('CREATE NAMESPACE db');
      await wh.sql(`CREATE TABLE db.t (worker INT, seq INT) TBLPROPERTIES ('commit.retry.num-retries' = '40', 'commit.retry.min-wait-ms' = '5', 'commit.retry.max-wait-ms' = '200')`);
      const processes = 3;
      const commits = 10;
      const results = await Promise.all(
        Array.from({ length: processes }, (_, w) =>
          run(process.execPath, [worker, dir, String(w), String(commits), server.url], { timeout: 120_000 }).then((r) => JSON.parse(r.stdout) as { acked: number; failed: number }),
        ),
      );
      console.log('postgres writers:', JSON.stringify(results));
      const acked = results.reduce((a, r) => a + r.acked, 0);
      expect(acked + results.reduce((a, r) => a + r.failed, 0)).toBe(processes * commits);
      expect(acked).toBeGreaterThan(0);
      expect(await q(wh, 'SELECT count(*), count(DISTINCT (worker, seq)) FROM db.t')).toEqual([[acked, acked]]);
      expect(await q(wh, 'SELECT count(*) FROM db."t$snapshots"')).toEqual([[acked]]);
      for (const [w, r] of results.entries()) expect(await q(wh, `SELECT count(*) FROM db.t WHERE worker = ${w}`)).toEqual([[r.acked]]);
      // No SQLite file was involved: the catalog lives on the server.
      expect(existsSync(join(dir, 'catalog.db'))).toBe(false);
    } finally {
      await wh.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
