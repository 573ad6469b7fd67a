import { UnsupportedError, ValidationError } from '../errors.js';
import { EntryStatus, FileContent } from '../manifest/types.js';
import { ancestorsOf, snapshotById, snapshotForRef } from '../spec/metadata.js';
import { MAIN_BRANCH } from '../spec/types.js';
import type { Statement } from './ast.js';
import type { SqlSession, StatementResult } from './session.js';
import { MAINTENANCE_PROCEDURES, callMaintenance } from './maintenance.js';

const PROCEDURES: Record<string, string[]> = {
  rollback_to_snapshot: ['table', 'snapshot_id'],
  rollback_to_timestamp: ['table', 'timestamp'],
  set_current_snapshot: ['table', 'snapshot_id'],
  fast_forward: ['table', 'branch', 'to'],
  cherrypick_snapshot: ['table', 'snapshot_id'],
  register_table: ['table', 'metadata_file'],
};

/** `CALL [catalog.]system.<procedure>(…)`: Spark's snapshot-management procedures. */
export async function callProcedure(session: SqlSession, stmt: Extract<Statement, { kind: 'call' }>): Promise<StatementResult> {
  const parts = stmt.procedure.map((p) => p.toLowerCase());
  const name = parts[parts.length - 1]!;
  if (parts.length < 2 || parts[parts.length - 2] !== 'system') throw new ValidationError(`procedures live in the system namespace: CALL system.${name}(…)`);
  const params = PROCEDURES[name] ?? MAINTENANCE_PROCEDURES[name];
  if (!params) throw new UnsupportedError(`unknown procedure system.${name} (known: ${[...Object.keys(PROCEDURES), ...Object.keys(MAINTENANCE_PROCEDURES)].join(', ')})`);
  const args: Record<string, string> = {};
  const raw: Record<string, string> = {};
  for (const [i, text] of stmt.args.positional.entries()) {
    if (i >= params.length) throw new ValidationError(`system.${name} takes ${params.length} arguments`);
    args[params[i]!] = await constant(session, text);
    raw[params[i]!] = text;
  }
  for (const [k, text] of Object.entries(stmt.args.named)) {
    if (!params.includes(k)) throw new ValidationError(`system.${name} has no parameter '${k}' (parameters: ${params.join(', ')})`);
    args[k] = await constant(session, text);
    raw[k] = text;
  }
  if (MAINTENANCE_PROCEDURES[name]) {
    if (args.table === undefined) throw new ValidationError(`system.${name} needs 'table'`);
    return callMaintenance(session, name, args);
  }
  for (const p of params) if (args[p] === undefined) throw new ValidationError(`system.${name} needs '${p}'`);
  if (name === 'register_table') return registerTable(session, args.table!, args.metadata_file!);
  const table = await session.loadTable(args.table!.split('.'));
  const id = (): bigint => {
    if (!/^\d+$/.test(args.snapshot_id!)) throw new ValidationError(`snapshot_id must be a snapshot id, not '${args.snapshot_id}'`);
    return BigInt(args.snapshot_id!);
  };
  const before = snapshotForRef(table.metadata, MAIN_BRANCH)?.['snapshot-id'] ?? null;
  let committed;
  switch (name) {
    case 'rollback_to_snapshot':
      committed = await table.newTransaction().rollbackTo(id()).commit();
      break;
    case 'rollback_to_timestamp': {
      // Spark: the snapshot that was current at that time, i.e. the newest ancestor of main committed at or before it.
      const at = await session.timestampMs(raw.timestamp!);
      const target = before === null ? undefined : ancestorsOf(table.metadata, before).find((s) => s['timestamp-ms'] <= at);
      if (!target) throw new ValidationError(`${table.name} has no ancestor of its current snapshot at or before ${new Date(at).toISOString()}`);
      committed = await table.newTransaction().rollbackTo(target['snapshot-id']).commit();
      break;
    }
    case 'set_current_snapshot':
      committed = await table.newTransaction().setCurrentSnapshot(id()).commit();
      break;
    case 'fast_forward':
      committed = await table.newTransaction().fastForward(args.branch!, args.to!).commit();
      break;
    case 'cherrypick_snapshot': {
      const snap = snapshotById(table.metadata, id());
      if (!snap) throw new ValidationError(`snapshot ${args.snapshot_id} does not exist in ${table.name}`);
      if (snap.summary.operation !== 'append') throw new UnsupportedError(`only append snapshots can be cherry-picked (snapshot ${snap['snapshot-id']} is a ${snap.summary.operation})`);
      const reader = table.context.reader;
      const files = [];
      for (const m of await reader.manifestsOf(snap, table.metadata)) {
        if (m.added_snapshot_id !== snap['snapshot-id']) continue;
        for (const e of await reader.entriesOf(m)) if (e.status === EntryStatus.Added && e.data_file.content === FileContent.Data) files.push(e.data_file);
      }
      committed = await table.newTransaction().appendFiles(files, { summary: { 'source-snapshot-id': String(snap['snapshot-id']) } }).commit();
      break;
    }
    default:
      throw new UnsupportedError(`unknown procedure system.${name}`);
  }
  const after = snapshotForRef(committed.metadata, name === 'fast_forward' ? args.branch! : MAIN_BRANCH)?.['snapshot-id'] ?? null;
  return {
    statement: 'call',
    columns: [
      { name: 'previous_snapshot_id', type: 'BIGINT' },
      { name: 'current_snapshot_id', type: 'BIGINT' },
    ],
    rows: [[before, after]],
    scans: [],
    message: `system.${name} on ${table.name}: ${before ?? 'none'} → ${after ?? 'none'}`,
  };
}

/**
 * Spark's `system.register_table(table, metadata_file)`: adds an existing table to the catalog by
 * its metadata file (nothing is copied or rewritten); returns Spark's columns.
 */
async function registerTable(session: SqlSession, name: string, metadataFile: string): Promise<StatementResult> {
  const id = session.identifier(name.split('.'));
  const location = metadataFile.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(metadataFile) ? metadataFile : `${process.cwd()}/${metadataFile}`;
  const loaded = await session.context.catalog.registerTable(id, location);
  const current = snapshotForRef(loaded.metadata, MAIN_BRANCH);
  const total = (key: string): bigint | null => {
    const v = current?.summary[key];
    return v === undefined ? null : BigInt(v);
  };
  return {
    statement: 'call',
    columns: [
      { name: 'current_snapshot_id', type: 'BIGINT' },
      { name: 'total_records_count', type: 'BIGINT' },
      { name: 'total_data_files_count', type: 'BIGINT' },
    ],
    rows: [[current?.['snapshot-id'] ?? null, total('total-records'), total('total-data-files')]],
    scans: [],
    message: `registered ${[...id.namespace, id.name].join('.')} from ${location}`,
  };
}

async function constant(session: SqlSession, expr: string): Promise<string> {
  const r = await session.context.engine.query(`SELECT CAST((${expr}) AS VARCHAR)`);
  const v = r.rows[0]?.[0];
  if (v === null || v === undefined) throw new ValidationError(`procedure argument ${expr} is NULL`);
  return String(v);
}
