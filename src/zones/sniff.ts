import { gunzipSync, constants as zlibConstants } from 'node:zlib';

/** What a raw object holds, as its name says and its bytes confirm. */
export type RawFormat = 'csv' | 'json' | 'parquet';
export type RawCompression = 'none' | 'gzip' | 'zstd';

export interface RawKind {
  format: RawFormat;
  compression: RawCompression;
  /** The original extension kept on the stored object (`csv`, `ndjson.gz`, `parquet`). */
  extension: string;
}

const FORMATS: Record<string, RawFormat> = {
  csv: 'csv',
  tsv: 'csv',
  json: 'json',
  ndjson: 'json',
  jsonl: 'json',
  parquet: 'parquet',
  pq: 'parquet',
};

const COMPRESSIONS: Record<string, RawCompression> = { gz: 'gzip', gzip: 'gzip', zst: 'zstd', zstd: 'zstd' };

/** The kind a file name claims (`a.csv`, `b.json.gz`, `c.ndjson.zst`), or a reason it has none. */
export function kindFromName(name: string): RawKind | { reason: string } {
  const parts = name.toLowerCase().split('/').pop()!.split('.');
  if (parts.length < 2) return { reason: 'no file extension: expected .csv, .json, .ndjson or .parquet, optionally .gz or .zst' };
  let compression: RawCompression = 'none';
  let last = parts[parts.length - 1]!;
  let ext = last;
  if (COMPRESSIONS[last] && parts.length >= 3) {
    compression = COMPRESSIONS[last]!;
    last = parts[parts.length - 2]!;
    ext = `${last}.${ext}`;
  }
  const format = FORMATS[last];
  if (!format) return { reason: `unsupported extension .${ext}: expected .csv, .json, .ndjson or .parquet, optionally .gz or .zst` };
  // Parquet compresses its pages itself, and DuckDB reads Parquet only uncompressed at file level.
  if (format === 'parquet' && compression !== 'none') return { reason: `.${ext} is not supported: Parquet files are compressed internally` };
  return { format, compression, extension: ext };
}

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const PARQUET_MAGIC = [0x50, 0x41, 0x52, 0x31]; // "PAR1" (spec: Parquet file format, header and footer)

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  return magic.every((b, i) => bytes[i] === b);
}

function shown(bytes: Uint8Array): string {
  return Buffer.from(bytes.subarray(0, 8)).toString('hex').replace(/(..)/g, '$1 ').trim();
}

/**
 * Checks that a file's bytes are what its name says. `head` is the file's first bytes (up to
 * 64 KiB), `tail` its last 4, `size` its length. Returns a reason to reject it, or null.
 * Empty files are rejected: they hold no rows and no header, and every empty file has the same
 * checksum, so a stored empty object would make later empty files "already ingested".
 */
export function sniff(kind: RawKind, head: Uint8Array, tail: Uint8Array, size: number): string | null {
  if (size === 0) return 'empty file: nothing to ingest';
  let content = head;
  switch (kind.compression) {
    case 'gzip': {
      if (!startsWith(head, GZIP_MAGIC)) return `named .${kind.extension} but not gzip data (starts with ${shown(head)})`;
      try {
        // Sync flush: decompress what the head holds without needing the rest of the stream.
        content = new Uint8Array(gunzipSync(head, { finishFlush: zlibConstants.Z_SYNC_FLUSH }));
      } catch (e) {
        return `corrupt gzip data: ${e instanceof Error ? e.message : String(e)}`;
      }
      if (content.length === 0 && size === head.length) return 'empty file: the gzip stream holds no bytes';
      break;
    }
    case 'zstd':
      // Node 20's zlib has no zstd decoder: the frame magic is checked here, the content by DuckDB.
      if (!startsWith(head, ZSTD_MAGIC)) return `named .${kind.extension} but not zstd data (starts with ${shown(head)})`;
      return null;
    case 'none':
      break;
    default: {
      const never: never = kind.compression;
      return `unknown compression ${String(never)}`;
    }
  }
  switch (kind.format) {
    case 'parquet':
      if (size < 12 || !startsWith(head, PARQUET_MAGIC) || !startsWith(tail, PARQUET_MAGIC)) {
        return `named .${kind.extension} but not a Parquet file (no PAR1 magic at start and end)`;
      }
      return null;
    case 'csv':
      return textProblem(content, 'CSV');
    case 'json': {
      const problem = textProblem(content, 'JSON');
      if (problem) return problem;
      const text = Buffer.from(content.subarray(0, 1024)).toString('utf8').replace(/^\uFEFF/, '');
      const first = text.trimStart()[0];
      if (first === undefined) return null;
      if (first !== '{' && first !== '[') return `named .${kind.extension} but not JSON: the first character is '${first}', not '{' or '['`;
      return null;
    }
    default: {
      const never: never = kind.format;
      return `unknown format ${String(never)}`;
    }
  }
}

/**
 * Text files hold no NUL bytes (UTF-16 text, which does, starts with a byte order mark and is
 * read per the contract's encoding). A NUL in a .csv/.json means binary content.
 */
export function textProblem(content: Uint8Array, what: string): string | null {
  if (hasUtf16Bom(content)) return null;
  const nul = content.indexOf(0);
  if (nul >= 0) return `binary content in a ${what} file (NUL byte at offset ${nul})`;
  return null;
}

export function hasUtf16Bom(content: Uint8Array): boolean {
  return startsWith(content, [0xff, 0xfe]) || startsWith(content, [0xfe, 0xff]);
}
