import crypto from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** s3rver's default account (it checks SigV4 signatures against it). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3TestServer {
  /** Endpoint to give the SDK (the conditional-write proxy in front of s3rver). */
  endpoint: string;
  /** s3rver itself, without the proxy. */
  upstream: string;
  /** Buckets created at start. */
  buckets: string[];
  /** Folder where s3rver keeps its objects. */
  dir: string;
  /** Answers the next `count` requests with an S3 error instead of forwarding them. */
  failNext(count: number, status?: number, code?: string): void;
  /**
   * Answers every request `match` accepts with an S3 error (and extra headers) until cleared with
   * `failWhen(undefined)`: a lasting fault such as a denied PUT, expired credentials or a bucket in
   * another region.
   */
  failWhen(fault: { match: (method: string, url: URL) => boolean; status: number; code: string; headers?: Record<string, string> } | undefined): void;
  /** Requests seen by the proxy (method and URL), for tests that check what was sent. */
  requests: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/**
 * s3rver makes ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node ≥ 17) only
 * has in its legacy provider, so any truncated listing fails with InternalError. Single DES is
 * triple DES with three equal keys (NIST SP 800-67, keying option 3), so mapping 'des' to
 * 'des-ede3-cbc' with the key repeated yields the very same tokens. Only the 'des' algorithm is touched.
 */
function enableSingleDes(): void {
  const mutable = crypto as unknown as { createCipheriv: typeof crypto.createCipheriv; createDecipheriv: typeof crypto.createDecipheriv; __floeDes?: true };
  if (mutable.__floeDes) return;
  const tripled = (key: crypto.CipherKey): Buffer => {
    const k = Buffer.from(key as Buffer);
    return Buffer.concat([k, k, k]);
  };
  const cipher = crypto.createCipheriv.bind(crypto);
  const decipher = crypto.createDecipheriv.bind(crypto);
  mutable.createCipheriv = ((alg: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, opts?: never) =>
    alg === 'des' ? cipher('des-ede3-cbc', tripled(key), iv, opts) : cipher(alg, key, iv, opts)) as typeof crypto.createCipheriv;
  mutable.createDecipheriv = ((alg: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, opts?: never) =>
    alg === 'des' ? decipher('des-ede3-cbc', tripled(key), iv, opts) : decipher(alg, key, iv, opts)) as typeof crypto.createDecipheriv;
  mutable.__floeDes = true;
}

/**
 * Starts s3rver (a real S3-protocol server) on 127.0.0.1 with a random port and a temp folder,
 * behind a loopback HTTP proxy.
 *
 * Test stand-in, stated plainly: s3rver 3.7 ignores `If-None-Match` on PutObject and on
 * CompleteMultipartUpload (it only honours it on GET/HEAD), so the proxy implements the S3
 * conditional-write rule itself (S3 docs, "Conditional writes": `If-None-Match: *` → 412
 * PreconditionFailed when the key exists): it serialises conditional writes per key, HEADs the key
 * upstream and either answers 412 or forwards the request. Every other request passes through
 * unchanged. The proxy can also inject throttling errors (503 SlowDown) to exercise SDK retries.
 */
export async function startS3Server(buckets: string[] = ['floe-test']): Promise<S3TestServer> {
  enableSingleDes();
  const dir = mkdtempSync(join(tmpdir(), 'floe-s3rver-'));
  const s3rver = new S3rver({ address: '127.0.0.1', port: 0, directory: dir, silent: true, configureBuckets: buckets.map((name) => ({ name })) });
  const server = (await s3rver.run()) as { port: number } & AddressInfo;
  const upstreamPort = server.port;
  const faults: { status: number; code: string; headers?: Record<string, string> }[] = [];
  let lasting: Parameters<S3TestServer['failWhen']>[0];
  const requests: S3TestServer['requests'] = [];
  const locks = new Map<string, Promise<void>>();

  const forward = (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> =>
    new Promise((resolve) => {
      const headers = { ...req.headers };
      delete headers['expect'];
      const up = http.request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        ur.on('end', resolve);
        ur.on('error', resolve);
      });
      up.on('error', (e) => {
        res.writeHead(502);
        res.end(String(e));
        resolve();
      });
      req.pipe(up);
    });

  const exists = (path: string): Promise<boolean> =>
    new Promise((resolve, reject) => {
      const r = http.request({ host: '127.0.0.1', port: upstreamPort, method: 'HEAD', path }, (ur) => {
        ur.resume();
        resolve(ur.statusCode === 200);
      });
      r.on('error', reject);
      r.end();
    });

  const proxy = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const fault = lasting?.match(req.method ?? '', new URL(req.url ?? '/', 'http://proxy')) ? lasting : faults.shift();
    if (fault) {
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': 'application/xml', ...fault.headers });
        res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by the test proxy</Message></Error>`);
      });
      return;
    }
    const url = new URL(req.url ?? '/', 'http://proxy');
    const conditional =
      req.headers['if-none-match'] === '*' &&
      ((req.method === 'PUT' && !url.searchParams.has('partNumber')) || (req.method === 'POST' && url.searchParams.has('uploadId')));
    if (!conditional) {
      void forward(req, res);
      return;
    }
    const key = url.pathname;
    const prev = locks.get(key) ?? Promise.resolve();
    const run = prev.then(async () => {
      if (await exists(key)) {
        req.resume();
        await new Promise((r) => req.on('end', r));
        res.writeHead(412, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>');
        return;
      }
      await forward(req, res);
    });
    const settled = run.catch(() => undefined);
    locks.set(key, settled);
    void settled.then(() => {
      if (locks.get(key) === settled) locks.delete(key);
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const port = (proxy.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    upstream: `http://127.0.0.1:${upstreamPort}`,
    buckets,
    dir,
    requests,
    failNext(count, status = 503, code = 'SlowDown') {
      for (let i = 0; i < count; i++) faults.push({ status, code });
    },
    failWhen(fault) {
      lasting = fault;
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await s3rver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** What a user's shell sets to point floe's CLI at this server: endpoint, path style, credentials, region, cache. */
export function s3CliEnv(server: Pick<S3TestServer, 'endpoint'>, cacheDir?: string): Record<string, string> {
  return {
    FLOE_S3_ENDPOINT: server.endpoint,
    FLOE_S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    ...(cacheDir !== undefined ? { FLOE_S3_CACHE_DIR: cacheDir } : {}),
  };
}

/** Sets `env` in process.env (undefined unsets a variable); returns a function that restores the previous values. */
export function setEnv(env: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(env);
  return () => apply(saved);
}
