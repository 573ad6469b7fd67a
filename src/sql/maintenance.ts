import { ValidationError } from '../errors.js';
import { expireSnapshots } from '../table/expire-snapshots.js';
import { removeOrphanFiles } from '../table/remove-orphans.js';
import { rewriteManifests } from '../table/rewrite-manifests.js';
import { vacuum } from '../table/vacuum.js';
import type { Statement } from './ast.js';
import type { SqlSession, StatementResult } from './session.js';

type Value = string | number | bigint | boolean | null;

function result(statement: Statement['kind'], columns: [string, string][], rows: Value[][], message: string): StatementResult {
  return { statement, columns: columns.map(([name, type]) => ({ name, type })), rows, scans: [], message };
}

/** `VACUUM t` (Athena): snapshot expiry by the table's retention properties, then orphan removal. */
export async function vacuumStatement(session: SqlSession, stmt: Extract<Statement, { kind: 'vacuum' }>): Promise<StatementResult> {
  const table = await session.loadTable(stmt.name);
  const { expiry, orphans } = await vacuum(table);
  const c = expiry.counts;
  return result(
    'vacuum',
    [
      ['expired_snapshots', 'BIGINT'],
      ['deleted_data_files', 'BIGINT'],
      ['deleted_delete_files', 'BIGINT'],
      ['deleted_manifests', 'BIGINT'],
      ['deleted_manifest_lists', 'BIGINT'],
      ['deleted_metadata_files', 'BIGINT'],
      ['deleted_orphan_files', 'BIGINT'],
      ['deleted_bytes', 'BIGINT'],
    ],
    [[expiry.expiredSnapshotIds.length, c.data, c.delete, c.manifest, c['manifest-list'], c.metadata, orphans.orphans.length, expiry.bytes + orphans.bytes]],
    `vacuumed ${table.name}: ${expiry.expiredSnapshotIds.length} snapshot(s) expired, ${expiry.files.length + orphans.orphans.length} file(s) deleted`,
  );
}

/** Spark's maintenance procedures and their parameters, in positional order. */
export const MAINTENANCE_PROCEDURES: Record<string, string[]> = {
  expire_snapshots: ['table', 'older_than', 'retain_last'],
  remove_orphan_files: ['table', 'older_than', 'dry_run'],
  rewrite_manifests: ['table'],
};

/**
 * `CALL system.expire_snapshots('ns.t', TIMESTAMP '…', retain_last)`,
 * `CALL system.remove_orphan_files('ns.t' [, older_than, dry_run])`, `CALL system.rewrite_manifests('ns.t')`.
 * `args` are the evaluated constants by parameter name.
 */
export async function callMaintenance(session: SqlSession, name: string, args: Record<string, string>): Promise<StatementResult> {
  const table = await session.loadTable(args.table!.split('.'));
  switch (name) {
    case 'expire_snapshots': {
      const r = await expireSnapshots(table, {
        ...(args.older_than !== undefined ? { olderThanMs: timestampMs(args.older_than) } : {}),
        ...(args.retain_last !== undefined ? { retainLast: Number(args.retain_last) } : {}),
      });
      const c = r.counts;
      return result(
        'call',
        [
          ['deleted_data_files_count', 'BIGINT'],
          ['deleted_delete_files_count', 'BIGINT'],
          ['deleted_manifest_files_count', 'BIGINT'],
          ['deleted_manifest_lists_count', 'BIGINT'],
          ['deleted_statistics_files_count', 'BIGINT'],
          ['deleted_metadata_files_count', 'BIGINT'],
        ],
        [[c.data, c.delete, c.manifest, c['manifest-list'], c.statistics, c.metadata]],
        `system.expire_snapshots on ${table.name}: ${r.expiredSnapshotIds.length} snapshot(s) expired`,
      );
    }
    case 'remove_orphan_files': {
      const dryRun = args.dry_run !== undefined && /^(true|1)$/i.test(args.dry_run);
      const r = await removeOrphanFiles(table, { ...(args.older_than !== undefined ? { olderThanMs: timestampMs(args.older_than) } : {}), dryRun });
      return result(
        'call',
        [['orphan_file_location', 'VARCHAR']],
        r.orphans.map((f) => [f.path]),
        `system.remove_orphan_files on ${table.name}: ${r.orphans.length} orphan file(s)${dryRun ? ' found' : ' deleted'}`,
      );
    }
    case 'rewrite_manifests': {
      const r = await rewriteManifests(table);
      return result(
        'call',
        [
          ['rewritten_manifests_count', 'BIGINT'],
          ['added_manifests_count', 'BIGINT'],
        ],
        [[r.replaced, r.written]],
        `system.rewrite_manifests on ${table.name}: ${r.replaced} manifest(s) rewritten into ${r.written}`,
      );
    }
    default:
      throw new ValidationError(`unknown maintenance procedure system.${name}`);
  }
}

/** A SQL timestamp's text as DuckDB casts it (`2024-01-02 03:04:05[.f][+hh[:mm]]`; no zone: UTC). */
function timestampMs(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (m) {
    let zone = m[3] ?? 'Z';
    if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
    else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`);
    if (Number.isFinite(ms)) return ms;
  }
  if (/^\d+$/.test(text)) return Number(text);
  throw new ValidationError(`older_than must be a timestamp, not '${text}'`);
}
