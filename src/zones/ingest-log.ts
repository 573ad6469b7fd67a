import { z } from 'zod';
import { CommitFailedError, NotFoundError } from '../errors.js';
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
 * Storage that cannot append (S3: objects are immutable) keeps the log as one small object per
 * record, `ingest-log/<position, 20 digits>.json`, each written put-if-absent: a writer lists the
 * records, claims the next position with a conditional write, and on losing the race to another
 * writer lists again and claims the next one. A position once written never changes, so record
 * order (and with it every curated position) is as stable as the NDJSON file's; S3 lists keys in
 * order and is strongly consistent for list-after-write.
 */
export function ingestLogFolder(warehouse: string, dataset: string): string {
  return joinPath(rawDatasetPath(warehouse, dataset), 'ingest-log');
}

const SLOT = /\/ingest-log\/(\d{20})\.json$/;
const slotName = (n: number): string => `${String(n).padStart(20, '0')}.json`;

/** The log's lines: the NDJSON file (appendable storage) or the record objects in position order. */
async function logLines(io: FileIO, warehouse: string, dataset: string): Promise<string[]> {
  if (io.append) {
    let bytes: Uint8Array;
    try {
      bytes = await io.read(ingestLogPath(warehouse, dataset));
    } catch (e) {
      if (e instanceof NotFoundError) return [];
      throw e;
    }
    const text = Buffer.from(bytes).toString('utf8');
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n');
  }
  const slots: { n: number; path: string }[] = [];
  for await (const f of io.list(ingestLogFolder(warehouse, dataset))) {
    const m = SLOT.exec(f.path);
    if (m) slots.push({ n: Number(m[1]), path: f.path });
  }
  slots.sort((a, b) => a.n - b.n);
  return Promise.all(slots.map(async (s) => Buffer.from(await io.read(s.path)).toString('utf8')));
}

/**
 * The log's records in the order they were first appended, one per checksum. Only complete
 * lines count: a line without its newline (a writer killed mid-append) or one that does not
 * parse is ignored, and a checksum logged twice (two concurrent ingests of the same content)
 * keeps its first record. The position of a record in this list is stable, because the log is
 * only ever appended to.
 */
export async function readIngestLog(io: FileIO, warehouse: string, dataset: string): Promise<IngestRecord[]> {
  const seen = new Set<string>();
  const out: IngestRecord[] = [];
  for (const line of await logLines(io, warehouse, dataset)) {
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
  const line = `${JSON.stringify(IngestRecordSchema.parse(record))}\n`;
  if (!io.append) {
    await claimSlot(io, warehouse, dataset, new Uint8Array(Buffer.from(line)));
    return;
  }
  // A torn previous line (killed writer) must not swallow this record: start on a fresh line.
  const path = ingestLogPath(warehouse, dataset);
  const st = await io.stat(path);
  let prefix = '';
  if (st && st.size > 0) {
    const all = await io.read(path);
    if (all[all.length - 1] !== 0x0a) prefix = '\n';
  }
  await io.append(path, new Uint8Array(Buffer.from(`${prefix}${line}`)));
}

/** Writes a record object at the next free position (put-if-absent; a lost race lists again). */
async function claimSlot(io: FileIO, warehouse: string, dataset: string, body: Uint8Array): Promise<void> {
  const folder = ingestLogFolder(warehouse, dataset);
  for (let attempt = 0; attempt < 100; attempt++) {
    let next = 0;
    for await (const f of io.list(folder)) {
      const m = SLOT.exec(f.path);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
    if (await io.writeIfAbsent(joinPath(folder, slotName(next)), body)) return;
  }
  throw new CommitFailedError(`raw/${dataset}: could not claim an ingest-log position after 100 attempts (too many concurrent ingests)`);
}
