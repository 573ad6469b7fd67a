import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, IoError, NotFoundError, ValidationError } from '../../src/errors.js';
import { S3FileIO, type S3FileIOOptions } from '../../src/io/s3.js';
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { fileIoContract } from './contract.js';

const MIB = 1024 * 1024;
let server: S3TestServer;
const dirs: string[] = [];
const ios: S3FileIO[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-s3-cache-'));
  dirs.push(d);
  return d;
};
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

beforeAll(async () => {
  server = await startS3Server(['floe-test']);
});
afterAll(async () => {
  await Promise.all(ios.map((io) => io.close()));
  await server.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

function s3io(options: S3FileIOOptions = {}): S3FileIO {
  const io = new S3FileIO({
    endpoint: server.endpoint,
    forcePathStyle: true,
    credentials: S3RVER_CREDENTIALS,
    partSizeBytes: 5 * MIB,
    listPageSize: 7,
    cacheDir: fresh(),
    ...options,
  });
  ios.push(io);
  return io;
}

fileIoContract('s3 (s3rver on loopback)', async () => ({ io: s3io(), base: `s3://floe-test/${randomUUID()}` }));
fileIoContract('s3a:// URIs', async () => ({ io: s3io(), base: `s3a://floe-test/${randomUUID()}` }));

describe('S3FileIO on s3rver', () => {
  const requestsSince = (n: number) => server.requests.slice(n);

  it('uploads large files in parts and small ones in one PUT', async () => {
    const io = s3io();
    const base = `s3://floe-test/${randomUUID()}`;
    let n = server.requests.length;
    await io.write(`${base}/small.bin`, new Uint8Array(1000));
    expect(requestsSince(n).map((r) => r.method)).toEqual(['PUT']);
    n = server.requests.length;
    await io.write(`${base}/big.bin`, new Uint8Array(11 * MIB));
    const reqs = requestsSince(n);
    expect(reqs.filter((r) => r.method === 'POST' && r.url.includes('uploads'))).toHaveLength(1);
    expect(reqs.filter((r) => r.method === 'PUT' && r.url.includes('partNumber='))).toHaveLength(3);
    expect(reqs.filter((r) => r.method === 'POST' && r.url.includes('uploadId='))).toHaveLength(1);
  });

  it('lets exactly one of concurrent multipart writeIfAbsent calls win', async () => {
    const io = s3io();
    const target = `s3://floe-test/${randomUUID()}/once.bin`;
    const bodies = [1, 2, 3].map((v) => new Uint8Array(6 * MIB).fill(v));
    const results = await Promise.all(bodies.map((b) => io.writeIfAbsent(target, b)));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await io.read(target))[0]).toBe(winner + 1);
    expect(server.requests.some((r) => r.method === 'POST' && r.url.includes('uploadId=') && r.headers['if-none-match'] === '*')).toBe(true);
  });

  it('pages through ListObjectsV2 with continuation tokens', async () => {
    const io = s3io({ listPageSize: 4 });
    const base = `s3://floe-test/${randomUUID()}`;
    await Promise.all(Array.from({ length: 10 }, (_, i) => io.write(`${base}/p/${i}.txt`, bytes(String(i)))));
    const n = server.requests.length;
    const seen: string[] = [];
    for await (const f of io.list(`${base}/p/`)) seen.push(f.path);
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `${base}/p/${i}.txt`).sort());
    const lists = requestsSince(n).filter((r) => r.url.includes('list-type=2'));
    expect(lists).toHaveLength(3);
    expect(lists.filter((r) => r.url.includes('continuation-token='))).toHaveLength(2);
  });

  it('streams a staged local file up with commitLocal and serves it from the cache without a download', async () => {
    const cacheDir = fresh();
    const io = s3io({ cacheDir });
    const staging = io.stagingPath('s3://floe-test/x');
    expect(staging.startsWith(cacheDir)).toBe(true);
    const staged = join(fresh(), 'part.parquet');
    const content = Buffer.alloc(7 * MIB, 'abc');
    writeFileSync(staged, content);
    const dest = `s3://floe-test/${randomUUID()}/data/part.parquet`;
    let progressed = 0;
    const withProgress = s3io({ cacheDir, onUploadProgress: (p) => (progressed = Math.max(progressed, p.loadedBytes)) });
    const n = server.requests.length;
    await withProgress.commitLocal(staged, dest);
    expect(progressed).toBe(content.length);
    expect(requestsSince(n).filter((r) => r.url.includes('partNumber='))).toHaveLength(2);
    expect(existsSync(staged)).toBe(false);
    const m = server.requests.length;
    const local = await withProgress.localPath(dest);
    expect(requestsSince(m)).toEqual([]);
    expect(local.startsWith(cacheDir)).toBe(true);
    expect(readFileSync(local).equals(content)).toBe(true);
    expect(Buffer.from(await io.read(dest)).equals(content)).toBe(true);
  });

  it('caches downloads by URI and ETag, shares them across s3/s3a spellings and across instances', async () => {
    const cacheDir = fresh();
    const io = s3io({ cacheDir });
    const key = `floe-test/${randomUUID()}/c.parquet`;
    await io.write(`s3://${key}`, bytes('v1'));
    const first = await io.localPath(`s3://${key}`);
    const n = server.requests.length;
    expect(await io.localPath(`s3a://${key}`)).toBe(first);
    expect(requestsSince(n)).toEqual([]);
    // Another process (a new instance on the same folder) finds the entry after one HEAD.
    const other = s3io({ cacheDir });
    const m = server.requests.length;
    expect(await other.localPath(`s3://${key}`)).toBe(first);
    expect(requestsSince(m).map((r) => r.method)).toEqual(['HEAD']);
    // A rewrite gets a new content address, never the stale bytes.
    await io.write(`s3://${key}`, bytes('v2!'));
    const second = await io.localPath(`s3://${key}`);
    expect(second).not.toBe(first);
    expect(readFileSync(second, 'utf8')).toBe('v2!');
  });

  it('evicts least recently used entries to stay within the byte bound', async () => {
    const io = s3io({ cacheMaxBytes: 2500, cacheMinAgeMs: 0 });
    const base = `s3://floe-test/${randomUUID()}`;
    for (const n of ['a', 'b', 'c']) await io.write(`${base}/${n}.bin`, new Uint8Array(1000).fill(n.charCodeAt(0)));
    const a = await io.localPath(`${base}/a.bin`);
    await new Promise((r) => setTimeout(r, 20));
    const b = await io.localPath(`${base}/b.bin`);
    await new Promise((r) => setTimeout(r, 20));
    await io.localPath(`${base}/a.bin`); // a is now more recent than b
    await new Promise((r) => setTimeout(r, 20));
    const c = await io.localPath(`${base}/c.bin`);
    expect(existsSync(b)).toBe(false);
    expect(existsSync(a)).toBe(true);
    expect(existsSync(c)).toBe(true);
    expect(await io.cacheBytes()).toBeLessThanOrEqual(2500);
    // An evicted entry is downloaded again on demand.
    expect(readFileSync(await io.localPath(`${base}/b.bin`))[0]).toBe('b'.charCodeAt(0));
  });

  it('keeps entries used within cacheMinAgeMs even over the bound', async () => {
    const io = s3io({ cacheMaxBytes: 1500, cacheMinAgeMs: 60_000 });
    const base = `s3://floe-test/${randomUUID()}`;
    await io.write(`${base}/a.bin`, new Uint8Array(1000));
    await io.write(`${base}/b.bin`, new Uint8Array(1000));
    const a = await io.localPath(`${base}/a.bin`);
    const b = await io.localPath(`${base}/b.bin`);
    expect(existsSync(a) && existsSync(b)).toBe(true);
  });

  it('retries throttled requests with backoff up to maxAttempts', async () => {
    const io = s3io({ maxAttempts: 3 });
    const path = `s3://floe-test/${randomUUID()}/r.txt`;
    await io.write(path, bytes('ok'));
    server.failNext(2);
    expect(Buffer.from(await io.read(path)).toString()).toBe('ok');
    const once = s3io({ maxAttempts: 2 });
    server.failNext(2);
    await expect(once.read(path)).rejects.toThrow(IoError);
    server.failNext(2);
    await expect(once.read(path)).rejects.toThrow(/throttled.*r\.txt.*2 attempt/);
  });

  it('reports a missing bucket as NotFoundError naming it', async () => {
    const io = s3io();
    await expect(io.read('s3://no-such-bucket/k')).rejects.toThrow(new NotFoundError('bucket no-such-bucket not found'));
    await expect(io.write('s3://no-such-bucket/k', bytes('x'))).rejects.toThrow(/bucket no-such-bucket not found/);
    await expect(io.checkBucket('s3://no-such-bucket/wh')).rejects.toThrow(/bucket no-such-bucket not found/);
    const listing = async () => {
      for await (const f of io.list('s3://no-such-bucket/p')) void f;
    };
    await expect(listing()).rejects.toThrow(/bucket no-such-bucket not found/);
    await expect(io.checkBucket('s3://floe-test/wh')).resolves.toBeUndefined();
  });

  it('reports unknown credentials as AccessDeniedError, also from the default (env) provider chain', async () => {
    const bad = s3io({ credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'x' } });
    await expect(bad.read('s3://floe-test/k')).rejects.toThrow(AccessDeniedError);
    await expect(bad.read('s3://floe-test/k')).rejects.toThrow(/access key id is not known.*s3:\/\/floe-test\/k/);
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    try {
      process.env['AWS_ACCESS_KEY_ID'] = 'S3RVER';
      process.env['AWS_SECRET_ACCESS_KEY'] = 'S3RVER';
      const envIo = new S3FileIO({ endpoint: server.endpoint, forcePathStyle: true, cacheDir: fresh() });
      ios.push(envIo);
      await envIo.write('s3://floe-test/env/ok.txt', bytes('ok'));
      process.env['AWS_ACCESS_KEY_ID'] = 'WRONG-KEY';
      const wrong = new S3FileIO({ endpoint: server.endpoint, forcePathStyle: true, cacheDir: fresh() });
      ios.push(wrong);
      await expect(wrong.read('s3://floe-test/env/ok.txt')).rejects.toThrow(/InvalidAccessKeyId/);
    } finally {
      for (const [k, v] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('needs the test proxy: s3rver alone ignores If-None-Match on PUT (when this fails, drop the shim)', async () => {
    const direct = s3io({ endpoint: server.upstream });
    const path = `s3://floe-test/${randomUUID()}/twice.txt`;
    expect(await direct.writeIfAbsent(path, bytes('one'))).toBe(true);
    expect(await direct.writeIfAbsent(path, bytes('two'))).toBe(true);
    expect(Buffer.from(await direct.read(path)).toString()).toBe('two');
  });

  it('refuses malformed URIs and settings', async () => {
    const io = s3io();
    await expect(io.read('s3://floe-test/')).rejects.toThrow(ValidationError);
    await expect(io.read('/local/file')).rejects.toThrow(ValidationError);
    await expect(io.read('s3://Bad_Bucket/k')).rejects.toThrow(/not a valid S3 bucket name/);
    expect(() => new S3FileIO({ partSizeBytes: 1024 })).toThrow(/at least 5 MiB/);
    expect(() => new S3FileIO({ maxAttempts: 0 })).toThrow(ValidationError);
  });
});
