import { bind } from '../expr/bind.js';
import type { UnboundPredicate } from '../expr/predicate.js';
import { EntryStatus, ManifestContent } from '../manifest/types.js';
import { ancestorsOf, currentSchema, schemaForSnapshot, snapshotById, snapshotForRef } from '../spec/metadata.js';
import type { Snapshot, TableMetadata } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ManifestReader } from './manifest-reader.js';
import { SpecEvaluators, type FileScanTask, type ScanMetrics, type ScanPlan } from './scan.js';

/**
 * Which rows an incremental append scan reads: those added by the snapshots after
 * `fromSnapshotId` (exclusive) up to `toSnapshotId` (inclusive) along `to`'s ancestry.
 */
export interface IncrementalScanOptions {
  /** Exclusive start; undefined reads every appended row since the table's first snapshot. */
  fromSnapshotId?: bigint;
  /** Inclusive end; default the head of `main`. */
  toSnapshotId?: bigint;
  filter?: UnboundPredicate;
  caseSensitive?: boolean;
}

export interface IncrementalScanPlan extends ScanPlan {
  fromSnapshotId: bigint | undefined;
  /** Snapshots whose added data files were planned, oldest first. */
  appendSnapshots: bigint[];
  /** Snapshots of the range that add no rows of their own (`replace`: compaction, rewrites). */
  skippedSnapshots: bigint[];
}

/**
 * The range cannot be read incrementally: a snapshot in it changed existing rows (an `overwrite`
 * that removed files or added deletes, a `delete`), or `from` is not an ancestor of `to`
 * (rollback, expired snapshots, a recreated table). A full recompute is the way out.
 */
export class IncrementalRangeError extends ValidationError {
  constructor(
    message: string,
    readonly snapshotId: bigint,
    readonly reason: 'rows-changed' | 'not-ancestor',
  ) {
    super(message);
  }
}

/**
 * The snapshots after `from` up to `to`, oldest first. spec/Java IncrementalAppendScan: the range
 * is taken along `to`'s parent chain, so `from` must be one of its ancestors.
 */
export function snapshotsBetween(metadata: TableMetadata, fromSnapshotId: bigint | undefined, to: Snapshot | undefined): Snapshot[] {
  if (!to) {
    if (fromSnapshotId === undefined) return [];
    throw new IncrementalRangeError(`snapshot ${fromSnapshotId} is not an ancestor of the table's (empty) main branch`, fromSnapshotId, 'not-ancestor');
  }
  const chain = ancestorsOf(metadata, to['snapshot-id']);
  if (fromSnapshotId === undefined) {
    const oldest = chain[chain.length - 1];
    if (oldest?.['parent-snapshot-id'] !== undefined) {
      // The first snapshots were expired: their rows can no longer be told apart from later ones.
      throw new IncrementalRangeError(
        `the ancestry of snapshot ${to['snapshot-id']} is incomplete (parent ${oldest['parent-snapshot-id']} of ${oldest['snapshot-id']} was expired)`,
        oldest['snapshot-id'],
        'not-ancestor',
      );
    }
    return chain.reverse();
  }
  const at = chain.findIndex((s) => s['snapshot-id'] === fromSnapshotId);
  if (at < 0) {
    throw new IncrementalRangeError(`snapshot ${fromSnapshotId} is not an ancestor of snapshot ${to['snapshot-id']}`, fromSnapshotId, 'not-ancestor');
  }
  return chain.slice(0, at).reverse();
}

/**
 * Plans the data files added by the append snapshots in (from, to] — Iceberg's
 * IncrementalAppendScan. `replace` snapshots are skipped (they rewrite files without changing
 * rows, so reading their output would duplicate rows); an `overwrite` that only added data files
 * counts as an append; an `overwrite` that removed files or added delete files, and any `delete`,
 * fail with IncrementalRangeError naming the snapshot. The planned files carry no delete files:
 * rows added in the range can only be deleted by a later snapshot, and the range has none.
 *
 * Metrics: `manifestsTotal`/`dataFilesTotal` count what a full scan of `to` would consider (from
 * its manifest list), `manifestsScanned`/`dataFilesSelected` what this plan opened and chose.
 */
export async function planIncrementalAppendScan(
  metadata: TableMetadata,
  reader: ManifestReader,
  options: IncrementalScanOptions = {},
): Promise<IncrementalScanPlan> {
  const head = snapshotForRef(metadata, MAIN_BRANCH);
  let to = head;
  if (options.toSnapshotId !== undefined) {
    to = snapshotById(metadata, options.toSnapshotId);
    if (!to) throw new NotFoundError(`snapshot ${options.toSnapshotId} does not exist`);
  }
  const schema = to && to !== head ? schemaForSnapshot(metadata, to) : currentSchema(metadata);
  const metrics: ScanMetrics = { manifestsTotal: 0, manifestsScanned: 0, dataFilesTotal: 0, dataFilesSelected: 0, deleteFiles: 0 };
  const range = snapshotsBetween(metadata, options.fromSnapshotId, to);
  const plan: IncrementalScanPlan = {
    snapshot: to,
    schema,
    tasks: [],
    metrics,
    fromSnapshotId: options.fromSnapshotId,
    appendSnapshots: [],
    skippedSnapshots: [],
  };
  if (!to) return plan;
  for (const m of await reader.manifestsOf(to, metadata)) {
    metrics.manifestsTotal++;
    if (m.content === ManifestContent.Data) metrics.dataFilesTotal += m.added_files_count + m.existing_files_count;
  }

  const bound = options.filter ? bind(schema, options.filter, options.caseSensitive ?? true) : undefined;
  const evaluators = new SpecEvaluators(metadata, schema, bound);
  for (const s of range) {
    const id = s['snapshot-id'];
    const op = s.summary.operation;
    if (op === 'replace') {
      plan.skippedSnapshots.push(id);
      continue;
    }
    if (op === 'delete') {
      throw new IncrementalRangeError(`snapshot ${id} (delete) removed rows: only appended rows can be read incrementally`, id, 'rows-changed');
    }
    if (op !== 'append' && op !== 'overwrite') {
      throw new IncrementalRangeError(`snapshot ${id} has unknown operation '${String(op)}'`, id, 'rows-changed');
    }
    // Only manifests this snapshot wrote can hold its own ADDED/DELETED entries.
    const own = (await reader.manifestsOf(s, metadata)).filter((m) => m.added_snapshot_id === id);
    const tasks: FileScanTask[] = [];
    for (const m of own) {
      const ev = evaluators.forSpec(m.partition_spec_id);
      // An append's own manifests hold only its added data files: pruned ones need not be opened.
      if (op === 'append' && (m.content === ManifestContent.Deletes || !ev.manifest(m))) continue;
      const entries = await reader.entriesOf(m);
      metrics.manifestsScanned++;
      for (const e of entries) {
        if (e.snapshot_id !== id || e.status === EntryStatus.Existing) continue;
        if (m.content === ManifestContent.Deletes || e.status === EntryStatus.Deleted) {
          if (op === 'append') continue; // spec: appends only add data files
          const what = m.content === ManifestContent.Deletes ? `added delete file ${e.data_file.file_path}` : `removed data file ${e.data_file.file_path}`;
          throw new IncrementalRangeError(`snapshot ${id} (overwrite) changed existing rows: it ${what}`, id, 'rows-changed');
        }
        if (!ev.manifest(m) || !ev.partition(e.data_file.partition) || !ev.metrics(e.data_file)) continue;
        tasks.push({ file: e.data_file, specId: m.partition_spec_id, dataSequenceNumber: e.sequence_number ?? 0, deletes: [] });
      }
    }
    plan.appendSnapshots.push(id);
    plan.tasks.push(...tasks);
  }
  metrics.dataFilesSelected = plan.tasks.length;
  return plan;
}
