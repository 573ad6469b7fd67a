import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { SqlSession, SUMMARY_SETTING_PREFIX, type SourceRead, type StatementResult } from '../sql/session.js';
import { ancestorsOf, currentSnapshot } from '../spec/metadata.js';
import { MAIN_BRANCH, type TableMetadata } from '../spec/types.js';
import { IncrementalRangeError, planIncrementalAppendScan } from '../table/incremental-scan.js';
import type { Table } from '../table/table.js';
import type { Warehouse } from '../warehouse.js';
import { NotFoundError, ValidationError, errorMessage } from '../errors.js';
import { checkName, type ModelCheck } from './model-config.js';
import { ANALYTICS_NAMESPACE, type Model } from './models.js';
import type { RunRecord } from './runs.js';

/** Snapshot summary keys a model run writes on its target (lineage and run identity). */
export const SUMMARY_RUN_ID = 'floe.run.id';
export const SUMMARY_MODEL = 'floe.model';
export const SUMMARY_MODE = 'floe.run.mode';
/** `floe.source.<ns.t>` = the snapshot id of the source the run read up to. */
export const SUMMARY_SOURCE_PREFIX = 'floe.source.';
/** `floe.source-from.<ns.t>` = the snapshot id an incremental run read from (exclusive): with `floe.source.*`, the range read. */
export const SUMMARY_SOURCE_FROM_PREFIX = 'floe.source-from.';

/** What the last published run of a model consumed, read from its target's `main` ancestry. */
export function lastLineage(metadata: TableMetadata): { runId: string; snapshotId: bigint; sources: Map<string, bigint> } | undefined {
  const head = currentSnapshot(metadata);
  if (!head) return undefined;
  for (const s of ancestorsOf(metadata, head['snapshot-id'])) {
    const runId = s.summary[SUMMARY_RUN_ID];
    if (runId === undefined) continue;
    const sources = new Map<string, bigint>();
    for (const [k, v] of Object.entries(s.summary)) {
      if (k.startsWith(SUMMARY_SOURCE_PREFIX) && /^-?\d+$/.test(v)) sources.set(k.slice(SUMMARY_SOURCE_PREFIX.length), BigInt(v));
    }
    return { runId, snapshotId: s['snapshot-id'], sources };
  }
  return undefined;
}

export interface ModelRunContext {
  runId: string;
  /** Recompute incremental and merge models from every source row. */
  fullRefresh: boolean;
}

/**
 * Runs one model with write–audit–publish: the result is committed to branch `floe-run-<run id>`
 * of `analytics.<model>`, the model's checks run against that branch, and `main` is
 * fast-forwarded to it (and the branch dropped) in one commit only when every check passes.
 * Otherwise `main` is unchanged; the branch is kept for inspection when it holds the unpublished
 * result (`SELECT … FOR VERSION AS OF 'floe-run-…'`), and dropped when nothing was written to it.
 *
 * Sources are pinned at the snapshot each had when the run started; their ids are recorded in
 * the run's snapshot summary (`floe.source.<ns.t>`), and incremental/merge models read only the
 * rows appended to each incremental source after the ids the last published run recorded.
 */
export async function runModel(wh: Warehouse, model: Model, ctx: ModelRunContext): Promise<RunRecord> {
  const started = Date.now();
  const branch = `floe-run-${ctx.runId}`;
  const cfg = model.config;
  const record: RunRecord = {
    runId: ctx.runId,
    model: model.name,
    target: model.target,
    materialized: cfg.materialized,
    mode: 'full',
    status: 'failed',
    rowsWritten: 0,
    sources: {},
    scans: [],
    branch,
    branchKept: false,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationMs: 0,
  };
  const session = new SqlSession(wh.session.context);
  session.settings.set('floe.namespace', ANALYTICS_NAMESPACE);
  const targetSql = `${ANALYTICS_NAMESPACE}.${quoteIdent(model.name)}`;
  const wrapped = `SELECT * FROM (\n${model.body}\n) AS __floe_model`;
  let base: bigint | undefined;
  let target: Table | undefined;
  try {
    if (!(await wh.catalog.namespaceExists([ANALYTICS_NAMESPACE]))) await wh.catalog.createNamespace([ANALYTICS_NAMESPACE]);

    // Pin every source at its current snapshot: the lineage this run records.
    const heads = new Map<string, { table: Table; head: bigint | undefined }>();
    for (const label of model.reads) {
      const t = await loadIfExists(wh, label);
      if (!t) throw new NotFoundError(`model ${model.name} reads ${label}, which does not exist`);
      heads.set(label, { table: t, head: t.currentSnapshot()?.['snapshot-id'] });
    }
    const incremental = new Set(cfg.incrementalSources ?? model.reads);
    for (const s of incremental) {
      if (!heads.has(s)) throw new ValidationError(`model ${model.name}: incremental source ${s} is not read by its SELECT (it reads ${model.reads.join(', ') || 'no table'})`);
    }

    target = await loadIfExists(wh, model.target);
    const lineage = target ? lastLineage(target.metadata) : undefined;
    if (cfg.materialized !== 'table') {
      if (ctx.fullRefresh) record.note = 'full refresh requested';
      else if (!target) record.note = 'first run';
      else if (!lineage) record.note = `no earlier run recorded on ${model.target}`;
      else record.mode = 'incremental';
    }
    if (record.mode === 'incremental') {
      for (const label of incremental) {
        const { table, head } = heads.get(label)!;
        const from = lineage!.sources.get(label);
        try {
          await planIncrementalAppendScan(table.metadata, table.context.reader, { ...(from !== undefined ? { fromSnapshotId: from } : {}), ...(head !== undefined ? { toSnapshotId: head } : {}) });
        } catch (err) {
          if (!(err instanceof IncrementalRangeError)) throw err;
          if (cfg.onSourceChange !== 'full_refresh') {
            throw new ValidationError(`source ${label} cannot be read incrementally: ${err.message} (run with --full-refresh, or set on_source_change: full_refresh)`, { cause: err });
          }
          record.mode = 'full';
          record.note = `full refresh: source ${label}: ${err.message}`;
          break;
        }
      }
    }
    for (const [label, { head }] of heads) {
      const from = lineage?.sources.get(label);
      const read: SourceRead =
        record.mode === 'incremental' && incremental.has(label)
          ? { kind: 'appended', fromSnapshotId: from, toSnapshotId: head }
          : head !== undefined
            ? { kind: 'id', snapshotId: head }
            : { kind: 'current' };
      session.sourceReads.set(label, read);
      if (head !== undefined) record.sources[label] = String(head);
      if (read.kind === 'appended' && from !== undefined) (record.sourcesFrom ??= {})[label] = String(from);
    }

    if (!target) target = await createTarget(session, model, targetSql, wrapped);
    else await checkColumns(session, model, target, wrapped);
    const columns = new Set(target.schema().fields.map((f) => f.name.toLowerCase()));
    for (const k of cfg.uniqueKey ?? []) {
      if (!columns.has(k.toLowerCase())) throw new ValidationError(`model ${model.name}: unique_key column '${k}' is not a column of ${model.target}`);
    }
    if (!target.currentSnapshot()) target = await target.newTransaction().appendFiles([]).commit();
    base = target.currentSnapshot()!['snapshot-id'];
    target = await target
      .newTransaction()
      .apply(() => ({
        requirements: [{ type: 'assert-ref-snapshot-id', ref: branch, 'snapshot-id': null }],
        updates: [{ action: 'set-snapshot-ref', 'ref-name': branch, type: 'branch', 'snapshot-id': base! }],
      }))
      .commit();

    // Write: every commit of this session lands on the branch and carries the lineage.
    const summary: Record<string, string> = { [SUMMARY_RUN_ID]: ctx.runId, [SUMMARY_MODEL]: model.name, [SUMMARY_MODE]: record.mode };
    for (const [label, id] of Object.entries(record.sources)) summary[`${SUMMARY_SOURCE_PREFIX}${label}`] = id;
    for (const [label, id] of Object.entries(record.sourcesFrom ?? {})) summary[`${SUMMARY_SOURCE_FROM_PREFIX}${label}`] = id;
    session.settings.set('floe.branch', branch);
    for (const [k, v] of Object.entries(summary)) session.settings.set(`${SUMMARY_SETTING_PREFIX}${k}`, v);
    const result = await write(session, model, record.mode, targetSql, wrapped);
    record.rowsWritten = rowsWritten(result);
    const reads = new Set(model.reads);
    record.scans = result.scans
      .filter((s) => reads.has(s.table))
      .map((s) => ({ table: s.table, dataFilesSelected: s.metrics.dataFilesSelected, dataFilesTotal: s.metrics.dataFilesTotal }));
    target = await target.refresh();
    if (target.metadata.refs[branch]?.['snapshot-id'] === base) {
      // Nothing changed (e.g. a MERGE with no new rows): an empty commit still records the lineage.
      target = await target.newTransaction().appendFiles([], { branch, summary }).commit();
    }

    // Audit against the branch: the target's name now reads the run's result.
    session.sourceReads.set(model.target, { kind: 'ref', name: branch });
    for (const { check, name } of checksOf(model)) {
      let bad: number;
      try {
        const [r] = await session.execute(`SELECT count(*) FROM (\n${checkSql(check, targetSql)}\n) AS __floe_check`);
        bad = Number(r!.rows[0]![0]);
      } catch (err) {
        record.failedCheck = name;
        throw new ValidationError(`check ${name} could not run: ${errorMessage(err)}`, { cause: err });
      }
      if (bad > 0) {
        record.failedCheck = name;
        throw new ValidationError(`check ${name} failed: ${bad} row(s)`);
      }
    }

    // Publish: main jumps to the audited branch and the branch goes, in one atomic commit.
    const published = await (await target.refresh())
      .newTransaction()
      .fastForward(MAIN_BRANCH, branch)
      .apply(() => ({ updates: [{ action: 'remove-snapshot-ref', 'ref-name': branch }] }))
      .commit();
    record.snapshotId = String(published.currentSnapshot()!['snapshot-id']);
    record.status = 'success';
  } catch (err) {
    record.status = 'failed';
    record.error = errorMessage(err);
    if (base !== undefined && target) record.branchKept = await keepOrDropBranch(target, branch, base);
  } finally {
    const finished = Date.now();
    record.finishedAt = new Date(finished).toISOString();
    record.durationMs = finished - started;
  }
  return record;
}

/**
 * The checks a run audits, named. A merge model's unique_key must stay unique (a batch with a new
 * key twice would insert it twice), so it is checked unless the model already declares it.
 */
function checksOf(model: Model): { check: ModelCheck; name: string }[] {
  const out = model.config.checks.map((check, i) => ({ check, name: checkName(check, i) }));
  const key = model.config.uniqueKey;
  if (model.config.materialized === 'merge' && key) {
    const implied: ModelCheck = { kind: 'unique', columns: key };
    const name = checkName(implied, out.length);
    if (!out.some((c) => c.name === name)) out.push({ check: implied, name });
  }
  return out;
}

async function loadIfExists(wh: Warehouse, label: string): Promise<Table | undefined> {
  const parts = label.split('.');
  const id = { namespace: parts.slice(0, -1), name: parts[parts.length - 1]! };
  return (await wh.catalog.tableExists(id)) ? wh.loadTable(id) : undefined;
}

/** Creates the empty target with the model's columns, partitioning, properties and sort order. */
async function createTarget(session: SqlSession, model: Model, targetSql: string, wrapped: string): Promise<Table> {
  const cfg = model.config;
  const clauses = [`CREATE TABLE ${targetSql}`];
  if (cfg.partitionedBy.length > 0) clauses.push(`PARTITIONED BY (${cfg.partitionedBy.join(', ')})`);
  const props = Object.entries(cfg.properties);
  if (props.length > 0) clauses.push(`TBLPROPERTIES (${props.map(([k, v]) => `${quoteString(k)} = ${quoteString(v)}`).join(', ')})`);
  clauses.push(`AS ${wrapped} LIMIT 0`);
  await session.execute(clauses.join('\n'));
  if (cfg.sortedBy.length > 0) await session.execute(`ALTER TABLE ${targetSql} WRITE ORDERED BY ${cfg.sortedBy.join(', ')}`);
  return session.loadTable([ANALYTICS_NAMESPACE, model.name]);
}

/** INSERT writes by position: the SELECT must produce the target's columns in its order. */
async function checkColumns(session: SqlSession, model: Model, target: Table, wrapped: string): Promise<void> {
  const [r] = await session.execute(`${wrapped} LIMIT 0`);
  const selected = r!.columns.map((c) => c.name.toLowerCase());
  const existing = target.schema().fields.map((f) => f.name.toLowerCase());
  if (selected.join(',') !== existing.join(',')) {
    throw new ValidationError(
      `model ${model.name} selects (${selected.join(', ')}) but ${model.target} has (${existing.join(', ')}): evolve the table with ALTER TABLE, or drop it (DROP TABLE ${model.target}) to rebuild it`,
    );
  }
}

/** The one statement that writes the run's rows to the branch. */
async function write(session: SqlSession, model: Model, mode: RunRecord['mode'], targetSql: string, wrapped: string): Promise<StatementResult> {
  let sql: string;
  if (mode === 'full') {
    // CREATE OR REPLACE semantics in one commit: a static overwrite replaces every row.
    session.settings.set('floe.overwrite.mode', 'static');
    sql = `INSERT OVERWRITE ${targetSql} ${wrapped}`;
  } else if (model.config.materialized === 'merge') {
    const on = model.config.uniqueKey!.map((k) => `__floe_t.${quoteIdent(k)} = __floe_s.${quoteIdent(k)}`).join(' AND ');
    sql = `MERGE INTO ${targetSql} AS __floe_t USING (\n${model.body}\n) AS __floe_s ON ${on} WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *`;
  } else {
    sql = `INSERT INTO ${targetSql} ${wrapped}`;
  }
  const results = await session.execute(sql);
  return results[results.length - 1]!;
}

function rowsWritten(r: StatementResult): number {
  const row = r.rows[0] ?? [];
  if (r.statement === 'merge') return Number(row[0] ?? 0) + Number(row[2] ?? 0);
  return Number(row[0] ?? 0);
}

/** SQL returning the rows that violate a check (none when it holds). */
export function checkSql(check: ModelCheck, targetSql: string): string {
  switch (check.kind) {
    case 'sql':
      return check.sql.trim().replace(/;\s*$/, '');
    case 'not_null':
      return `SELECT * FROM ${targetSql} WHERE ${check.columns.map((c) => `${quoteIdent(c)} IS NULL`).join(' OR ')}`;
    case 'unique': {
      const cols = check.columns.map(quoteIdent).join(', ');
      // As dbt's unique test: NULL keys are not duplicates of each other.
      return `SELECT ${cols} FROM ${targetSql} WHERE ${check.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(' AND ')} GROUP BY ${cols} HAVING count(*) > 1`;
    }
    default: {
      const never: never = check;
      throw new Error(`unknown check ${String(never)}`);
    }
  }
}

/** After a failure: keep the branch when it holds unpublished commits, else drop it. */
async function keepOrDropBranch(target: Table, branch: string, base: bigint): Promise<boolean> {
  try {
    const t = await target.refresh();
    const ref = t.metadata.refs[branch];
    if (!ref) return false;
    if (ref['snapshot-id'] !== base) return true;
    await t.newTransaction().apply(() => ({ updates: [{ action: 'remove-snapshot-ref', 'ref-name': branch }] })).commit();
    return false;
  } catch {
    return true;
  }
}
