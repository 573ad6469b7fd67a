import { runBuildingRight } from '../engine/build-side.js';
import { quoteIdent } from '../engine/duckdb.js';
import { ROW_FILE, ROW_POS, scanSql } from '../engine/scan-view.js';
import { sqlLiteral } from '../engine/types.js';
import { writeDataFiles, writePositionDeletes } from '../engine/writer.js';
import { ValidationError } from '../errors.js';
import type { DataFile } from '../manifest/types.js';
import { isPrimitive } from '../spec/schema.js';
import { fromJsonValue } from '../spec/values.js';
import { identityPaths } from '../table/manifest-reader.js';
import { planScan } from '../table/scan.js';
import type { QueryText, Statement } from './ast.js';
import { conflictDetector, deleteGroups, rowDelta, writeMode } from './dml.js';
import { KNOWN_PARTITION, UNKNOWN_PARTITION, keptPartitions } from './kept-partitions.js';
import type { SqlSession, StatementResult } from './session.js';

type Merge = Extract<Statement, { kind: 'merge' }>;

/**
 * MERGE INTO target USING source ON … WHEN [NOT] MATCHED [AND …] THEN UPDATE | DELETE | INSERT.
 * Clauses apply in order, the first whose condition holds; a target row matched by more than one
 * source row is an error (SQL standard), never updated twice. Changes are written copy-on-write
 * or merge-on-read per `write.merge.mode`, and commit with serializable validation.
 */
export async function merge(session: SqlSession, stmt: Merge): Promise<StatementResult> {
  const { engine, io } = session.context;
  const table = await session.loadTable(stmt.target);
  const branch = session.writeBranch();
  const ref = table.metadata.refs[branch];
  if (ref?.type === 'tag') throw new ValidationError(`cannot MERGE into tag '${branch}': tags are read-only`);
  const mode = writeMode(table.properties, 'merge');
  const schema = table.schema();
  const t = quoteIdent(stmt.targetAlias ?? stmt.target[stmt.target.length - 1]!);
  const sourceIsTable = stmt.source.refs.length === 1 && stmt.source.refs[0]!.start === 'SELECT * FROM '.length && stmt.source.refs[0]!.end === stmt.source.sql.length;
  const s = quoteIdent(stmt.sourceAlias ?? (sourceIsTable ? stmt.source.refs[0]!.name[stmt.source.refs[0]!.name.length - 1]! : 'source'));
  const n = Date.now() + Math.floor(Math.random() * 1e6);
  const view = `__floe_mt_${n}`;
  const src = `__floe_ms_${n}`;
  const joined = `__floe_mj_${n}`;
  const releases: (() => Promise<void>)[] = [];
  const sourceScans: StatementResult['scans'] = [];
  const prepare = async (q: QueryText): Promise<string> => {
    const p = await session.prepareQuery(q);
    releases.push(p.release);
    sourceScans.push(...p.scans);
    return p.sql;
  };
  try {
    const plan = await planScan(table.metadata, table.context.reader, { at: { kind: 'ref', name: branch in table.metadata.refs ? branch : 'main' } });
    await engine.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(view)} AS ${await scanSql(schema, plan.tasks, io, identityPaths, { rowIds: true, specs: table.metadata['partition-specs'], schemas: table.metadata.schemas, engine })}`);
    releases.push(() => engine.run(`DROP VIEW IF EXISTS ${quoteIdent(view)}`));
    await engine.run(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(src)} AS SELECT *, row_number() OVER () AS __floe_srow FROM (${await prepare(stmt.source)}) AS __src`);
    releases.push(() => engine.run(`DROP TABLE IF EXISTS ${quoteIdent(src)}`));

    const matched = `(${t}.${ROW_FILE} IS NOT NULL AND ${s}.__floe_srow IS NOT NULL)`;
    const unmatched = `(${t}.${ROW_FILE} IS NULL)`;
    const when: { code: number; guard: string; action: (typeof stmt.clauses)[number]['action'] }[] = [];
    for (const [i, c] of stmt.clauses.entries()) {
      const cond = c.condition ? ` AND ((${await prepare(c.condition)}) IS TRUE)` : '';
      when.push({ code: i + 1, guard: `${c.matched ? matched : unmatched}${cond}`, action: c.action });
    }
    const clauseSql = `CASE ${when.map((w) => `WHEN ${w.guard} THEN ${w.code}`).join(' ')} ELSE 0 END`;
    const sourceCols = new Set((await engine.query(`DESCRIBE ${quoteIdent(src)}`)).rows.map((r) => String(r[0]).toLowerCase()));

    // Each target column's new value under each clause that writes a row.
    const columnSql: string[] = [];
    for (const f of schema.fields) {
      const arms: string[] = [];
      for (const w of when) {
        const a = w.action;
        let value: string | undefined;
        if (a.type === 'update') {
          const set = a.assignments.find((x) => x.column.toLowerCase() === f.name.toLowerCase());
          value = set ? `(${await prepare(set.valueSql)})` : `${t}.${quoteIdent(f.name)}`;
        } else if (a.type === 'updateAll' || a.type === 'insertAll') {
          if (!sourceCols.has(f.name.toLowerCase())) throw new ValidationError(`MERGE ${a.type === 'updateAll' ? 'UPDATE SET *' : 'INSERT *'}: source has no column '${f.name}'`);
          value = `${s}.${quoteIdent(f.name)}`;
        } else if (a.type === 'insert') {
          const cols = a.columns ?? schema.fields.map((x) => x.name);
          if (cols.length !== a.values.length) throw new ValidationError(`MERGE INSERT has ${a.values.length} value(s) for ${cols.length} column(s)`);
          for (const c of cols) if (!schema.fields.some((x) => x.name.toLowerCase() === c.toLowerCase())) throw new ValidationError(`unknown column '${c}' in MERGE INSERT`);
          const k = cols.findIndex((c) => c.toLowerCase() === f.name.toLowerCase());
          const dflt = f['write-default'];
          value = k >= 0 ? `(${await prepare(a.values[k]!)})` : dflt !== undefined && dflt !== null && isPrimitive(f.type) ? sqlLiteral(f.type, fromJsonValue(f.type, dflt)) : 'NULL';
        }
        if (value !== undefined) arms.push(`WHEN ${w.code} THEN ${value}`);
      }
      columnSql.push(`${arms.length > 0 ? `CASE ${clauseSql} ${arms.join(' ')} END` : 'NULL'} AS ${quoteIdent(f.name)}`);
    }
    for (const w of when) {
      if (w.action.type === 'update') {
        for (const a of w.action.assignments) if (!schema.fields.some((x) => x.name.toLowerCase() === a.column.toLowerCase())) throw new ValidationError(`unknown column '${a.column}' in MERGE UPDATE of ${table.name}`);
      }
    }
    // The join hashes the smaller side: the source's row count is known, the target's is at most
    // its files' record counts (DuckDB's own estimate of the target scan is far too low).
    const sourceRows = Number((await engine.query(`SELECT count(*) FROM ${quoteIdent(src)}`)).rows[0]![0]);
    const targetRows = plan.tasks.reduce((n, x) => n + x.file.record_count, 0);
    const targetSide = `${quoteIdent(view)} AS ${t}`;
    const sourceSide = `${quoteIdent(src)} AS ${s}`;
    const [probe, build] = sourceRows <= targetRows ? [targetSide, sourceSide] : [sourceSide, targetSide];
    await runBuildingRight(
      engine,
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(joined)} AS SELECT * FROM (
         SELECT ${t}.${ROW_FILE} AS __f, ${t}.${ROW_POS} AS __p, ${s}.__floe_srow AS __srow, ${clauseSql} AS __c, ${columnSql.join(', ')}
         FROM ${probe} FULL OUTER JOIN ${build} ON (${await prepare(stmt.on)})
       ) AS __m WHERE __c > 0`,
    );
    releases.push(() => engine.run(`DROP TABLE IF EXISTS ${quoteIdent(joined)}`));

    const twice = await engine.query(`SELECT __f, __p, count(*) FROM ${quoteIdent(joined)} WHERE __f IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1 LIMIT 1`);
    if (twice.rows.length > 0) {
      throw new ValidationError(`MERGE matched one target row with ${String(twice.rows[0]![2])} source rows (row ${String(twice.rows[0]![1])} of ${String(twice.rows[0]![0])}); each target row may match at most one`);
    }
    const codes = (types: string[]): string => when.filter((w) => types.includes(w.action.type)).map((w) => w.code).join(', ') || '-1';
    const writes = codes(['update', 'updateAll', 'insert', 'insertAll']);
    const touches = codes(['update', 'updateAll', 'delete']);
    const stats = await engine.query(
      `SELECT count(*) FILTER (WHERE __c IN (${codes(['update', 'updateAll'])})), count(*) FILTER (WHERE __c IN (${codes(['delete'])})), count(*) FILTER (WHERE __c IN (${codes(['insert', 'insertAll'])})) FROM ${quoteIdent(joined)}`,
    );
    const [updated, deleted, inserted] = stats.rows[0]!.map((v) => Number(v));
    const affected = new Set((await engine.query(`SELECT DISTINCT __f FROM ${quoteIdent(joined)} WHERE __c IN (${touches})`)).rows.map((r) => String(r[0])));
    const cols = schema.fields.map((f) => quoteIdent(f.name)).join(', ');
    const target = { schema, spec: table.spec(), sortOrder: table.sortOrder(), location: table.location, properties: table.properties };

    const added: DataFile[] = [];
    const addedDeletes: DataFile[] = [];
    const addedFileSpecs = new Map<string, number>();
    const removed = new Set<string>();
    const newRows = `SELECT ${cols} FROM ${quoteIdent(joined)} WHERE __c IN (${writes})`;
    if (affected.size === 0) {
      if (inserted > 0) added.push(...(await writeDataFiles(engine, io, target, newRows)));
    } else if (mode === 'copy-on-write') {
      for (const f of affected) removed.add(f);
      // Only the affected files are read again, and the touched rows are a filter on (file, pos):
      // NOT IN hashes the small touched side (an anti join would be flipped onto the scan).
      const rewrite = `${view}_affected`;
      const affectedTasks = plan.tasks.filter((x) => affected.has(x.file.file_path));
      await engine.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(rewrite)} AS ${await scanSql(schema, affectedTasks, io, identityPaths, { rowIds: true, specs: table.metadata['partition-specs'], engine })}`);
      releases.push(() => engine.run(`DROP VIEW IF EXISTS ${quoteIdent(rewrite)}`));
      const kp = keptPartitions(affectedTasks, target.spec['spec-id'], '__v');
      const kept = `SELECT ${schema.fields.map((f) => `__v.${quoteIdent(f.name)}`).join(', ')}${kp ? `, ${kp.index} AS ${KNOWN_PARTITION}` : ''}
        FROM ${quoteIdent(rewrite)} AS __v ${kp?.join ?? ''}
        WHERE (__v.${ROW_FILE}, __v.${ROW_POS}) NOT IN (SELECT (__f, __p) FROM ${quoteIdent(joined)} WHERE __c IN (${touches}))`;
      const changed = kp ? `SELECT ${cols}, ${UNKNOWN_PARTITION} FROM ${quoteIdent(joined)} WHERE __c IN (${writes})` : newRows;
      added.push(...(await writeDataFiles(engine, io, target, `${kept} UNION ALL ${changed}`, kp ? { knownPartitions: kp.option } : {})));
    } else {
      const tasksByPath = new Map(plan.tasks.map((x) => [x.file.file_path, x]));
      const { groups, rows } = deleteGroups(table.metadata, affected, tasksByPath);
      const source = `SELECT j.__f AS file_path, j.__p AS pos, g.__group FROM ${quoteIdent(joined)} j JOIN (VALUES ${rows.join(', ')}) g(__gfile, __group) ON g.__gfile = j.__f WHERE j.__c IN (${touches})`;
      for (const d of await writePositionDeletes(engine, io, table.location, source, groups, schema)) {
        addedDeletes.push(d.file);
        addedFileSpecs.set(d.file.file_path, d.specId);
      }
      if (updated + inserted > 0) added.push(...(await writeDataFiles(engine, io, target, newRows)));
    }

    let snapshot: bigint | undefined;
    if (added.length + addedDeletes.length + removed.size > 0) {
      const tx = table.newTransaction();
      const summary = session.snapshotSummary();
      if (affected.size === 0) tx.appendFiles(added, { branch, ownsFiles: true, summary });
      else {
        const serializable = (table.properties['write.merge.isolation-level'] ?? 'serializable') === 'serializable';
        rowDelta(tx, { branch, added, addedDeletes, addedFileSpecs, removed, affected, ...(serializable ? { conflicts: conflictDetector(table.metadata, schema, undefined) } : {}), summary });
      }
      const committed = await tx.commit();
      snapshot = committed.metadata.refs[branch]?.['snapshot-id'];
    }
    return {
      statement: 'merge',
      columns: [
        { name: 'rows_updated', type: 'BIGINT' },
        { name: 'rows_deleted', type: 'BIGINT' },
        { name: 'rows_inserted', type: 'BIGINT' },
      ],
      rows: [[BigInt(updated!), BigInt(deleted!), BigInt(inserted!)]],
      scans: [{ table: table.name, metrics: plan.metrics }, ...sourceScans],
      message: `merged into ${table.name}: ${updated} updated, ${deleted} deleted, ${inserted} inserted (${mode})${snapshot !== undefined ? `, snapshot ${snapshot}` : ''}`,
    };
  } finally {
    for (const r of releases.reverse()) await r().catch(() => undefined);
  }
}
