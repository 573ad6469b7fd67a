import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { ROW_FILE, ROW_POS, scanSql } from '../engine/scan-view.js';
import { writeDataFiles, writePositionDeletes, type DeleteGroup } from '../engine/writer.js';
import { bind } from '../expr/bind.js';
import { metricsEvaluator, partitionEvaluator } from '../expr/evaluators.js';
import type { UnboundPredicate } from '../expr/predicate.js';
import type { DataFile } from '../manifest/types.js';
import { specById } from '../spec/metadata.js';
import type { Schema, TableMetadata } from '../spec/types.js';
import { identityPaths } from '../table/manifest-reader.js';
import { planScan } from '../table/scan.js';
import type { Transaction } from '../table/transaction.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { QueryText } from './ast.js';
import { extractScanFilters } from './filters.js';
import { KNOWN_PARTITION, keptPartitions } from './kept-partitions.js';
import type { SqlSession, StatementResult } from './session.js';

export interface RowLevelChange {
  kind: 'delete' | 'update';
  table: string[];
  alias?: string;
  where?: QueryText;
  /** UPDATE: column → new value (SQL over the target row). */
  assignments?: { column: string; value: QueryText }[];
}

type Mode = 'copy-on-write' | 'merge-on-read';

/**
 * DELETE and UPDATE on an Iceberg table. Files whose rows all match are dropped from the manifests
 * without writing anything; partially matching files are rewritten (copy-on-write) or get position
 * delete files (merge-on-read), per `write.delete.mode` / `write.update.mode`. The commit validates
 * against concurrent writers per `write.<op>.isolation-level` (serializable by default).
 */
export async function rowLevelChange(session: SqlSession, change: RowLevelChange): Promise<StatementResult> {
  const { engine, io } = session.context;
  const table = await session.loadTable(change.table);
  const branch = session.writeBranch();
  const ref = table.metadata.refs[branch];
  if (ref?.type === 'tag') throw new ValidationError(`cannot ${change.kind} rows of tag '${branch}': tags are read-only`);
  if (!ref && branch !== 'main') throw new NotFoundError(`branch '${branch}' of ${table.name} does not exist`);
  const mode = writeMode(table.properties, change.kind);
  const isolation = table.properties[`write.${change.kind}.isolation-level`] ?? 'serializable';
  const schema = table.schema();
  const alias = quoteIdent(change.alias ?? change.table[change.table.length - 1]!);
  for (const a of change.assignments ?? []) {
    if (!schema.fields.some((f) => f.name.toLowerCase() === a.column.toLowerCase())) {
      throw new ValidationError(`unknown column '${a.column}' in UPDATE of ${table.name}`);
    }
  }

  const releases: (() => Promise<void>)[] = [];
  const view = `__floe_target_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  try {
    const where = change.where ? await session.prepareQuery(change.where) : undefined;
    if (where) releases.push(where.release);
    const cond = where ? `(${where.sql}) IS TRUE` : 'true';
    const values: { column: string; sql: string }[] = [];
    for (const a of change.assignments ?? []) {
      const p = await session.prepareQuery(a.value);
      releases.push(p.release);
      values.push({ column: a.column, sql: p.sql });
    }

    // Plan the target scan pruned by the WHERE conjuncts that constrain the target alone.
    const probe = `SELECT 1 FROM ${view} AS ${alias} WHERE ${where ? where.sql : 'true'}`;
    const conjuncts = (await extractScanFilters(engine, probe, new Set([view]))).get(view) ?? [];
    const usable = conjuncts.filter((c) => bindsTo(schema, c));
    const filter = usable.length > 0 ? usable.reduce((a, b) => ({ op: 'and', left: a, right: b })) : undefined;
    const plan = await planScan(table.metadata, table.context.reader, {
      at: { kind: 'ref', name: branch in table.metadata.refs ? branch : 'main' },
      ...(filter ? { filter } : {}),
      caseSensitive: false,
    });
    await engine.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(view)} AS ${await scanSql(schema, plan.tasks, io, identityPaths, { rowIds: true, specs: table.metadata['partition-specs'], schemas: table.metadata.schemas, engine })}`);
    releases.push(() => engine.run(`DROP VIEW IF EXISTS ${quoteIdent(view)}`));

    const counts = await engine.query(
      `SELECT ${ROW_FILE}, count(*) FILTER (WHERE ${cond}) AS m, count(*) AS n FROM ${quoteIdent(view)} AS ${alias} GROUP BY 1`,
    );
    const whole = new Set<string>();
    const partial = new Set<string>();
    let matched = 0;
    for (const [file, m, n] of counts.rows) {
      const mm = Number(m);
      matched += mm;
      if (mm === 0) continue;
      if (mm === Number(n)) whole.add(String(file));
      else partial.add(String(file));
    }
    const verb = change.kind === 'delete' ? 'deleted' : 'updated';
    if (matched === 0) {
      return { statement: change.kind, columns: [{ name: `rows_${verb}`, type: 'BIGINT' }], rows: [[0n]], scans: [], message: `${verb} 0 rows in ${table.name}` };
    }
    const tasksByPath = new Map(plan.tasks.map((t) => [t.file.file_path, t]));
    const target = { schema, spec: table.spec(), sortOrder: table.sortOrder(), location: table.location, properties: table.properties };
    const columns = schema.fields.map((f) => quoteIdent(f.name));
    // Files are rewritten or get deletes from a view over just those files: filtering the whole
    // target by an IN list of paths costs a join over every row of the table.
    const tasksOf = (files: Set<string>): typeof plan.tasks => plan.tasks.filter((t) => files.has(t.file.file_path));
    const viewOf = async (files: Set<string>): Promise<string> => {
      const name = `${view}_${releases.length}`;
      await engine.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(name)} AS ${await scanSql(schema, tasksOf(files), io, identityPaths, { rowIds: true, specs: table.metadata['partition-specs'], engine })}`);
      releases.push(() => engine.run(`DROP VIEW IF EXISTS ${quoteIdent(name)}`));
      return quoteIdent(name);
    };
    const updated = schema.fields
      .map((f) => {
        const v = values.find((x) => x.column.toLowerCase() === f.name.toLowerCase());
        return v ? `(${v.sql}) AS ${quoteIdent(f.name)}` : `${alias}.${quoteIdent(f.name)}`;
      })
      .join(', ');

    const removed = new Set<string>();
    const added: DataFile[] = [];
    const addedDeletes: DataFile[] = [];
    const addedFileSpecs = new Map<string, number>();
    const affected = new Set([...whole, ...partial]);
    if (mode === 'copy-on-write') {
      for (const f of affected) removed.add(f);
      // Rows left unchanged keep their file's partition (updated rows may move and are computed).
      const rewritten = change.kind === 'delete' ? partial : affected;
      const kp = keptPartitions(tasksOf(rewritten), target.spec['spec-id'], alias);
      const knownSql = kp ? `, ${change.kind === 'delete' ? kp.index : `CASE WHEN ${cond} THEN NULL ELSE ${kp.index} END`} AS ${KNOWN_PARTITION}` : '';
      const from = `${await viewOf(rewritten)} AS ${alias} ${kp?.join ?? ''}`;
      const keep =
        change.kind === 'delete'
          ? `SELECT ${columns.map((c) => `${alias}.${c}`).join(', ')}${knownSql} FROM ${from} WHERE NOT (${cond})`
          : `SELECT ${schema.fields
              .map((f) => {
                const v = values.find((x) => x.column.toLowerCase() === f.name.toLowerCase());
                return v ? `CASE WHEN ${cond} THEN (${v.sql}) ELSE ${alias}.${quoteIdent(f.name)} END AS ${quoteIdent(f.name)}` : `${alias}.${quoteIdent(f.name)}`;
              })
              .join(', ')}${knownSql} FROM ${from}`;
      if (change.kind === 'update' || partial.size > 0) added.push(...(await writeDataFiles(engine, io, target, keep, kp ? { knownPartitions: kp.option } : {})));
    } else {
      for (const f of whole) removed.add(f);
      if (partial.size > 0) {
        const { groups, rows } = deleteGroups(table.metadata, partial, tasksByPath);
        const source = `SELECT ${ROW_FILE} AS file_path, ${ROW_POS} AS pos, g.__group FROM ${await viewOf(partial)} AS ${alias} JOIN (VALUES ${rows.join(', ')}) g(__gfile, __group) ON g.__gfile = ${ROW_FILE} WHERE ${cond}`;
        for (const d of await writePositionDeletes(engine, io, table.location, source, groups, schema)) {
          addedDeletes.push(d.file);
          addedFileSpecs.set(d.file.file_path, d.specId);
        }
      }
      if (change.kind === 'update') {
        added.push(...(await writeDataFiles(engine, io, target, `SELECT ${updated} FROM ${quoteIdent(view)} AS ${alias} WHERE ${cond}`)));
      }
    }

    const conflicts = isolation === 'serializable' ? conflictDetector(table.metadata, schema, filter) : undefined;
    const committed = await rowDelta(table.newTransaction(), { branch, added, addedDeletes, addedFileSpecs, removed, affected, ...(conflicts ? { conflicts } : {}), summary: session.snapshotSummary() }).commit();
    const snap = committed.metadata.refs[branch]?.['snapshot-id'];
    const how =
      mode === 'copy-on-write'
        ? `${removed.size} file(s) replaced, ${added.length} written`
        : `${whole.size} file(s) dropped, ${addedDeletes.length} delete file(s) written`;
    return {
      statement: change.kind,
      columns: [{ name: `rows_${verb}`, type: 'BIGINT' }],
      rows: [[BigInt(matched)]],
      scans: [{ table: table.name, metrics: plan.metrics }],
      message: `${verb} ${matched} row(s) in ${table.name} (${mode}: ${how}), snapshot ${snap}`,
    };
  } finally {
    for (const r of releases.reverse()) await r().catch(() => undefined);
  }
}

/**
 * Position-delete groups for data files: one per (spec, partition), so each delete file sits in
 * the partition of the data files it applies to. `rows` maps each data file to its group (VALUES).
 */
export function deleteGroups(
  metadata: TableMetadata,
  paths: Iterable<string>,
  tasksByPath: Map<string, { specId: number; file: DataFile }>,
): { groups: DeleteGroup[]; rows: string[] } {
  const groups: DeleteGroup[] = [];
  const groupOf = new Map<string, number>();
  const rows: string[] = [];
  for (const path of paths) {
    const task = tasksByPath.get(path)!;
    const key = `${task.specId}|${JSON.stringify(task.file.partition, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`;
    let g = groupOf.get(key);
    if (g === undefined) {
      g = groups.length;
      groups.push({ specId: task.specId, spec: specById(metadata, task.specId)!, partition: task.file.partition });
      groupOf.set(key, g);
    }
    rows.push(`(${quoteString(path)}, ${g})`);
  }
  return { groups, rows };
}

export interface RowDelta {
  branch: string;
  added: DataFile[];
  addedDeletes: DataFile[];
  addedFileSpecs: Map<string, number>;
  /** Data files replaced whole (copy-on-write) or dropped because every row went. */
  removed: Set<string>;
  /** Files the change read rows of: a concurrent removal of any is a conflict. */
  affected: Set<string>;
  conflicts?: (f: DataFile, specId: number) => boolean;
  /** Extra snapshot summary properties. */
  summary?: Record<string, string>;
}

/** Adds a row-level change (new data, delete files, removed files) to a transaction. */
export function rowDelta(tx: Transaction, d: RowDelta): Transaction {
  return tx.overwriteFiles({
    branch: d.branch,
    add: d.added,
    addDeletes: d.addedDeletes,
    addedFileSpecs: d.addedFileSpecs,
    removes: (f) => d.removed.has(f.file_path),
    requiredFiles: d.affected,
    ...(d.conflicts ? { conflictsWith: d.conflicts } : {}),
    ownsFiles: true,
    // As Java's row delta: only removals or delete files is a 'delete'; new data rows make it an 'overwrite'.
    operation: d.added.length === 0 ? 'delete' : 'overwrite',
    ...(d.summary ? { summary: d.summary } : {}),
  });
}

export function writeMode(props: Record<string, string>, kind: 'delete' | 'update' | 'merge'): Mode {
  const v = (props[`write.${kind}.mode`] ?? 'copy-on-write').toLowerCase();
  if (v !== 'copy-on-write' && v !== 'merge-on-read') {
    throw new ValidationError(`table property write.${kind}.mode must be copy-on-write or merge-on-read, not '${v}'`);
  }
  return v;
}

function bindsTo(schema: Schema, p: UnboundPredicate): boolean {
  try {
    bind(schema, p, false);
    return true;
  } catch {
    return false;
  }
}

/**
 * Serializable isolation: a data file added concurrently conflicts when it might hold rows the
 * condition matches (judged by its partition and column bounds; without a usable filter, any file).
 */
export function conflictDetector(
  metadata: TableMetadata,
  schema: Schema,
  filter: UnboundPredicate | undefined,
): (f: DataFile, specId: number) => boolean {
  if (!filter) return (f) => f.content === 0;
  const bound = bind(schema, filter, false);
  const metrics = metricsEvaluator(schema, bound);
  const byspec = new Map<number, (p: Record<string, unknown>) => boolean>();
  return (f, specId) => {
    if (f.content !== 0) return false;
    let ev = byspec.get(specId);
    if (!ev) {
      const spec = specById(metadata, specId);
      ev = spec && spec.fields.length > 0 ? partitionEvaluator(spec, schema, bound) : () => true;
      byspec.set(specId, ev);
    }
    return ev(f.partition) && metrics(f);
  };
}

