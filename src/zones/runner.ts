import { randomBytes } from 'node:crypto';
import type { Warehouse } from '../warehouse.js';
import { loadModels, selectModels, type Model } from './models.js';
import { runModel } from './run-model.js';
import { appendRunRecords, type RunRecord } from './runs.js';

export interface RunOptions {
  /** Folder of `*.sql` models. */
  modelsDir: string;
  /** Model selection (`m`, `+m` with upstream, `m+` with downstream); empty: every model. */
  select?: string[];
  fullRefresh?: boolean;
  /** Called before each model (no record yet) and after it (with its record). */
  onProgress?: (event: { model: string; index: number; total: number; record?: RunRecord }) => void;
}

/** A run id that sorts by time: `20260101T120000-1a2b`. */
export function newRunId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}-${randomBytes(2).toString('hex')}`;
}

/**
 * Runs the selected models in dependency order, one after the other, each published on its own
 * (write–audit–publish per model). A model whose upstream failed or was skipped in this run is
 * skipped. Every record is appended to the run log as soon as its model finishes.
 */
export async function runModels(wh: Warehouse, options: RunOptions): Promise<RunRecord[]> {
  const models = selectModels(await loadModels(options.modelsDir), options.select ?? []);
  const runId = newRunId();
  const notDone = new Set<string>();
  const records: RunRecord[] = [];
  for (const [index, model] of models.entries()) {
    options.onProgress?.({ model: model.name, index, total: models.length });
    const blocked = model.dependsOn.find((d) => notDone.has(d));
    const record = blocked !== undefined ? skipped(model, runId, blocked) : await runModel(wh, model, { runId, fullRefresh: options.fullRefresh ?? false });
    if (record.status !== 'success') notDone.add(model.name);
    records.push(record);
    await appendRunRecords(wh, [record]);
    options.onProgress?.({ model: model.name, index: index + 1, total: models.length, record });
  }
  return records;
}

function skipped(model: Model, runId: string, upstream: string): RunRecord {
  const now = new Date().toISOString();
  return {
    runId,
    model: model.name,
    target: model.target,
    materialized: model.config.materialized,
    mode: 'full',
    status: 'skipped',
    rowsWritten: 0,
    sources: {},
    scans: [],
    branch: '',
    branchKept: false,
    error: `upstream model ${upstream} did not succeed`,
    startedAt: now,
    finishedAt: now,
    durationMs: 0,
  };
}
