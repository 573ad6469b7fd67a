import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { writeDataFiles, type WriteTarget } from '../engine/writer.js';
import { CommitFailedError, FloeError, NotFoundError, ValidationError } from '../errors.js';
import { FileContent, type DataFile } from '../manifest/types.js';
import { scanSql } from '../engine/scan-view.js';
import { identityPaths } from '../table/manifest-reader.js';
import { snapshotForRef } from '../spec/metadata.js';
import { isPrimitive } from '../spec/schema.js';
import type { NestedField, PartitionSpec, PrimitiveTypeName, Schema, SortOrder, TableIdentifier } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import { partitionFieldName, transformName } from '../sql/statements.js';
import type { Table } from '../table/table.js';
import type { Warehouse } from '../warehouse.js';
import type { Contract } from './contract.js';
import { strictStageType } from './exact-cast.js';
import { readIngestLog, type IngestRecord } from './ingest-log.js';
import { rawObjectPath } from './raw.js';
import { BAD, CHECKED, csvSourceColumns, dropStaged, SRC, stageBatch, type CsvTyping, type StagedBatch } from './stage.js';
import { curateCsvSinglePass, singlePassApplies } from './single-pass.js';
import { checkBatch, describeDrift, detectDrift, evolvedSchema, failedRowsSql, fastParseType, hasDrift, sourceAmong } from './validate.js';

/**
 * The curated zone: every raw batch (one ingest-log record) not yet curated becomes rows of
 * `curated.<dataset>`, rows failing the contract become rows of `curated.<dataset>__quarantine`.
 *
 * A batch is fully processed or not at all, across two tables without a multi-table commit:
 *  - Batches are curated in ingest-log order. Each table carries the number of log records it has
 *    taken in as a table property (`floe.curated.raw-log-position` / `floe.quarantine.raw-log-position`),
 *    set in the same atomic commit as the batch's files, and each snapshot's summary records its
 *    batch (`floe.raw-batch` = checksum, `floe.raw-log-position`) for lineage.
 *  - Quarantine rows commit first, the curated rows second: the curated commit is the batch's
 *    commit point. A crash in between leaves the batch pending (quarantine rows tagged with its
 *    checksum, curated rows absent); the rerun recomputes it (curation is deterministic), skips
 *    the quarantine commit because the quarantine position already passed it, and commits the
 *    curated rows. Nothing is applied twice.
 *  - Each commit re-checks the position against the table's latest metadata on every attempt
 *    (and asserts `main` did not move), so two curators racing on one batch cannot both apply it:
 *    the loser's commit fails and it moves on.
 * Positions live in table properties, not only in snapshot summaries, so expiring old snapshots
 * never makes a batch look new again.
 */

export const CURATED_POSITION = 'floe.curated.raw-log-position';
export const QUARANTINE_POSITION = 'floe.quarantine.raw-log-position';
export const CURATED_AT = 'floe.curated.last-batch-at';

export interface CurateOptions {
  now?: () => Date;
  /** DuckDB memory limit for curation (e.g. `512MB`); DuckDB spills to disk past it. */
  memoryLimit?: string;
  onBatch?: (done: number, total: number, record: IngestRecord) => void;
  /** false: stage every batch, never curate a CSV batch in one pass (single-pass.ts); default true. */
  singlePass?: boolean;
  /** Called as a batch passes each step (the kill-safety tests stop the process there). */
  onStep?: (step: CurateStep, position: number) => void | Promise<void>;
}

/**
 * A batch's steps: its good rows written (not committed), its quarantine rows written, the
 * quarantine commit, the curated commit (the batch's commit point).
 */
export type CurateStep = 'written' | 'quarantine-written' | 'quarantine-committed' | 'committed';

export type BatchStatus = 'curated' | 'rejected' | 'skipped';

/** How a curated batch was read: in one pass from the CSV (single-pass.ts), or staged first (stage.ts). */
export type BatchPath = 'single-pass' | 'staged';

export interface BatchResult {
  sha256: string;
  position: number;
  status: BatchStatus;
  path?: BatchPath;
  rowsIn: number;
  rowsCurated: number;
  rowsQuarantined: number;
  bytes: number;
  ms: number;
  message: string;
}

export function curatedId(dataset: string): TableIdentifier {
  return { namespace: ['curated'], name: dataset };
}

export function quarantineId(dataset: string): TableIdentifier {
  return { namespace: ['curated'], name: `${dataset}__quarantine` };
}

/** Quarantine rows: where a failing record came from, which rule it failed and why. */
export const QUARANTINE_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 1, name: 'raw_sha256', required: true, type: 'string' },
    { id: 2, name: 'raw_path', required: true, type: 'string' },
    { id: 3, name: 'line', required: false, type: 'long', doc: 'line in the raw file, for records the reader rejected' },
    { id: 4, name: 'row_number', required: false, type: 'long', doc: '1-based record number among the records the reader parsed' },
    { id: 5, name: 'rule', required: true, type: 'string' },
    { id: 6, name: 'reason', required: true, type: 'string' },
    { id: 7, name: 'raw_row', required: false, type: 'string', doc: 'the source record as JSON (CSV, Parquet) or its text' },
    { id: 8, name: 'batch_id', required: true, type: 'string', doc: 'the curation run that quarantined the row' },
    { id: 9, name: 'quarantined_at', required: true, type: 'timestamptz' },
  ],
};

function contractTableOptions(contract: Contract): { schema: Schema; partitionSpec: PartitionSpec; sortOrder: SortOrder } {
  const fields = contract.columns.map((c, i) => ({
    id: i + 1,
    name: c.name,
    required: !c.nullable,
    type: c.icebergType,
    ...(c.doc !== undefined ? { doc: c.doc } : {}),
  }));
  const byName = (n: string): number => fields.find((f) => f.name.toLowerCase() === n.toLowerCase())!.id;
  const schema: Schema = { type: 'struct', 'schema-id': 0, fields, ...(contract.keys.length > 0 ? { 'identifier-field-ids': contract.keys.map(byName) } : {}) };
  const partitionSpec: PartitionSpec = {
    'spec-id': 0,
    fields: contract.partitioning.map((t, i) => ({
      'source-id': byName(t.column),
      'field-id': 1000 + i,
      name: partitionFieldName({ ...t, column: fields.find((f) => f.id === byName(t.column))!.name }),
      transform: transformName(t),
    })),
  };
  const sortOrder: SortOrder = {
    'order-id': contract.sortOrder.length > 0 ? 1 : 0,
    fields: contract.sortOrder.map((s) => ({ transform: transformName(s.term), 'source-id': byName(s.term.column), direction: s.direction, 'null-order': s.nullOrder })),
  };
  return { schema, partitionSpec, sortOrder };
}

/** Loads or creates `curated.<dataset>` and its quarantine table. */
export async function ensureCuratedTables(wh: Warehouse, contract: Contract): Promise<{ curated: Table; quarantine: Table }> {
  if (!(await wh.catalog.namespaceExists(['curated']))) {
    await wh.catalog.createNamespace(['curated']).catch(async (e: unknown) => {
      if (!(await wh.catalog.namespaceExists(['curated']))) throw e;
    });
  }
  const open = async (id: TableIdentifier, create: () => Parameters<Warehouse['createTable']>[1]): Promise<Table> => {
    try {
      return await wh.loadTable(id);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      try {
        return await wh.createTable(id, create());
      } catch (err) {
        if (err instanceof FloeError && err.code === 'ALREADY_EXISTS') return wh.loadTable(id);
        throw err;
      }
    }
  };
  const curated = await open(curatedId(contract.dataset), () => ({
    ...contractTableOptions(contract),
    properties: { 'write.format.default': 'parquet', 'floe.zone': 'curated', [CURATED_POSITION]: '0' },
  }));
  const quarantine = await open(quarantineId(contract.dataset), () => ({
    schema: QUARANTINE_SCHEMA,
    properties: { 'write.format.default': 'parquet', 'floe.zone': 'quarantine', [QUARANTINE_POSITION]: '0' },
  }));
  return { curated, quarantine };
}

export function positionOf(table: Table, key: string): number {
  const n = Number(table.properties[key] ?? '0');
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

function targetOf(table: Table, schema: Schema): WriteTarget {
  return { schema, spec: table.spec(), sortOrder: table.sortOrder(), location: table.location, properties: table.properties };
}

/** A commit step that fails (for good) when another run already took batch `position` in. */
function guard(tx: ReturnType<Table['newTransaction']>, key: string, position: number, label: string): void {
  tx.apply((base) => {
    const current = Number(base.properties[key] ?? '0');
    if (current > position) throw new CommitFailedError(`${label}: raw batch ${position} was already committed by another run`);
    return {
      requirements: [{ type: 'assert-ref-snapshot-id', ref: MAIN_BRANCH, 'snapshot-id': snapshotForRef(base, MAIN_BRANCH)?.['snapshot-id'] ?? null }],
      updates: [],
    };
  });
}

/** Curates every pending raw batch of the contract's dataset, in ingest order; stops at the first rejected batch. */
export async function curate(wh: Warehouse, contract: Contract, options: CurateOptions = {}): Promise<BatchResult[]> {
  const log = await readIngestLog(wh.io, wh.root, contract.dataset);
  if (log.length === 0) throw new NotFoundError(`raw/${contract.dataset} has no ingested batches (floe ingest FILE… --into raw/${contract.dataset})`);
  let { curated, quarantine } = await ensureCuratedTables(wh, contract);
  // DuckDB's own spill folder, so a batch larger than memory_limit never fills the working directory.
  const spill = join(tmpdir(), `floe-duckdb-${process.pid}`);
  await mkdir(spill, { recursive: true });
  await wh.engine.run(`SET temp_directory = '${spill.replace(/'/g, "''")}'`);
  if (options.memoryLimit) await wh.engine.run(`SET memory_limit = '${options.memoryLimit.replace(/'/g, "''")}'`);
  const runId = randomUUID();
  const results: BatchResult[] = [];
  const start = positionOf(curated, CURATED_POSITION);
  const pending = log.slice(start);
  for (const [k, record] of pending.entries()) {
    const position = start + k;
    options.onBatch?.(k, pending.length, record);
    const t0 = performance.now();
    try {
      const r = await curateBatch(wh, contract, curated, quarantine, record, position, runId, options.now?.() ?? new Date(), options);
      curated = r.curated;
      quarantine = r.quarantine;
      results.push({ ...r.result, ms: performance.now() - t0 });
    } catch (e) {
      await dropStaged(wh.engine);
      if (e instanceof CommitFailedError && /already committed by another run/.test(e.message)) {
        curated = await curated.refresh();
        quarantine = await quarantine.refresh();
        results.push({ sha256: record.sha256, position, status: 'skipped', rowsIn: 0, rowsCurated: 0, rowsQuarantined: 0, bytes: record.bytes, ms: performance.now() - t0, message: e.message });
        continue;
      }
      const message = e instanceof Error ? e.message : String(e);
      results.push({ sha256: record.sha256, position, status: 'rejected', rowsIn: 0, rowsCurated: 0, rowsQuarantined: 0, bytes: record.bytes, ms: performance.now() - t0, message });
      break;
    }
  }
  options.onBatch?.(pending.length, pending.length, pending[pending.length - 1] ?? log[log.length - 1]!);
  return results;
}

async function curateBatch(
  wh: Warehouse,
  contract: Contract,
  curatedIn: Table,
  quarantineIn: Table,
  record: IngestRecord,
  position: number,
  runId: string,
  now: Date,
  options: CurateOptions,
): Promise<{ curated: Table; quarantine: Table; result: Omit<BatchResult, 'ms'> }> {
  let curated = curatedIn;
  const step = async (s: CurateStep): Promise<void> => options.onStep?.(s, position);
  let quarantine = quarantineIn;
  const engine = wh.engine;
  const rawPath = rawObjectPath({ root: wh.root, io: wh.io }, contract.dataset, record);
  const local = await wh.io.localPath(rawPath);
  const format = contract.source.format ?? record.format;
  const fail = (why: string): never => {
    throw new ValidationError(`raw batch ${record.sha256.slice(0, 12)} (${record.source}) rejected: ${why}`);
  };
  const summary = { 'floe.raw-batch': record.sha256, 'floe.raw-log-position': String(position), 'floe.curate-run': runId };
  const prefix = `c-${record.sha256.slice(0, 12)}-${Date.now()}`;
  const header = format === 'csv' ? await csvSourceColumns(engine, local, contract).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e))) : [];
  const typing = format === 'csv' ? csvTyping(header, contract, curated.schema()) : undefined;
  try {
    if (typing && options.singlePass !== false && singlePassApplies(contract, curated.schema(), header)) {
      await dropStaged(engine);
      const one = await curateCsvSinglePass(engine, wh.io, local, contract, targetOf(curated, curated.schema()), header, prefix, typing).catch((e: unknown) =>
        fail(e instanceof Error ? e.message : String(e)),
      );
      if (one) {
        const notes = one.missing.length > 0 ? `source lacks ${one.missing.join(', ')} (NULL)` : '';
        const rowsQuarantined = one.rowsFailed + one.unreadable;
        return await commitBatch(curated.schema(), one.data, one.failed, one.rowsCurated + rowsQuarantined, rowsQuarantined, notes, 'single-pass', one.goodSql);
      }
      await dropStaged(engine);
    }
    const staged = await stageBatch(engine, local, format, contract, typing).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    try {
      return await afterStaging(staged);
    } finally {
      await dropStaged(engine, staged);
    }
  } finally {
    await dropStaged(engine);
  }

  async function afterStaging(staged: StagedBatch): Promise<{ curated: Table; quarantine: Table; result: Omit<BatchResult, 'ms'> }> {
    const drift = await detectDrift(engine, staged, contract, curated.schema()).catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));
    let schema = curated.schema();
    if (hasDrift(drift)) {
      if (contract.drift === 'reject') fail(`schema drift (contract drift: reject): ${describeDrift(drift)}`);
      schema = evolvedSchema(schema, curated.metadata['last-column-id'], drift);
    }
    await checkBatch(engine, staged, contract, schema);
    const counts = await engine.query(`SELECT (SELECT count(*) FROM ${SRC}), (SELECT count(*) FROM ${BAD})`);
    const parsed = Number(counts.rows[0]![0]);
    const unreadable = Number(counts.rows[0]![1]);
    const rowsIn = parsed + unreadable;
    if (contract.onInvalid === 'reject') {
      const sample = await engine.query(
        `SELECT coalesce('line ' || line, 'row ' || row_number) || ': ' || rule || ': ' || reason, count(*) OVER () FROM (
           SELECT NULL::BIGINT AS line, __row AS row_number, __rule AS rule, __reason AS reason FROM ${CHECKED} WHERE __rule IS NOT NULL
           UNION ALL SELECT line, row_number, rule, reason FROM ${BAD}) ORDER BY coalesce(row_number, line) LIMIT 5`,
      );
      if (sample.rows.length > 0) {
        fail(`${String(sample.rows[0]![1])} invalid row(s) (contract onInvalid: reject); ${sample.rows.map((r) => String(r[0])).join('; ')}`);
      }
    }
    // Good rows are written first (not yet committed): their count tells how many rows failed, so
    // the checks run once per pass over the staged rows.
    const good = `SELECT ${schema.fields.map((f) => quoteIdent(f.name)).join(', ')} FROM ${CHECKED} WHERE __rule IS NULL`;
    const data = parsed > 0 ? await writeDataFiles(engine, wh.io, targetOf(curated, schema), good, { filePrefix: prefix }) : [];
    const rowsCurated = data.reduce((n, f) => n + Number(f.record_count), 0);
    const notes = [
      hasDrift(drift) ? `evolved: ${describeDrift(drift)}` : '',
      drift.missing.length > 0 ? `source lacks ${drift.missing.join(', ')} (NULL)` : '',
    ].filter((s) => s !== '');
    return commitBatch(schema, data, staged, rowsIn, parsed - rowsCurated + unreadable, notes.join('; '), 'staged', good);
  }

  /**
   * Commits a batch whose good rows are written (`data`, not yet committed): its quarantine rows
   * (`failed`: the staged batch's failing rows, or null for only the reader's rejects in
   * `__floe_bad`), then the curated rows.
   */
  async function commitBatch(
    schema: Schema,
    data: DataFile[],
    failed: StagedBatch | null,
    rowsIn: number,
    rowsQuarantined: number,
    message: string,
    path: BatchPath,
    goodSql?: string,
  ): Promise<{ curated: Table; quarantine: Table; result: Omit<BatchResult, 'ms'> }> {
    const target = targetOf(curated, schema);
    const written = [...data];
    try {
      await step('written');
      // 1. Quarantine rows (skipped when an earlier, interrupted run already committed them).
      if (rowsQuarantined > 0 && positionOf(quarantine, QUARANTINE_POSITION) <= position) {
        const at = now.toISOString();
        const rows = failed ? `SELECT NULL::BIGINT AS line, __row AS row_number, __rule AS rule, __reason AS reason, __raw AS raw FROM (${failedRowsSql(failed)}) UNION ALL ` : '';
        const q = `SELECT '${record.sha256}' AS raw_sha256, 'raw/${contract.dataset}/${record.object.replace(/'/g, "''")}' AS raw_path, line, row_number, rule, reason, raw AS raw_row,
            '${runId}' AS batch_id, TIMESTAMPTZ '${at}' AS quarantined_at FROM (
            ${rows}SELECT line, row_number, rule, coalesce(reason, 'unreadable record') AS reason, raw FROM ${BAD})`;
        const files = await writeDataFiles(engine, wh.io, targetOf(quarantine, quarantine.schema()), q, { filePrefix: `q-${record.sha256.slice(0, 12)}-${Date.now()}` });
        written.push(...files);
        await step('quarantine-written');
        const tx = quarantine.newTransaction();
        guard(tx, QUARANTINE_POSITION, position, quarantine.name);
        tx.appendFiles(files, { ownsFiles: true, summary }).setProperties({ [QUARANTINE_POSITION]: String(position + 1) });
        written.length = data.length; // committed (or of unknown outcome): the table owns them
        quarantine = await tx.commit();
        await step('quarantine-committed');
      }

      // 2. Curated rows: the batch's commit point (schema evolution, rows, position in one commit).
      // An upsert deletes only the keys the table already holds: a batch of new keys is a pure
      // append, so models reading the table incrementally stay incremental.
      const replaced = contract.mode === 'upsert' && data.length > 0 ? await replacedKeys(wh, curated, target, goodSql) : undefined;
      const tx = curated.newTransaction();
      guard(tx, CURATED_POSITION, position, curated.name);
      if (replaced) {
        // The replaced keys were read from this snapshot: a commit on top of another would miss keys.
        const read = replaced.snapshotId;
        tx.apply((base) => {
          const head = snapshotForRef(base, MAIN_BRANCH)?.['snapshot-id'] ?? null;
          if (head !== read) throw new CommitFailedError(`${curated.name}: the table changed after the upsert batch read its keys (snapshot ${String(read)} → ${String(head)})`);
          return { requirements: [], updates: [] };
        });
      }
      if (schema !== curated.schema()) tx.updateSchema(() => schema);
      if (data.length > 0) {
        if (replaced && replaced.count > 0) {
          const deletes = await equalityDeletes(wh, target, replaced.sql, prefix);
          written.push(...deletes);
          tx.overwriteFiles({ add: data, addDeletes: deletes, removes: () => false, ownsFiles: true, operation: 'overwrite', summary: { ...summary, [REPLACED_KEYS]: String(replaced.count) } });
        } else {
          tx.appendFiles(data, { ownsFiles: true, summary });
        }
      }
      tx.setProperties({ [CURATED_POSITION]: String(position + 1), [CURATED_AT]: now.toISOString() });
      written.length = 0; // from here the transaction owns the files (and keeps them after an unknown outcome)
      curated = await tx.commit();
      await step('committed');
    } catch (e) {
      await Promise.all(written.map((f) => wh.io.delete(f.file_path).catch(() => undefined)));
      throw e;
    } finally {
      await engine.run(`DROP TABLE IF EXISTS ${REPLACED}`);
    }
    const rowsCurated = data.reduce((n, f) => n + Number(f.record_count), 0);
    return {
      curated,
      quarantine,
      result: { sha256: record.sha256, position, status: 'curated', path, rowsIn, rowsCurated, rowsQuarantined, bytes: record.bytes, message },
    };
  }
}

/**
 * Each CSV source column feeding a (non-string) table column is staged typed, in a type wide
 * enough for drift: read by DuckDB's reader (fast parsing) or cast exactly from its text (strict).
 */
function csvTyping(names: string[], contract: Contract, schema: Schema): CsvTyping {
  const types = new Map<string, string>();
  const exact = new Map<string, PrimitiveTypeName>();
  const targets = new Map<string, string>();
  for (const f of schema.fields) {
    const src = sourceAmong(contract, f, names);
    if (src === undefined || !isPrimitive(f.type)) continue;
    types.set(src, fastParseType(f.type));
    if (f.type !== 'string') exact.set(src, strictStageType(f.type));
    targets.set(src, f.name);
  }
  if (contract.source.csv.parse === 'strict') return { kind: 'exact', typeOf: (n) => exact.get(n) };
  const rule = targets.size > 0 ? `CASE column_name ${[...targets].map(([s, t]) => `WHEN ${quoteString(s)} THEN ${quoteString(t)}`).join(' ')} ELSE column_name END` : 'column_name';
  return { kind: 'reader', typeOf: (n) => types.get(n), columnRule: rule };
}

/** Summary key of an upsert snapshot: how many of the batch's keys replaced rows. */
export const REPLACED_KEYS = 'floe.upsert.replaced-keys';

/**
 * The batch's keys that the curated table's current snapshot already holds (a semi-join of the
 * good rows' keys with the table's live rows), kept in a temp table; `snapshotId` is the
 * snapshot read.
 */
async function replacedKeys(wh: Warehouse, curated: Table, target: WriteTarget, goodSql: string | undefined): Promise<{ sql: string; count: number; snapshotId: bigint | null }> {
  if (goodSql === undefined) throw new Error('an upsert batch is curated by the staged path');
  const snapshotId = curated.currentSnapshot()?.['snapshot-id'] ?? null;
  const keys = keyFieldsOf(target.schema).map((f) => quoteIdent(f.name));
  const plan = await curated.planScan();
  const current = await scanSql(plan.schema, plan.tasks, curated.context.io, identityPaths, {
    specs: curated.metadata['partition-specs'],
    schemas: curated.metadata.schemas,
    engine: wh.engine,
  });
  await wh.engine.run(
    `CREATE OR REPLACE TEMP TABLE ${REPLACED} AS SELECT ${keys.map((k) => `g.${k}`).join(', ')} FROM (SELECT ${keys.join(', ')} FROM (${goodSql})) AS g
       SEMI JOIN (SELECT ${keys.join(', ')} FROM (${current})) AS c ON ${keys.map((k) => `g.${k} = c.${k}`).join(' AND ')}`,
  );
  const r = await wh.engine.query(`SELECT count(*) FROM ${REPLACED}`);
  return { sql: `SELECT * FROM ${REPLACED}`, count: Number(r.rows[0]![0]), snapshotId };
}

const REPLACED = '__floe_replaced_keys';

function keyFieldsOf(schema: Schema): NestedField[] {
  const ids = schema['identifier-field-ids'] ?? [];
  return ids.map((id) => schema.fields.find((f) => f.id === id)!);
}

/**
 * Equality delete files over the identifier fields (spec: equality deletes apply to data files
 * with a smaller data sequence number, so rows added in the same commit survive), in the key's
 * partition: the contract only allows partitioning by keys for upserts.
 */
async function equalityDeletes(wh: Warehouse, target: WriteTarget, good: string, prefix: string): Promise<DataFile[]> {
  const ids = target.schema['identifier-field-ids'] ?? [];
  const keyFields = ids.map((id) => target.schema.fields.find((f) => f.id === id)!);
  const keySchema: Schema = { type: 'struct', 'schema-id': target.schema['schema-id'], fields: keyFields };
  const keys = keyFields.map((f) => quoteIdent(f.name)).join(', ');
  const files = await writeDataFiles(wh.engine, wh.io, { ...target, schema: keySchema, sortOrder: { 'order-id': 0, fields: [] } }, `SELECT ${keys} FROM (${good})`, {
    filePrefix: `eq-delete-${prefix}`,
  });
  return files.map((f) => {
    const { sort_order_id: _unused, ...rest } = f;
    return { ...rest, content: FileContent.EqualityDeletes, equality_ids: ids };
  });
}
