import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { IoError, NotFoundError, UnsupportedError, ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { joinPath } from '../io/paths.js';
import { appendIngestRecord, rawDatasetPath, readIngestLog, type IngestRecord } from './ingest-log.js';
import { hasUtf16Bom, kindFromName, sniff, type RawKind } from './sniff.js';

/**
 * The raw zone: source files stored unchanged and content-addressed under
 * `<warehouse>/raw/<dataset>/objects/<sha256[0:2]>/<sha256>.<original extension>`, written
 * put-if-absent (never overwritten, never deleted by floe), plus an append-only ingest log.
 *
 * Exactly once, per file:
 *  1. pass one streams the file, hashing it and checking its bytes against its extension;
 *  2. if the log already holds the checksum, the file is a no-op ("already ingested");
 *  3. pass two streams it into the object path put-if-absent, hashing again: the object appears
 *     only complete, and only if its bytes still hash to the checksum of pass one;
 *  4. then the log record is appended (see ingest-log.ts: a line, or on S3 a put-if-absent object).
 * A run killed after 3 leaves an object without a record; the rerun finds the object present
 * (step 3 writes nothing) and appends the record. A run killed during 3 leaves only a temp
 * file, which never counts. The log is the list of batches; records are deduplicated by checksum
 * on read, so two racing ingests of the same content still make one batch.
 */

export interface RawStore {
  root: string;
  io: FileIO;
}

export interface IngestOptions {
  dataset: string;
  /** Who ingests (default: the OS user). */
  user?: string;
  now?: () => Date;
  /** Called as bytes are read (both passes); `total` counts each file twice. */
  onProgress?: (done: number, total: number, source: string) => void;
  /** Storage that serves `s3://` sources (listing and ranged reads), e.g. an S3FileIO. */
  remote?: FileIO;
}

/** One file to ingest: a local file, or an object read through a FileIO with ranged reads. */
export interface SourceFile {
  /** As reported: the local path or the object's URI. */
  name: string;
  size: number;
  /** The bytes in order, in chunks. */
  chunks(): AsyncIterable<Uint8Array>;
  /** The last `n` bytes (fewer in a shorter file). */
  tail(n: number): Promise<Uint8Array>;
}

export type IngestStatus = 'ingested' | 'already-ingested' | 'rejected';

export interface IngestOutcome {
  source: string;
  status: IngestStatus;
  bytes: number;
  sha256: string | null;
  format: string | null;
  compression: string | null;
  /** Why a file was rejected, or when it was first ingested. */
  message: string;
}

const DATASET_NAME = /^[a-z_][a-z0-9_]*$/;

export function checkDatasetName(name: string): void {
  if (!DATASET_NAME.test(name)) {
    throw new ValidationError(`invalid dataset name '${name}': use lower-case letters, digits and '_', starting with a letter or '_'`);
  }
}

/** `raw/<dataset>` → `<dataset>` (the `--into` argument). */
export function parseIntoTarget(into: string): string {
  const m = /^raw\/([^/]+)$/.exec(into);
  if (!m) throw new ValidationError(`--into must be raw/<dataset>, not '${into}'`);
  checkDatasetName(m[1]!);
  return m[1]!;
}

const isUri = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/**
 * Every file named by `sources`: files as given, folders recursively (hidden entries skipped),
 * sorted; `s3://bucket/key` names one object, `s3://bucket/prefix/` (or a prefix that is no
 * object) every object under it, listed through `remote`.
 */
export async function expandSources(sources: string[], remote?: FileIO): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  for (const s of sources) {
    if (isUri(s)) out.push(...(await remoteSources(s, remote)));
    else for (const p of await localFiles(s)) out.push(await localSource(p));
  }
  return out;
}

async function localSource(path: string): Promise<SourceFile> {
  const size = (await stat(path)).size;
  return {
    name: path,
    size,
    chunks: () => fileChunks(path),
    tail: async (n) => {
      const tail = Buffer.alloc(Math.min(n, size));
      if (tail.length === 0) return tail;
      const fh = await open(path, 'r');
      try {
        await fh.read(tail, 0, tail.length, size - tail.length);
      } finally {
        await fh.close();
      }
      return tail;
    },
  };
}

/** Ranged reads of this size stream a remote object. */
const REMOTE_CHUNK = 8 * 1024 * 1024;

async function remoteSources(uri: string, remote: FileIO | undefined): Promise<SourceFile[]> {
  if (!/^s3[an]?:\/\//i.test(uri)) throw new UnsupportedError(`cannot ingest ${uri}: sources are local files and folders or s3:// objects and prefixes`);
  const io = remote;
  if (!io || !io.readRange) throw new UnsupportedError(`cannot ingest ${uri}: no S3 storage is configured for s3:// sources`);
  const readRange = io.readRange.bind(io);
  const object = (path: string, size: number): SourceFile => ({
    name: path,
    size,
    chunks: async function* () {
      for (let at = 0; at < size; at += REMOTE_CHUNK) yield await readRange(path, at, Math.min(REMOTE_CHUNK, size - at));
    },
    tail: async (n) => (size === 0 ? new Uint8Array(0) : readRange(path, Math.max(0, size - n), Math.min(n, size))),
  });
  if (!uri.endsWith('/')) {
    const st = await io.stat(uri);
    if (st) return [object(uri, st.size)];
  }
  const found: SourceFile[] = [];
  for await (const f of io.list(uri)) {
    // Hidden names (any path segment under the prefix starting with '.') are skipped, as for folders.
    const rest = f.path.slice(uri.replace(/\/+$/, '').length);
    if (rest.split('/').some((seg) => seg.startsWith('.'))) continue;
    found.push(object(f.path, f.size));
  }
  if (found.length === 0) throw new NotFoundError(`source ${uri} names no object and no prefix with objects`);
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

async function localFiles(s: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  const p = resolve(s);
  const st = await stat(p).catch(() => null);
  if (!st) throw new NotFoundError(`source ${s} does not exist`);
  if (st.isDirectory()) await walk(p);
  else out.push(p);
  return out;
}

export function objectPath(sha256: string, kind: RawKind): string {
  return `objects/${sha256.slice(0, 2)}/${sha256}.${kind.extension}`;
}

const CHUNK = 1024 * 1024;

async function* fileChunks(path: string): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) yield chunk as Buffer;
}

async function* chunksOf(file: SourceFile, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const b of file.chunks()) {
    onChunk(b.length);
    yield b;
  }
}

interface FirstPass {
  sha256: string;
  size: number;
  head: Uint8Array;
  tail: Uint8Array;
  nulAt: number;
}

/** Pass one: checksum, size, the first 64 KiB and last 4 bytes, and the first NUL byte (text files). */
async function hashFile(file: SourceFile, onChunk: (n: number) => void): Promise<FirstPass> {
  const hash = createHash('sha256');
  let size = 0;
  let nulAt = -1;
  const headParts: Buffer[] = [];
  let headLen = 0;
  for await (const b of chunksOf(file, onChunk)) {
    const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    hash.update(buf);
    if (headLen < 65536) {
      headParts.push(buf.subarray(0, 65536 - headLen));
      headLen += Math.min(buf.length, 65536 - headLen);
    }
    if (nulAt < 0) {
      const i = buf.indexOf(0);
      if (i >= 0) nulAt = size + i;
    }
    size += buf.length;
  }
  const tail = await file.tail(4);
  return { sha256: hash.digest('hex'), size, head: Buffer.concat(headParts), tail, nulAt };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env['USER'] ?? process.env['USERNAME'] ?? 'unknown';
  }
}

/** Ingests files and folders into `raw/<dataset>`; one outcome per file, rejected files included. */
export async function ingest(store: RawStore, sources: string[], options: IngestOptions): Promise<IngestOutcome[]> {
  checkDatasetName(options.dataset);
  const { io, root } = store;
  if (!io.writeStreamIfAbsent) throw new UnsupportedError('this storage cannot stream put-if-absent writes, which the raw zone needs');
  const inputs = await expandSources(sources, options.remote);
  const sizes = inputs.map((f) => f.size);
  const total = 2 * sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const tick = (source: string) => (n: number) => {
    done += n;
    options.onProgress?.(done, total, source);
  };
  const dir = rawDatasetPath(root, options.dataset);
  const user = options.user ?? currentUser();
  const out: IngestOutcome[] = [];
  for (const [i, src] of inputs.entries()) {
    const file = src.name;
    const reject = (message: string, first?: FirstPass): void => {
      out.push({ source: file, status: 'rejected', bytes: first?.size ?? sizes[i]!, sha256: first?.sha256 ?? null, format: null, compression: null, message });
    };
    const kind = kindFromName(file);
    if ('reason' in kind) {
      done += 2 * sizes[i]!;
      reject(kind.reason);
      continue;
    }
    const first = await hashFile(src, tick(file));
    // A NUL past the sniffed head still marks binary content in an uncompressed text file.
    const deepNul = kind.compression === 'none' && kind.format !== 'parquet' && first.nulAt >= 0 && !hasUtf16Bom(first.head);
    const problem = sniff(kind, first.head, first.tail, first.size) ?? (deepNul ? `binary content in a ${kind.format.toUpperCase()} file (NUL byte at offset ${first.nulAt})` : null);
    if (problem) {
      done += first.size;
      reject(problem, first);
      continue;
    }
    const log = await readIngestLog(io, root, options.dataset);
    const known = log.find((r) => r.sha256 === first.sha256);
    const base = { source: file, bytes: first.size, sha256: first.sha256, format: kind.format, compression: kind.compression };
    if (known) {
      done += first.size;
      out.push({ ...base, status: 'already-ingested', message: `already ingested ${first.sha256} at ${known.ingested_at}` });
      continue;
    }
    const rel = objectPath(first.sha256, kind);
    await io.writeStreamIfAbsent(joinPath(dir, rel), verified(src, first, tick(file)));
    const record: IngestRecord = {
      sha256: first.sha256,
      bytes: first.size,
      format: kind.format,
      compression: kind.compression,
      object: rel,
      source: file,
      ingested_at: (options.now?.() ?? new Date()).toISOString(),
      user,
      host: hostname(),
    };
    await appendIngestRecord(io, root, options.dataset, record);
    out.push({ ...base, status: 'ingested', message: `stored as raw/${options.dataset}/${rel}` });
  }
  return out;
}

/** Pass two: the file's chunks, failing at the end if they no longer hash to pass one's checksum. */
async function* verified(file: SourceFile, first: FirstPass, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  const path = file.name;
  const hash = createHash('sha256');
  let size = 0;
  for await (const b of chunksOf(file, onChunk)) {
    hash.update(b);
    size += b.length;
    yield b;
  }
  const sha = hash.digest('hex');
  if (sha !== first.sha256 || size !== first.size) {
    throw new IoError(`${path} changed while it was being ingested (checksum ${first.sha256} then ${sha}); nothing was stored`);
  }
}

/** The stored object of a log record. */
export function rawObjectPath(store: RawStore, dataset: string, record: IngestRecord): string {
  return joinPath(rawDatasetPath(store.root, dataset), record.object);
}
