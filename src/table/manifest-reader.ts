import type { FileIO } from '../io/file-io.js';
import { readManifest } from '../manifest/manifest.js';
import { readManifestList } from '../manifest/manifest-list.js';
import type { ManifestEntry, ManifestFile } from '../manifest/types.js';
import { ManifestContent } from '../manifest/types.js';
import type { Snapshot, TableMetadata } from '../spec/types.js';
import { AccessDeniedError, CorruptMetadataError, FloeError } from '../errors.js';

/** Maps a path stored in metadata to the path to open (identity unless the table moved). */
export type PathResolver = (path: string) => string;

export const identityPaths: PathResolver = (p) => p;

/**
 * Manifests and manifest lists are immutable once written, so decoded copies are cached by path.
 * The manifest cache is bounded by manifest count (least recently used evicted first).
 */
export class ManifestReader {
  private readonly lists = new Map<string, ManifestFile[]>();
  private readonly manifests = new Map<string, ManifestEntry[]>();

  constructor(
    readonly io: FileIO,
    readonly resolve: PathResolver = identityPaths,
    private readonly maxManifests = 5_000,
  ) {}

  /** The manifests of a snapshot: from its manifest list, or the v1 inline `manifests` field. */
  async manifestsOf(snapshot: Snapshot, metadata: TableMetadata): Promise<ManifestFile[]> {
    const listPath = snapshot['manifest-list'];
    if (listPath !== undefined) {
      const cached = this.lists.get(listPath);
      if (cached) return cached;
      const bytes = await this.read(listPath, `manifest list of snapshot ${snapshot['snapshot-id']}`);
      const files = readManifestList(bytes);
      this.lists.set(listPath, files);
      return files;
    }
    // spec v1: snapshots may list manifest paths inline; sequence numbers are all 0.
    const out: ManifestFile[] = [];
    for (const path of snapshot.manifests ?? []) {
      const bytes = await this.read(path, 'manifest');
      const m = readManifest(bytes);
      out.push({
        manifest_path: path,
        manifest_length: bytes.length,
        partition_spec_id: m.partitionSpecId ?? metadata['default-spec-id'],
        content: ManifestContent.Data,
        sequence_number: 0,
        min_sequence_number: 0,
        added_snapshot_id: snapshot['snapshot-id'],
        added_files_count: 0,
        existing_files_count: 0,
        deleted_files_count: 0,
        added_rows_count: 0,
        existing_rows_count: 0,
        deleted_rows_count: 0,
        partitions: null,
      });
      this.remember(path, m.entries);
    }
    return out;
  }

  /** The entries of a manifest with snapshot-id and sequence-number inheritance applied. */
  async entriesOf(manifest: ManifestFile): Promise<ManifestEntry[]> {
    const cached = this.manifests.get(manifest.manifest_path);
    if (cached) {
      // refresh recency
      this.manifests.delete(manifest.manifest_path);
      this.manifests.set(manifest.manifest_path, cached);
      return cached;
    }
    const bytes = await this.read(manifest.manifest_path, 'manifest');
    const { entries } = readManifest(bytes, manifest);
    this.remember(manifest.manifest_path, entries);
    return entries;
  }

  private remember(path: string, entries: ManifestEntry[]): void {
    this.manifests.set(path, entries);
    if (this.manifests.size > this.maxManifests) {
      const oldest = this.manifests.keys().next();
      if (!oldest.done) this.manifests.delete(oldest.value);
    }
  }

  private async read(path: string, what: string): Promise<Uint8Array> {
    try {
      return await this.io.read(this.resolve(path));
    } catch (err) {
      // A missing or wrong key is not corrupt metadata: it surfaces as it is.
      if (err instanceof FloeError && !(err instanceof AccessDeniedError)) {
        throw new CorruptMetadataError(`cannot read ${what} ${path}: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }
}

/** Resolves paths of a table found at `actualLocation` whose metadata says `declaredLocation`. */
export function movedPathResolver(declaredLocation: string, actualLocation: string): PathResolver {
  const declared = normaliseLocation(declaredLocation);
  const actual = actualLocation.replace(/\/+$/, '');
  return (path) => {
    const p = normaliseLocation(path);
    if (declared.length > 0 && (p === declared || p.startsWith(`${declared}/`))) {
      return actual + p.slice(declared.length);
    }
    return path;
  };
}

function normaliseLocation(loc: string): string {
  let s = loc.replace(/\/+$/, '');
  if (s.startsWith('file://')) s = s.slice('file://'.length);
  else if (s.startsWith('file:')) s = s.slice('file:'.length);
  while (s.startsWith('./')) s = s.slice(2);
  return s.replace(/^s3[an]:\/\//, 's3://');
}
