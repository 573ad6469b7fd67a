import type { ProgressListener } from './delete-files.js';
import { expireSnapshots, type ExpireSnapshotsResult } from './expire-snapshots.js';
import { retentionPolicy } from './expire.js';
import { removeOrphanFiles, type RemoveOrphansResult } from './remove-orphans.js';
import type { Table } from './table.js';

/** Athena's table properties for VACUUM (they win over the `history.expire.*` ones when set). */
export const VACUUM_MAX_SNAPSHOT_AGE_SECONDS = 'vacuum_max_snapshot_age_seconds';
export const VACUUM_MIN_SNAPSHOTS_TO_KEEP = 'vacuum_min_snapshots_to_keep';

export interface VacuumOptions {
  dryRun?: boolean;
  onProgress?: ProgressListener;
  now?: number;
  /** Orphan safety window end (default now − 3 days, as `removeOrphanFiles`). */
  orphansOlderThanMs?: number;
}

export interface VacuumResult {
  expiry: ExpireSnapshotsResult;
  orphans: RemoveOrphansResult;
}

/**
 * Athena's `VACUUM t`: expires snapshots by the table's retention — snapshots older than
 * `vacuum_max_snapshot_age_seconds` (else `history.expire.max-snapshot-age-ms`, default 5 days),
 * keeping at least `vacuum_min_snapshots_to_keep` (else `history.expire.min-snapshots-to-keep`)
 * per branch and honouring per-ref retention — then removes orphan files older than the safety
 * window.
 */
export async function vacuum(table: Table, options: VacuumOptions = {}): Promise<VacuumResult> {
  const now = options.now ?? Date.now();
  const props = table.properties;
  const ageSeconds = positive(props[VACUUM_MAX_SNAPSHOT_AGE_SECONDS]);
  const minKeep = positive(props[VACUUM_MIN_SNAPSHOTS_TO_KEEP]);
  const maxAgeMs = ageSeconds !== undefined ? ageSeconds * 1000 : retentionPolicy(props).maxSnapshotAgeMs;
  const common = { ...(options.dryRun ? { dryRun: true } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) };
  const expiry = await expireSnapshots(table, {
    ...common,
    now,
    olderThanMs: now - maxAgeMs,
    ...(minKeep !== undefined && minKeep >= 1 ? { retainLast: Math.floor(minKeep) } : {}),
  });
  const orphans = await removeOrphanFiles(expiry.table, {
    ...common,
    ...(options.orphansOlderThanMs !== undefined ? { olderThanMs: options.orphansOlderThanMs } : {}),
  });
  return { expiry, orphans };
}

function positive(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}
