import { createHash, randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, posix } from 'node:path';
import { AccessDeniedError } from '../errors.js';
import { decryptFile, describeKek, encryptFile, isEnvelope, type KeyEncryptionKey } from '../governance/encryption.js';
import type { FileInfo, FileIO } from './file-io.js';
import { toLocalPath } from './paths.js';

export interface EncryptedFileIOOptions {
  kek: KeyEncryptionKey;
  /** Which files are sealed: default Parquet data/delete files and Avro manifests/manifest lists. */
  encrypts?: (path: string) => boolean;
}

/** Data files and manifests; table metadata JSON stays readable so catalogs and tools can find tables. */
export function defaultEncrypts(path: string): boolean {
  return /\.(parquet|avro)$/i.test(path);
}

/**
 * A FileIO that seals files at rest with envelope encryption (see governance/encryption.ts)
 * around any other FileIO. Reads of sealed kinds require the envelope: a plaintext file there
 * is refused, never passed through. `localPath()` (DuckDB's way in) decrypts into a private
 * cache folder (0700, files 0600) removed by `close()` or when the process exits.
 */
export class EncryptedFileIO implements FileIO {
  private readonly encrypts: (path: string) => boolean;
  private cacheDir: Promise<string> | undefined;
  private readonly cached = new Map<string, Promise<string>>();
  /** Decryptions still writing into the cache folder; close() waits for them before removing it. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private exitHook: (() => void) | undefined;

  constructor(
    readonly inner: FileIO,
    private readonly options: EncryptedFileIOOptions,
  ) {
    this.encrypts = options.encrypts ?? defaultEncrypts;
  }

  async read(path: string): Promise<Uint8Array> {
    const data = await this.inner.read(path);
    return this.encrypts(path) ? this.open(data, path) : data;
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    await this.inner.write(path, this.encrypts(path) ? await encryptFile(data, canonical(path), this.options.kek) : data);
    this.forget(path);
  }

  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    return this.inner.writeIfAbsent(path, this.encrypts(path) ? await encryptFile(data, canonical(path), this.options.kek) : data);
  }

  stat(path: string): Promise<FileInfo | null> {
    return this.inner.stat(path);
  }

  async delete(path: string): Promise<void> {
    await this.inner.delete(path);
    this.forget(path);
  }

  list(prefix: string): AsyncIterable<FileInfo> {
    return this.inner.list(prefix);
  }

  async removeEmptyFolders(prefix: string): Promise<void> {
    await this.inner.removeEmptyFolders?.(prefix);
  }

  async localPath(path: string): Promise<string> {
    if (!this.encrypts(path)) return this.inner.localPath(path);
    const key = canonical(path);
    let p = this.cached.get(key);
    if (!p) {
      p = this.decryptToCache(path);
      this.cached.set(key, p);
      const settled = p.catch(() => this.cached.delete(key)).finally(() => this.inFlight.delete(settled));
      this.inFlight.add(settled);
    }
    return p;
  }

  /** Removes the decrypted cache. */
  async close(): Promise<void> {
    // A query that failed on one file may leave others still being decrypted into the folder.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    const dir = this.cacheDir;
    this.cacheDir = undefined;
    this.cached.clear();
    if (this.exitHook) process.removeListener('exit', this.exitHook);
    this.exitHook = undefined;
    if (dir) await rm(await dir, { recursive: true, force: true });
  }

  private async open(data: Uint8Array, path: string): Promise<Uint8Array> {
    if (!isEnvelope(data)) {
      throw new AccessDeniedError(`refusing to read ${path}: it is not encrypted, but this warehouse requires encryption (${describeKek(this.options.kek.ref)})`);
    }
    return decryptFile(data, canonical(path), this.options.kek);
  }

  private async decryptToCache(path: string): Promise<string> {
    const plain = await this.open(await this.inner.read(path), path);
    const dir = await this.dir();
    const name = `${createHash('sha256').update(canonical(path)).digest('hex').slice(0, 32)}${extname(path)}`;
    const dest = join(dir, name);
    const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, plain, { mode: 0o600, flag: 'wx' });
    await rename(tmp, dest);
    return dest;
  }

  private dir(): Promise<string> {
    this.cacheDir ??= (async (): Promise<string> => {
      // mkdtemp creates the folder with mode 0700.
      const d = await mkdtemp(join(tmpdir(), 'floe-decrypted-'));
      this.exitHook = (): void => rmSync(d, { recursive: true, force: true });
      process.once('exit', this.exitHook);
      return d;
    })();
    return this.cacheDir;
  }

  private forget(path: string): void {
    const key = canonical(path);
    const p = this.cached.get(key);
    if (!p) return;
    this.cached.delete(key);
    void p.then((f) => rm(f, { force: true })).catch(() => undefined);
  }
}

/**
 * The path a file's envelope is bound to: `file:` URIs and plain paths name the same local file,
 * so both bind to the normalised local path; other schemes (s3://…) bind to the URI as written.
 */
export function canonical(path: string): string {
  if (/^file:/i.test(path)) return toLocalPath(path);
  if (path.startsWith('/')) return posix.normalize(path);
  return path;
}
