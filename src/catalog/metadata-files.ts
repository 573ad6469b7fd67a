import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CommitFailedError, CorruptMetadataError, NotFoundError, ValidationError, errorMessage } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { parseTableMetadata, serializeTableMetadata } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/types.js';

/** Table property choosing the metadata file codec (Iceberg: `none` or `gzip`). */
const COMPRESSION_CODEC = 'write.metadata.compression-codec';

/**
 * `00001-<uuid>.metadata.json` (gzip: `00001-<uuid>.gz.metadata.json`), as Java's
 * TableOperations and PyIceberg name new metadata files: version zero-padded to five digits.
 */
export function metadataFileName(version: number, codec: 'none' | 'gzip' = 'none'): string {
  if (!Number.isSafeInteger(version) || version < 0) throw new ValidationError(`metadata version must be a non-negative integer, not ${version}`);
  return `${String(version).padStart(5, '0')}-${randomUUID()}${codec === 'gzip' ? '.gz' : ''}.metadata.json`;
}

/**
 * The version in a metadata file name: `00003-<uuid>.metadata.json`, `00003-<uuid>.gz.metadata.json`,
 * `v3.metadata.json`, `v3.gz.metadata.json` (Hadoop tables), or null for anything else.
 */
export function parseMetadataVersion(path: string): number | null {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const m = /^(\d+)-[^/]+\.metadata\.json(\.gz)?$/.exec(name) ?? /^v(\d+)(\.gz)?\.metadata\.json$/.exec(name);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isSafeInteger(v) ? v : null;
}

/**
 * Reads and parses one metadata file, plain or gzip (detected by the gzip magic bytes, so both
 * `.gz.metadata.json` and `.metadata.json.gz` work). Missing: NotFoundError; anything that is not
 * valid table metadata: CorruptMetadataError naming the file.
 */
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
    throw new CorruptMetadataError(`metadata file ${path} cannot be decompressed: ${errorMessage(e)}`, { cause: e });
  }
  try {
    return parseTableMetadata(text);
  } catch (e) {
    throw new CorruptMetadataError(`metadata file ${path}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Writes `<tableLocation>/metadata/<version>-<uuid>.metadata.json` and returns its location. It
 * never replaces a file: a taken name is a lost race, CommitFailedError. Gzip when the table
 * property `write.metadata.compression-codec` is `gzip`.
 */
export async function writeMetadataFile(io: FileIO, tableLocation: string, metadata: TableMetadata, version: number): Promise<string> {
  const gzip = metadata.properties[COMPRESSION_CODEC]?.toLowerCase() === 'gzip';
  const path = `${tableLocation.replace(/\/+$/, '')}/metadata/${metadataFileName(version, gzip ? 'gzip' : 'none')}`;
  const json = Buffer.from(serializeTableMetadata(metadata), 'utf8');
  const ok = await io.writeIfAbsent(path, new Uint8Array(gzip ? gzipSync(json) : json));
  if (!ok) throw new CommitFailedError(`metadata file ${path} already exists`);
  return path;
}

/**
 * The newest metadata file of a table folder. `metadata/version-hint.text` wins when it names an
 * existing file (content: a version N → `vN.metadata.json`, `vN.gz.metadata.json` or `N-*.metadata.json`;
 * or a file name); otherwise the highest-versioned metadata file. NotFoundError when there is none.
 */
export async function findLatestMetadata(io: FileIO, tableDir: string): Promise<string> {
  const dir = `${tableDir.replace(/\/+$/, '')}/metadata`;
  const hint = await io.read(`${dir}/version-hint.text`).catch((e: unknown) => {
    if (e instanceof NotFoundError) return null;
    throw e;
  });
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
      const name = text.slice(text.lastIndexOf('/') + 1);
      const hit = files.find((f) => f.endsWith(`/${name}`));
      if (hit) return hit;
    }
  }
  let best: { path: string; v: number } | null = null;
  for (const f of files) {
    const v = parseMetadataVersion(f);
    if (v !== null && (!best || v > best.v || (v === best.v && f > best.path))) best = { path: f, v };
  }
  if (!best) throw new NotFoundError(`no metadata file under ${dir}`);
  return best.path;
}
