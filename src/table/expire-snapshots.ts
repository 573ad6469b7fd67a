import { ValidationError } from '../errors.js';
import { parseMetadataVersion } from '../catalog/metadata-files.js';
import { canonicalPath, joinPath } from '../io/paths.js';
import { FileContent } from '../manifest/types.js';
import { statisticsPath, statisticsSnapshotId } from '../spec/updates.js';
import type { Snapshot, TableMetadata, TableRequirement, TableUpdate } from '../spec/types.js';
import { DEFAULT_CONCURRENCY, deleteFiles, type DeleteFailure, type ProgressListener } from './delete-files.js';
import { expirableSnapshots, expiredRefs, retentionPolicy, type RetentionPolicy } from './expire.js';
import { distinctManifests, filesOfManifests, manifestsOfSnapshots, type ReadOptions } from './reachable.js';
import type { Table } from './table.js';

export interface ExpireSnapshotsOptions {
  /**
   * Expire snapshots older than this timestamp (ms since epoch); default: now minus the table's
   * `history.expire.max-snapshot-age-ms`. A ref's own `max-snapshot-age-ms` still wins for that ref.
   */
  olderThanMs?: number;
  /** Newest ancestors of each branch always kept (default `history.expire.min-snapshots-to-keep`). */
  retainLast?: number;
  /** Plan and list what would be removed and deleted; commit and delete nothing. */
  dryRun?: boolean;
  onProgress?: ProgressListener;
  /** Clock for age-based retention (default `Date.now()`). */
  now?: number;
  /** Storage calls in flight (default 32). */
  concurrency?: number;
  /** Delete metadata files that fell out of the metadata log (`write.metadata.previous-versions-max`); default true. */
  cleanMetadataFiles?: boolean;
}

export type ExpiredFileKind = 'manifest-list' | 'manifest' | 'data' | 'delete' | 'statistics' | 'metadata';

export interface ExpiredFile {
  path: string;
  kind: ExpiredFileKind;
  /** Bytes as recorded in metadata (-1 when metadata does not say and storage was not asked). */
  size: number;
}

export interface ExpireSnapshotsResult {
  /** The table after the commit (unchanged for a dry run or when nothing expired). */
  table: Table;
  dryRun: boolean;
  expiredSnapshotIds: bigint[];
  removedRefs: string[];
  /** Files deleted (dry run: that would be deleted), data files first. */
  files: ExpiredFile[];
  counts: Record<ExpiredFileKind, number>;
  bytes: number;
  failures: DeleteFailure[];
}

export interface ExpiryPlan {
  snapshotIds: bigint[];
  refs: string[];
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

/**
 * What expiry removes from `m` (pure): refs past their `max-ref-age-ms`, then every snapshot the
 * retention policy no longer needs (spec: "Snapshot Retention Policy"). The requirements pin
 * every ref as the plan saw it, so a concurrent ref change (a rollback onto a snapshot being
 * expired, a branch moved) makes the commit fail and the plan be rebuilt on the new metadata.
 */
export function planExpiry(m: TableMetadata, now: number, policy: RetentionPolicy, olderThanMs?: number): ExpiryPlan {
  const refs = expiredRefs(m, now, policy);
  const gone = new Set(refs);
  const kept = refs.length === 0 ? m : { ...m, refs: Object.fromEntries(Object.entries(m.refs).filter(([name]) => !gone.has(name))) };
  const snapshotIds = expirableSnapshots(kept, now, policy, olderThanMs);
  const updates: TableUpdate[] = refs.map((name) => ({ action: 'remove-snapshot-ref', 'ref-name': name }));
  if (snapshotIds.length > 0) updates.push({ action: 'remove-snapshots', 'snapshot-ids': snapshotIds });
  const requirements: TableRequirement[] = [
    { type: 'assert-table-uuid', uuid: m['table-uuid'] },
    ...Object.entries(m.refs).map(([ref, r]): TableRequirement => ({ type: 'assert-ref-snapshot-id', ref, 'snapshot-id': r['snapshot-id'] })),
  ];
  return { snapshotIds, refs, requirements, updates };
}

/** The retention policy of `m` with the caller's `retainLast` applied. */
function policyFor(m: TableMetadata, options: ExpireSnapshotsOptions): RetentionPolicy {
  const policy = retentionPolicy(m.properties);
  if (options.retainLast !== undefined) {
    if (!Number.isSafeInteger(options.retainLast) || options.retainLast < 1) {
      throw new ValidationError(`retainLast must be a whole number of at least 1, not ${options.retainLast}`);
    }
    policy.minSnapshotsToKeep = options.retainLast;
  }
  return policy;
}

/**
 * Expires snapshots and deletes the files only they referenced. The snapshots (and expired refs)
 * are removed in one commit; only after that commit succeeded are the manifest lists, manifests,
 * data and delete files deleted that no snapshot still in the table (of any branch or tag) reads,
 * then metadata files older than the metadata log keeps. After CommitStateUnknownError nothing
 * is deleted: the commit may not have happened, and then those files are all still live.
 */
export async function expireSnapshots(table: Table, options: ExpireSnapshotsOptions = {}): Promise<ExpireSnapshotsResult> {
  if (options.olderThanMs !== undefined && !Number.isFinite(options.olderThanMs)) {
    throw new ValidationError(`olderThanMs must be a timestamp in milliseconds, not ${options.olderThanMs}`);
  }
  const now = options.now ?? Date.now();
  const read: ReadOptions = {
    resolve: table.context.reader.resolve,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  let plan = planExpiry(table.metadata, now, policyFor(table.metadata, options), options.olderThanMs);
  let planned = table.metadata;
  let after = table;
  if (plan.updates.length > 0 && !options.dryRun) {
    const tx = table.newTransaction().apply((base) => {
      plan = planExpiry(base, now, policyFor(base, options), options.olderThanMs);
      planned = base;
      return { requirements: plan.requirements, updates: plan.updates };
    });
    // A failed commit throws before any file is deleted; so does CommitStateUnknownError, after
    // which nothing may be cleaned up (DESIGN.md: the commit may have landed or not).
    after = await tx.commit();
  }
  const removed = new Set(plan.snapshotIds);
  const expired = planned.snapshots.filter((s) => removed.has(s['snapshot-id']));
  let retained: Snapshot[];
  let keptMetadata: TableMetadata[] | null = null;
  if (options.dryRun) retained = planned.snapshots.filter((s) => !removed.has(s['snapshot-id']));
  else {
    // Snapshots committed by others since are retained too (union with the newest metadata).
    const latest = plan.updates.length > 0 ? await after.refresh() : after;
    keptMetadata = [after.metadata, latest.metadata];
    const byId = new Map<bigint, Snapshot>();
    for (const s of [...after.metadata.snapshots, ...latest.metadata.snapshots]) byId.set(s['snapshot-id'], s);
    retained = [...byId.values()];
  }

  const files = await filesToDelete(table, expired, retained, read);
  files.push(...expiredStatistics(planned, removed, keptMetadata));
  if (options.cleanMetadataFiles ?? true) files.push(...(await staleMetadataFiles(after, options.dryRun ? null : after.metadataLocation)));

  const counts: Record<ExpiredFileKind, number> = { 'manifest-list': 0, manifest: 0, data: 0, delete: 0, statistics: 0, metadata: 0 };
  let bytes = 0;
  for (const f of files) {
    counts[f.kind]++;
    if (f.size > 0) bytes += f.size;
  }
  let failures: DeleteFailure[] = [];
  if (!options.dryRun && files.length > 0) {
    failures = await deleteFiles(
      table.context.io,
      files.map((f) => read.resolve(f.path)),
      { concurrency: read.concurrency, phase: 'delete', ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
    );
  }
  return { table: after, dryRun: options.dryRun ?? false, expiredSnapshotIds: plan.snapshotIds, removedRefs: plan.refs, files, counts, bytes, failures };
}

/**
 * Files reachable from `expired` snapshots and from no `retained` one: manifest lists, manifests
 * no retained list names, and data/delete files that no retained manifest holds as live
 * (ADDED or EXISTING) — a file any retained snapshot reads is kept.
 */
async function filesToDelete(table: Table, expired: Snapshot[], retained: Snapshot[], read: ReadOptions): Promise<ExpiredFile[]> {
  if (expired.length === 0) return [];
  const io = table.context.io;
  const expiredLists = await manifestsOfSnapshots(io, expired, { ...read, phase: 'read expired manifest lists', missing: 'skip' });
  const retainedLists = await manifestsOfSnapshots(io, retained, { ...read, phase: 'read retained manifest lists' });
  const keptLists = new Set(retainedLists.flatMap((l) => (l.list ? [canonicalPath(l.list.path)] : [])));
  const keptManifests = distinctManifests(retainedLists);
  const goneManifests = [...distinctManifests(expiredLists)].filter(([key]) => !keptManifests.has(key)).map(([, m]) => m);

  const candidates = await filesOfManifests(io, goneManifests, { ...read, phase: 'read expired manifests', liveOnly: false, missing: 'skip' });
  if (candidates.size > 0) {
    const live = await filesOfManifests(io, [...keptManifests.values()], { ...read, phase: 'read retained manifests', liveOnly: true });
    for (const key of live.keys()) candidates.delete(key);
  }
  const out: ExpiredFile[] = [];
  for (const f of candidates.values()) out.push({ path: f.path, kind: f.content === FileContent.Data ? 'data' : 'delete', size: f.size });
  for (const m of goneManifests) out.push({ path: m.path, kind: 'manifest', size: m.length });
  const seen = new Set<string>();
  for (const l of expiredLists) {
    if (!l.list) continue;
    const key = canonicalPath(l.list.path);
    if (keptLists.has(key) || seen.has(key)) continue;
    seen.add(key);
    out.push({ path: l.list.path, kind: 'manifest-list', size: l.list.size });
  }
  return out;
}

/**
 * Statistics and partition-statistics files of the expired snapshots that no entry of the
 * metadata after the commit (`after`; null for a dry run: none is kept) still names.
 */
function expiredStatistics(planned: TableMetadata, removed: Set<bigint>, after: TableMetadata[] | null): ExpiredFile[] {
  const keys = ['statistics', 'partition-statistics'] as const;
  const kept = new Set<string>();
  for (const m of after ?? []) for (const key of keys) for (const st of m[key] ?? []) {
    const path = statisticsPath(st);
    if (path !== undefined) kept.add(canonicalPath(path));
  }
  const out = new Map<string, ExpiredFile>();
  for (const key of keys) {
    for (const st of planned[key] ?? []) {
      const id = statisticsSnapshotId(st);
      const path = statisticsPath(st);
      if (id === undefined || path === undefined || !removed.has(id) || kept.has(canonicalPath(path))) continue;
      const size = (st as { 'file-size-in-bytes'?: unknown })['file-size-in-bytes'];
      out.set(canonicalPath(path), { path, kind: 'statistics', size: typeof size === 'number' ? size : typeof size === 'bigint' ? Number(size) : 0 });
    }
  }
  return [...out.values()];
}

/**
 * Metadata files of the table older than every version its metadata log still keeps (spec
 * property `write.metadata.previous-versions-max` bounds the log): `NNNNN-…metadata.json` in
 * `<location>/metadata` whose version is below the oldest kept one. Newer files (a concurrent
 * commit's) and files named otherwise are never touched. `current` null: dry run, where the
 * next commit's log is not known and only files already out of the log are listed.
 */
async function staleMetadataFiles(table: Table, current: string | null): Promise<ExpiredFile[]> {
  const m = table.metadata;
  const kept = [table.metadataLocation, ...(current ? [current] : []), ...m['metadata-log'].map((e) => e['metadata-file'])];
  const versions = kept.map(parseMetadataVersion);
  if (versions.some((v) => v === null)) return [];
  const oldest = Math.min(...(versions as number[]));
  const keptSet = new Set(kept.map(canonicalPath));
  const out: ExpiredFile[] = [];
  for await (const f of table.context.io.list(joinPath(m.location, 'metadata'))) {
    if (!/\.metadata\.json(\.gz)?$/.test(f.path)) continue;
    const v = parseMetadataVersion(f.path);
    if (v === null || v >= oldest || keptSet.has(canonicalPath(f.path))) continue;
    out.push({ path: f.path, kind: 'metadata', size: f.size });
  }
  return out;
}
