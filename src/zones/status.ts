import { readdir } from 'node:fs/promises';
import type { ColumnInfo, SqlValue } from '../engine/duckdb.js';
import { NotFoundError } from '../errors.js';
import { isRemoteUri, toLocalPath } from '../io/paths.js';
import type { Table } from '../table/table.js';
import type { Warehouse } from '../warehouse.js';
import { CURATED_AT, CURATED_POSITION, curatedId, positionOf, quarantineId } from './curate.js';
import { readIngestLog } from './ingest-log.js';
import { lastRuns } from './runs.js';

/** One titled block of `floe status`: plain rows, rendered by the CLI in any output format. */
export interface StatusSection {
  title: string;
  columns: ColumnInfo[];
  rows: SqlValue[][];
}

/** Produces a section (or null when it has nothing to show). Zones add their own to `statusSources`. */
export type StatusSource = (wh: Warehouse) => Promise<StatusSection | null>;

/** Datasets with an ingest log under `<warehouse>/raw/`. */
export async function rawDatasets(wh: Warehouse): Promise<string[]> {
  if (isRemoteUri(wh.root)) {
    // Object storage has no folders: the datasets are the first key segments under raw/.
    const prefix = `${wh.root}/raw/`;
    const found = new Set<string>();
    for await (const f of wh.io.list(prefix)) {
      const name = f.path.slice(prefix.length).split('/')[0];
      if (name) found.add(name);
    }
    return [...found].sort();
  }
  let names: string[];
  try {
    names = (await readdir(toLocalPath(`${wh.root}/raw`), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
  return names.sort();
}

async function loadOrNull(wh: Warehouse, id: { namespace: string[]; name: string }): Promise<Table | null> {
  try {
    return await wh.loadTable(id);
  } catch (e) {
    if (e instanceof NotFoundError) return null;
    throw e;
  }
}

function totalRecords(t: Table | null): bigint | null {
  const s = t?.currentSnapshot()?.summary['total-records'];
  return s === undefined ? (t ? 0n : null) : BigInt(s);
}

const col = (name: string, type = 'VARCHAR'): ColumnInfo => ({ name, type });

/** Each dataset's raw batches and curated freshness. */
export async function rawAndCuratedStatus(wh: Warehouse): Promise<StatusSection> {
  const rows: SqlValue[][] = [];
  for (const dataset of await rawDatasets(wh)) {
    const log = await readIngestLog(wh.io, wh.root, dataset);
    const curated = await loadOrNull(wh, curatedId(dataset));
    const quarantine = await loadOrNull(wh, quarantineId(dataset));
    const position = curated ? positionOf(curated, CURATED_POSITION) : 0;
    const lastCurated = curated?.properties[CURATED_AT] ?? null;
    rows.push([
      dataset,
      BigInt(log.length),
      BigInt(log.reduce((a, r) => a + r.bytes, 0)),
      log.length > 0 ? log.reduce((a, r) => (r.ingested_at > a ? r.ingested_at : a), log[0]!.ingested_at) : null,
      curated ? curated.name : null,
      totalRecords(curated),
      lastCurated,
      BigInt(Math.max(0, log.length - position)),
      totalRecords(quarantine),
    ]);
  }
  return {
    title: 'raw and curated',
    columns: [
      col('dataset'),
      col('raw_batches', 'BIGINT'),
      col('raw_bytes', 'BIGINT'),
      col('last_ingest'),
      col('curated_table'),
      col('curated_rows', 'BIGINT'),
      col('last_curated'),
      col('pending_batches', 'BIGINT'),
      col('quarantined_rows', 'BIGINT'),
    ],
    rows,
  };
}

/** Each analytics model's last run (from the run log) and its table's freshness; null before any run. */
export async function analyticsStatus(wh: Warehouse): Promise<StatusSection | null> {
  const runs = await lastRuns(wh);
  if (runs.length === 0) return null;
  const rows: SqlValue[][] = [];
  for (const r of runs) {
    const [namespace, name] = splitTarget(r.target);
    const target = namespace === undefined ? null : await loadOrNull(wh, { namespace: [namespace], name });
    const current = target?.currentSnapshot();
    rows.push([
      r.model,
      r.target,
      r.status,
      r.mode,
      BigInt(r.rowsWritten),
      r.finishedAt,
      current ? new Date(Number(current['timestamp-ms'])).toISOString() : null,
      totalRecords(target),
      Object.entries(r.sources).map(([t, id]) => `${t}@${id}`).join(' ') || null,
      r.failedCheck ?? r.error ?? r.note ?? null,
    ]);
  }
  return {
    title: 'analytics models (last run)',
    columns: [
      col('model'),
      col('table'),
      col('status'),
      col('mode'),
      col('rows_written', 'BIGINT'),
      col('finished_at'),
      col('table_updated_at'),
      col('table_rows', 'BIGINT'),
      col('sources'),
      col('detail'),
    ],
    rows,
  };
}

function splitTarget(target: string): [string | undefined, string] {
  const dot = target.lastIndexOf('.');
  return dot < 0 ? [undefined, target] : [target.slice(0, dot), target.slice(dot + 1)];
}

/** The sections of `floe status`, in order. */
export const statusSources: StatusSource[] = [rawAndCuratedStatus, analyticsStatus];

export async function gatherStatus(wh: Warehouse, sources: StatusSource[] = statusSources): Promise<StatusSection[]> {
  const out: StatusSection[] = [];
  for (const s of sources) {
    const section = await s(wh);
    if (section) out.push(section);
  }
  return out;
}
