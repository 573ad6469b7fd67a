import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Dirent } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, readFile, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FloeError, IoError, NotFoundError, ValidationError } from '../errors.js';
import type { FileInfo, FileIO } from './file-io.js';
import { isUnder, toLocalPath } from './paths.js';

export interface LocalFileIOOptions {
  /** When set, every path must lie under this folder (hostile paths with `..` are refused). */
  root?: string;
}

/** FileIO over the local file system: atomic replace by rename, put-if-absent by hard link. */
export class LocalFileIO implements FileIO {
  private readonly root: string | undefined;

  constructor(options: LocalFileIOOptions = {}) {
    this.root = options.root ? resolve(options.root) : undefined;
  }

  private local(path: string): string {
    const p = resolve(toLocalPath(path));
    if (this.root && !isUnder(p, this.root)) throw new ValidationError(`path ${path} is outside the warehouse ${this.root}`);
    return p;
  }

  async read(path: string): Promise<Uint8Array> {
    const p = this.local(path);
    try {
      return new Uint8Array(await readFile(p));
    } catch (e) {
      throw fsError(e, path, 'read');
    }
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new ValidationError(`bad range (offset ${offset}, length ${length}) for ${path}`);
    }
    const p = this.local(path);
    try {
      const fh = await open(p, 'r');
      try {
        const buf = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return buf.subarray(0, got);
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw fsError(e, path, 'read');
    }
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    const p = this.local(path);
    const tmp = `${p}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(p), { recursive: true });
      await writeFile(tmp, data);
      await rename(tmp, p);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw fsError(e, path, 'write');
    }
  }

  async writeIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    return this.writeStreamIfAbsent(path, [data]);
  }

  async writeStreamIfAbsent(path: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<boolean> {
    const p = this.local(path);
    if (await this.stat(path)) return false;
    const tmp = `${p}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(p), { recursive: true });
      const fh = await open(tmp, 'wx');
      try {
        for await (const chunk of chunks) await fh.write(chunk);
        await fh.sync();
      } finally {
        await fh.close();
      }
      // link() fails with EEXIST when the name is taken: exactly one concurrent writer wins, and
      // the final name appears only for a complete file.
      try {
        await link(tmp, p);
      } catch (e) {
        if (!NO_HARD_LINKS.has(errno(e) ?? '')) throw e;
        // No hard links: an exclusive copy still never replaces an existing file.
        await copyFile(tmp, p, fsConstants.COPYFILE_EXCL);
      }
      return true;
    } catch (e) {
      if (errno(e) === 'EEXIST') return false;
      if (e instanceof FloeError) throw e;
      throw fsError(e, path, 'write');
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async append(path: string, data: Uint8Array): Promise<void> {
    const p = this.local(path);
    try {
      await mkdir(dirname(p), { recursive: true });
      // O_APPEND: each write lands at the end of the file, so concurrent appenders never overwrite
      // each other's records (POSIX write(2) with O_APPEND on a regular file).
      const fh = await open(p, 'a');
      try {
        await fh.write(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw fsError(e, path, 'append');
    }
  }

  async stat(path: string): Promise<FileInfo | null> {
    const p = this.local(path);
    try {
      const s = await stat(p);
      if (!s.isFile()) return null;
      return { path: p, size: s.size, mtimeMs: s.mtimeMs };
    } catch (e) {
      if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return null;
      throw fsError(e, path, 'stat');
    }
  }

  async delete(path: string): Promise<void> {
    const p = this.local(path);
    try {
      await unlink(p);
    } catch (e) {
      if (errno(e) === 'ENOENT') return;
      throw fsError(e, path, 'delete');
    }
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    const root = this.local(prefix);
    const walk = async function* (dir: string): AsyncGenerator<FileInfo> {
      for (const d of (await folderEntries(dir)) ?? []) {
        const p = join(dir, d.name);
        if (d.isDirectory()) yield* walk(p);
        else if (d.isFile()) {
          const s = await stat(p).catch(() => null);
          if (s) yield { path: p, size: s.size, mtimeMs: s.mtimeMs };
        }
      }
    };
    yield* walk(root);
  }

  async localPath(path: string): Promise<string> {
    return this.local(path);
  }

  async removeEmptyFolders(prefix: string): Promise<void> {
    // rmdir removes only an empty folder: a file written meanwhile makes it fail, and it stays.
    const prune = async (dir: string): Promise<void> => {
      const names = await folderEntries(dir);
      if (names === undefined) return;
      for (const d of names) if (d.isDirectory()) await prune(join(dir, d.name));
      await rmdir(dir).catch((e: unknown) => {
        if (!['ENOTEMPTY', 'EEXIST', 'ENOENT', 'EBUSY'].includes(errno(e) ?? '')) throw fsError(e, dir, 'delete');
      });
    };
    await prune(this.local(prefix));
  }
}

/** errno codes of `link()` on file systems that have no hard links (FAT, some FUSE/SMB mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV']);

/** The entries of a folder; none (undefined) when the folder, or a folder on its path, is missing. */
async function folderEntries(dir: string): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
    throw fsError(e, dir, 'list');
  }
}

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** Missing files are NotFoundError naming the path; every other fs failure is IoError naming it. */
function fsError(e: unknown, path: string, op: string): Error {
  const code = errno(e);
  if (code === 'ENOENT') return new NotFoundError(`file ${path} does not exist`, { cause: e });
  if (code === 'EACCES' || code === 'EPERM') return new IoError(`permission denied to ${op} ${path}`, { cause: e });
  return new IoError(`cannot ${op} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
