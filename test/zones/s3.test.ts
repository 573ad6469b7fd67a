import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openWarehouse } from '../../src/index.js';
import { S3FileIO, type S3FileIOOptions } from '../../src/io/s3.js';
import { appendIngestRecord, readIngestLog, type IngestRecord } from '../../src/zones/ingest-log.js';
import { ingest } from '../../src/zones/raw.js';
import { curate } from '../../src/zones/curate.js';
import { S3RVER_CREDENTIALS, s3CliEnv, setEnv, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { q } from '../helpers/warehouse.js';
import { ordersContract } from './helpers.js';
import { writeModels } from './models-dir.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let server: S3TestServer;
let client: S3Client;
const dirs: string[] = [];
const fresh = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
const examples = resolve(__dirname, '../../examples/zones');

beforeAll(async () => {
  server = await startS3Server(['lake', 'landing']);
  client = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
});
afterAll(async () => {
  client.destroy();
  await server.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const s3 = (): S3FileIOOptions => ({ endpoint: server.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS, cacheDir: fresh('floe-s3-cache-') });

async function put(bucket: string, key: string, body: string | Uint8Array): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
}

async function keys(bucket: string, prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

const HEAD = 'id,status,amount,ordered_at\n';

describe('raw zone on S3', () => {
  it('floe ingest s3://… into an s3:// warehouse, curate and status from the CLI; reruns are no-ops', async () => {
    const local = fresh('floe-s3-zones-');
    await put('landing', 'orders/2026-01-01.csv', readFileSync(join(examples, 'orders-2026-01-01.csv')));
    await put('landing', 'orders/more/2026-01-02.csv.gz', gzipSync(Buffer.from('id,customer,status,amount,ordered_at\n9,C0009,new,1.00,2026-01-02 08:00:00\n')));
    await put('landing', 'orders/.hidden/skip.csv', 'id\n1\n');
    await put('landing', 'orders-other/x.csv', 'id\n1\n');
    const restoreEnv = setEnv(s3CliEnv(server, join(local, 'cache')));
    const floe = (...args: string[]): Promise<CliRun> => runFloe('--warehouse', 's3://lake/wh', '--catalog-db', join(local, 'catalog.db'), '--format', 'json', ...args);
    try {
      const ing = await floe('ingest', 's3://landing/orders', '--into', 'raw/orders');
      expect(ing.err).toBe('');
      const rows = JSON.parse(ing.out) as { source: string; status: string; format: string; compression: string }[];
      expect(rows.map((r) => [r.source, r.status, r.compression])).toEqual([
        ['s3://landing/orders/2026-01-01.csv', 'ingested', 'none'],
        ['s3://landing/orders/more/2026-01-02.csv.gz', 'ingested', 'gzip'],
        ['total', '2 ingested, 0 already ingested, 0 rejected', null],
      ]);
      const stored = await keys('lake', 'wh/raw/orders/');
      expect(stored.filter((k) => k.includes('/objects/'))).toHaveLength(2);
      expect(stored.filter((k) => k.includes('/ingest-log/'))).toEqual(['wh/raw/orders/ingest-log/00000000000000000000.json', 'wh/raw/orders/ingest-log/00000000000000000001.json']);
      // One object by its full key; already ingested.
      const again = JSON.parse((await floe('ingest', 's3://landing/orders/2026-01-01.csv', '--into', 'raw/orders')).out) as { status: string }[];
      expect(again[0]!.status).toBe('already-ingested');
      expect((await keys('lake', 'wh/raw/orders/ingest-log/')).length).toBe(2);

      const cur = await floe('curate', 'orders', '--contract', join(examples, 'orders.contract.yaml'));
      expect(cur.err).toBe('');
      const summary = JSON.parse(cur.out) as Record<string, unknown>[];
      expect(summary[summary.length - 1]).toMatchObject({ batch: 'total', rows_in: 9, rows_curated: 3, rows_quarantined: 6 });
      const st = JSON.parse((await floe('status')).out) as Record<string, Record<string, unknown>[]>;
      expect(st['raw and curated']![0]).toMatchObject({ dataset: 'orders', raw_batches: 2, curated_rows: 3, pending_batches: 0 });
      expect((await keys('lake', 'wh/curated.db/orders/data/')).length).toBeGreaterThan(0);

      // Models over the curated table; the run log is an object per record on S3 (nothing local).
      const models = await writeModels(local, { by_customer: 'SELECT customer, count(*) AS n FROM curated.orders GROUP BY customer' });
      const run = await floe('run', '--models', models);
      expect(run.err).toBe('');
      expect((await keys('lake', 'wh/_floe/runs/')).length).toBe(1);
      const st2 = JSON.parse((await floe('status')).out) as Record<string, Record<string, unknown>[]>;
      expect(JSON.stringify(st2)).toMatch(/analytics\.by_customer.*success/);

      const missing = await floe('ingest', 's3://landing/nothing-here/', '--into', 'raw/orders');
      expect(missing.code).toBe(4);
      expect(missing.err).toMatch(/s3:\/\/landing\/nothing-here\/ names no object/);
    } finally {
      restoreEnv();
    }
  });

  it('a local warehouse ingests s3:// sources through a given S3 FileIO', async () => {
    const body = `${HEAD}1,new,1.00,2026-01-01 00:00:00\n`;
    await put('landing', 'l/a.csv', body);
    const wh = await openWarehouse({ warehouse: fresh('floe-wh-') });
    const remote = new S3FileIO(s3());
    try {
      const [o] = await ingest({ root: wh.root, io: wh.io }, ['s3://landing/l/'], { dataset: 'orders', remote });
      expect(o).toMatchObject({ source: 's3://landing/l/a.csv', status: 'ingested', bytes: body.length });
      await curate(wh, ordersContract());
      expect(await q(wh, 'SELECT order_id, amount FROM curated.orders')).toEqual([[1, '1.00']]);
      await expect(ingest({ root: wh.root, io: wh.io }, ['s3://landing/l/'], { dataset: 'orders' })).rejects.toThrow(/no S3 storage is configured/);
    } finally {
      await remote.close();
      await wh.close();
    }
  });

  it('a streamed put-if-absent that fails midway leaves no object; a present key is not overwritten', async () => {
    const io = new S3FileIO({ ...s3(), partSizeBytes: 5 * 1024 * 1024 });
    try {
      const part = new Uint8Array(3 * 1024 * 1024).fill(7);
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield part;
        yield part; // past one part: a multipart upload is under way
        throw new Error('source vanished');
      }
      await expect(io.writeStreamIfAbsent('s3://lake/stream/x.bin', failing())).rejects.toThrow('source vanished');
      expect(await io.stat('s3://lake/stream/x.bin')).toBeNull();
      async function* ok(b: Uint8Array): AsyncGenerator<Uint8Array> {
        yield b;
        yield b;
      }
      expect(await io.writeStreamIfAbsent('s3://lake/stream/x.bin', ok(part))).toBe(true);
      expect((await io.stat('s3://lake/stream/x.bin'))!.size).toBe(2 * part.length);
      expect(await io.writeStreamIfAbsent('s3://lake/stream/x.bin', ok(new Uint8Array([1])))).toBe(false);
      expect((await io.read('s3://lake/stream/x.bin'))[0]).toBe(7);
    } finally {
      await io.close();
    }
  });

  it('ingest-log records are put-if-absent objects: concurrent writers take distinct positions, a checksum counts once', async () => {
    const io = new S3FileIO(s3());
    const rec = (n: number): IngestRecord => ({
      sha256: String(n).repeat(64).slice(0, 64),
      bytes: n,
      format: 'csv',
      compression: 'none',
      object: `objects/${n}.csv`,
      source: `s${n}`,
      ingested_at: '2026-01-01T00:00:00.000Z',
      user: 'u',
      host: 'h',
    });
    try {
      await Promise.all([1, 2, 3, 4].map((n) => appendIngestRecord(io, 's3://lake/logtest', 'd', rec(n))));
      await appendIngestRecord(io, 's3://lake/logtest', 'd', rec(2));
      expect(await keys('lake', 'logtest/raw/d/ingest-log/')).toHaveLength(5);
      const log = await readIngestLog(io, 's3://lake/logtest', 'd');
      expect(log.map((r) => r.bytes).sort()).toEqual([1, 2, 3, 4]);
      // Positions are stable: a later record goes after the ones already there.
      await appendIngestRecord(io, 's3://lake/logtest', 'd', rec(5));
      expect((await readIngestLog(io, 's3://lake/logtest', 'd')).map((r) => r.bytes)).toEqual([...log.map((r) => r.bytes), 5]);
    } finally {
      await io.close();
    }
  });
});
