import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { CommitFailedError, CorruptMetadataError, FloeError, NotFoundError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { parseTableMetadata, serializeTableMetadata } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/types.js';

/** `00001-<uuid>.metadata.json`, as Java and PyIceberg name metadata files. */
export function metadataFileName(version: number): string {
  return `${String(version).padStart(5, '0')}-${randomUUID()}.metadata.json`;
}

/** The version in a metadata file name (`00003-….metadata.json`, `v3.metadata.json`, `v3.gz.metadata.json`). */
export function parseMetadataVersion(path: string): number | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const m = /^(\d+)-[^/]*\.metadata\.json(\.gz)?$/.exec(name) ?? /^v(\d+)(\.gz)?\.metadata\.json$/.exec(name);
  return m ? Number(m[1]) : null;
}

export async function readMetadataFile(io: FileIO, path: string): Promise<TableMetadata> {
  let bytes: Uint8Array;
  try {
    bytes = await io.read(path);
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError(`metadata file ${path} does not exist`, { cause: e });
    throw e;
  }
  let text: string;
  try {
    const gz = bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
    text = Buffer.from(gz ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    throw new CorruptMetadataError(`metadata file ${path} cannot be decompressed`, { cause: e });
  }
  try {
    return parseTableMetadata(text);
  } catch (e) {
    if (e instanceof FloeError) throw new CorruptMetadataError(`metadata file ${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** Writes the next metadata file, never replacing one: a taken name is a lost race. */
export async function writeMetadataFile(io: FileIO, tableLocation: string, metadata: TableMetadata, version: number): Promise<string> {
  const path = `${tableLocation.replace(/\/+$/, '')}/metadata/${metadataFileName(version)}`;
  const ok = await io.writeIfAbsent(path, new Uint8Array(Buffer.from(serializeTableMetadata(metadata), 'utf8')));
  if (!ok) throw new CommitFailedError(`metadata file ${path} already exists`);
  return path;
}

/** The newest metadata file of a table folder: version-hint.text if present, else the highest version. */
export async function findLatestMetadata(io: FileIO, tableDir: string): Promise<string> {
  const dir = `${tableDir.replace(/\/+$/, '')}/metadata`;
  const hint = await io.read(`${dir}/version-hint.text`).catch(() => null);
  const files: string[] = [];
  for await (const f of io.list(dir)) if (/\.metadata\.json(\.gz)?$/.test(f.path)) files.push(f.path);
  if (hint) {
    const text = Buffer.from(hint).toString('utf8').trim();
    if (/^\d+$/.test(text)) {
      const n = Number(text);
      for (const name of [`v${n}.metadata.json`, `v${n}.gz.metadata.json`]) {
        const hit = files.find((f) => f.endsWith(`/${name}`));
        if (hit) return hit;
      }
      const hit = files.find((f) => parseMetadataVersion(f) === n);
      if (hit) return hit;
    } else if (text) {
      const hit = files.find((f) => f.endsWith(`/${text}`));
      if (hit) return hit;
    }
  }
  let best: { path: string; v: number } | null = null;
  for (const f of files) {
    const v = parseMetadataVersion(f);
    if (v !== null && (!best || v > best.v)) best = { path: f, v };
  }
  if (!best) throw new NotFoundError(`no metadata file under ${dir}`);
  return best.path;
}
