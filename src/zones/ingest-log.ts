import { z } from 'zod';
import { NotFoundError, UnsupportedError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { joinPath } from '../io/paths.js';

/** One raw object as the per-dataset ingest log records it (one NDJSON line per object). */
export const IngestRecordSchema = z.object({
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().nonnegative(),
  format: z.enum(['csv', 'json', 'parquet']),
  compression: z.enum(['none', 'gzip', 'zstd']),
  /** Path of the object relative to the dataset folder (`objects/ab/ab…cd.csv`). */
  object: z.string(),
  /** Where the bytes came from, as given to `floe ingest`. */
  source: z.string(),
  ingested_at: z.string(),
  user: z.string(),
  host: z.string(),
});
export type IngestRecord = z.infer<typeof IngestRecordSchema>;

/** A dataset's folder in the raw zone: `<warehouse>/raw/<dataset>`. */
export function rawDatasetPath(warehouse: string, dataset: string): string {
  return joinPath(warehouse, 'raw', dataset);
}

export function ingestLogPath(warehouse: string, dataset: string): string {
  return joinPath(rawDatasetPath(warehouse, dataset), 'ingest-log.ndjson');
}

/**
 * The log's records in the order they were first appended, one per checksum. Only complete
 * lines count: a line without its newline (a writer killed mid-append) or one that does not
 * parse is ignored, and a checksum logged twice (two concurrent ingests of the same content)
 * keeps its first record. The position of a record in this list is stable, because the log is
 * only ever appended to.
 */
export async function readIngestLog(io: FileIO, warehouse: string, dataset: string): Promise<IngestRecord[]> {
  let bytes: Uint8Array;
  try {
    bytes = await io.read(ingestLogPath(warehouse, dataset));
  } catch (e) {
    if (e instanceof NotFoundError) return [];
    throw e;
  }
  const text = Buffer.from(bytes).toString('utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const seen = new Set<string>();
  const out: IngestRecord[] = [];
  for (const line of complete.split('\n')) {
    if (line.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue;
    }
    const r = IngestRecordSchema.safeParse(parsed);
    if (!r.success || seen.has(r.data.sha256)) continue;
    seen.add(r.data.sha256);
    out.push(r.data);
  }
  return out;
}

/** Appends one record as one line in one write (the log is append-only; floe never rewrites it). */
export async function appendIngestRecord(io: FileIO, warehouse: string, dataset: string, record: IngestRecord): Promise<void> {
  if (!io.append) throw new UnsupportedError('this storage cannot append: the raw ingest log needs FileIO.append');
  // A torn previous line (killed writer) must not swallow this record: start on a fresh line.
  const path = ingestLogPath(warehouse, dataset);
  const st = await io.stat(path);
  let prefix = '';
  if (st && st.size > 0) {
    const all = await io.read(path);
    if (all[all.length - 1] !== 0x0a) prefix = '\n';
  }
  await io.append(path, new Uint8Array(Buffer.from(`${prefix}${JSON.stringify(IngestRecordSchema.parse(record))}\n`)));
}
