import { quoteIdent, quoteString } from '../engine/duckdb.js';
import { ROW_FILE } from '../engine/scan-view.js';
import type { WriteOptions } from '../engine/writer.js';
import type { FileScanTask } from '../table/scan.js';

/** The source column a rewrite's rows carry for the writer's `knownPartitions`. */
export const KNOWN_PARTITION = '__floe_known';

/**
 * A copy-on-write rewrite keeps most rows of the files it replaces unchanged; those read from a
 * data file of the spec being written keep that file's partition tuple (spec: a data file's
 * partition tuple holds for all its rows), so the writer need not compute it again. Gives the
 * LEFT JOIN (on the scan's ROW_FILE of `alias`) that yields each such row's tuple index as
 * `<join alias>.__k`, and the writer option; undefined when no file is of that spec.
 */
export function keptPartitions(
  tasks: FileScanTask[],
  specId: number,
  alias: string,
): { join: string; index: string; option: NonNullable<WriteOptions['knownPartitions']> } | undefined {
  const same = tasks.filter((t) => t.specId === specId);
  if (same.length === 0) return undefined;
  const rows = same.map((t, k) => `(${quoteString(t.file.file_path)}, ${k})`).join(', ');
  return {
    join: `LEFT JOIN (VALUES ${rows}) AS __kp(__path, __k) ON __kp.__path = ${alias}.${ROW_FILE}`,
    index: '__kp.__k',
    option: { column: KNOWN_PARTITION, tuples: same.map((t) => t.file.partition) },
  };
}

/** The `knownPartitions` column for rows whose partition must be computed. */
export const UNKNOWN_PARTITION = `CAST(NULL AS INTEGER) AS ${quoteIdent(KNOWN_PARTITION)}`;
