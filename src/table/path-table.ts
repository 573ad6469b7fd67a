import type { FileIO } from '../io/file-io.js';
import { readMetadataFile, findLatestMetadata } from '../catalog/metadata-files.js';
import type { TableMetadata } from '../spec/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { identityPaths, movedPathResolver, type PathResolver } from './manifest-reader.js';

/** Options of path-based access, named as DuckDB's iceberg extension names them. */
export interface PathTableOptions {
  /** `?` (default): version-hint.text or the newest metadata file; else an explicit version. */
  version?: string;
  /** Comma-separated patterns; `%s%s` is version then compression suffix. */
  versionNameFormat?: string;
  /** `gzip` reads `*.gz.metadata.json`. */
  metadataCompressionCodec?: string;
  /** Resolve file paths against where the table actually lies, not its recorded location. */
  allowMovedPaths?: boolean;
}

export interface PathTable {
  metadata: TableMetadata;
  metadataLocation: string;
  resolve: PathResolver;
}

const DEFAULT_FORMAT = 'v%s%s.metadata.json,%s%s.metadata.json';

/**
 * Opens a table by path, without a catalog: `path` is a table folder or a metadata file.
 * Read-only by nature: nothing guards concurrent writers of path-only tables.
 */
export async function openPathTable(io: FileIO, path: string, options: PathTableOptions = {}): Promise<PathTable> {
  const clean = path.replace(/\/+$/, '');
  let metadataLocation: string;
  let tableDir: string;
  if (/\.metadata\.json(\.gz)?$/.test(clean)) {
    metadataLocation = clean;
    tableDir = clean.replace(/\/metadata\/[^/]+$/, '');
  } else {
    tableDir = clean;
    metadataLocation = await locateVersion(io, clean, options);
  }
  const metadata = await readMetadataFile(io, metadataLocation);
  const resolve = options.allowMovedPaths ? movedPathResolver(metadata.location, tableDir) : identityPaths;
  return { metadata, metadataLocation, resolve };
}

async function locateVersion(io: FileIO, tableDir: string, options: PathTableOptions): Promise<string> {
  const version = options.version ?? '?';
  if (version === '?') return findLatestMetadata(io, tableDir);
  const suffix = options.metadataCompressionCodec === 'gzip' ? '.gz' : '';
  const formats = (options.versionNameFormat ?? DEFAULT_FORMAT).split(',');
  for (const format of formats) {
    let i = 0;
    const name = format.replace(/%s/g, () => (i++ === 0 ? version : suffix));
    if (name.includes('/') || name.includes('..')) throw new ValidationError(`invalid metadata file name '${name}'`);
    const candidate = `${tableDir}/metadata/${name}`;
    if (await io.stat(candidate)) return candidate;
  }
  throw new NotFoundError(`no metadata file for version '${version}' under ${tableDir}/metadata`);
}
