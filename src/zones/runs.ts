import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UnsupportedError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { isRemoteUri, joinPath } from '../io/paths.js';
import type { Materialization } from './model-config.js';

/**
 * Where the run log lives: a local warehouse folder (`_floe/runs.ndjson`, appended), or a remote
 * warehouse with its FileIO. Object storage cannot append, so there each record is its own object,
 * `_floe/runs/<run id>/<model>.json` (written put-if-absent; run ids are unique), read by listing.
 */
export type RunLogPlace = string | { root: string; io?: FileIO };

function remote(w: RunLogPlace): { root: string; io: FileIO } | undefined {
  return typeof w !== 'string' && w.io && isRemoteUri(w.root) ? { root: w.root, io: w.io } : undefined;
}

/** What one model run did; one line of `<warehouse>/_floe/runs.ndjson`. Snapshot ids are strings. */
export interface RunRecord {
  /** Shared by every model of one `floe run`. */
  runId: string;
  model: string;
  /** `analytics.<model>`. */
  target: string;
  materialized: Materialization;
  /** `full`: recomputed from every source row; `incremental`: only rows appended since the last run. */
  mode: 'full' | 'incremental';
  status: 'success' | 'failed' | 'skipped';
  rowsWritten: number;
  /** Lineage: each source table (`ns.t`) → the snapshot id it was read up to. */
  sources: Record<string, string>;
  /** Incremental sources → the snapshot id reading started after (exclusive); absent: from the start. */
  sourcesFrom?: Record<string, string>;
  /** Data files each source scan chose out of the files live in the snapshot read. */
  scans: { table: string; dataFilesSelected: number; dataFilesTotal: number }[];
  /** The snapshot `main` of the target points at after a successful run. */
  snapshotId?: string;
  /** The write–audit–publish branch of the run. */
  branch: string;
  /** Whether the branch was left on the table for inspection (failed checks). */
  branchKept: boolean;
  failedCheck?: string;
  /** Why a failed or skipped run did not publish. */
  error?: string;
  /** Why a model was recomputed in full (first run, --full-refresh, a source changed rows …). */
  note?: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

/** The run log's path: `<warehouse>/_floe/runs.ndjson`. */
export function runLogPath(warehouse: RunLogPlace): string {
  return join(typeof warehouse === 'string' ? warehouse : warehouse.root, '_floe', 'runs.ndjson');
}

/** Appends records to the run log (one JSON object per line; a line is written whole). */
export async function appendRunRecords(warehouse: RunLogPlace, records: RunRecord[]): Promise<void> {
  if (records.length === 0) return;
  const r = remote(warehouse);
  if (r) {
    for (const rec of records) {
      await r.io.writeIfAbsent(joinPath(r.root, '_floe', 'runs', rec.runId, `${rec.model}.json`), new Uint8Array(Buffer.from(JSON.stringify(rec))));
    }
    return;
  }
  if (typeof warehouse !== 'string' && isRemoteUri(warehouse.root)) throw new UnsupportedError(`the run log of ${warehouse.root} needs its FileIO`);
  const path = runLogPath(warehouse);
  await mkdir(join(path, '..'), { recursive: true });
  await appendFile(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}

/** Every record of the run log, oldest first; a torn last line (a crash mid-write) is ignored. */
export async function readRuns(warehouse: RunLogPlace): Promise<RunRecord[]> {
  const r = remote(warehouse);
  if (r) {
    const out: RunRecord[] = [];
    for await (const f of r.io.list(joinPath(r.root, '_floe', 'runs'))) {
      if (!f.path.endsWith('.json')) continue;
      out.push(JSON.parse(Buffer.from(await r.io.read(f.path)).toString('utf8')) as RunRecord);
    }
    return out.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.model.localeCompare(b.model));
  }
  let text: string;
  try {
    text = await readFile(runLogPath(warehouse), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RunRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as RunRecord);
    } catch {
      // A partial line from an interrupted append carries no complete record.
    }
  }
  return out;
}

/** The latest run of each model, most recent first (what `floe status` shows). */
export async function lastRuns(warehouse: RunLogPlace): Promise<RunRecord[]> {
  const latest = new Map<string, RunRecord>();
  for (const r of await readRuns(warehouse)) latest.set(r.model, r);
  return [...latest.values()].sort((a, b) => b.finishedAt.localeCompare(a.finishedAt) || a.model.localeCompare(b.model));
}
