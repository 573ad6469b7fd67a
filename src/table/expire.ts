import { ancestorsOf, snapshotById } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/types.js';

export interface RetentionPolicy {
  /** Snapshots younger than this are kept (spec property `history.expire.max-snapshot-age-ms`, default 5 days). */
  maxSnapshotAgeMs: number;
  /** Newest ancestors of each branch always kept (`history.expire.min-snapshots-to-keep`, default 1). */
  minSnapshotsToKeep: number;
}

export function retentionPolicy(properties: Record<string, string>): RetentionPolicy {
  const num = (key: string, dflt: number): number => {
    const n = Number(properties[key]);
    return properties[key] !== undefined && Number.isFinite(n) && n >= 0 ? n : dflt;
  };
  return {
    maxSnapshotAgeMs: num('history.expire.max-snapshot-age-ms', 5 * 24 * 3600 * 1000),
    minSnapshotsToKeep: Math.max(1, num('history.expire.min-snapshots-to-keep', 1)),
  };
}

/**
 * Snapshots no ref needs any more (spec: "Snapshot Retention Policy"): a branch keeps its newest
 * `min-snapshots-to-keep` ancestors and any ancestor younger than `max-snapshot-age-ms` (ref-level
 * settings override the table's); a tag keeps its snapshot. Everything else may be expired.
 */
export function expirableSnapshots(m: TableMetadata, now: number, policy: RetentionPolicy, olderThanMs?: number): bigint[] {
  const keep = new Set<bigint>();
  for (const ref of Object.values(m.refs)) {
    if (!snapshotById(m, ref['snapshot-id'])) continue;
    if (ref.type === 'tag') {
      keep.add(ref['snapshot-id']);
      continue;
    }
    const minKeep = ref['min-snapshots-to-keep'] ?? policy.minSnapshotsToKeep;
    const maxAge = ref['max-snapshot-age-ms'] ?? policy.maxSnapshotAgeMs;
    const cutoff = olderThanMs ?? now - maxAge;
    ancestorsOf(m, ref['snapshot-id']).forEach((s, i) => {
      if (i < minKeep || s['timestamp-ms'] >= cutoff) keep.add(s['snapshot-id']);
    });
  }
  const cutoff = olderThanMs ?? now - policy.maxSnapshotAgeMs;
  // Snapshots on no branch (e.g. staged for write–audit–publish) expire by age alone.
  const onBranch = new Set<bigint>();
  for (const ref of Object.values(m.refs)) if (ref.type === 'branch') for (const s of ancestorsOf(m, ref['snapshot-id'])) onBranch.add(s['snapshot-id']);
  return m.snapshots
    .filter((s) => !keep.has(s['snapshot-id']) && (onBranch.has(s['snapshot-id']) || s['timestamp-ms'] < cutoff))
    .map((s) => s['snapshot-id']);
}
