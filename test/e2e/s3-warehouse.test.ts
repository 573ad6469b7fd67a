import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { openWarehouse, type Warehouse } from '../../src/index.js';
import type { S3FileIOOptions } from '../../src/io/s3.js';
import { q } from '../helpers/warehouse.js';
import { S3RVER_CREDENTIALS, s3CliEnv, setEnv, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let server: S3TestServer;
let client: S3Client;
const dirs: string[] = [];
const fresh = (prefix: string) => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  server = await startS3Server(['floe-lake']);
  client = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
});
afterAll(async () => {
  client.destroy();
  await server.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const s3 = (extra: S3FileIOOptions = {}): S3FileIOOptions => ({
  endpoint: server.endpoint,
  forcePathStyle: true,
  credentials: S3RVER_CREDENTIALS,
  cacheDir: fresh('floe-s3-cache-'),
  ...extra,
});

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: 'floe-lake', Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

describe('an s3:// warehouse on s3rver', () => {
  it('creates, inserts, deletes (merge-on-read), merges, updates and travels in time with every file on S3', async () => {
    const local = fresh('floe-s3-wh-');
    const catalogPath = join(local, 'catalog.db');
    let wh: Warehouse = await openWarehouse({ warehouse: 's3://floe-lake/wh/', catalogPath, s3: s3(), engine: { threads: 2 } });
    try {
      expect(wh.root).toBe('s3://floe-lake/wh');
      await wh.sql('CREATE NAMESPACE sales');
      await wh.sql(`CREATE TABLE sales.orders (id BIGINT NOT NULL, region STRING, amount DECIMAL(10,2))
        PARTITIONED BY (region) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read', 'write.merge.mode' = 'merge-on-read')`);
      await wh.sql(`INSERT INTO sales.orders VALUES (1, 'eu', 10.50), (2, 'eu', 20.00), (3, 'us', 5.25), (4, 'us', 7.75)`);
      const first = (await wh.loadTable('sales.orders')).currentSnapshot()!['snapshot-id'];
      await wh.sql(`DELETE FROM sales.orders WHERE id = 2`);
      await wh.sql(`MERGE INTO sales.orders t USING (VALUES (3, 'us', 6.00), (5, 'ap', 1.00)) AS s(id, region, amount) ON t.id = s.id
        WHEN MATCHED THEN UPDATE SET amount = s.amount WHEN NOT MATCHED THEN INSERT *`);
      await wh.sql(`UPDATE sales.orders SET amount = amount + 1 WHERE id = 1`);
      expect(await q(wh, 'SELECT id, region, CAST(amount AS DOUBLE) FROM sales.orders ORDER BY id')).toEqual([
        [1, 'eu', 11.5],
        [3, 'us', 6],
        [4, 'us', 7.75],
        [5, 'ap', 1],
      ]);
      expect(await q(wh, `SELECT count(*) FROM sales.orders FOR VERSION AS OF ${first}`)).toEqual([[4]]);
      expect(await q(wh, `SELECT id FROM sales.orders FOR VERSION AS OF ${first} WHERE region = 'eu' ORDER BY id`)).toEqual([[1], [2]]);
      // merge-on-read really wrote position delete files.
      expect((await q(wh, `SELECT count(*) FROM sales."orders$files" WHERE content = 1`))[0]![0]).toBeGreaterThan(0);
      const table = await wh.loadTable('sales.orders');
      expect(table.location).toBe('s3://floe-lake/wh/sales.db/orders');
      expect(table.metadataLocation.startsWith('s3://floe-lake/wh/sales.db/orders/metadata/')).toBe(true);
    } finally {
      await wh.close();
    }

    const objects = await keys('wh/');
    expect(objects.every((k) => k.startsWith('wh/sales.db/orders/'))).toBe(true);
    // One metadata file per commit plus the table's first.
    expect(objects.filter((k) => k.endsWith('.metadata.json')).length).toBe(5);
    expect(objects.filter((k) => /\/metadata\/snap-.*\.avro$/.test(k)).length).toBe(4);
    expect(objects.some((k) => /\/data\/region=eu\/.*\.parquet$/.test(k))).toBe(true);
    expect(objects.some((k) => /\/data\/region=ap\/.*\.parquet$/.test(k))).toBe(true);
    // Nothing but the catalog went to local disk.
    expect(readdirSync(local).filter((n) => !n.startsWith('catalog.db'))).toEqual([]);

    // A new process with an empty cache reads everything back from S3.
    wh = await openWarehouse({ warehouse: 's3://floe-lake/wh', catalogPath, s3: s3(), engine: { threads: 2 } });
    try {
      expect(await q(wh, 'SELECT id FROM sales.orders ORDER BY id')).toEqual([[1], [3], [4], [5]]);
      expect(await q(wh, `SELECT count(*) FROM sales."orders$snapshots"`)).toEqual([[4]]);
      // Path-based reads find the newest metadata by listing the bucket.
      expect(await q(wh, `SELECT count(*) FROM iceberg_scan('s3://floe-lake/wh/sales.db/orders')`)).toEqual([[4]]);
      await wh.sql('DROP TABLE sales.orders PURGE');
    } finally {
      await wh.close();
    }
    expect(await keys('wh/')).toEqual([]);
  });

  it('lets two writers sharing the catalog commit concurrently without losing rows', async () => {
    const local = fresh('floe-s3-wh-');
    const catalogPath = join(local, 'catalog.db');
    const a = await openWarehouse({ warehouse: 's3://floe-lake/race', catalogPath, s3: s3(), engine: { threads: 1 } });
    const b = await openWarehouse({ warehouse: 's3://floe-lake/race', catalogPath, s3: s3(), engine: { threads: 1 } });
    try {
      await a.sql('CREATE NAMESPACE db');
      await a.sql('CREATE TABLE db.t (w STRING, i INT)');
      await Promise.all([
        (async () => {
          for (let i = 0; i < 4; i++) await a.sql(`INSERT INTO db.t VALUES ('a', ${i})`);
        })(),
        (async () => {
          for (let i = 0; i < 4; i++) await b.sql(`INSERT INTO db.t VALUES ('b', ${i})`);
        })(),
      ]);
      expect(await q(a, 'SELECT w, count(*) FROM db.t GROUP BY w ORDER BY w')).toEqual([
        ['a', 4],
        ['b', 4],
      ]);
      expect(await q(b, `SELECT count(*) FROM db."t$snapshots"`)).toEqual([[8]]);
      expect((await keys('race/db.db/t/metadata/')).filter((k) => k.endsWith('.metadata.json')).length).toBe(9);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('uploads data files larger than one part in multipart uploads', async () => {
    const local = fresh('floe-s3-wh-');
    const wh = await openWarehouse({ warehouse: 's3://floe-lake/big', catalogPath: join(local, 'catalog.db'), s3: s3(), engine: { threads: 2 } });
    try {
      await wh.sql('CREATE NAMESPACE db');
      await wh.sql(`CREATE TABLE db.t (id BIGINT, s STRING) TBLPROPERTIES ('write.parquet.compression-codec' = 'uncompressed')`);
      const n = server.requests.length;
      await wh.sql(`INSERT INTO db.t SELECT i, md5(CAST(i AS VARCHAR)) || md5(CAST(i + 1 AS VARCHAR)) FROM range(250000) t(i)`);
      const reqs = server.requests.slice(n);
      expect(reqs.filter((r) => r.method === 'PUT' && r.url.includes('partNumber=')).length).toBeGreaterThanOrEqual(2);
      expect(await q(wh, 'SELECT count(*), count(DISTINCT s) FROM db.t')).toEqual([[250000, 250000]]);
    } finally {
      await wh.close();
    }
  });

  it('fails to open with a clear error for a missing bucket or a missing catalog file option', async () => {
    const local = fresh('floe-s3-wh-');
    await expect(openWarehouse({ warehouse: 's3://no-such-lake/wh', catalogPath: join(local, 'c.db'), s3: s3() })).rejects.toThrow(
      new NotFoundError('bucket no-such-lake not found'),
    );
    await expect(openWarehouse({ warehouse: 's3://floe-lake/wh', s3: s3() })).rejects.toThrow(ValidationError);
    await expect(openWarehouse({ warehouse: 's3://floe-lake/wh', s3: s3() })).rejects.toThrow(/catalogPath.*--catalog-db/);
    expect(existsSync(join(local, 'c.db'))).toBe(false);
  });

  it('refuses a table location outside the s3:// warehouse', async () => {
    const local = fresh('floe-s3-wh-');
    const wh = await openWarehouse({ warehouse: 's3://floe-lake/w2', catalogPath: join(local, 'catalog.db'), s3: s3() });
    try {
      await wh.sql('CREATE NAMESPACE db');
      await expect(wh.sql(`CREATE TABLE db.t (id INT) LOCATION 's3://floe-lake/elsewhere/t'`)).rejects.toThrow(/outside the warehouse/);
      await expect(wh.sql(`CREATE TABLE db.t (id INT) LOCATION '/srv/lake/t'`)).rejects.toThrow(/not on this warehouse's storage \(s3:\/\/floe-lake\/w2\)/);
    } finally {
      await wh.close();
    }
  });

  it('works from the CLI with --catalog-db and S3 settings from the environment', async () => {
    const local = fresh('floe-s3-cli-');
    const restoreEnv = setEnv(s3CliEnv(server, join(local, 'cache')));
    const floe = (...args: string[]): Promise<CliRun> => runFloe('--warehouse', 's3://floe-lake/cli', '--catalog-db', join(local, 'catalog.db'), '--format', 'json', ...args);
    try {
      expect((await floe('sql', "CREATE NAMESPACE ns; CREATE TABLE ns.t (id INT, v STRING); INSERT INTO ns.t VALUES (1, 'a'), (2, 'b')")).code).toBe(0);
      const r = await floe('sql', 'SELECT v FROM ns.t ORDER BY id');
      expect(r.err).toBe('');
      expect(JSON.parse(r.out)).toEqual([{ v: 'a' }, { v: 'b' }]);
      expect((await keys('cli/ns.db/t/data/')).length).toBe(1);
      const missing = await main(['node', 'floe', '--warehouse', 's3://no-such-lake/x', '--catalog-db', join(local, 'c2.db'), 'tables'], {
        out: () => undefined,
        err: (s) => (r.err += s),
        isTty: false,
      });
      expect(missing).toBe(4);
      expect(r.err).toBe('floe: bucket no-such-lake not found\n');
    } finally {
      restoreEnv();
    }
  });
});
