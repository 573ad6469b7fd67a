import { bind } from '../expr/bind.js';
import { manifestEvaluator, metricsEvaluator, partitionEvaluator } from '../expr/evaluators.js';
import type { BoundPredicate } from '../expr/bind.js';
import type { UnboundPredicate } from '../expr/predicate.js';
import type { DataFile, ManifestEntry, ManifestFile, PartitionValues } from '../manifest/types.js';
import { EntryStatus, FileContent, ManifestContent } from '../manifest/types.js';
import {
  schemaById,
  schemaForSnapshot,
  snapshotAsOf,
  snapshotById,
  snapshotForRef,
  specById,
} from '../spec/metadata.js';
import type { PartitionSpec, Schema, Snapshot, TableMetadata } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ManifestReader } from './manifest-reader.js';

/** A delete file with the sequence number that decides which data files it applies to. */
export interface DeleteFileTask {
  file: DataFile;
  sequenceNumber: number;
  specId: number;
}

/** One data file to read, with every delete file that may remove rows from it. */
export interface FileScanTask {
  file: DataFile;
  specId: number;
  dataSequenceNumber: number;
  deletes: DeleteFileTask[];
}

/** Which snapshot to read: by id, by branch/tag name, or as of a time (ms since epoch). */
export type SnapshotSelector =
  | { kind: 'current' }
  | { kind: 'id'; snapshotId: bigint }
  | { kind: 'ref'; name: string }
  | { kind: 'timestamp'; timestampMs: number };

export interface ScanOptions {
  at?: SnapshotSelector;
  filter?: UnboundPredicate;
  caseSensitive?: boolean;
}

export interface ScanMetrics {
  manifestsTotal: number;
  manifestsScanned: number;
  dataFilesTotal: number;
  dataFilesSelected: number;
  deleteFiles: number;
}

export interface ScanPlan {
  snapshot: Snapshot | undefined;
  /** The schema rows are read with: the snapshot's own schema for time travel, else current. */
  schema: Schema;
  tasks: FileScanTask[];
  metrics: ScanMetrics;
}

/** Resolves a snapshot selector against table metadata (NotFoundError for unknown refs/ids). */
export function selectSnapshot(metadata: TableMetadata, at: SnapshotSelector): Snapshot | undefined {
  switch (at.kind) {
    case 'current':
      return snapshotForRef(metadata, MAIN_BRANCH);
    case 'id': {
      const s = snapshotById(metadata, at.snapshotId);
      if (!s) throw new NotFoundError(`snapshot ${at.snapshotId} does not exist`);
      return s;
    }
    case 'ref': {
      // An empty table has no main ref yet: reading it gives no rows, not an error.
      if (!(at.name in metadata.refs) && at.name !== MAIN_BRANCH) {
        throw new NotFoundError(`branch or tag '${at.name}' does not exist`);
      }
      return snapshotForRef(metadata, at.name);
    }
    case 'timestamp':
      return snapshotAsOf(metadata, at.timestampMs);
    default: {
      const never: never = at;
      throw new Error(`unknown selector ${String(never)}`);
    }
  }
}

/**
 * Plans a scan: chooses the snapshot, prunes manifests by their partition summaries, then data
 * files by partition values and column bounds — all before any data file is opened — and attaches
 * to each data file the delete files that apply to it (spec: "Scan Planning").
 */
export async function planScan(
  metadata: TableMetadata,
  reader: ManifestReader,
  options: ScanOptions = {},
): Promise<ScanPlan> {
  const at = options.at ?? { kind: 'current' };
  const snapshot = selectSnapshot(metadata, at);
  const schema =
    snapshot && at.kind !== 'current' && at.kind !== 'ref'
      ? schemaForSnapshot(metadata, snapshot)
      : snapshot && at.kind === 'ref' && at.name !== MAIN_BRANCH
        ? schemaForSnapshot(metadata, snapshot)
        : (schemaById(metadata, metadata['current-schema-id']) as Schema);
  const metrics: ScanMetrics = {
    manifestsTotal: 0,
    manifestsScanned: 0,
    dataFilesTotal: 0,
    dataFilesSelected: 0,
    deleteFiles: 0,
  };
  if (!snapshot) return { snapshot, schema, tasks: [], metrics };

  const bound = options.filter ? bind(schema, options.filter, options.caseSensitive ?? true) : undefined;
  const evaluators = new SpecEvaluators(metadata, schema, bound);
  const manifests = await reader.manifestsOf(snapshot, metadata);
  metrics.manifestsTotal = manifests.length;

  const dataManifests: ManifestFile[] = [];
  const deleteManifests: ManifestFile[] = [];
  for (const m of manifests) {
    // Live files of every data manifest, pruned or not, from the manifest-list counts.
    if (m.content === ManifestContent.Data) metrics.dataFilesTotal += m.added_files_count + m.existing_files_count;
    // Only DELETED entries (known from the counts, e.g. a compaction's rewritten manifests): nothing to read.
    if (m.added_files_count + m.existing_files_count === 0 && m.deleted_files_count > 0) continue;
    if (!evaluators.forSpec(m.partition_spec_id).manifest(m)) continue;
    (m.content === ManifestContent.Deletes ? deleteManifests : dataManifests).push(m);
  }
  metrics.manifestsScanned = dataManifests.length + deleteManifests.length;

  const deletes = new DeleteIndex();
  for (const m of deleteManifests) {
    const ev = evaluators.forSpec(m.partition_spec_id);
    for (const e of await reader.entriesOf(m)) {
      if (e.status === EntryStatus.Deleted) continue;
      if (!ev.partition(e.data_file.partition)) continue;
      deletes.add(e, m.partition_spec_id, evaluators.isUnpartitioned(m.partition_spec_id));
      metrics.deleteFiles++;
    }
  }

  const tasks: FileScanTask[] = [];
  for (const m of dataManifests) {
    const ev = evaluators.forSpec(m.partition_spec_id);
    for (const e of await reader.entriesOf(m)) {
      if (e.status === EntryStatus.Deleted) continue;
      if (!ev.partition(e.data_file.partition) || !ev.metrics(e.data_file)) continue;
      const seq = e.sequence_number ?? 0;
      tasks.push({
        file: e.data_file,
        specId: m.partition_spec_id,
        dataSequenceNumber: seq,
        deletes: deletes.forDataFile(e.data_file, m.partition_spec_id, seq),
      });
    }
  }
  metrics.dataFilesSelected = tasks.length;
  return { snapshot, schema, tasks, metrics };
}

export interface Evaluators {
  manifest: (m: ManifestFile) => boolean;
  partition: (p: PartitionValues) => boolean;
  metrics: (f: DataFile) => boolean;
}

const ALWAYS: Evaluators = { manifest: () => true, partition: () => true, metrics: () => true };

/** Evaluators per partition spec, built lazily: manifests of several specs prune independently. */
export class SpecEvaluators {
  private readonly cache = new Map<number, Evaluators>();
  private readonly metricsEval: ((f: DataFile) => boolean) | undefined;

  constructor(
    private readonly metadata: TableMetadata,
    private readonly schema: Schema,
    private readonly bound: BoundPredicate | undefined,
  ) {
    this.metricsEval = bound ? metricsEvaluator(schema, bound) : undefined;
  }

  isUnpartitioned(specId: number): boolean {
    const spec = specById(this.metadata, specId);
    return !spec || spec.fields.every((f) => f.transform === 'void');
  }

  forSpec(specId: number): Evaluators {
    if (!this.bound) return ALWAYS;
    let ev = this.cache.get(specId);
    if (!ev) {
      const spec = specById(this.metadata, specId);
      if (!spec) throw new ValidationError(`manifest refers to unknown partition spec ${specId}`);
      ev = this.build(spec, this.bound);
      this.cache.set(specId, ev);
    }
    return ev;
  }

  private build(spec: PartitionSpec, bound: BoundPredicate): Evaluators {
    const metrics = this.metricsEval ?? (() => true);
    if (spec.fields.length === 0) return { manifest: () => true, partition: () => true, metrics };
    return {
      manifest: manifestEvaluator(spec, this.schema, bound),
      partition: partitionEvaluator(spec, this.schema, bound),
      metrics,
    };
  }
}

/**
 * Delete files indexed by partition so each data file finds its deletes quickly.
 * spec: position deletes apply to data files in the same partition with data sequence number
 * ≤ the delete's; equality deletes to data files with a strictly smaller sequence number, in the
 * same partition — or every partition when the delete file's spec is unpartitioned.
 */
class DeleteIndex {
  private readonly byPartition = new Map<string, DeleteFileTask[]>();
  private readonly global: DeleteFileTask[] = [];

  add(entry: ManifestEntry, specId: number, unpartitioned: boolean): void {
    const task: DeleteFileTask = {
      file: entry.data_file,
      sequenceNumber: entry.sequence_number ?? 0,
      specId,
    };
    if (unpartitioned && entry.data_file.content === FileContent.EqualityDeletes) {
      this.global.push(task);
      return;
    }
    const key = partitionKey(specId, entry.data_file.partition);
    const list = this.byPartition.get(key);
    if (list) list.push(task);
    else this.byPartition.set(key, [task]);
  }

  forDataFile(file: DataFile, specId: number, dataSeq: number): DeleteFileTask[] {
    const candidates = [...(this.byPartition.get(partitionKey(specId, file.partition)) ?? []), ...this.global];
    return candidates.filter((d) => {
      if (d.file.content === FileContent.PositionDeletes) {
        if (d.sequenceNumber < dataSeq) return false;
        const ref = d.file.referenced_data_file;
        return ref === undefined ? mayName(d.file, file.file_path) : ref === file.file_path;
      }
      return d.sequenceNumber > dataSeq;
    });
  }
}

/** spec: reserved field id of a position delete file's `file_path` column. */
const DELETE_FILE_PATH_ID = 2147483546;

/**
 * Whether a position delete file may name a data file: its `file_path` column's bounds bracket
 * the paths it holds (as Java's delete file index skips deletes whose bounds exclude the data
 * file), so a delete file that lies in the partition but names other files is not read.
 * Strings order by UTF-8 bytes (spec: bounds); a file without both bounds may name any.
 */
function mayName(deletes: DataFile, path: string): boolean {
  const lo = deletes.lower_bounds?.get(DELETE_FILE_PATH_ID);
  const hi = deletes.upper_bounds?.get(DELETE_FILE_PATH_ID);
  if (!lo || !hi) return true;
  const p = Buffer.from(path, 'utf8');
  return Buffer.compare(Buffer.from(lo), p) <= 0 && Buffer.compare(p, Buffer.from(hi)) <= 0;
}

/** A stable string key of a partition tuple within a spec. */
export function partitionKey(specId: number, partition: PartitionValues): string {
  return `${specId}|${JSON.stringify(partition, (_k, v: unknown) =>
    typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
  )}`;
}
