import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat as fsStat } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { IoError, NotFoundError, ValidationError } from '../errors.js';
import type { FileInfo, FileIO } from './file-io.js';
import { LocalCache } from './local-cache.js';
import { s3Error, s3ErrorName, s3Status, type S3Operation } from './s3-errors.js';
import { formatS3Uri, parseS3Object, parseS3Uri, type S3Location } from './s3-uri.js';

/** SSE-KMS settings applied to every object floe writes (spec: S3 PutObject `x-amz-server-side-encryption*`). */
export interface SseKmsOptions {
  /** Key id, alias or ARN; omitted: the bucket's AWS-managed `aws/s3` key. */
  keyId?: string;
  /** S3 Bucket Keys cut KMS requests (and cost) for SSE-KMS. */
  bucketKeyEnabled?: boolean;
}

export interface UploadProgress {
  path: string;
  loadedBytes: number;
  totalBytes?: number;
}

export interface S3FileIOOptions {
  /** Region; default from the SDK chain (AWS_REGION, profile), or us-east-1 with a custom endpoint. */
  region?: string;
  /** Endpoint of an S3-compatible store (MinIO, Ceph, s3rver…); default AWS S3 (or AWS_ENDPOINT_URL_S3). */
  endpoint?: string;
  /** Path-style addressing (`host/bucket/key`), which most S3-compatible stores need. */
  forcePathStyle?: boolean;
  /** Explicit credentials; omitted: the SDK's default chain (env, profile, SSO, web identity, instance role). */
  credentials?: S3ClientConfig['credentials'];
  /** Attempts per request, first one included (SDK retry strategy with exponential backoff; default 5). */
  maxAttempts?: number;
  /** SDK retry mode (default `standard`; `adaptive` adds client-side rate limiting). */
  retryMode?: 'standard' | 'adaptive';
  /** Multipart part size; files larger than one part are uploaded in parts (default 8 MiB, minimum 5 MiB). */
  partSizeBytes?: number;
  /** Parts uploaded at once (default 4). */
  uploadConcurrency?: number;
  sseKms?: SseKmsOptions;
  /** Folder of the local read cache and of staged writes (default `$XDG_CACHE_HOME/floe/s3`, i.e. `~/.cache/floe/s3`). */
  cacheDir?: string;
  /** Bound on the read cache in bytes (default 2 GiB). */
  cacheMaxBytes?: number;
  /** Cache entries used this recently are never evicted (default 60 s). */
  cacheMinAgeMs?: number;
  /** Keys per ListObjectsV2 page (default and S3 maximum 1000). */
  listPageSize?: number;
  /** Called as multipart uploads progress. */
  onUploadProgress?: (p: UploadProgress) => void;
  /** A ready client (tests, custom middleware); the connection options above are then ignored. */
  client?: S3Client;
}

const MIB = 1024 * 1024;
/** spec: S3 multipart parts are at least 5 MiB (the last part excepted). */
const MIN_PART_SIZE = 5 * MIB;

/**
 * FileIO over Amazon S3 and S3-compatible stores with the AWS SDK v3. Paths are `s3://bucket/key`
 * (`s3a://` and `s3n://` name the same objects). Large files go up in multipart uploads, put-if-absent
 * is a conditional PUT (`If-None-Match: *`), and DuckDB reads objects through a local
 * content-addressed cache (`localPath`).
 */
export class S3FileIO implements FileIO {
  readonly client: S3Client;
  private readonly partSize: number;
  private readonly cache: LocalCache;
  /**
   * Last ETag seen per object. spec: Iceberg never rewrites a data or metadata file in place (new
   * files get new names), so an object's ETag once seen names its content for this process; this
   * FileIO's own writes and deletes update it.
   */
  private readonly etags = new Map<string, string>();
  private readonly downloads = new Map<string, Promise<string>>();
  private regionName: string | undefined;

  constructor(private readonly options: S3FileIOOptions = {}) {
    this.partSize = options.partSizeBytes ?? 8 * MIB;
    if (this.partSize < MIN_PART_SIZE) throw new ValidationError(`S3 multipart part size must be at least 5 MiB, not ${this.partSize} bytes`);
    if (options.maxAttempts !== undefined && (!Number.isInteger(options.maxAttempts) || options.maxAttempts < 1)) {
      throw new ValidationError(`S3 maxAttempts must be a positive integer, not ${options.maxAttempts}`);
    }
    this.client =
      options.client ??
      new S3Client({
        ...(options.region ? { region: options.region } : options.endpoint ? { region: 'us-east-1' } : {}),
        ...(options.endpoint ? { endpoint: options.endpoint } : {}),
        ...(options.forcePathStyle !== undefined ? { forcePathStyle: options.forcePathStyle } : {}),
        ...(options.credentials ? { credentials: options.credentials } : {}),
        maxAttempts: options.maxAttempts ?? 5,
        retryMode: options.retryMode ?? 'standard',
      });
    this.regionName = options.region;
    this.cache = new LocalCache({
      dir: options.cacheDir ?? defaultCacheDir(),
      maxBytes: options.cacheMaxBytes ?? 2 * 1024 * MIB,
      minAgeMs: options.cacheMinAgeMs ?? 60_000,
    });
  }

  /** The region requests are signed for (resolved from the SDK chain on first use). */
  private async region(): Promise<string | undefined> {
    if (this.regionName) return this.regionName;
    try {
      this.regionName = await this.client.config.region();
    } catch {
      return undefined;
    }
    return this.regionName;
  }

  private async fail(e: unknown, op: S3Operation, loc: S3Location): Promise<Error> {
    const region = await this.region();
    return s3Error(e, { op, loc, sseKms: this.options.sseKms !== undefined, ...(region ? { region } : {}) });
  }

  private sse(): Pick<PutObjectCommandInput, 'ServerSideEncryption' | 'SSEKMSKeyId' | 'BucketKeyEnabled'> {
    const kms = this.options.sseKms;
    if (!kms) return {};
    return {
      ServerSideEncryption: 'aws:kms',
      ...(kms.keyId ? { SSEKMSKeyId: kms.keyId } : {}),
      ...(kms.bucketKeyEnabled !== undefined ? { BucketKeyEnabled: kms.bucketKeyEnabled } : {}),
    };
  }

  /** Checks that the bucket exists, is reachable in this region and these credentials may use it. */
  async checkBucket(uri: string): Promise<void> {
    const loc = parseS3Uri(uri);
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: loc.bucket }));
    } catch (e) {
      throw await this.fail(e, 'check', { ...loc, key: '' });
    }
  }

  async read(path: string): Promise<Uint8Array> {
    const loc = parseS3Object(path);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      return out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
    } catch (e) {
      throw await this.fail(e, 'read', loc);
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    checkRange(path, offset, length);
    const loc = parseS3Object(path);
    if (length === 0) return new Uint8Array(0);
    try {
      // spec: RFC 9110 byte ranges are inclusive; S3 answers 416 InvalidRange when offset ≥ size.
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, Range: `bytes=${offset}-${offset + length - 1}` }),
      );
      const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array(0);
      // A store that ignores Range answers 200 with the whole object.
      return out.ContentRange ? bytes : bytes.subarray(offset, offset + length);
    } catch (e) {
      if (s3ErrorName(e) === 'InvalidRange' || s3Status(e) === 416) {
        if ((await this.stat(path)) !== null) return new Uint8Array(0);
      }
      throw await this.fail(e, 'read', loc);
    }
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const loc = parseS3Object(path);
    const uri = cacheUri(loc);
    this.etags.delete(uri);
    let etag: string | undefined;
    try {
      if (data.length > this.partSize) etag = await this.multipart(path, loc, data, data.length, {});
      else etag = (await this.client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: data, ...this.sse() }))).ETag;
    } catch (e) {
      throw await this.fail(e, 'write', loc);
    }
    if (etag) this.etags.set(uri, etag);
  }

  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    const loc = parseS3Object(path);
    try {
      // spec: S3 conditional writes: `If-None-Match: *` fails with 412 PreconditionFailed when the key
      // exists, and 409 ConditionalRequestConflict when a concurrent write to it is in flight; in both
      // cases nothing of this request was written.
      const etag =
        data.length > this.partSize
          ? await this.multipart(path, loc, data, data.length, { IfNoneMatch: '*' })
          : (await this.client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: data, IfNoneMatch: '*', ...this.sse() }))).ETag;
      if (etag) this.etags.set(cacheUri(loc), etag);
      return true;
    } catch (e) {
      const status = s3Status(e);
      const name = s3ErrorName(e);
      if (status === 412 || name === 'PreconditionFailed' || status === 409 || name === 'ConditionalRequestConflict') return false;
      throw await this.fail(e, 'write', loc);
    }
  }

  /**
   * Streams `chunks` into a new object only if the key is absent: one conditional upload
   * (`If-None-Match: *` on the PUT, or on CompleteMultipartUpload past one part), so nothing is
   * visible unless every chunk arrived. When the chunks throw, the upload is abandoned (a multipart
   * upload is aborted, its parts discarded) and the error is rethrown. A key already present is
   * answered from a HEAD first, without streaming anything.
   */
  async writeStreamIfAbsent(path: string, chunks: AsyncIterable<Uint8Array>): Promise<boolean> {
    const loc = parseS3Object(path);
    if (await this.stat(path)) return false;
    let sourceError: unknown;
    // The source's own failure is told apart from S3's: it reaches the caller unchanged.
    const body = Readable.from(
      (async function* () {
        try {
          yield* chunks;
        } catch (e) {
          sourceError = e;
          throw e;
        }
      })(),
    );
    const upload = new Upload({
      client: this.client,
      partSize: this.partSize,
      queueSize: this.options.uploadConcurrency ?? 4,
      leavePartsOnError: false,
      params: { Bucket: loc.bucket, Key: loc.key, Body: body, IfNoneMatch: '*', ...this.sse() },
    });
    try {
      const out = await upload.done();
      if (out.ETag) this.etags.set(cacheUri(loc), out.ETag);
      return true;
    } catch (e) {
      if (sourceError !== undefined) throw sourceError;
      const status = s3Status(e);
      const name = s3ErrorName(e);
      if (status === 412 || name === 'PreconditionFailed' || status === 409 || name === 'ConditionalRequestConflict') return false;
      throw await this.fail(e, 'write', loc);
    }
  }

  async stat(path: string): Promise<FileInfo | null> {
    const loc = parseS3Object(path);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
      if (out.ETag) this.etags.set(cacheUri(loc), out.ETag);
      return { path, size: out.ContentLength ?? 0, mtimeMs: out.LastModified?.getTime() ?? 0 };
    } catch (e) {
      if (s3Status(e) === 404 && s3ErrorName(e) !== 'NoSuchBucket') return null;
      throw await this.fail(e, 'stat', loc);
    }
  }

  async delete(path: string): Promise<void> {
    const loc = parseS3Object(path);
    this.etags.delete(cacheUri(loc));
    try {
      // spec: DeleteObject on a missing key succeeds (204), matching "deleting a missing file is not an error".
      await this.client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
    } catch (e) {
      if (s3ErrorName(e) === 'NoSuchKey') return;
      throw await this.fail(e, 'delete', loc);
    }
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const loc = parseS3Uri(prefix);
    // A prefix names a folder: `…/a` lists `…/a/x` but not `…/ab`.
    const folder = loc.key === '' ? '' : `${loc.key.replace(/\/+$/, '')}/`;
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: loc.bucket,
            Prefix: folder,
            ...(token ? { ContinuationToken: token } : {}),
            ...(this.options.listPageSize ? { MaxKeys: this.options.listPageSize } : {}),
          }),
        );
      } catch (e) {
        throw await this.fail(e, 'list', { ...loc, key: folder });
      }
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        yield { path: formatS3Uri(loc, o.Key), size: o.Size ?? 0, mtimeMs: o.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Downloads the object into the local cache (once per object version) and returns the cached
   * file. Cache names are content addresses: sha256 of the object's URI and ETag, so a replaced
   * object never serves stale bytes and two URIs never share an entry.
   */
  async localPath(path: string): Promise<string> {
    const loc = parseS3Object(path);
    const uri = cacheUri(loc);
    const pending = this.downloads.get(uri);
    if (pending) return pending;
    const job = this.download(path, loc, uri).finally(() => this.downloads.delete(uri));
    this.downloads.set(uri, job);
    return job;
  }

  private async download(path: string, loc: S3Location, uri: string, retried = false): Promise<string> {
    let etag = this.etags.get(uri);
    if (!etag) {
      if (!(await this.stat(path))) throw new NotFoundError(`file ${path} does not exist`);
      etag = this.etags.get(uri);
    }
    if (!etag) throw new IoError(`S3 returned no ETag for ${path}: cannot cache it`);
    const name = cacheName(uri, etag, loc.key);
    const hit = await this.cache.get(name);
    if (hit) return hit;
    try {
      return await this.cache.put(name, async (tmp) => {
        // If-Match: the bytes cached under this ETag are exactly that version's.
        const out = await this.client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, IfMatch: etag }));
        if (!out.Body) throw new Error('S3 returned no body');
        await pipeline(out.Body as Readable, createWriteStream(tmp));
      });
    } catch (e) {
      if ((s3Status(e) === 412 || s3ErrorName(e) === 'PreconditionFailed') && !retried) {
        this.etags.delete(uri);
        return this.download(path, loc, uri, true);
      }
      throw await this.fail(e, 'read', loc);
    }
  }

  /** Local folder where writers stage new files before `commitLocal` uploads them. */
  stagingPath(_path: string): string {
    return this.cache.stagingDir;
  }

  /**
   * Uploads a staged local file to `path`, streaming it in parts when it is larger than one part,
   * then moves it into the read cache under its new ETag so reading it back needs no download.
   */
  async commitLocal(localFile: string, path: string): Promise<void> {
    const loc = parseS3Object(path);
    const uri = cacheUri(loc);
    this.etags.delete(uri);
    let etag: string | undefined;
    try {
      const size = (await fsStat(localFile)).size;
      if (size > this.partSize) etag = await this.multipart(path, loc, createReadStream(localFile), size, {});
      else etag = (await this.client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: loc.key, Body: await readFile(localFile), ...this.sse() }))).ETag;
    } catch (e) {
      throw await this.fail(e, 'write', loc);
    }
    if (!etag) return;
    this.etags.set(uri, etag);
    // The cache is an optimisation: failing to keep the file there is not a failed write.
    await this.cache.adopt(cacheName(uri, etag, loc.key), localFile).catch(() => undefined);
  }

  /** A multipart upload (lib-storage), parts sent `uploadConcurrency` at a time; returns the ETag. */
  private async multipart(
    path: string,
    loc: S3Location,
    body: Uint8Array | Readable,
    size: number,
    extra: { IfNoneMatch?: string },
  ): Promise<string | undefined> {
    const upload = new Upload({
      client: this.client,
      partSize: this.partSize,
      queueSize: this.options.uploadConcurrency ?? 4,
      leavePartsOnError: false,
      params: { Bucket: loc.bucket, Key: loc.key, Body: body, ContentLength: size, ...this.sse(), ...extra },
    });
    const progress = this.options.onUploadProgress;
    if (progress) upload.on('httpUploadProgress', (p) => progress({ path, loadedBytes: p.loaded ?? 0, ...(p.total !== undefined ? { totalBytes: p.total } : {}) }));
    const out = await upload.done();
    return out.ETag;
  }

  /** Total bytes held in the local read cache. */
  cacheBytes(): Promise<number> {
    return this.cache.size();
  }

  async close(): Promise<void> {
    if (!this.options.client) this.client.destroy();
  }
}

/** spec: XDG Base Directory: user caches go to $XDG_CACHE_HOME, default ~/.cache. */
function defaultCacheDir(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg && xdg.startsWith('/') ? xdg : homedir() ? join(homedir(), '.cache') : tmpdir();
  return join(base, 'floe', 's3');
}

function checkRange(path: string, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new ValidationError(`bad range (offset ${offset}, length ${length}) for ${path}`);
  }
}

/** One cache identity for `s3://`, `s3a://` and `s3n://` spellings of the same object. */
function cacheUri(loc: S3Location): string {
  return `s3://${loc.bucket}/${loc.key}`;
}

function cacheName(uri: string, etag: string, key: string): string {
  const ext = extname(key).replace(/[^.a-zA-Z0-9]/g, '').slice(0, 16);
  return `${createHash('sha256').update(uri).update('\u0000').update(etag.replace(/"/g, '')).digest('hex')}${ext}`;
}
