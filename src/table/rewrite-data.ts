import type { DuckDBEngine } from '../engine/duckdb.js';
import { scanSql } from '../engine/scan-view.js';
import { writeDataFiles, type WriteTarget } from '../engine/writer.js';
import type { UnboundPredicate } from '../expr/predicate.js';
import type { DataFile, ManifestEntry, PartitionValues } from '../manifest/types.js';
import { EntryStatus, FileContent, ManifestContent } from '../manifest/types.js';
import { snapshotForRef, specById } from '../spec/metadata.js';
import type { Snapshot } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import { CommitFailedError, NotFoundError, ValidationError } from '../errors.js';
import { identityPaths } from './manifest-reader.js';
import { partitionKey, planScan, type DeleteFileTask, type FileScanTask } from './scan.js';
import type { Table } from './table.js';

/** Iceberg's default `write.target-file-size-bytes` (512 MiB). */
export const DEFAULT_TARGET_FILE_SIZE = 512 * 1024 * 1024;
/** spec-adjacent default (Java's RewriteDataFiles `min-file-size-bytes`): files under 75% of the target are "small". */
const SMALL_FILE_RATIO = 0.75;
/** A partition needs at least this many small files (or a file with deletes) to be rewritten. */
export const DEFAULT_MIN_INPUT_FILES = 2;

export interface RewriteDataFilesOptions {
  /** The engine that reads the old files (deletes applied) and writes the new ones. */
  engine: DuckDBEngine;
  /** Only files that may hold matching rows (by partition values and column bounds) are rewritten. */
  where?: UnboundPredicate;
  caseSensitive?: boolean;
  /** Size of the files to write; default the table property `write.target-file-size-bytes`, else 512 MiB. */
  targetFileSizeBytes?: number;
  /** A partition is rewritten when it has at least this many candidate files (default 2) or any file with deletes. */
  minInputFiles?: number;
  /**
   * Whether a file with delete files attached is rewritten even when its partition has fewer than
   * `minInputFiles` candidates (default true: compaction applies and drops deletes).
   */
  rewriteFilesWithDeletes?: boolean;
  /** Write each new file sorted by the table's sort order. */
  sort?: boolean;
  /** Plan only: report the groups that would be rewritten, write and commit nothing. */
  dryRun?: boolean;
  /** Called after each group of files is written: files done so far, files to rewrite in all. */
  onProgress?: (done: number, total: number) => void;
  /** Branch to compact (default main). */
  branch?: string;
  /** Test hook for kill-safety tests: called at named steps (`planned`, `written`, `committed`). */
  onStep?: (step: 'planned' | 'written' | 'committed') => void | Promise<void>;
}

/** One partition's files to rewrite, packed into bins of about the target size (one output file each). */
export interface RewriteGroup {
  specId: number;
  partition: PartitionValues;
  /** Data files to rewrite. */
  files: string[];
  /** Number of output bins (≈ output files). */
  bins: number;
  inputBytes: number;
  inputRecords: number;
  /** Delete files attached to the rewritten files. */
  deleteFiles: number;
}

export interface RewriteDataFilesResult {
  dryRun: boolean;
  groups: RewriteGroup[];
  rewrittenDataFiles: number;
  addedDataFiles: number;
  removedDeleteFiles: number;
  rewrittenBytes: number;
  addedBytes: number;
  /** Rows in the new files (rows of the old ones minus deleted rows). */
  addedRecords: number;
  /** The `replace` snapshot, when one was committed. */
  snapshotId?: bigint;
  /** The table after the commit (the input table when nothing was committed). */
  table: Table;
}

interface PlannedGroup {
  specId: number;
  partition: PartitionValues;
  bins: FileScanTask[][];
}

/**
 * Compaction (bin-pack): rewrites small data files, and files with delete files attached, of each
 * partition into files of about the target size, with their deletes applied, and commits one
 * `replace` snapshot that removes the old data files and every delete file that applied only to
 * them. Files keep their partition spec. Rows are never changed: every snapshot reads what it read.
 *
 * Concurrency (validated when the commit re-bases, see SnapshotProducer):
 * - concurrent appends land beside the rewrite (new snapshot on top of them, their files kept);
 * - a concurrent removal of a rewritten data file or a removed delete file, or a new position
 *   delete that may touch a rewritten file, fails the compaction with CommitFailedError: applying
 *   the rewrite would resurrect the deleted rows;
 * - concurrent equality deletes are fine: see the sequence number rule below.
 */
export async function rewriteDataFiles(table: Table, options: RewriteDataFilesOptions): Promise<RewriteDataFilesResult> {
  const { engine } = options;
  const branch = options.branch ?? MAIN_BRANCH;
  const metadata = table.metadata;
  const ref = metadata.refs[branch];
  if (ref?.type === 'tag') throw new ValidationError(`cannot compact tag '${branch}' of ${table.name}: tags are read-only`);
  if (!ref && branch !== MAIN_BRANCH) throw new NotFoundError(`branch '${branch}' of ${table.name} does not exist`);
  const target = targetSize(options.targetFileSizeBytes, table.properties);
  const minInputFiles = options.minInputFiles ?? DEFAULT_MIN_INPUT_FILES;
  if (!Number.isInteger(minInputFiles) || minInputFiles < 1) throw new ValidationError(`minInputFiles must be a positive integer, got ${minInputFiles}`);
  const sortOrder = table.sortOrder();
  if (options.sort && sortOrder.fields.length === 0) {
    throw new ValidationError(`${table.name} has no sort order to sort by (ALTER TABLE … WRITE ORDERED BY …)`);
  }
  const empty: RewriteDataFilesResult = {
    dryRun: options.dryRun === true,
    groups: [],
    rewrittenDataFiles: 0,
    addedDataFiles: 0,
    removedDeleteFiles: 0,
    rewrittenBytes: 0,
    addedBytes: 0,
    addedRecords: 0,
    table,
  };
  const start = snapshotForRef(metadata, branch);
  if (!start) return empty;

  // Every live file with its deletes (unfiltered: deciding which delete files become unused needs
  // all data files), and the subset the WHERE filter selects.
  const at = { kind: 'id' as const, snapshotId: start['snapshot-id'] };
  const full = await planScan(metadata, table.context.reader, { at });
  const selected = options.where
    ? new Set(
        (await planScan(metadata, table.context.reader, { at, filter: options.where, caseSensitive: options.caseSensitive ?? true })).tasks.map(
          (t) => t.file.file_path,
        ),
      )
    : undefined;

  const planned = planGroups(full.tasks, selected, target, minInputFiles, options.rewriteFilesWithDeletes ?? true);
  const groups: RewriteGroup[] = planned.map((g) => {
    const tasks = g.bins.flat();
    return {
      specId: g.specId,
      partition: g.partition,
      files: tasks.map((t) => t.file.file_path),
      bins: g.bins.length,
      inputBytes: sum(tasks.map((t) => t.file.file_size_in_bytes)),
      inputRecords: sum(tasks.map((t) => t.file.record_count)),
      deleteFiles: new Set(tasks.flatMap((t) => t.deletes.map((d) => d.file.file_path))).size,
    };
  });
  const rewritten = new Set(groups.flatMap((g) => g.files));
  const groupKeys = new Set(groups.map((g) => partitionKey(g.specId, g.partition)));
  const removedDeletes = rewritten.size === 0 ? [] : unusedDeleteFiles(await liveDeleteFiles(table, start), full.tasks, rewritten, groupKeys);
  const summary = {
    ...empty,
    groups,
    rewrittenDataFiles: rewritten.size,
    removedDeleteFiles: removedDeletes.length,
    rewrittenBytes: sum(groups.map((g) => g.inputBytes)),
  };
  if (options.dryRun || rewritten.size === 0) return summary;
  await options.onStep?.('planned');

  // Read with the current schema (as DML does): the new files are written with it.
  const schema = table.schema();
  const specs = metadata['partition-specs'];
  const added: DataFile[] = [];
  const addedFileSpecs = new Map<string, number>();
  const total = rewritten.size;
  let done = 0;
  options.onProgress?.(0, total);
  try {
    for (const g of planned) {
      const spec = specById(metadata, g.specId);
      if (!spec) throw new ValidationError(`data files of ${table.name} use unknown partition spec ${g.specId}`);
      const writeTarget: WriteTarget = {
        schema,
        spec,
        ...(options.sort ? { sortOrder } : {}),
        location: table.location,
        properties: { ...table.properties, 'write.target-file-size-bytes': String(target) },
      };
      for (const bin of g.bins) {
        const source = await scanSql(schema, bin, table.context.io, identityPaths, { specs, engine });
        const files = await writeDataFiles(engine, table.context.io, writeTarget, source, { filePrefix: `rewrite-${Date.now()}` });
        for (const f of files) {
          added.push(f);
          if (g.specId !== metadata['default-spec-id']) addedFileSpecs.set(f.file_path, g.specId);
        }
        done += bin.length;
        options.onProgress?.(done, total);
      }
    }
  } catch (err) {
    await Promise.all(added.map((f) => table.context.io.delete(f.file_path).catch(() => undefined)));
    throw err;
  }
  await options.onStep?.('written');

  const removedDeleteSet = new Set(removedDeletes.map((d) => d.file.file_path));
  const removedPaths = new Set([...rewritten, ...removedDeleteSet]);
  const v2 = metadata['format-version'] >= 2;
  const committed = await table
    .newTransaction()
    .overwriteFiles({
      branch,
      add: added,
      addedFileSpecs,
      removes: (f) => removedPaths.has(f.file_path),
      // Every file this rewrite replaces must still be live when it commits.
      requiredFiles: removedPaths,
      // spec: "Sequence Numbers" / "Sequence Number Inheritance" — a data file's data sequence number
      // is the relative age of its content and decides which delete files apply to it; data that
      // logically belongs to an older sequence number is added with that number explicitly. The new
      // files hold rows as of the snapshot the rewrite read, so they take that snapshot's sequence
      // number S: deletes already applied while reading (all have sequence number ≤ S) no longer
      // apply (equality: S is not < S; position deletes name the old paths only), while equality
      // deletes committed concurrently (sequence number > S) still remove rows from the new files —
      // so they need not fail the rewrite. (Inheriting the commit's own sequence number instead
      // would silently un-delete rows such concurrent equality deletes removed.)
      ...(v2 ? { dataSequenceNumber: start['sequence-number'] } : {}),
      ...(removedDeleteSet.size > 0 ? { validateAdded: stillNeeded(removedDeletes, table.name) } : {}),
      ownsFiles: true,
      operation: 'replace',
      summary: { 'floe.rewrite.strategy': 'binpack', 'floe.rewrite.groups': String(groups.length) },
    })
    .commit();
  await options.onStep?.('committed');
  return {
    ...summary,
    addedDataFiles: added.length,
    addedBytes: sum(added.map((f) => f.file_size_in_bytes)),
    addedRecords: sum(added.map((f) => f.record_count)),
    snapshotId: committed.metadata.refs[branch]?.['snapshot-id'],
    table: committed,
  };
}

function targetSize(option: number | undefined, props: Record<string, string>): number {
  const raw = option ?? (props['write.target-file-size-bytes'] !== undefined ? Number(props['write.target-file-size-bytes']) : DEFAULT_TARGET_FILE_SIZE);
  if (!Number.isSafeInteger(raw) || raw <= 0) {
    throw new ValidationError(`target file size must be a positive number of bytes, got ${option ?? props['write.target-file-size-bytes']}`);
  }
  return raw;
}

/**
 * Groups candidate files by (spec, partition) and packs each group's files into bins of at most
 * the target size (first fit, largest first). Candidates: files smaller than 75% of the target,
 * and files with delete files that may apply to them. A group is rewritten when it has at least
 * `minInputFiles` candidates or any candidate with deletes.
 */
export function planGroups(
  tasks: FileScanTask[],
  selected: Set<string> | undefined,
  target: number,
  minInputFiles: number,
  deletesTrigger = true,
): PlannedGroup[] {
  const byPartition = new Map<string, { specId: number; partition: PartitionValues; tasks: FileScanTask[] }>();
  for (const t of tasks) {
    if (selected && !selected.has(t.file.file_path)) continue;
    const hasDeletes = deletesTrigger && t.deletes.some((d) => mayApply(d, t));
    if (!hasDeletes && t.file.file_size_in_bytes >= SMALL_FILE_RATIO * target) continue;
    const key = partitionKey(t.specId, t.file.partition);
    const g = byPartition.get(key);
    if (g) g.tasks.push(t);
    else byPartition.set(key, { specId: t.specId, partition: t.file.partition, tasks: [t] });
  }
  const out: PlannedGroup[] = [];
  for (const g of byPartition.values()) {
    const withDeletes = deletesTrigger && g.tasks.some((t) => t.deletes.some((d) => mayApply(d, t)));
    if (g.tasks.length < minInputFiles && !withDeletes) continue;
    const sorted = [...g.tasks].sort((a, b) => b.file.file_size_in_bytes - a.file.file_size_in_bytes);
    const bins: { size: number; tasks: FileScanTask[] }[] = [];
    for (const t of sorted) {
      const size = t.file.file_size_in_bytes;
      const bin = bins.find((b) => b.size + size <= target);
      if (bin) {
        bin.tasks.push(t);
        bin.size += size;
      } else bins.push({ size, tasks: [t] });
    }
    // A lone file without deletes would be rewritten into itself: nothing gained.
    const useful = bins.map((b) => b.tasks).filter((b) => b.length > 1 || (deletesTrigger && b.some((t) => t.deletes.some((d) => mayApply(d, t)))));
    if (useful.length > 0) out.push({ specId: g.specId, partition: g.partition, bins: useful });
  }
  return out;
}

/** Whether a delete file may remove rows of a data file (position deletes: by the paths they name). */
function mayApply(d: DeleteFileTask, t: FileScanTask): boolean {
  if (d.file.content !== FileContent.PositionDeletes) return true;
  if (d.file.referenced_data_file !== undefined) return d.file.referenced_data_file === t.file.file_path;
  // spec: the file_path column's bounds (field 2147483546) bracket the data files it names.
  const lo = d.file.lower_bounds?.get(2147483546);
  const hi = d.file.upper_bounds?.get(2147483546);
  if (!lo || !hi) return true;
  const p = Buffer.from(t.file.file_path, 'utf8');
  return Buffer.compare(Buffer.from(lo), p) <= 0 && Buffer.compare(p, Buffer.from(hi)) <= 0;
}

/** Live delete files of a snapshot with their data sequence numbers. */
async function liveDeleteFiles(table: Table, snapshot: Snapshot): Promise<DeleteFileTask[]> {
  const out: DeleteFileTask[] = [];
  for (const m of await table.context.reader.manifestsOf(snapshot, table.metadata)) {
    if (m.content !== ManifestContent.Deletes) continue;
    for (const e of await table.context.reader.entriesOf(m)) {
      if (e.status === EntryStatus.Deleted) continue;
      out.push({ file: e.data_file, sequenceNumber: e.sequence_number ?? 0, specId: m.partition_spec_id });
    }
  }
  return out;
}

/**
 * Delete files that apply to no data file that stays: those planning attached only to rewritten
 * files, and those in a rewritten partition attached to none (dangling). After the rewrite they
 * apply to nothing — the new files take the starting sequence number (see above), and later
 * commits' files have higher ones — so they can go.
 */
export function unusedDeleteFiles(deletes: DeleteFileTask[], tasks: FileScanTask[], rewritten: Set<string>, groupKeys: Set<string>): DeleteFileTask[] {
  const state = new Map<string, { hit: boolean; used: boolean }>();
  for (const t of tasks) {
    const gone = rewritten.has(t.file.file_path);
    for (const d of t.deletes) {
      let s = state.get(d.file.file_path);
      if (!s) state.set(d.file.file_path, (s = { hit: false, used: false }));
      if (gone) s.hit = true;
      else if (mayApply(d, t)) s.used = true;
    }
  }
  return deletes.filter((d) => {
    const s = state.get(d.file.file_path);
    if (s) return s.hit && !s.used;
    return groupKeys.has(partitionKey(d.specId, d.file.partition));
  });
}

/**
 * Removing a delete file is only safe while no other data file it applies to exists. Concurrent
 * commits add data files with new sequence numbers (which removed deletes never apply to), except
 * another rewrite adding files with an older, explicit data sequence number: if a removed delete
 * file would apply to such a file, the removal would resurrect rows, so it is a conflict. (As
 * rewrites keep files in their partition, such a file replaces one the removed delete applied to,
 * which this rewrite then also read: the requiredFiles check fails first; this is the backstop.)
 */
function stillNeeded(removed: DeleteFileTask[], tableName: string): (entry: ManifestEntry, specId: number, snapshot: Snapshot) => void {
  const global = removed.filter((d) => d.file.content === FileContent.EqualityDeletes && d.file.partition !== undefined && Object.keys(d.file.partition).length === 0);
  return (entry, specId, snapshot) => {
    const f = entry.data_file;
    if (f.content !== FileContent.Data) return;
    const dataSeq = entry.sequence_number ?? snapshot['sequence-number'];
    if (dataSeq >= snapshot['sequence-number']) return;
    const key = partitionKey(specId, f.partition);
    for (const d of removed) {
      const samePartition = partitionKey(d.specId, d.file.partition) === key || global.includes(d);
      const applies = d.file.content === FileContent.PositionDeletes ? dataSeq <= d.sequenceNumber : dataSeq < d.sequenceNumber;
      if (samePartition && applies) {
        throw new CommitFailedError(
          `conflict: snapshot ${snapshot['snapshot-id']} (${snapshot.summary.operation}) added ${f.file_path} with data sequence number ${dataSeq}, to which delete file ${d.file.file_path} that this compaction of ${tableName} removes still applies`,
        );
      }
    }
  };
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
