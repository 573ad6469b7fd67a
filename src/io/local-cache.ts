import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, stat, unlink, utimes } from 'node:fs/promises';
import { join } from 'node:path';

export interface LocalCacheOptions {
  /** Folder of the cache; created on first use. */
  dir: string;
  /** Bound on the bytes kept (least recently used entries are evicted first). */
  maxBytes: number;
  /**
   * Entries used within this many ms are never evicted, so a query never loses a file it was just
   * handed; the cache may exceed its bound while one query needs more than `maxBytes` at once.
   */
  minAgeMs: number;
}

interface Entry {
  size: number;
  usedMs: number;
}

/**
 * A folder of immutable files named by content address (the caller derives the name from the
 * object's identity and version), bounded in bytes with least-recently-used eviction. Recency is the
 * file's mtime, so it survives restarts and is shared by processes using the same folder. Entries
 * appear atomically (written under a temporary name, then renamed). The folder is scanned once per
 * process; entries added later by other processes count towards the bound after the next restart.
 */
export class LocalCache {
  private index: Map<string, Entry> | undefined;
  private loading: Promise<Map<string, Entry>> | undefined;
  private total = 0;

  constructor(readonly options: LocalCacheOptions) {}

  /** Local folder for files being staged before upload (same file system, so adopt() is a rename). */
  get stagingDir(): string {
    return join(this.options.dir, 'staging');
  }

  /** Total bytes of the entries this process knows of. */
  async size(): Promise<number> {
    await this.load();
    return this.total;
  }

  /** The entry's path when present (its recency refreshed), else null. */
  async get(name: string): Promise<string | null> {
    const index = await this.load();
    const path = join(this.options.dir, name);
    const now = new Date();
    try {
      await utimes(path, now, now);
    } catch {
      this.forget(index, name);
      return null;
    }
    const st = await stat(path).catch(() => null);
    if (!st) return null;
    this.track(index, name, st.size, now.getTime());
    return path;
  }

  /** Creates an entry by letting `fill` write a temporary file, then publishes it by rename. */
  async put(name: string, fill: (tmpPath: string) => Promise<void>): Promise<string> {
    const index = await this.load();
    const path = join(this.options.dir, name);
    const tmp = join(this.options.dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      await fill(tmp);
      await rename(tmp, path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    const st = await stat(path);
    this.track(index, name, st.size, Date.now());
    await this.evict(name);
    return path;
  }

  /** Moves an existing local file into the cache under `name` (copying when a rename is impossible). */
  async adopt(name: string, file: string): Promise<string> {
    return this.put(name, async (tmp) => {
      try {
        await rename(file, tmp);
      } catch {
        await copyFile(file, tmp);
      }
    });
  }

  private async load(): Promise<Map<string, Entry>> {
    if (this.index) return this.index;
    this.loading ??= (async () => {
      await mkdir(this.options.dir, { recursive: true });
      const index = new Map<string, Entry>();
      for (const d of await readdir(this.options.dir, { withFileTypes: true })) {
        if (!d.isFile() || d.name.startsWith('.')) continue;
        const st = await stat(join(this.options.dir, d.name)).catch(() => null);
        if (st) index.set(d.name, { size: st.size, usedMs: st.mtimeMs });
      }
      this.total = [...index.values()].reduce((s, e) => s + e.size, 0);
      this.index = index;
      return index;
    })();
    return this.loading;
  }

  private track(index: Map<string, Entry>, name: string, size: number, usedMs: number): void {
    this.forget(index, name);
    index.set(name, { size, usedMs });
    this.total += size;
  }

  private forget(index: Map<string, Entry>, name: string): void {
    const old = index.get(name);
    if (!old) return;
    this.total -= old.size;
    index.delete(name);
  }

  /** Evicts least recently used entries (never `keep`, nor entries younger than minAgeMs) until within bound. */
  private async evict(keep: string): Promise<void> {
    const index = await this.load();
    if (this.total <= this.options.maxBytes) return;
    const cutoff = Date.now() - this.options.minAgeMs;
    const candidates = [...index.entries()].filter(([n, e]) => n !== keep && e.usedMs <= cutoff).sort((a, b) => a[1].usedMs - b[1].usedMs);
    for (const [name] of candidates) {
      if (this.total <= this.options.maxBytes) break;
      await unlink(join(this.options.dir, name)).catch(() => undefined);
      this.forget(index, name);
    }
  }
}
