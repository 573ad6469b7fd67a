import { ancestorsOf, snapshotById } from '../spec/metadata.js';
import type { TableMetadata } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';

export interface RetentionPolicy {
  /** Snapshots younger than this are kept (spec property `history.expire.max-snapshot-age-ms`, default 5 days). */
  maxSnapshotAgeMs: number;
  /** Newest ancestors of each branch always kept (`history.expire.min-snapshots-to-keep`, default 1). */
  minSnapshotsToKeep: number;
  /** Refs other than `main` older than this are removed (`history.expire.max-ref-age-ms`, default: never). */
  maxRefAgeMs?: number;
}

export function retentionPolicy(properties: Record<string, string>): RetentionPolicy {
  const num = (key: string, dflt: number): number => {
    const n = Number(properties[key]);
    return properties[key] !== undefined && Number.isFinite(n) && n >= 0 ? n : dflt;
  };
  const maxRefAgeMs = num('history.expire.max-ref-age-ms', Number.POSITIVE_INFINITY);
  return {
    maxSnapshotAgeMs: num('history.expire.max-snapshot-age-ms', 5 * 24 * 3600 * 1000),
    minSnapshotsToKeep: Math.max(1, num('history.expire.min-snapshots-to-keep', 1)),
    ...(Number.isFinite(maxRefAgeMs) ? { maxRefAgeMs } : {}),
  };
}

/**
 * Refs whose snapshot is older than their `max-ref-age-ms` (else the policy's `maxRefAgeMs`);
 * spec: "Snapshot Retention Policy" — the `main` branch never expires.
 */
export function expiredRefs(m: TableMetadata, now: number, policy: RetentionPolicy): string[] {
  const out: string[] = [];
  for (const [name, ref] of Object.entries(m.refs)) {
    if (name === MAIN_BRANCH) continue;
    const maxAge = ref['max-ref-age-ms'] ?? policy.maxRefAgeMs;
    const s = snapshotById(m, ref['snapshot-id']);
    if (maxAge !== undefined && s && s['timestamp-ms'] < now - maxAge) out.push(name);
  }
  return out;
}

/**
 * Snapshots no ref needs any more (spec: "Snapshot Retention Policy"): a branch keeps its newest
 * `min-snapshots-to-keep` ancestors and any ancestor younger than `max-snapshot-age-ms` (ref-level
 * settings override the table's); a tag keeps its snapshot. Everything else may be expired.
 * `olderThanMs`, when given, is the timestamp that replaces the table-level age cutoff (as Java's
 * `expireOlderThan`); a ref's own `max-snapshot-age-ms` still wins for that ref.
 */
export function expirableSnapshots(m: TableMetadata, now: number, policy: RetentionPolicy, olderThanMs?: number): bigint[] {
  const defaultCutoff = olderThanMs ?? now - policy.maxSnapshotAgeMs;
  const keep = new Set<bigint>();
  for (const ref of Object.values(m.refs)) {
    if (!snapshotById(m, ref['snapshot-id'])) continue;
    if (ref.type === 'tag') {
      keep.add(ref['snapshot-id']);
      continue;
    }
    const minKeep = ref['min-snapshots-to-keep'] ?? policy.minSnapshotsToKeep;
    const refAge = ref['max-snapshot-age-ms'];
    const cutoff = refAge !== undefined ? now - refAge : defaultCutoff;
    ancestorsOf(m, ref['snapshot-id']).forEach((s, i) => {
      if (i < minKeep || s['timestamp-ms'] >= cutoff) keep.add(s['snapshot-id']);
    });
  }
  // Snapshots on no branch (e.g. staged for write–audit–publish) expire by age alone.
  const onBranch = new Set<bigint>();
  for (const ref of Object.values(m.refs)) if (ref.type === 'branch') for (const s of ancestorsOf(m, ref['snapshot-id'])) onBranch.add(s['snapshot-id']);
  return m.snapshots
    .filter((s) => !keep.has(s['snapshot-id']) && (onBranch.has(s['snapshot-id']) || s['timestamp-ms'] < defaultCutoff))
    .map((s) => s['snapshot-id']);
}
