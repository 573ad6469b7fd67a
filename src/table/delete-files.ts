import { errorMessage } from '../errors.js';
import { mapBounded } from '../io/bounded.js';
import type { FileIO } from '../io/file-io.js';

/** Progress of a long maintenance step: `done` of `total` units of `phase` (e.g. `delete`). */
export interface MaintenanceProgress {
  phase: string;
  done: number;
  total: number;
}

export type ProgressListener = (p: MaintenanceProgress) => void;

/** Default number of storage calls in flight during maintenance (reads and deletes). */
export const DEFAULT_CONCURRENCY = 32;


export interface DeleteFailure {
  path: string;
  error: string;
}

/**
 * Deletes `paths` with bounded parallelism, reporting progress every `step` files. A file that
 * cannot be deleted is recorded and the rest continue (it stays an orphan for a later run);
 * a missing file counts as deleted (FileIO.delete: not an error).
 */
export async function deleteFiles(
  io: FileIO,
  paths: readonly string[],
  options: { concurrency?: number; onProgress?: ProgressListener; phase?: string } = {},
): Promise<DeleteFailure[]> {
  const failures: DeleteFailure[] = [];
  const total = paths.length;
  const phase = options.phase ?? 'delete';
  const step = Math.max(1, Math.floor(total / 100));
  let done = 0;
  options.onProgress?.({ phase, done, total });
  await mapBounded(paths, options.concurrency ?? DEFAULT_CONCURRENCY, async (p) => {
    try {
      await io.delete(p);
    } catch (e) {
      failures.push({ path: p, error: errorMessage(e) });
    }
    done++;
    if (done % step === 0 || done === total) options.onProgress?.({ phase, done, total });
  });
  return failures;
}
