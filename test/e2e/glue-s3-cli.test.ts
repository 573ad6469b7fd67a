import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { FakeGlue } from '../catalog/glue-fake.js';
import { S3RVER_CREDENTIALS, s3CliEnv, setEnv, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

// The cloud lakehouse the Terraform modules create, offline: data on S3 (s3rver on loopback),
// tables in the Glue Data Catalog (an in-memory Glue behind the SDK mock), driven only through
// the CLI as a user would: `floe --warehouse s3://… --catalog glue …`.

const BUCKET = 'acme-lake-curated';
let server: S3TestServer;
let s3: S3Client;
let glue: FakeGlue;
let stub: AwsClientStub<GlueClient>;
let cache: string;
let restoreEnv: () => void = () => undefined;

beforeAll(async () => {
  server = await startS3Server([BUCKET]);
  s3 = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  cache = mkdtempSync(join(tmpdir(), 'floe-glue-s3-cache-'));
  restoreEnv = setEnv(s3CliEnv(server, cache));
  glue = new FakeGlue();
  stub = glue.attach(GlueClient);
});
beforeEach(() => {
  glue.before = () => undefined;
});
afterAll(async () => {
  stub.restore();
  s3.destroy();
  await server.close();
  rmSync(cache, { recursive: true, force: true });
  restoreEnv();
});

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', `s3://${BUCKET}/lake`, '--catalog', 'glue', '--format', 'json', ...args);
}

async function ok(...args: string[]): Promise<unknown> {
  const r = await floe(...args);
  expect(r.err === '' || r.code === 0 ? r.code : r.err).toBe(0);
  return r.out.trim() === '' ? undefined : JSON.parse(r.out);
}

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
    for (const o of page.Contents ?? []) out.push(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return out.sort();
}

const glueEntry = (name: string) => glue.table('sales', name);

describe('floe --warehouse s3://… --catalog glue (the Terraform lakehouse, offline)', () => {
  it('creates, writes row-level changes, travels in time and registers the table for Athena', async () => {
    await ok('sql', `CREATE NAMESPACE sales`);
    await ok(
      'sql',
      `CREATE TABLE sales.orders (id BIGINT NOT NULL, region STRING, amount DOUBLE) PARTITIONED BY (region)
       TBLPROPERTIES ('write.delete.mode' = 'merge-on-read', 'write.merge.mode' = 'merge-on-read')`,
    );
    await ok('sql', `INSERT INTO sales.orders VALUES (1, 'eu', 10.5), (2, 'eu', 20.0), (3, 'us', 5.25)`);
    const first = (await ok('sql', `SELECT snapshot_id FROM sales."orders$snapshots"`)) as { snapshot_id: string | number }[];
    expect(first).toHaveLength(1);
    await ok('sql', `DELETE FROM sales.orders WHERE id = 2`);
    await ok(
      'sql',
      `MERGE INTO sales.orders t USING (VALUES (3, 'us', 6.0), (4, 'ap', 1.0)) AS s(id, region, amount) ON t.id = s.id
       WHEN MATCHED THEN UPDATE SET amount = s.amount WHEN NOT MATCHED THEN INSERT *`,
    );
    expect(await ok('sql', 'SELECT id, region, amount FROM sales.orders ORDER BY id')).toEqual([
      { id: 1, region: 'eu', amount: 10.5 },
      { id: 3, region: 'us', amount: 6 },
      { id: 4, region: 'ap', amount: 1 },
    ]);
    expect(await ok('sql', `SELECT id FROM sales.orders FOR VERSION AS OF ${first[0]!.snapshot_id} ORDER BY id`)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);

    // The Glue entry is what Athena reads: an Iceberg table whose metadata is on S3, with the
    // previous pointer kept, and columns mirrored.
    const entry = glueEntry('orders');
    expect(entry.TableType).toBe('EXTERNAL_TABLE');
    expect(entry.Parameters?.['table_type']).toBe('ICEBERG');
    const current = entry.Parameters?.['metadata_location'] ?? '';
    expect(current).toMatch(new RegExp(`^s3://${BUCKET}/lake/sales\\.db/orders/metadata/.*\\.metadata\\.json$`));
    expect(entry.Parameters?.['previous_metadata_location']).toMatch(/\.metadata\.json$/);
    expect(entry.Parameters?.['previous_metadata_location']).not.toBe(current);
    expect(entry.StorageDescriptor?.Columns?.map((c) => c.Name)).toEqual(['id', 'region', 'amount']);
    // Every file is in the bucket: the metadata file Glue points at, data and delete files.
    const objects = await keys('lake/sales.db/orders/');
    expect(objects).toContain(current.slice(`s3://${BUCKET}/`.length));
    expect(objects.filter((k) => k.startsWith('lake/sales.db/orders/data/')).length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(await ok('tables'))).toMatch(/"sales".*"orders"/);
  });

  it('expires snapshots, removes orphans listed from s3:// and vacuums, keeping the data', async () => {
    const before = await keys('lake/sales.db/orders/data/');
    // A file no metadata references (a failed writer's leftover) in the table's data folder.
    const stray = 'lake/sales.db/orders/data/region=eu/stray-00000.parquet';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: stray, Body: 'not referenced' }));

    const dry = (await ok('maintain', 'orphans', 'sales.orders', '--older-than', '0s', '--dry-run')) as { path: string }[];
    expect(dry.map((o) => o.path)).toEqual([`s3://${BUCKET}/${stray}`]);
    expect(await keys('lake/sales.db/orders/data/')).toContain(stray);
    await ok('maintain', 'orphans', 'sales.orders', '--older-than', '0s');
    expect(await keys('lake/sales.db/orders/data/')).toEqual(before);

    const lists = async () => (await keys('lake/sales.db/orders/metadata/')).filter((k) => /\/snap-[^/]*\.avro$/.test(k));
    const snaps = (await ok('sql', `SELECT snapshot_id FROM sales."orders$snapshots"`)) as unknown[];
    expect(snaps.length).toBe(3);
    expect(await lists()).toHaveLength(3);
    await ok('maintain', 'expire', 'sales.orders', '--older-than', '0s', '--retain-last', '1');
    expect(await ok('sql', `SELECT count(*) AS n FROM sales."orders$snapshots"`)).toEqual([{ n: 1 }]);
    // The expired snapshots' manifest lists are deleted from the bucket; the live data files stay.
    expect(await lists()).toHaveLength(1);
    expect(await keys('lake/sales.db/orders/data/')).toEqual(before);
    expect(await ok('sql', 'SELECT id FROM sales.orders ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);

    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: stray, Body: 'not referenced' }));
    const vac = (await ok('sql', `VACUUM sales.orders`)) as Record<string, number>[];
    // One snapshot left to keep; the fresh stray is inside VACUUM's 3-day orphan window.
    expect(vac).toEqual([expect.objectContaining({ expired_snapshots: 0, deleted_orphan_files: 0 })]);
    expect(await keys('lake/sales.db/orders/data/')).toContain(stray);
    expect(await ok('sql', 'SELECT count(*) AS n FROM sales.orders')).toEqual([{ n: 3 }]);

    // The whole pipeline (compact → rewrite-manifests → expire → orphans) commits through Glue.
    const pointer = glueEntry('orders').Parameters?.['metadata_location'];
    const steps = (await ok('maintain', 'sales.orders', '--older-than', '0s', '--retain-last', '1', '--orphans-older-than', '0s')) as { step: string }[];
    expect(steps.map((r) => r.step)).toEqual(['compact', 'rewrite-manifests', 'expire', 'orphans']);
    const version = (p: string | undefined) => Number(/\/(\d{5})-[^/]*\.metadata\.json$/.exec(p ?? '')?.[1]);
    expect(version(glueEntry('orders').Parameters?.['metadata_location'])).toBeGreaterThan(version(pointer));
    // Compaction rewrote the data files: the bucket now holds exactly the files the table references.
    const live = ((await ok('sql', `SELECT file_path FROM sales."orders$files"`)) as { file_path: string }[]).map((r) => r.file_path.replace(`s3://${BUCKET}/`, ''));
    expect((await keys('lake/sales.db/orders/data/')).sort()).toEqual(live.sort());
    expect(await ok('sql', 'SELECT id FROM sales.orders ORDER BY id')).toEqual([{ id: 1 }, { id: 3 }, { id: 4 }]);
  });

  it('understands s3a:// paths written by Spark when listing s3:// objects for orphans', async () => {
    await ok('sql', `CREATE TABLE sales.events (id INT) LOCATION 's3a://${BUCKET}/lake/sales.db/events'`);
    await ok('sql', `INSERT INTO sales.events VALUES (1), (2)`);
    const entry = glueEntry('events');
    expect(entry.Parameters?.['metadata_location']).toMatch(/^s3a:\/\//);
    const data = await keys('lake/sales.db/events/data/');
    expect(data.length).toBe(1);
    const dry = (await ok('maintain', 'orphans', 'sales.events', '--older-than', '0s', '--dry-run')) as unknown[];
    expect(dry).toEqual([]);
    // Mixed spellings, as after moving a Spark table: the table location says s3:// (so the listing
    // yields s3:// paths) while its manifests and metadata log name the files s3a://.
    const current = entry.Parameters!['metadata_location']!;
    const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: current.slice(`s3a://${BUCKET}/`.length) }))).Body!.transformToString();
    const moved = `lake/sales.db/events/metadata/99999-moved.metadata.json`;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: moved, Body: body.replace(`"location": "s3a://`, `"location": "s3://`) }));
    expect(body).toContain(`"location": "s3a://`);
    entry.Parameters = { ...entry.Parameters, metadata_location: `s3://${BUCKET}/${moved}`, previous_metadata_location: current };
    entry.VersionId = String(Number(entry.VersionId) + 1);
    expect(await ok('sql', 'SELECT count(*) AS n FROM sales.events')).toEqual([{ n: 2 }]);
    // The s3a:// data file, manifest and manifest list are referenced; only the metadata file the
    // copy replaced (which its metadata log does not name) is an orphan, listed as s3://.
    const mixed = (await ok('maintain', 'orphans', 'sales.events', '--older-than', '0s', '--dry-run')) as { path: string }[];
    expect(mixed.map((o) => o.path)).toEqual([current.replace(/^s3a:/, 's3:')]);
    await ok('maintain', 'orphans', 'sales.events', '--older-than', '0s');
    expect(await keys('lake/sales.db/events/data/')).toEqual(data);
    expect(await ok('sql', 'SELECT count(*) AS n FROM sales.events')).toEqual([{ n: 2 }]);
  });

  it('sends Glue requests to the region --region names (else the SDK default, here AWS_REGION)', async () => {
    const regionOfLastCall = async (): Promise<string> => {
      const calls = stub.calls();
      return (calls[calls.length - 1]!.thisValue as { config: { region: () => Promise<string> } }).config.region();
    };
    await ok('tables');
    expect(await regionOfLastCall()).toBe('us-east-1');
    await ok('--region', 'eu-west-2', 'tables');
    expect(await regionOfLastCall()).toBe('eu-west-2');
  });

  it('refuses a Glue table that is not Iceberg with one line naming it', async () => {
    glue.createTable('sales', { Name: 'clicks', TableType: 'EXTERNAL_TABLE', Parameters: { classification: 'parquet' } });
    const r = await floe('sql', 'SELECT * FROM sales.clicks');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^floe: sales\.clicks is not an Iceberg table[^\n]*\n$/);
    const ins = await floe('sql', 'INSERT INTO sales.clicks VALUES (1)');
    expect(ins.code).toBe(3);
    expect(glueEntry('clicks').Parameters).toEqual({ classification: 'parquet' });
  });

  it('detects a concurrent writer through Glue (VersionId) and retries on top of its commit, losing nothing', async () => {
    await ok('sql', `CREATE TABLE sales.t (id INT); INSERT INTO sales.t VALUES (1)`);
    let raced = false;
    glue.before = async (command) => {
      if (command !== 'UpdateTable' || raced) return;
      raced = true;
      // Another writer (a second floe, Athena, Spark) commits between floe's load and its swap.
      await ok('sql', 'INSERT INTO sales.t VALUES (10)');
    };
    const version = Number(glueEntry('t').VersionId);
    await ok('sql', 'INSERT INTO sales.t VALUES (2)');
    expect(raced).toBe(true);
    expect(await ok('sql', 'SELECT id FROM sales.t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 10 }]);
    expect(Number(glueEntry('t').VersionId)).toBe(version + 2);
  });

  it('fails with one line (exit 6) and no partial commit when metadata_location keeps changing underneath', async () => {
    await ok('sql', `CREATE TABLE sales.u (id INT) TBLPROPERTIES ('commit.retry.num-retries' = '0'); INSERT INTO sales.u VALUES (1)`);
    let theirs = '';
    glue.before = async (command) => {
      if (command !== 'UpdateTable' || theirs !== '') return;
      theirs = 'pending';
      await ok('sql', 'INSERT INTO sales.u VALUES (10)');
      theirs = glueEntry('u').Parameters?.['metadata_location'] ?? '';
    };
    const r = await floe('sql', 'INSERT INTO sales.u VALUES (2)');
    expect(r.code).toBe(6);
    expect(r.err).toMatch(/^floe: [^\n]*sales\.u[^\n]*\n$/);
    glue.before = () => undefined;
    // The other writer's commit stands; floe's metadata file for the lost commit is gone.
    expect(theirs).toMatch(/\.metadata\.json$/);
    expect(glueEntry('u').Parameters?.['metadata_location']).toBe(theirs);
    expect(await ok('sql', 'SELECT id FROM sales.u ORDER BY id')).toEqual([{ id: 1 }, { id: 10 }]);
    const metadataFiles = (await keys('lake/sales.db/u/metadata/')).filter((k) => k.endsWith('.metadata.json'));
    expect(metadataFiles).toHaveLength(3);
  });
});

describe('bad input through the CLI on S3 + Glue: one line, an exit code per class, no partial commit', () => {
  /** What must not change when a write fails: rows, Glue's pointer, the metadata files in the bucket. */
  async function state(): Promise<unknown> {
    return {
      rows: await ok('sql', 'SELECT id FROM sales.bad ORDER BY id'),
      pointer: glueEntry('bad').Parameters?.['metadata_location'],
      version: glueEntry('bad').VersionId,
      metadata: await keys('lake/sales.db/bad/metadata/'),
      data: await keys('lake/sales.db/bad/data/'),
    };
  }
  const glueFault = (command: string, name: string, message: string) => (c: string) => {
    if (c === command) throw Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: 400 } });
  };
  const isWrite = (method: string, url: URL) => method === 'PUT' || (method === 'POST' && url.searchParams.has('uploads'));

  type Case = { what: string; exit: number; message: RegExp; arrange: () => void };
  const cases: Case[] = [
    {
      what: 'missing S3 permission to write',
      exit: 8,
      message: /^floe: access denied to write s3:\/\/acme-lake-curated\/lake\/sales\.db\/bad\/[^\n]* \(needs s3:PutObject on [^\n]*\)[^\n]*\n$/,
      arrange: () => server.failWhen({ match: isWrite, status: 403, code: 'AccessDenied' }),
    },
    {
      what: 'expired credentials on S3',
      exit: 8,
      message: /^floe: the AWS session token has expired \(ExpiredToken\): cannot [a-z]+ s3:\/\/acme-lake-curated\/[^\n]*\n$/,
      arrange: () => server.failWhen({ match: isWrite, status: 400, code: 'ExpiredToken' }),
    },
    {
      what: 'a bucket in another region',
      exit: 3,
      message: /^floe: bucket acme-lake-curated is in region eu-west-1, not us-east-1: set AWS_REGION=eu-west-1[^\n]*\n$/,
      arrange: () => server.failWhen({ match: () => true, status: 301, code: 'PermanentRedirect', headers: { 'x-amz-bucket-region': 'eu-west-1' } }),
    },
    {
      what: 'missing Glue permission to update the table',
      exit: 8,
      message: /^floe: access denied to Glue table sales\.bad \(UpdateTable\)[^\n]*\n$/,
      arrange: () => (glue.before = glueFault('UpdateTable', 'AccessDeniedException', 'User is not authorized to perform: glue:UpdateTable')),
    },
    {
      what: 'expired credentials on Glue',
      exit: 8,
      message: /^floe: the AWS credentials have expired \(ExpiredTokenException\) while calling Glue GetTable on table sales\.bad[^\n]*\n$/,
      arrange: () => (glue.before = glueFault('GetTable', 'ExpiredTokenException', 'The security token included in the request is expired')),
    },
  ];

  it('sets up the table', async () => {
    await ok('sql', `CREATE TABLE sales.bad (id INT); INSERT INTO sales.bad VALUES (1), (2)`);
  });

  for (const c of cases) {
    it(c.what, async () => {
      const before = await state();
      c.arrange();
      let r: Awaited<ReturnType<typeof floe>>;
      try {
        r = await floe('sql', 'INSERT INTO sales.bad VALUES (3)');
      } finally {
        server.failWhen(undefined);
        glue.before = () => undefined;
      }
      expect(r.err).toMatch(c.message);
      expect(r.code).toBe(c.exit);
      expect(await state()).toEqual(before);
    });
  }

  it('a bucket that does not exist', async () => {
    let err = '';
    const code = await main(['node', 'floe', '--warehouse', 's3://no-such-lake/x', '--catalog', 'glue', 'tables'], { out: () => undefined, err: (s) => (err += s), isTty: false });
    expect([code, err]).toEqual([4, 'floe: bucket no-such-lake not found\n']);
    expect(glue.databases.size).toBe(1);
  });
});
