import type { DataFile } from '../manifest/types.js';
import { ancestorsOf, currentSchema, newSnapshotId, snapshotById, snapshotForRef } from '../spec/metadata.js';
import { maxFieldId } from '../spec/schema.js';
import { applyUpdates } from '../spec/updates.js';
import type {
  PartitionSpec,
  Schema,
  SortOrder,
  TableMetadata,
  TableRequirement,
  TableUpdate,
} from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import {
  CommitFailedError,
  CommitStateUnknownError,
  NotFoundError,
  ValidationError,
} from '../errors.js';
import { expirableSnapshots, retentionPolicy } from './expire.js';
import { SnapshotProducer, type SnapshotChanges } from './snapshot-producer.js';
import { Table } from './table.js';

/** One change inside a transaction, rebuilt against the latest base on every attempt. */
export interface Operation {
  build(base: TableMetadata): Promise<{ requirements: TableRequirement[]; updates: TableUpdate[] }>;
  /** Files written by attempts; deleted when the commit definitely failed. */
  writtenFiles(): string[];
}

/** A conflict found while re-basing: retrying cannot help. */
class ConflictError extends CommitFailedError {}

export interface AppendOptions {
  branch?: string;
  /** The data files were written for this commit: delete them if it fails for good. */
  ownsFiles?: boolean;
  summary?: Record<string, string>;
}

export interface OverwriteOptions {
  branch?: string;
  add: DataFile[];
  addDeletes?: DataFile[];
  /** Spec of added files not written with the default spec (file path → spec id). */
  addedFileSpecs?: Map<string, number>;
  /** Which live files of the parent snapshot to remove. */
  removes: (file: DataFile, specId: number) => boolean;
  /** A concurrently added file that invalidates this overwrite (serializable isolation). */
  conflictsWith?: (file: DataFile, specId: number) => boolean;
  /** Files this overwrite replaces; a concurrent removal of any of them is a conflict. */
  requiredFiles?: Set<string>;
  ownsFiles?: boolean;
  operation?: 'overwrite' | 'delete' | 'replace';
  /** Explicit data sequence number of the added data files (see SnapshotChanges). */
  dataSequenceNumber?: number;
  /** Extra validation of files added by concurrent snapshots (see SnapshotChanges). */
  validateAdded?: SnapshotChanges['validateAdded'];
  summary?: Record<string, string>;
}

/**
 * A set of changes committed atomically through the catalog: requirements + updates. Commits that
 * lose a race are re-based on the new head and retried with backoff when they do not conflict
 * (table properties `commit.retry.num-retries`, `commit.retry.min-wait-ms`, `commit.retry.max-wait-ms`).
 * Files written for a commit that definitely failed are deleted; after CommitStateUnknownError
 * nothing is deleted.
 */
export class Transaction {
  private readonly ops: Operation[] = [];
  private readonly owned: string[] = [];
  private readonly branches = new Set<string>();

  constructor(private readonly table: Table) {}

  setProperties(updates: Record<string, string>): this {
    this.ops.push(simple(() => [{ action: 'set-properties', updates }]));
    return this;
  }

  removeProperties(removals: string[]): this {
    this.ops.push(simple(() => [{ action: 'remove-properties', removals }]));
    return this;
  }

  /** Replaces the current schema with the result of `evolve` (which must keep field ids stable). */
  updateSchema(evolve: (current: Schema, metadata: TableMetadata) => Schema): this {
    this.ops.push({
      build: async (base) => {
        const current = currentSchema(base);
        const next = evolve(current, base);
        return {
          requirements: [
            { type: 'assert-current-schema-id', 'current-schema-id': base['current-schema-id'] },
            { type: 'assert-last-assigned-field-id', 'last-assigned-field-id': base['last-column-id'] },
          ],
          updates: [
            { action: 'add-schema', schema: next, 'last-column-id': Math.max(base['last-column-id'], maxFieldId(next)) },
            { action: 'set-current-schema', 'schema-id': -1 },
          ],
        };
      },
      writtenFiles: () => [],
    });
    return this;
  }

  /** Makes `evolve(current spec)` the default partition spec (partition evolution). */
  updateSpec(evolve: (current: PartitionSpec, metadata: TableMetadata) => PartitionSpec): this {
    this.ops.push({
      build: async (base) => {
        const current = base['partition-specs'].find((s) => s['spec-id'] === base['default-spec-id'])!;
        return {
          requirements: [
            { type: 'assert-default-spec-id', 'default-spec-id': base['default-spec-id'] },
            { type: 'assert-last-assigned-partition-id', 'last-assigned-partition-id': base['last-partition-id'] },
          ],
          updates: [
            { action: 'add-spec', spec: evolve(current, base) },
            { action: 'set-default-spec', 'spec-id': -1 },
          ],
        };
      },
      writtenFiles: () => [],
    });
    return this;
  }

  replaceSortOrder(order: SortOrder): this {
    this.ops.push(
      simple(() => [
        { action: 'add-sort-order', 'sort-order': order },
        { action: 'set-default-sort-order', 'sort-order-id': -1 },
      ]),
    );
    return this;
  }

  /** Adds data files in a new `append` snapshot. Appends never conflict, so they always re-base. */
  appendFiles(files: DataFile[], options: AppendOptions = {}): this {
    if (options.ownsFiles) this.owned.push(...files.map((f) => f.file_path));
    const branch = options.branch ?? MAIN_BRANCH;
    return this.snapshot({
      operation: 'append',
      branch,
      addedDataFiles: files,
      addedDeleteFiles: [],
      baseSnapshotId: snapshotForRef(this.table.metadata, branch)?.['snapshot-id'],
      extraSummary: options.summary,
    });
  }

  /** Removes and adds files in one snapshot, validating concurrent commits against `conflictsWith`. */
  overwriteFiles(options: OverwriteOptions): this {
    if (options.ownsFiles) this.owned.push(...[...options.add, ...(options.addDeletes ?? [])].map((f) => f.file_path));
    const branch = options.branch ?? MAIN_BRANCH;
    return this.snapshot({
      operation: options.operation ?? 'overwrite',
      branch,
      addedDataFiles: options.add,
      addedDeleteFiles: options.addDeletes ?? [],
      ...(options.addedFileSpecs ? { addedFileSpecs: options.addedFileSpecs } : {}),
      removes: options.removes,
      conflictsWith: options.conflictsWith,
      requiredFiles: options.requiredFiles,
      ...(options.dataSequenceNumber !== undefined ? { addedDataSequenceNumber: options.dataSequenceNumber } : {}),
      ...(options.validateAdded ? { validateAdded: options.validateAdded } : {}),
      baseSnapshotId: snapshotForRef(this.table.metadata, branch)?.['snapshot-id'],
      extraSummary: options.summary,
    });
  }

  /** Points `main` back at an ancestor of its current snapshot. */
  rollbackTo(snapshotId: bigint): this {
    this.ops.push({
      build: async (base) => {
        const target = snapshotById(base, snapshotId);
        if (!target) throw new NotFoundError(`snapshot ${snapshotId} does not exist in ${this.table.name}`);
        const head = snapshotForRef(base, MAIN_BRANCH);
        const isAncestor = head ? ancestorsOf(base, head['snapshot-id']).some((s) => s['snapshot-id'] === snapshotId) : false;
        if (!isAncestor) {
          throw new ValidationError(`snapshot ${snapshotId} is not an ancestor of the current snapshot of ${this.table.name}`);
        }
        return {
          requirements: [
            { type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, 'snapshot-id': head?.['snapshot-id'] ?? null },
          ],
          updates: [{ action: 'set-snapshot-ref', 'ref-name': MAIN_BRANCH, type: 'branch', 'snapshot-id': snapshotId }],
        };
      },
      writtenFiles: () => [],
    });
    return this;
  }

  /** Points `main` at any snapshot of the table (Spark's set_current_snapshot). */
  setCurrentSnapshot(snapshotId: bigint): this {
    this.ops.push({
      build: async (base) => {
        if (!snapshotById(base, snapshotId)) throw new NotFoundError(`snapshot ${snapshotId} does not exist in ${this.table.name}`);
        return {
          requirements: [{ type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, 'snapshot-id': snapshotForRef(base, MAIN_BRANCH)?.['snapshot-id'] ?? null }],
          updates: [{ action: 'set-snapshot-ref', 'ref-name': MAIN_BRANCH, type: 'branch', 'snapshot-id': snapshotId }],
        };
      },
      writtenFiles: () => [],
    });
    return this;
  }

  /**
   * Moves `branch` to the head of `to` when `branch`'s head is an ancestor of it (write–audit–publish:
   * publish an audited branch to main without rewriting anything).
   */
  fastForward(branch: string, to: string): this {
    this.ops.push({
      build: async (base) => {
        const target = snapshotForRef(base, to);
        if (!target) throw new NotFoundError(`branch '${to}' of ${this.table.name} does not exist`);
        if (base.refs[branch]?.type === 'tag') throw new ValidationError(`'${branch}' is a tag; only branches move`);
        const head = snapshotForRef(base, branch);
        if (head && !ancestorsOf(base, target['snapshot-id']).some((s) => s['snapshot-id'] === head['snapshot-id'])) {
          throw new ValidationError(`cannot fast-forward '${branch}' to '${to}': '${branch}' has commits that '${to}' does not`);
        }
        return {
          requirements: [{ type: 'assert-ref-snapshot-id', ref: branch, 'snapshot-id': head?.['snapshot-id'] ?? null }],
          updates: [{ action: 'set-snapshot-ref', 'ref-name': branch, type: 'branch', 'snapshot-id': target['snapshot-id'] }],
        };
      },
      writtenFiles: () => [],
    });
    return this;
  }

  /** Raw updates and requirements (for actions without a helper of their own). */
  apply(build: (base: TableMetadata) => { requirements?: TableRequirement[]; updates: TableUpdate[] }): this {
    this.ops.push({
      build: async (base) => {
        const r = build(base);
        return { requirements: r.requirements ?? [], updates: r.updates };
      },
      writtenFiles: () => [],
    });
    return this;
  }

  /** An operation of an action's own (e.g. a manifest rewrite), rebuilt on every attempt like the rest. */
  addOperation(op: Operation): this {
    this.ops.push(op);
    return this;
  }

  private snapshot(changes: SnapshotChanges): this {
    this.branches.add(changes.branch);
    const producer = new SnapshotProducer(this.table.context.io, this.table.context.reader, changes, newSnapshotId());
    this.ops.push({ build: (base) => producer.produce(base), writtenFiles: () => producer.written });
    return this;
  }

  async commit(): Promise<Table> {
    const { catalog } = this.table.context;
    const props = this.table.properties;
    const retries = intProp(props, 'commit.retry.num-retries', 4);
    const minWait = intProp(props, 'commit.retry.min-wait-ms', 100);
    const maxWait = intProp(props, 'commit.retry.max-wait-ms', 60_000);
    let base = this.table.metadata;
    for (let attempt = 0; ; attempt++) {
      let requirements: TableRequirement[] = [];
      const updates: TableUpdate[] = [];
      try {
        let meta = base;
        for (const op of this.ops) {
          const r = await op.build(meta);
          meta = applyUpdates(meta, r.updates);
          requirements.push(...r.requirements);
          updates.push(...r.updates);
        }
        requirements = dedupeRequirements(requirements);
        // Opt-in retention at commit time keeps metadata (and commit latency) bounded; the files
        // of expired snapshots are left for the expire/orphan maintenance actions to delete.
        if (meta.properties['floe.commit.expire-snapshots'] === 'true' && updates.some((u) => u.action === 'add-snapshot')) {
          const expired = expirableSnapshots(meta, Date.now(), retentionPolicy(meta.properties));
          if (expired.length > 0) updates.push({ action: 'remove-snapshots', 'snapshot-ids': expired });
        }
      } catch (err) {
        await this.cleanup();
        if (err instanceof CommitFailedError) throw new ConflictError(err.message, { cause: err });
        throw err;
      }
      try {
        const loaded = await catalog.commitTable(this.table.identifier, requirements, updates);
        const committed = new Table(this.table.context, loaded);
        await this.afterCommit(committed);
        return committed;
      } catch (err) {
        if (err instanceof CommitStateUnknownError) throw err;
        if (!(err instanceof CommitFailedError) || attempt >= retries) {
          await this.cleanup();
          if (err instanceof CommitFailedError && attempt >= retries) {
            throw new CommitFailedError(`${err.message} (gave up after ${attempt + 1} attempts)`, { cause: err });
          }
          throw err;
        }
        const wait = Math.min(maxWait, minWait * 2 ** attempt) * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, wait));
        base = (await catalog.loadTable(this.table.identifier)).metadata;
      }
    }
  }

  /** The context's post-commit hook per branch written; its failures never undo or fail the commit. */
  private async afterCommit(committed: Table): Promise<void> {
    const hook = committed.context.afterCommit;
    if (!hook) return;
    for (const branch of this.branches) {
      try {
        await hook(committed, branch);
      } catch {
        // The commit happened: a failing hook must not look like a failed commit (whose files
        // would be cleaned up), so it never throws out of here.
      }
    }
  }

  private async cleanup(): Promise<void> {
    const io = this.table.context.io;
    const files = [...this.owned, ...this.ops.flatMap((op) => op.writtenFiles())];
    await Promise.all(files.map((f) => io.delete(f).catch(() => undefined)));
  }
}

function simple(updates: () => TableUpdate[]): Operation {
  return { build: async () => ({ requirements: [], updates: updates() }), writtenFiles: () => [] };
}

/** Keeps the first requirement of each kind/ref: later ones were derived from the first's state. */
function dedupeRequirements(reqs: TableRequirement[]): TableRequirement[] {
  const seen = new Set<string>();
  return reqs.filter((r) => {
    const key = r.type === 'assert-ref-snapshot-id' ? `${r.type}:${r.ref}` : r.type;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function intProp(props: Record<string, string>, key: string, dflt: number): number {
  const v = props[key];
  if (v === undefined) return dflt;
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : dflt;
}
