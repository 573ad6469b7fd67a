import { ValidationError } from '../errors.js';
import type { FileInfo } from '../io/file-io.js';
import { canonicalPath, isUnder, joinPath } from '../io/paths.js';
import type { Snapshot } from '../spec/types.js';
import { DEFAULT_CONCURRENCY, deleteFiles, type DeleteFailure, type ProgressListener } from './delete-files.js';
import { distinctManifests, filesOfManifests, manifestsOfSnapshots, statisticsFiles, type ReadOptions } from './reachable.js';
import type { Table } from './table.js';

/** Files younger than this are never orphans by default: they may belong to a commit in flight. */
export const DEFAULT_ORPHAN_WINDOW_MS = 3 * 24 * 3600 * 1000;

export interface RemoveOrphansOptions {
  /** Only files last modified before this timestamp (ms since epoch) may go; default now − 3 days. */
  olderThanMs?: number;
  /** List the orphans; delete nothing. */
  dryRun?: boolean;
  onProgress?: ProgressListener;
  /** Storage calls in flight (default 32). */
  concurrency?: number;
  /** Folder to clean (default: the table location); must be the table location or under it. */
  location?: string;
}

export interface RemoveOrphansResult {
  dryRun: boolean;
  /** Files found under the location. */
  scanned: number;
  /** Files no metadata references and older than the window: deleted (dry run: would be). */
  orphans: FileInfo[];
  bytes: number;
  failures: DeleteFailure[];
}

/**
 * Deletes files under the table location that no metadata references: not the current metadata
 * file or any in its metadata log, no snapshot's manifest list, manifest, data or delete file
 * (DELETED entries included), no statistics file, not `version-hint.text`. Paths are compared in
 * canonical form (`file:/x` = `file:///x` = `/x`, `s3a://` = `s3://`).
 *
 * Safety against concurrent writers: files newer than the window are kept (a writer's files exist
 * before its commit does); the listing happens before the metadata is loaded, so a writer that
 * commits while the folder is being listed has its files counted as referenced; and the metadata
 * is loaded once more just before deleting, adding whatever was committed in between.
 */
export async function removeOrphanFiles(table: Table, options: RemoveOrphansOptions = {}): Promise<RemoveOrphansResult> {
  const olderThan = options.olderThanMs ?? Date.now() - DEFAULT_ORPHAN_WINDOW_MS;
  if (!Number.isFinite(olderThan)) throw new ValidationError(`olderThanMs must be a timestamp in milliseconds, not ${options.olderThanMs}`);
  const location = options.location ?? table.location;
  if (!isUnder(canonicalPath(location), canonicalPath(table.location))) {
    throw new ValidationError(`location ${location} is not inside the location of ${table.name} (${table.location})`);
  }
  const io = table.context.io;
  const read: ReadOptions = {
    resolve: table.context.reader.resolve,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };

  let scanned = 0;
  const candidates: FileInfo[] = [];
  for await (const f of io.list(read.resolve(location))) {
    scanned++;
    if (f.mtimeMs < olderThan) candidates.push(f);
    if (scanned % 1000 === 0) options.onProgress?.({ phase: 'list', done: scanned, total: scanned });
  }
  options.onProgress?.({ phase: 'list', done: scanned, total: scanned });

  const referenced = new Set<string>();
  const seenSnapshots = new Set<bigint>();
  const seenMetadata = new Set<string>();
  const addReferences = async (t: Table): Promise<void> => {
    if (seenMetadata.has(t.metadataLocation)) return;
    seenMetadata.add(t.metadataLocation);
    const m = t.metadata;
    for (const p of [t.metadataLocation, ...m['metadata-log'].map((e) => e['metadata-file']), ...statisticsFiles(m)]) referenced.add(canonicalPath(p));
    referenced.add(canonicalPath(joinPath(m.location, 'metadata', 'version-hint.text')));
    const fresh: Snapshot[] = m.snapshots.filter((s) => !seenSnapshots.has(s['snapshot-id']));
    for (const s of fresh) seenSnapshots.add(s['snapshot-id']);
    const lists = await manifestsOfSnapshots(io, fresh, { ...read, phase: 'read manifest lists' });
    for (const l of lists) if (l.list) referenced.add(canonicalPath(l.list.path));
    const manifests = [...distinctManifests(lists)].filter(([key]) => !referenced.has(key));
    for (const [key] of manifests) referenced.add(key);
    const files = await filesOfManifests(io, manifests.map(([, mf]) => mf), { ...read, phase: 'read manifests', liveOnly: false });
    for (const key of files.keys()) referenced.add(key);
  };
  // Loaded after the listing: anything committed before the listing ended is seen.
  await addReferences(await table.refresh());
  const isOrphan = (f: FileInfo): boolean => !referenced.has(canonicalPath(f.path));
  let orphans = candidates.filter(isOrphan);
  if (orphans.length > 0) {
    await addReferences(await table.refresh());
    orphans = orphans.filter(isOrphan);
  }
  const bytes = orphans.reduce((a, f) => a + f.size, 0);
  let failures: DeleteFailure[] = [];
  if (!options.dryRun && orphans.length > 0) {
    failures = await deleteFiles(
      io,
      orphans.map((f) => f.path),
      { concurrency: read.concurrency, phase: 'delete', ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
    );
  }
  return { dryRun: options.dryRun ?? false, scanned, orphans, bytes, failures };
}
