import { randomUUID } from 'node:crypto';
import type { FileIO } from '../io/file-io.js';
import { manifestFileFor, writeManifest } from '../manifest/manifest.js';
import { writeManifestList } from '../manifest/manifest-list.js';
import type { DataFile, ManifestEntry, ManifestFile } from '../manifest/types.js';
import { EntryStatus, FileContent, ManifestContent } from '../manifest/types.js';
import { ancestorsOf, currentSchema, snapshotById, snapshotForRef, specById } from '../spec/metadata.js';
import type {
  PartitionSpec,
  Snapshot,
  SnapshotOperation,
  TableMetadata,
  TableRequirement,
  TableUpdate,
} from '../spec/types.js';
import { CommitFailedError, ValidationError } from '../errors.js';
import type { ManifestReader } from './manifest-reader.js';
import { partitionKey } from './scan.js';

/** What a snapshot-producing operation changes, independent of the base it lands on. */
export interface SnapshotChanges {
  operation: SnapshotOperation;
  branch: string;
  addedDataFiles: DataFile[];
  addedDeleteFiles: DataFile[];
  /** Partition spec of added files whose spec is not the table's default (file path → spec id). */
  addedFileSpecs?: Map<string, number>;
  /** Live files of the parent to remove (data or delete files). */
  removes?: (file: DataFile, specId: number) => boolean;
  /** Files that must still be live in the parent (they are being replaced); else a conflict. */
  requiredFiles?: Set<string>;
  /**
   * A file added by a concurrent snapshot that makes this operation invalid (e.g. new data in a
   * partition an overwrite replaces). Checked against every snapshot committed since `baseSnapshotId`.
   */
  conflictsWith?: (file: DataFile, specId: number) => boolean;
  /**
   * Explicit data sequence number of the added data files (a rewrite of older data; spec:
   * "Sequence Number Inheritance" — data that logically belongs to an older sequence number).
   * Equality deletes committed concurrently then still apply to the new files, so they are no
   * conflict (as Java's validateNoNewDeletesForDataFiles with ignoreEqualityDeletes).
   */
  addedDataSequenceNumber?: number;
  /** Extra check of each file a concurrent snapshot added; throws CommitFailedError on conflict. */
  validateAdded?: (entry: ManifestEntry, specId: number, snapshot: Snapshot) => void;
  /** The branch head this operation was planned against (undefined: empty branch). */
  baseSnapshotId: bigint | undefined;
  extraSummary?: Record<string, string>;
}

export interface ProducedSnapshot {
  requirements: TableRequirement[];
  updates: TableUpdate[];
  snapshot: Snapshot;
}

/**
 * Builds a snapshot for a change on top of a (possibly newer) base: writes the manifests for added
 * files once, rewrites parent manifests that lose files, writes a manifest list per attempt, and
 * validates that snapshots committed since the operation's base do not conflict with it.
 * Everything it writes is recorded in `written` so a failed commit can delete it.
 */
export class SnapshotProducer {
  readonly snapshotId: bigint;
  readonly written: string[] = [];
  private addedManifests:
    | { content: ManifestContent; spec: PartitionSpec; path: string; length: number; entries: ManifestEntry[] }[]
    | undefined;
  private readonly rewritten = new Map<string, ManifestFile>();
  private attempt = 0;

  constructor(
    private readonly io: FileIO,
    private readonly reader: ManifestReader,
    private readonly changes: SnapshotChanges,
    snapshotId: bigint,
  ) {
    this.snapshotId = snapshotId;
  }

  async produce(base: TableMetadata): Promise<ProducedSnapshot> {
    this.attempt++;
    const { changes } = this;
    const parent = snapshotForRef(base, changes.branch);
    const ref = base.refs[changes.branch];
    if (ref && ref.type === 'tag') throw new ValidationError(`cannot write to tag '${changes.branch}': tags are read-only`);
    await this.validate(base, parent);

    const v2 = base['format-version'] >= 2;
    const sequenceNumber = v2 ? base['last-sequence-number'] + 1 : 0;
    const schema = currentSchema(base);

    if (!this.addedManifests) {
      this.addedManifests = [];
      for (const [content, files] of [
        [ManifestContent.Data, changes.addedDataFiles],
        [ManifestContent.Deletes, changes.addedDeleteFiles],
      ] as const) {
        // One manifest per partition spec: a manifest's entries all share its spec.
        const bySpec = new Map<number, DataFile[]>();
        for (const f of files) {
          const specId = changes.addedFileSpecs?.get(f.file_path) ?? base['default-spec-id'];
          const list = bySpec.get(specId);
          if (list) list.push(f);
          else bySpec.set(specId, [f]);
        }
        for (const [specId, group] of bySpec) {
          const fileSpec = specById(base, specId);
          if (!fileSpec) throw new ValidationError(`unknown partition spec ${specId} for added files`);
          const explicitSeq = content === ManifestContent.Data && v2 ? changes.addedDataSequenceNumber ?? null : null;
          const entries: ManifestEntry[] = group.map((f) => ({
            status: EntryStatus.Added,
            snapshot_id: this.snapshotId,
            sequence_number: explicitSeq,
            file_sequence_number: null,
            data_file: f,
          }));
          const bytes = writeManifest({
            schema,
            spec: fileSpec,
            formatVersion: v2 ? 2 : 1,
            content,
            snapshotId: this.snapshotId,
            entries,
          });
          const path = `${metadataDir(base)}/${randomUUID()}-m${this.addedManifests.length}.avro`;
          await this.io.write(path, bytes);
          this.written.push(path);
          this.addedManifests.push({ content, spec: fileSpec, path, length: bytes.length, entries });
        }
      }
    }

    const manifests: ManifestFile[] = this.addedManifests.map((m) =>
      manifestFileFor({
        path: m.path,
        length: m.length,
        spec: m.spec,
        schema,
        content: m.content,
        sequenceNumber,
        snapshotId: this.snapshotId,
        entries: m.entries,
      }),
    );

    const removed = { dataFiles: 0, deleteFiles: 0, records: 0, size: 0, posDeletes: 0, eqDeletes: 0, partitions: new Set<string>() };
    const stillRequired = new Set(changes.requiredFiles ?? []);
    if (parent) {
      for (const m of await this.reader.manifestsOf(parent, base)) {
        const kept = await this.carryForward(base, m, sequenceNumber, removed, stillRequired);
        if (kept) manifests.push(kept);
      }
    }
    const merged = await this.mergeManifests(base, [...manifests], sequenceNumber);
    manifests.splice(0, manifests.length, ...merged);
    if (stillRequired.size > 0) {
      const missing = [...stillRequired][0];
      throw new CommitFailedError(
        `conflict: file ${missing} was removed by a concurrent commit (branch ${changes.branch} is now at ${parent?.['snapshot-id'] ?? 'no snapshot'})`,
      );
    }

    const listBytes = writeManifestList(manifests, {
      snapshotId: this.snapshotId,
      parentSnapshotId: parent?.['snapshot-id'],
      sequenceNumber,
      formatVersion: v2 ? 2 : 1,
    });
    const listPath = `${metadataDir(base)}/snap-${this.snapshotId}-${this.attempt}-${randomUUID()}.avro`;
    await this.io.write(listPath, listBytes);
    this.written.push(listPath);

    const snapshot: Snapshot = {
      'snapshot-id': this.snapshotId,
      'sequence-number': sequenceNumber,
      'timestamp-ms': Math.max(Date.now(), base['last-updated-ms'] + 1),
      'manifest-list': listPath,
      summary: summarize(changes, parent, removed),
      'schema-id': base['current-schema-id'],
    };
    if (parent) snapshot['parent-snapshot-id'] = parent['snapshot-id'];
    const refType = ref?.type ?? 'branch';
    return {
      snapshot,
      requirements: [
        { type: 'assert-table-uuid', uuid: base['table-uuid'] },
        { type: 'assert-ref-snapshot-id', ref: changes.branch, 'snapshot-id': parent?.['snapshot-id'] ?? null },
      ],
      updates: [
        { action: 'add-snapshot', snapshot },
        {
          action: 'set-snapshot-ref',
          'ref-name': changes.branch,
          type: refType,
          'snapshot-id': this.snapshotId,
          ...(ref?.['min-snapshots-to-keep'] !== undefined ? { 'min-snapshots-to-keep': ref['min-snapshots-to-keep'] } : {}),
          ...(ref?.['max-snapshot-age-ms'] !== undefined ? { 'max-snapshot-age-ms': ref['max-snapshot-age-ms'] } : {}),
          ...(ref?.['max-ref-age-ms'] !== undefined ? { 'max-ref-age-ms': ref['max-ref-age-ms'] } : {}),
        },
      ],
    };
  }

  /**
   * Keeps a parent manifest as is, drops it when nothing in it is live, or rewrites it with the
   * removed files marked DELETED (spec: manifest entry status) and the rest EXISTING.
   */
  private async carryForward(
    base: TableMetadata,
    m: ManifestFile,
    sequenceNumber: number,
    removed: { dataFiles: number; deleteFiles: number; records: number; size: number; posDeletes: number; eqDeletes: number; partitions: Set<string> },
    stillRequired: Set<string>,
  ): Promise<ManifestFile | undefined> {
    const { removes } = this.changes;
    if (!removes && stillRequired.size === 0) {
      return m.added_files_count + m.existing_files_count === 0 && m.added_snapshot_id !== this.snapshotId ? undefined : m;
    }
    const entries = await this.reader.entriesOf(m);
    const live = entries.filter((e) => e.status !== EntryStatus.Deleted);
    for (const e of live) stillRequired.delete(e.data_file.file_path);
    const gone = removes ? live.filter((e) => removes(e.data_file, m.partition_spec_id)) : [];
    if (live.length === 0) return undefined;
    if (gone.length === 0) return m;
    for (const e of gone) {
      const f = e.data_file;
      if (f.content === FileContent.Data) {
        removed.dataFiles++;
        removed.records += f.record_count;
      } else {
        removed.deleteFiles++;
        if (f.content === FileContent.PositionDeletes) removed.posDeletes += f.record_count;
        else removed.eqDeletes += f.record_count;
      }
      removed.size += f.file_size_in_bytes;
      removed.partitions.add(partitionKey(0, f.partition));
    }
    const goneSet = new Set(gone);
    const cached = this.rewritten.get(m.manifest_path);
    if (cached) return { ...cached, sequence_number: sequenceNumber };
    const spec = specById(base, m.partition_spec_id);
    if (!spec) throw new ValidationError(`manifest ${m.manifest_path} uses unknown partition spec ${m.partition_spec_id}`);
    const schema = currentSchema(base);
    const newEntries: ManifestEntry[] = live.map((e) => ({
      status: goneSet.has(e) ? EntryStatus.Deleted : EntryStatus.Existing,
      snapshot_id: goneSet.has(e) ? this.snapshotId : e.snapshot_id,
      sequence_number: e.sequence_number,
      file_sequence_number: e.file_sequence_number,
      data_file: e.data_file,
    }));
    const bytes = writeManifest({
      schema,
      spec,
      formatVersion: base['format-version'] >= 2 ? 2 : 1,
      content: m.content,
      snapshotId: this.snapshotId,
      entries: newEntries,
    });
    const path = `${metadataDir(base)}/${randomUUID()}-m-rewrite.avro`;
    await this.io.write(path, bytes);
    this.written.push(path);
    const file = manifestFileFor({
      path,
      length: bytes.length,
      spec,
      schema,
      content: m.content,
      sequenceNumber,
      snapshotId: this.snapshotId,
      entries: newEntries,
    });
    this.rewritten.set(m.manifest_path, file);
    return file;
  }

  /**
   * Keeps the manifest list short (as Java's MergingSnapshotProducer): when a spec and content has
   * at least `commit.manifest.min-count-to-merge` manifests (default 100), they are packed into
   * manifests of about `commit.manifest.target-size-bytes` (default 8 MB). Older entries become
   * EXISTING with their sequence numbers; files deleted by earlier snapshots are dropped.
   */
  private async mergeManifests(base: TableMetadata, manifests: ManifestFile[], sequenceNumber: number): Promise<ManifestFile[]> {
    const props = base.properties;
    if ((props['commit.manifest-merge.enabled'] ?? 'true') !== 'true') return manifests;
    const minCount = Math.max(2, Number(props['commit.manifest.min-count-to-merge'] ?? 100) || 100);
    const targetSize = Number(props['commit.manifest.target-size-bytes'] ?? 8 * 1024 * 1024) || 8 * 1024 * 1024;
    const groups = new Map<string, ManifestFile[]>();
    for (const m of manifests) {
      const key = `${m.content}:${m.partition_spec_id}`;
      const g = groups.get(key);
      if (g) g.push(m);
      else groups.set(key, [m]);
    }
    const out: ManifestFile[] = [];
    for (const group of groups.values()) {
      if (group.length < minCount) {
        out.push(...group);
        continue;
      }
      const spec = specById(base, group[0]!.partition_spec_id);
      if (!spec) {
        out.push(...group);
        continue;
      }
      // Bin-pack by manifest size, newest first, as the list orders them.
      const bins: ManifestFile[][] = [];
      let bin: ManifestFile[] = [];
      let size = 0;
      for (const m of group) {
        if (bin.length > 0 && size + m.manifest_length > targetSize) {
          bins.push(bin);
          bin = [];
          size = 0;
        }
        bin.push(m);
        size += m.manifest_length;
      }
      if (bin.length > 0) bins.push(bin);
      for (const b of bins) {
        if (b.length === 1) {
          out.push(b[0]!);
          continue;
        }
        const entries: ManifestEntry[] = [];
        for (const m of b) {
          const own = m.added_snapshot_id === this.snapshotId;
          for (const e of await this.reader.entriesOf(m)) {
            if (own) entries.push(e);
            else if (e.status !== EntryStatus.Deleted) entries.push({ ...e, status: EntryStatus.Existing });
          }
        }
        if (entries.length === 0) continue;
        const schema = currentSchema(base);
        const bytes = writeManifest({ schema, spec, formatVersion: base['format-version'] >= 2 ? 2 : 1, content: b[0]!.content, snapshotId: this.snapshotId, entries });
        const path = `${metadataDir(base)}/${randomUUID()}-m-merged.avro`;
        await this.io.write(path, bytes);
        this.written.push(path);
        out.push(manifestFileFor({ path, length: bytes.length, spec, schema, content: b[0]!.content, sequenceNumber, snapshotId: this.snapshotId, entries }));
      }
    }
    return out;
  }

  /** Rejects the commit when a snapshot committed since the operation's base conflicts with it. */
  private async validate(base: TableMetadata, parent: Snapshot | undefined): Promise<void> {
    const { changes } = this;
    const rowLevel = (changes.requiredFiles?.size ?? 0) > 0;
    if ((!changes.conflictsWith && !rowLevel && !changes.validateAdded) || !parent) return;
    if (parent['snapshot-id'] === changes.baseSnapshotId) return;
    for (const s of ancestorsOf(base, parent['snapshot-id'])) {
      if (s['snapshot-id'] === changes.baseSnapshotId) break;
      for (const m of await this.reader.manifestsOf(s, base)) {
        if (m.added_snapshot_id !== s['snapshot-id']) continue;
        for (const e of await this.reader.entriesOf(m)) {
          if (e.status !== EntryStatus.Added) continue;
          const f = e.data_file;
          changes.validateAdded?.(e, m.partition_spec_id, s);
          const ignoredEq = f.content === FileContent.EqualityDeletes && changes.addedDataSequenceNumber !== undefined;
          // A concurrent delete file may remove rows this change rewrote or re-inserted (both
          // isolation levels, as Java's validateNoConflictingDeleteFiles).
          if (rowLevel && f.content !== FileContent.Data && !ignoredEq && this.deleteTouches(f, changes.requiredFiles!)) {
            throw new CommitFailedError(
              `conflict: snapshot ${s['snapshot-id']} (${s.summary.operation}) added delete file ${f.file_path} for rows this ${changes.operation} changes`,
            );
          }
          // A `replace` snapshot (compaction) adds no new rows: its files never conflict as new
          // data (as Java's validateAddedDataFiles, which checks append and overwrite only).
          if (changes.conflictsWith && f.content === FileContent.Data && s.summary.operation !== 'replace' && changes.conflictsWith(f, m.partition_spec_id)) {
            throw new CommitFailedError(
              `conflict: snapshot ${s['snapshot-id']} (${s.summary.operation}) added ${f.file_path}, which this ${changes.operation} would have to replace`,
            );
          }
        }
      }
    }
    if (changes.baseSnapshotId !== undefined && !snapshotById(base, changes.baseSnapshotId)) {
      throw new CommitFailedError(`conflict: base snapshot ${changes.baseSnapshotId} no longer exists`);
    }
  }

  /** Whether a delete file may apply to one of `files` (position deletes name their data file when known). */
  private deleteTouches(f: DataFile, files: Set<string>): boolean {
    if (f.content !== FileContent.PositionDeletes) return true;
    if (f.referenced_data_file !== undefined) return files.has(f.referenced_data_file);
    // The file_path column's bounds (field 2147483546) bracket the data files it names.
    const lo = f.lower_bounds?.get(2147483546);
    const hi = f.upper_bounds?.get(2147483546);
    if (!lo || !hi) return true;
    const l = Buffer.from(lo);
    const h = Buffer.from(hi);
    return [...files].some((p) => {
      const b = Buffer.from(p, 'utf8');
      return Buffer.compare(l, b) <= 0 && Buffer.compare(b, h) <= 0;
    });
  }
}

function metadataDir(m: TableMetadata): string {
  return `${m.location.replace(/\/+$/, '')}/metadata`;
}

/** spec: "Snapshot summary" optional metrics, totals carried from the parent. */
function summarize(
  changes: SnapshotChanges,
  parent: Snapshot | undefined,
  removed: { dataFiles: number; deleteFiles: number; records: number; size: number; posDeletes: number; eqDeletes: number; partitions: Set<string> },
): Snapshot['summary'] {
  const added = {
    dataFiles: changes.addedDataFiles.length,
    records: sum(changes.addedDataFiles.map((f) => f.record_count)),
    size: sum([...changes.addedDataFiles, ...changes.addedDeleteFiles].map((f) => f.file_size_in_bytes)),
    deleteFiles: changes.addedDeleteFiles.length,
    posDeletes: sum(changes.addedDeleteFiles.filter((f) => f.content === FileContent.PositionDeletes).map((f) => f.record_count)),
    eqDeletes: sum(changes.addedDeleteFiles.filter((f) => f.content === FileContent.EqualityDeletes).map((f) => f.record_count)),
  };
  // Java's summary: partitions with files added or removed.
  const partitions = new Set([
    ...[...changes.addedDataFiles, ...changes.addedDeleteFiles].map((f) => partitionKey(0, f.partition)),
    ...removed.partitions,
  ]);
  const s: Record<string, string> = { operation: changes.operation };
  const put = (k: string, v: number): void => {
    if (v > 0) s[k] = String(v);
  };
  put('added-data-files', added.dataFiles);
  put('added-delete-files', added.deleteFiles);
  put('added-records', added.records);
  put('added-files-size', added.size);
  put('added-position-deletes', added.posDeletes);
  put('added-equality-deletes', added.eqDeletes);
  put('deleted-data-files', removed.dataFiles);
  put('removed-delete-files', removed.deleteFiles);
  put('deleted-records', removed.records);
  put('removed-files-size', removed.size);
  put('removed-position-deletes', removed.posDeletes);
  put('removed-equality-deletes', removed.eqDeletes);
  s['changed-partition-count'] = String(partitions.size);
  const prev: Record<string, string | undefined> = parent?.summary ?? {};
  const total = (key: string, delta: number): void => {
    if (parent && prev[key] === undefined) return;
    s[key] = String(Number(prev[key] ?? 0) + delta);
  };
  total('total-records', added.records - removed.records);
  total('total-files-size', added.size - removed.size);
  total('total-data-files', added.dataFiles - removed.dataFiles);
  total('total-delete-files', added.deleteFiles - removed.deleteFiles);
  total('total-position-deletes', added.posDeletes - removed.posDeletes);
  total('total-equality-deletes', added.eqDeletes - removed.eqDeletes);
  Object.assign(s, changes.extraSummary ?? {});
  return s as Snapshot['summary'];
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}
