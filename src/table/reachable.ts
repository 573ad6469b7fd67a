import { CorruptMetadataError, FloeError, NotFoundError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { canonicalPath } from '../io/paths.js';
import { readManifest } from '../manifest/manifest.js';
import { readManifestList } from '../manifest/manifest-list.js';
import type { FileContent, ManifestFile } from '../manifest/types.js';
import { EntryStatus, ManifestContent } from '../manifest/types.js';
import type { Snapshot } from '../spec/types.js';
import { mapBounded } from '../io/bounded.js';
import type { ProgressListener } from './delete-files.js';
import type { PathResolver } from './manifest-reader.js';

/**
 * What table metadata references, read without the scan cache (maintenance touches every
 * manifest once). Paths are compared in their canonical form (`canonicalPath`), so `file:/x`,
 * `file:///x` and `/x` are one file.
 */

/** A manifest as a snapshot lists it; `file` is absent for v1 snapshots that inline manifest paths. */
export interface ManifestRef {
  path: string;
  /** Bytes, when the manifest list records it (v1 inline manifests: unknown, -1). */
  length: number;
  content: ManifestContent;
  file?: ManifestFile;
}

export interface SnapshotManifests {
  snapshot: Snapshot;
  /** The manifest list and its size in bytes (absent for v1 inline manifests). */
  list?: { path: string; size: number };
  manifests: ManifestRef[];
}

/** A data or delete file named by a manifest entry. */
export interface ReferencedFile {
  path: string;
  size: number;
  content: FileContent;
}

export interface ReadOptions {
  resolve: PathResolver;
  concurrency: number;
  onProgress?: ProgressListener;
  phase?: string;
  /**
   * A listed file that storage lacks: `fail` (CorruptMetadataError — reachability of retained
   * snapshots must be complete) or `skip` (files of expired snapshots: nothing more to find there).
   */
  missing?: 'fail' | 'skip';
}

/** Each snapshot's manifest list (or v1 inline manifests), read with bounded parallelism. */
export async function manifestsOfSnapshots(io: FileIO, snapshots: readonly Snapshot[], o: ReadOptions): Promise<SnapshotManifests[]> {
  const phase = o.phase ?? 'read manifest lists';
  let done = 0;
  const step = Math.max(1, Math.floor(snapshots.length / 100));
  return mapBounded(snapshots, o.concurrency, async (snapshot) => {
    let out: SnapshotManifests;
    try {
      out = await manifestsOf(io, snapshot, o.resolve);
    } catch (e) {
      if (o.missing !== 'skip' || !(e instanceof CorruptMetadataError && e.cause instanceof NotFoundError)) throw e;
      out = { snapshot, manifests: [] };
    }
    done++;
    if (done % step === 0 || done === snapshots.length) o.onProgress?.({ phase, done, total: snapshots.length });
    return out;
  });
}

async function manifestsOf(io: FileIO, snapshot: Snapshot, resolve: PathResolver): Promise<SnapshotManifests> {
  const listPath = snapshot['manifest-list'];
  if (listPath === undefined) {
    return {
      snapshot,
      manifests: (snapshot.manifests ?? []).map((path) => ({ path, length: -1, content: ManifestContent.Data })),
    };
  }
  const bytes = await readOrCorrupt(io, resolve(listPath), `manifest list of snapshot ${snapshot['snapshot-id']}`);
  const files = readManifestList(bytes, `manifest list ${listPath}`);
  return {
    snapshot,
    list: { path: listPath, size: bytes.length },
    manifests: files.map((f) => ({ path: f.manifest_path, length: f.manifest_length, content: f.content, file: f })),
  };
}

/** Distinct manifests of several snapshots, keyed by canonical path. */
export function distinctManifests(lists: readonly SnapshotManifests[]): Map<string, ManifestRef> {
  const out = new Map<string, ManifestRef>();
  for (const l of lists) for (const m of l.manifests) if (!out.has(canonicalPath(m.path))) out.set(canonicalPath(m.path), m);
  return out;
}

/**
 * The data and delete files named by `manifests`, keyed by canonical path. `liveOnly` keeps
 * ADDED and EXISTING entries (the files a snapshot reads); otherwise DELETED entries count too.
 */
export async function filesOfManifests(
  io: FileIO,
  manifests: readonly ManifestRef[],
  o: ReadOptions & { liveOnly: boolean },
): Promise<Map<string, ReferencedFile>> {
  const out = new Map<string, ReferencedFile>();
  const phase = o.phase ?? 'read manifests';
  let done = 0;
  const step = Math.max(1, Math.floor(manifests.length / 100));
  await mapBounded(manifests, o.concurrency, async (m) => {
    let bytes: Uint8Array;
    try {
      bytes = await readOrCorrupt(io, o.resolve(m.path), 'manifest');
    } catch (e) {
      if (o.missing !== 'skip' || !(e instanceof CorruptMetadataError && e.cause instanceof NotFoundError)) throw e;
      bytes = new Uint8Array();
    }
    const { entries } = bytes.length === 0 ? { entries: [] } : readManifest(bytes, m.file);
    for (const e of entries) {
      if (o.liveOnly && e.status === EntryStatus.Deleted) continue;
      const f = e.data_file;
      out.set(canonicalPath(f.file_path), { path: f.file_path, size: f.file_size_in_bytes, content: f.content });
    }
    done++;
    if (done % step === 0 || done === manifests.length) o.onProgress?.({ phase, done, total: manifests.length });
  });
  return out;
}

/** Paths of statistics and partition-statistics files listed in table metadata. */
export function statisticsFiles(metadata: { statistics?: unknown[]; 'partition-statistics'?: unknown[] }): string[] {
  const out: string[] = [];
  for (const key of ['statistics', 'partition-statistics'] as const) {
    for (const st of metadata[key] ?? []) {
      const path = (st as { 'statistics-path'?: unknown })['statistics-path'];
      if (typeof path === 'string') out.push(path);
    }
  }
  return out;
}

async function readOrCorrupt(io: FileIO, path: string, what: string): Promise<Uint8Array> {
  try {
    return await io.read(path);
  } catch (err) {
    // A file metadata names but storage lacks makes every reachability answer unsafe: stop.
    if (err instanceof FloeError) throw new CorruptMetadataError(`cannot read ${what} ${path}: ${err.message}`, { cause: err });
    throw err;
  }
}
