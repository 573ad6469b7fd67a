import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { q, tempWarehouse } from '../helpers/warehouse.js';
import { requireBuiltDist } from '../helpers/dist.js';

const run = promisify(execFile);
const worker = resolve(__dirname, 'append-worker.mjs');

let wh: Warehouse;
let dir: string;
let dispose: () => Promise<void>;
beforeAll(async () => {
  requireBuiltDist();
  ({ wh, dir, dispose } = await tempWarehouse());
  await wh.sql('CREATE NAMESPACE db');
  await wh.sql(`CREATE TABLE db.t (worker INT, seq INT) TBLPROPERTIES ('commit.retry.num-retries' = '30', 'commit.retry.min-wait-ms' = '5', 'commit.retry.max-wait-ms' = '200')`);
});
afterAll(async () => dispose());

describe('several OS processes appending to one table', () => {
  it('loses and duplicates nothing: rows and snapshots equal the acknowledged commits', async () => {
    const processes = 4;
    const commits = 12;
    const results = await Promise.all(
      Array.from({ length: processes }, (_, w) =>
        run(process.execPath, [worker, dir, String(w), String(commits)], { timeout: 120_000 }).then(
          (r) => JSON.parse(r.stdout) as { acked: number; failed: number },
        ),
      ),
    );
    const acked = results.reduce((a, r) => a + r.acked, 0);
    expect(acked).toBeGreaterThan(0);
    expect(await q(wh, 'SELECT count(*) FROM db.t')).toEqual([[acked]]);
    expect(await q(wh, 'SELECT count(*) FROM (SELECT DISTINCT worker, seq FROM db.t)')).toEqual([[acked]]);
    expect(await q(wh, 'SELECT count(*) FROM db."t$snapshots"')).toEqual([[acked]]);
    for (const [w, r] of results.entries()) {
      expect(await q(wh, `SELECT count(*) FROM db.t WHERE worker = ${w}`)).toEqual([[r.acked]]);
    }
  }, 180_000);

  it('keeps invariants under mixed UPDATE, INSERT and MERGE from several processes', async () => {
    const accounts = 12;
    await wh.sql(`CREATE TABLE db.accounts (id INT, balance INT, touches INT) PARTITIONED BY (bucket(4, id))
      TBLPROPERTIES ('commit.retry.num-retries' = '30', 'commit.retry.min-wait-ms' = '5', 'commit.retry.max-wait-ms' = '200')`);
    await wh.sql(`INSERT INTO db.accounts SELECT range, 100, 0 FROM range(${accounts})`);
    await wh.sql(`CREATE TABLE db.ledger (worker INT, seq INT) TBLPROPERTIES ('commit.retry.num-retries' = '30', 'commit.retry.min-wait-ms' = '5')`);
    const mixed = resolve(__dirname, 'mixed-worker.mjs');
    const results = await Promise.all(
      Array.from({ length: 3 }, (_, w) =>
        run(process.execPath, [mixed, dir, String(w), '12', String(accounts)], { timeout: 120_000 }).then(
          (r) => JSON.parse(r.stdout) as { transfers: number; appends: number; merges: number; failed: number },
        ),
      ),
    );
    const sum = (k: 'transfers' | 'appends' | 'merges') => results.reduce((a, r) => a + r[k], 0);
    console.log('mixed workload:', JSON.stringify(results));
    expect(sum('transfers') + sum('merges')).toBeGreaterThan(0);
    // Money is conserved and no account row is lost or duplicated.
    expect(await q(wh, 'SELECT count(*), count(DISTINCT id), sum(balance) FROM db.accounts')).toEqual([[accounts, accounts, accounts * 100]]);
    // Every acknowledged MERGE counted exactly once; every acknowledged append present once.
    expect(await q(wh, 'SELECT sum(touches) FROM db.accounts')).toEqual([[sum('merges')]]);
    expect(await q(wh, 'SELECT count(*), count(DISTINCT (worker, seq)) FROM db.ledger')).toEqual([[sum('appends'), sum('appends')]]);
  }, 180_000);
});
