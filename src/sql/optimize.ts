import type { DuckDBEngine } from '../engine/duckdb.js';
import { quoteIdent } from '../engine/duckdb.js';
import { bind } from '../expr/bind.js';
import { and, type UnboundPredicate } from '../expr/predicate.js';
import type { Schema } from '../spec/types.js';
import { rewriteDataFiles, type RewriteDataFilesResult } from '../table/rewrite-data.js';
import { ValidationError } from '../errors.js';
import type { Statement } from './ast.js';
import { extractScanFilters } from './filters.js';
import type { SqlSession, StatementResult } from './session.js';

/**
 * A SQL condition over a table's columns as a predicate that selects files by partition values and
 * column bounds. Conjuncts floe cannot evaluate on file metadata are left out; a condition with
 * none it can evaluate is rejected rather than silently selecting every file.
 */
export async function filePredicate(engine: DuckDBEngine, schema: Schema, where: string): Promise<UnboundPredicate> {
  const view = `__floe_optimize_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
  const probe = `SELECT 1 FROM ${quoteIdent(view)} WHERE ${where}`;
  const conjuncts = (await extractScanFilters(engine, probe, new Set([view]))).get(view) ?? [];
  const usable = conjuncts.filter((c) => {
    try {
      bind(schema, c, false);
      return true;
    } catch {
      return false;
    }
  });
  if (usable.length === 0) {
    throw new ValidationError(`cannot select files by WHERE ${where}: use comparisons of columns with constants (e.g. a partition column = value)`);
  }
  return and(...usable);
}

/** `OPTIMIZE t REWRITE DATA USING BIN_PACK [WHERE …]` (Athena): compaction of the write branch. */
export async function optimize(session: SqlSession, stmt: Extract<Statement, { kind: 'optimize' }>): Promise<StatementResult> {
  const table = await session.loadTable(stmt.name);
  const { engine } = session.context;
  const where = stmt.where ? await filePredicate(engine, table.schema(), stmt.where.sql) : undefined;
  const r = await rewriteDataFiles(table, {
    engine,
    branch: session.writeBranch(),
    caseSensitive: false,
    ...(where ? { where } : {}),
  });
  return {
    statement: 'optimize',
    ...compactionRows(r),
    scans: [],
    message:
      r.rewrittenDataFiles === 0
        ? `${table.name}: nothing to compact`
        : `compacted ${table.name}: ${r.rewrittenDataFiles} data file(s) rewritten into ${r.addedDataFiles}, ${r.removedDeleteFiles} delete file(s) removed, snapshot ${r.snapshotId}`,
  };
}

/** One result row describing a compaction (shared by SQL and the CLI). */
export function compactionRows(r: RewriteDataFilesResult): Pick<StatementResult, 'columns' | 'rows'> {
  return {
    columns: [
      { name: 'rewritten_data_files', type: 'BIGINT' },
      { name: 'added_data_files', type: 'BIGINT' },
      { name: 'removed_delete_files', type: 'BIGINT' },
      { name: 'rewritten_bytes', type: 'BIGINT' },
      { name: 'added_bytes', type: 'BIGINT' },
      { name: 'partitions', type: 'BIGINT' },
      { name: 'snapshot_id', type: 'BIGINT' },
    ],
    rows: [
      [
        BigInt(r.rewrittenDataFiles),
        BigInt(r.addedDataFiles),
        BigInt(r.removedDeleteFiles),
        BigInt(r.rewrittenBytes),
        BigInt(r.addedBytes),
        BigInt(r.groups.length),
        r.snapshotId ?? null,
      ],
    ],
  };
}
