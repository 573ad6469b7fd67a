import type { DuckDBEngine } from '../engine/duckdb.js';
import { snapshotForRef } from '../spec/metadata.js';
import { rewriteDataFiles } from './rewrite-data.js';
import type { Table } from './table.js';

/**
 * Table property: after a commit, compact each partition of the written branch that has at least
 * this many small data files (an integer ≥ 2; unset or invalid: never). Files with deletes alone
 * do not trigger it, so merge-on-read tables keep their cheap deletes until a partition also
 * collects small files.
 */
export const AUTO_COMPACT_PROPERTY = 'floe.maintenance.compact.min-small-files';

/**
 * The post-commit hook (TableContext.afterCommit) running automatic compaction. It runs after the
 * commit succeeded; a compaction that fails (e.g. it lost a race) is left for the next commit.
 */
export function autoCompaction(engine: DuckDBEngine): (committed: Table, branch: string) => Promise<void> {
  return async (committed, branch) => {
    const raw = committed.properties[AUTO_COMPACT_PROPERTY];
    if (raw === undefined) return;
    const min = Number(raw);
    if (!Number.isInteger(min) || min < 2) return;
    const head = snapshotForRef(committed.metadata, branch);
    // A compaction's own commit does not trigger another one.
    if (!head || head.summary.operation === 'replace') return;
    // Cheap gate before planning: fewer live files than the threshold cannot fill a partition.
    const total = Number(head.summary['total-data-files'] ?? Number.NaN);
    if (Number.isFinite(total) && total < min) return;
    await rewriteDataFiles(committed, { engine, branch, minInputFiles: min, rewriteFilesWithDeletes: false });
  };
}
