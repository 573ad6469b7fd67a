import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../errors.js';
import { joinPath } from '../io/paths.js';
import { manifestFileFor, writeManifest } from '../manifest/manifest.js';
import { writeManifestList } from '../manifest/manifest-list.js';
import type { ManifestEntry, ManifestFile, PartitionValues } from '../manifest/types.js';
import { EntryStatus, ManifestContent } from '../manifest/types.js';
import { currentSchema, newSnapshotId, snapshotForRef, specById } from '../spec/metadata.js';
import type { Snapshot, TableMetadata, TableRequirement, TableUpdate } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import type { ProgressListener } from './delete-files.js';
import type { ManifestReader } from './manifest-reader.js';
import type { Table } from './table.js';

/** Table property: size of the manifests a rewrite aims for (Iceberg default 8 MiB). */
export const MANIFEST_TARGET_SIZE = 'commit.manifest.target-size-bytes';
const DEFAULT_TARGET_SIZE = 8 * 1024 * 1024;

export interface RewriteManifestsOptions {
  /** Branch whose head is rewritten (default `main`). */
  branch?: string;
  /** Plan and report; write and commit nothing. */
  dryRun?: boolean;
  /** Overrides `commit.manifest.target-size-bytes`. */
  targetSizeBytes?: number;
  onProgress?: ProgressListener;
}

export interface RewriteManifestsResult {
  table: Table;
  dryRun: boolean;
  /** The `replace` snapshot committed (absent for a dry run or when nothing needed rewriting). */
  snapshotId?: bigint;
  /** Manifests of the head snapshot replaced by the rewrite. */
  replaced: number;
  /** Manifests the rewrite writes (dry run: would write). */
  written: number;
  /** Manifests carried over unchanged. */
  kept: number;
  /** Live entries moved into the new manifests. */
  entries: number;
}

/** One group of manifests rewritten together: same content (data or deletes) and partition spec. */
interface Group {
  content: ManifestContent;
  specId: number;
  manifests: ManifestFile[];
}

/**
 * Rewrites the head snapshot's manifests clustered by partition: per content (data manifests and
 * delete manifests apart) and partition spec, the live entries are sorted by partition value and
 * cut into manifests of about `commit.manifest.target-size-bytes`, so each manifest's partition
 * summary covers a narrow range and planning prunes whole manifests. Entries keep their status
 * as EXISTING with their snapshot ids and sequence numbers, so every row reads as before; the
 * result is committed as a `replace` snapshot (no data change). A group of one manifest without
 * deleted entries is kept as it is.
 */
export async function rewriteManifests(table: Table, options: RewriteManifestsOptions = {}): Promise<RewriteManifestsResult> {
  const branch = options.branch ?? MAIN_BRANCH;
  const targetSize = options.targetSizeBytes ?? Number(table.properties[MANIFEST_TARGET_SIZE] ?? DEFAULT_TARGET_SIZE);
  if (!Number.isFinite(targetSize) || targetSize <= 0) throw new ValidationError(`manifest target size must be a positive number of bytes, not ${targetSize}`);
  const reader = table.context.reader;
  if (table.metadata.refs[branch]?.type === 'tag') throw new ValidationError(`cannot rewrite manifests of tag '${branch}': tags are read-only`);
  const head = snapshotForRef(table.metadata, branch);
  if (!head) {
    if (branch !== MAIN_BRANCH) throw new NotFoundError(`branch '${branch}' of ${table.name} does not exist`);
    return { table, dryRun: options.dryRun ?? false, replaced: 0, written: 0, kept: 0, entries: 0 };
  }

  const preview = await planRewrite(reader, table.metadata, head, targetSize, options.onProgress);
  if (options.dryRun || preview.chunks.length === 0) {
    return { table, dryRun: options.dryRun ?? false, replaced: preview.replaced, written: preview.chunks.length, kept: preview.kept.length, entries: preview.entries };
  }

  const snapshotId = newSnapshotId();
  const attempts: string[][] = [];
  let last: { replaced: number; written: number; kept: number; entries: number; noop: boolean } = { replaced: 0, written: 0, kept: 0, entries: 0, noop: true };
  const tx = table.newTransaction().addOperation({
    build: async (base) => {
      const written: string[] = [];
      attempts.push(written);
      const parent = snapshotForRef(base, branch);
      if (!parent) throw new NotFoundError(`branch '${branch}' of ${table.name} no longer exists`);
      const plan = await planRewrite(reader, base, parent, targetSize, options.onProgress);
      last = { replaced: plan.replaced, written: plan.chunks.length, kept: plan.kept.length, entries: plan.entries, noop: plan.chunks.length === 0 };
      if (plan.chunks.length === 0) return { requirements: [], updates: [] };
      return commitPlan(table, base, parent, branch, snapshotId, plan, written);
    },
    writtenFiles: () => attempts.flat(),
  });
  const committed = await tx.commit();
  // Manifests of attempts that lost a race are referenced by nothing: delete them.
  const final = new Set(attempts[attempts.length - 1] ?? []);
  await Promise.all(attempts.flat().filter((p) => !final.has(p)).map((p) => table.context.io.delete(p).catch(() => undefined)));
  return {
    table: committed,
    dryRun: false,
    ...(last.noop ? {} : { snapshotId }),
    replaced: last.replaced,
    written: last.written,
    kept: last.kept,
    entries: last.entries,
  };
}

interface Plan {
  kept: ManifestFile[];
  /** Entries of each manifest to write, with its group. */
  chunks: { group: Group; entries: ManifestEntry[] }[];
  replaced: number;
  entries: number;
}

async function planRewrite(reader: ManifestReader, m: TableMetadata, head: Snapshot, targetSize: number, onProgress?: ProgressListener): Promise<Plan> {
  const groups = new Map<string, Group>();
  for (const mf of await reader.manifestsOf(head, m)) {
    const key = `${mf.content}:${mf.partition_spec_id}`;
    const g = groups.get(key);
    if (g) g.manifests.push(mf);
    else groups.set(key, { content: mf.content, specId: mf.partition_spec_id, manifests: [mf] });
  }
  const plan: Plan = { kept: [], chunks: [], replaced: 0, entries: 0 };
  const total = [...groups.values()].reduce((a, g) => a + g.manifests.length, 0);
  let done = 0;
  for (const group of groups.values()) {
    const only = group.manifests.length === 1 ? group.manifests[0]! : undefined;
    if (only && only.deleted_files_count === 0) {
      plan.kept.push(only);
      onProgress?.({ phase: 'read manifests', done: ++done, total });
      continue;
    }
    const entries: ManifestEntry[] = [];
    let bytes = 0;
    for (const mf of group.manifests) {
      for (const e of await reader.entriesOf(mf)) {
        if (e.status === EntryStatus.Deleted) continue;
        // Explicit ids and sequence numbers: the new manifest's own values must not be inherited.
        entries.push({ ...e, status: EntryStatus.Existing });
      }
      bytes += mf.manifest_length;
      onProgress?.({ phase: 'read manifests', done: ++done, total });
    }
    plan.replaced += group.manifests.length;
    plan.entries += entries.length;
    if (entries.length === 0) continue;
    entries.sort((a, b) => comparePartitions(a.data_file.partition, b.data_file.partition) || (a.data_file.file_path < b.data_file.file_path ? -1 : 1));
    // Size per entry as the group's existing manifests show it.
    const perEntry = Math.max(1, bytes / Math.max(1, group.manifests.reduce((a, mf) => a + mf.added_files_count + mf.existing_files_count + mf.deleted_files_count, 0)));
    const perManifest = Math.max(1, Math.floor(targetSize / perEntry));
    for (let i = 0; i < entries.length; i += perManifest) plan.chunks.push({ group, entries: entries.slice(i, i + perManifest) });
  }
  return plan;
}

async function commitPlan(
  table: Table,
  base: TableMetadata,
  parent: Snapshot,
  branch: string,
  snapshotId: bigint,
  plan: Plan,
  written: string[],
): Promise<{ requirements: TableRequirement[]; updates: TableUpdate[] }> {
  const io = table.context.io;
  const schema = currentSchema(base);
  const v2 = base['format-version'] >= 2;
  const sequenceNumber = v2 ? base['last-sequence-number'] + 1 : 0;
  const dir = joinPath(base.location, 'metadata');
  const manifests: ManifestFile[] = [];
  for (const [i, chunk] of plan.chunks.entries()) {
    const spec = specById(base, chunk.group.specId);
    if (!spec) throw new ValidationError(`manifest group uses unknown partition spec ${chunk.group.specId}`);
    const bytes = writeManifest({ schema, spec, formatVersion: v2 ? 2 : 1, content: chunk.group.content, snapshotId, entries: chunk.entries });
    const path = `${dir}/${randomUUID()}-m-rewritten-${i}.avro`;
    await io.write(path, bytes);
    written.push(path);
    manifests.push(manifestFileFor({ path, length: bytes.length, spec, schema, content: chunk.group.content, sequenceNumber, snapshotId, entries: chunk.entries }));
  }
  manifests.push(...plan.kept);
  const listBytes = writeManifestList(manifests, { snapshotId, parentSnapshotId: parent['snapshot-id'], sequenceNumber, formatVersion: v2 ? 2 : 1 });
  const listPath = `${dir}/snap-${snapshotId}-${written.length}-${randomUUID()}.avro`;
  await io.write(listPath, listBytes);
  written.push(listPath);

  // spec: "Snapshot summary" — totals carry over unchanged: a replace changes no rows.
  const summary: Snapshot['summary'] = { operation: 'replace' };
  for (const [k, v] of Object.entries(parent.summary)) if (k.startsWith('total-')) summary[k] = v;
  summary['manifests-created'] = String(plan.chunks.length);
  summary['manifests-replaced'] = String(plan.replaced);
  summary['manifests-kept'] = String(plan.kept.length);
  summary['entries-processed'] = String(plan.entries);
  const snapshot: Snapshot = {
    'snapshot-id': snapshotId,
    'parent-snapshot-id': parent['snapshot-id'],
    'sequence-number': sequenceNumber,
    'timestamp-ms': Math.max(Date.now(), base['last-updated-ms'] + 1),
    'manifest-list': listPath,
    summary,
    'schema-id': base['current-schema-id'],
  };
  const ref = base.refs[branch];
  return {
    requirements: [
      { type: 'assert-table-uuid', uuid: base['table-uuid'] },
      { type: 'assert-ref-snapshot-id', ref: branch, 'snapshot-id': parent['snapshot-id'] },
    ],
    updates: [
      { action: 'add-snapshot', snapshot },
      {
        action: 'set-snapshot-ref',
        'ref-name': branch,
        type: 'branch',
        'snapshot-id': snapshotId,
        ...(ref?.['min-snapshots-to-keep'] !== undefined ? { 'min-snapshots-to-keep': ref['min-snapshots-to-keep'] } : {}),
        ...(ref?.['max-snapshot-age-ms'] !== undefined ? { 'max-snapshot-age-ms': ref['max-snapshot-age-ms'] } : {}),
        ...(ref?.['max-ref-age-ms'] !== undefined ? { 'max-ref-age-ms': ref['max-ref-age-ms'] } : {}),
      },
    ],
  };
}

/** Orders partition tuples field by field: nulls first, numbers and bigints by value, bytes bytewise. */
function comparePartitions(a: PartitionValues, b: PartitionValues): number {
  for (const k of Object.keys(a)) {
    const c = compareValues(a[k], b[k]);
    if (c !== 0) return c;
  }
  return 0;
}

function compareValues(x: unknown, y: unknown): number {
  if (x === y) return 0;
  if (x === null || x === undefined) return -1;
  if (y === null || y === undefined) return 1;
  if ((typeof x === 'number' || typeof x === 'bigint') && (typeof y === 'number' || typeof y === 'bigint')) return x < y ? -1 : x > y ? 1 : 0;
  if (x instanceof Uint8Array && y instanceof Uint8Array) return Buffer.compare(x, y);
  const sx = String(x);
  const sy = String(y);
  return sx < sy ? -1 : sx > sy ? 1 : 0;
}
