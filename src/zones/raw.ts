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
 *  4. then the log record is appended.
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

/** Every file named by `sources`: files as given, folders recursively (hidden entries skipped), sorted. */
export async function expandSources(sources: string[]): Promise<string[]> {
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
  for (const s of sources) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) throw new UnsupportedError(`cannot ingest ${s}: only local files and folders are supported`);
    const p = resolve(s);
    const st = await stat(p).catch(() => null);
    if (!st) throw new NotFoundError(`source ${s} does not exist`);
    if (st.isDirectory()) await walk(p);
    else out.push(p);
  }
  return out;
}

export function objectPath(sha256: string, kind: RawKind): string {
  return `objects/${sha256.slice(0, 2)}/${sha256}.${kind.extension}`;
}

const CHUNK = 1024 * 1024;

async function* chunksOf(path: string, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of createReadStream(path, { highWaterMark: CHUNK })) {
    const b = chunk as Buffer;
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
async function hashFile(path: string, onChunk: (n: number) => void): Promise<FirstPass> {
  const hash = createHash('sha256');
  let size = 0;
  let nulAt = -1;
  const headParts: Buffer[] = [];
  let headLen = 0;
  for await (const b of chunksOf(path, onChunk)) {
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
  const tail = Buffer.alloc(Math.min(4, size));
  if (size > 0) {
    const fh = await open(path, 'r');
    try {
      await fh.read(tail, 0, tail.length, size - tail.length);
    } finally {
      await fh.close();
    }
  }
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
  const files = await expandSources(sources);
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  const total = 2 * sizes.reduce((a, b) => a + b, 0);
  let done = 0;
  const tick = (source: string) => (n: number) => {
    done += n;
    options.onProgress?.(done, total, source);
  };
  const dir = rawDatasetPath(root, options.dataset);
  const user = options.user ?? currentUser();
  const out: IngestOutcome[] = [];
  for (const [i, file] of files.entries()) {
    const reject = (message: string, first?: FirstPass): void => {
      out.push({ source: file, status: 'rejected', bytes: first?.size ?? sizes[i]!, sha256: first?.sha256 ?? null, format: null, compression: null, message });
    };
    const kind = kindFromName(file);
    if ('reason' in kind) {
      done += 2 * sizes[i]!;
      reject(kind.reason);
      continue;
    }
    const first = await hashFile(file, tick(file));
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
    await io.writeStreamIfAbsent(joinPath(dir, rel), verified(file, first, tick(file)));
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
async function* verified(path: string, first: FirstPass, onChunk: (n: number) => void): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const b of chunksOf(path, onChunk)) {
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
