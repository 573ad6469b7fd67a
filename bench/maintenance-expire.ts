/**
 * Snapshot expiry at scale (issue 5): a table with BENCH_EXPIRE_SNAPSHOTS (default 10,000)
 * snapshots, each replacing the previous one's data file (real Parquet files, real Avro manifests
 * and manifest lists written with floe's writers), expired down to the last snapshot. Reports
 * files deleted per second, against plain `fs.rm` of as many files with the same parallelism.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Warehouse } from '../src/index.js';
import { manifestFileFor, writeManifest } from '../src/manifest/manifest.js';
import { writeManifestList } from '../src/manifest/manifest-list.js';
import type { DataFile, ManifestEntry } from '../src/manifest/types.js';
import { EntryStatus, ManifestContent } from '../src/manifest/types.js';
import { newSnapshotId } from '../src/spec/metadata.js';
import type { Snapshot, TableUpdate } from '../src/spec/types.js';
import { mapBounded } from '../src/io/bounded.js';
import { DEFAULT_CONCURRENCY } from '../src/table/delete-files.js';
import { expireSnapshots } from '../src/table/expire-snapshots.js';
import { line } from './report.js';

const SNAPSHOTS = Number(process.env['BENCH_EXPIRE_SNAPSHOTS'] ?? 10_000);

export async function maintenanceExpire(wh: Warehouse, dir: string): Promise<void> {
  console.log(`\n# snapshot expiry (${SNAPSHOTS.toLocaleString()} snapshots, each replacing one data file)`);
  await wh.sql(`CREATE NAMESPACE IF NOT EXISTS bexp`);
  await wh.sql(`CREATE TABLE bexp.t (id BIGINT)`);
  let table = await wh.loadTable('bexp.t');
  const [template] = await wh.writeFiles(table, 'SELECT 1::BIGINT AS id');
  const source = template!.file_path.replace(/^file:\/\//, '');
  const dataDir = join(table.location, 'data');
  const metaDir = join(table.location, 'metadata');
  const t0 = performance.now();
  const files: DataFile[] = await mapBounded(Array.from({ length: SNAPSHOTS }, (_, i) => i), DEFAULT_CONCURRENCY, async (i) => {
    const path = join(dataDir, `bench-${i}.parquet`);
    await copyFile(source, path);
    return { ...template!, file_path: path };
  });

  const schema = table.schema();
  const spec = table.spec();
  const ids = Array.from({ length: SNAPSHOTS }, () => newSnapshotId());
  const start = Date.now() - SNAPSHOTS - 1000;
  const snapshots: Snapshot[] = await mapBounded(ids, DEFAULT_CONCURRENCY, async (id, i) => {
    const seq = i + 1;
    const entries: ManifestEntry[] = [{ status: EntryStatus.Added, snapshot_id: id, sequence_number: seq, file_sequence_number: seq, data_file: files[i]! }];
    if (i > 0) entries.push({ status: EntryStatus.Deleted, snapshot_id: id, sequence_number: i, file_sequence_number: i, data_file: files[i - 1]! });
    const bytes = writeManifest({ schema, spec, formatVersion: 2, content: ManifestContent.Data, snapshotId: id, entries });
    const mpath = join(metaDir, `${randomUUID()}-m0.avro`);
    await writeFile(mpath, bytes);
    const mf = manifestFileFor({ path: mpath, length: bytes.length, spec, schema, content: ManifestContent.Data, sequenceNumber: seq, snapshotId: id, entries });
    const list = writeManifestList([mf], { snapshotId: id, ...(i > 0 ? { parentSnapshotId: ids[i - 1]! } : {}), sequenceNumber: seq, formatVersion: 2 });
    const lpath = join(metaDir, `snap-${id}-1-${randomUUID()}.avro`);
    await writeFile(lpath, list);
    const s: Snapshot = {
      'snapshot-id': id,
      'sequence-number': seq,
      'timestamp-ms': start + i,
      'manifest-list': lpath,
      summary: { operation: i === 0 ? 'append' : 'overwrite', 'total-records': '1', 'total-data-files': '1' },
      'schema-id': schema['schema-id'],
    };
    if (i > 0) s['parent-snapshot-id'] = ids[i - 1]!;
    return s;
  });
  for (let i = 0; i < SNAPSHOTS; i += 1000) {
    const batch = snapshots.slice(i, i + 1000);
    const updates: TableUpdate[] = batch.map((snapshot) => ({ action: 'add-snapshot', snapshot }));
    updates.push({ action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': batch[batch.length - 1]!['snapshot-id'] });
    table = await table.newTransaction().apply(() => ({ updates })).commit();
  }
  const buildMs = performance.now() - t0;
  const rows = (await wh.sql('SELECT count(*) FROM bexp.t')).rows[0]![0];
  if (Number(rows) !== 1) throw new Error(`bench table reads ${rows} rows, not 1`);
  line('build: snapshots with real manifests and files, s', (buildMs / 1000).toFixed(1), '');

  let deleteStart = 0;
  let deleteEnd = 0;
  const phases = new Map<string, number>();
  const tExpire = performance.now();
  const r = await expireSnapshots(table, {
    olderThanMs: Date.now() + 1,
    retainLast: 1,
    onProgress: (p) => {
      if (!phases.has(p.phase)) phases.set(p.phase, performance.now() - tExpire);
      if (p.phase !== 'delete') return;
      if (p.done === 0) deleteStart = performance.now();
      if (p.done === p.total) deleteEnd = performance.now();
    },
  });
  const expireMs = performance.now() - tExpire;
  const deleted = r.files.length;
  if (r.expiredSnapshotIds.length !== SNAPSHOTS - 1 || r.failures.length > 0) throw new Error(`expiry removed ${r.expiredSnapshotIds.length} snapshots with ${r.failures.length} failures`);
  if (Number((await wh.sql('SELECT count(*) FROM bexp.t')).rows[0]![0]) !== 1) throw new Error('table changed its rows after expiry');

  // Baseline: as many files of the same size removed with fs.rm at the same parallelism.
  const baseDir = join(dir, 'rm-baseline');
  await mkdir(baseDir, { recursive: true });
  const paths = Array.from({ length: deleted }, (_, i) => join(baseDir, `f-${i}`));
  await mapBounded(paths, DEFAULT_CONCURRENCY, (p) => copyFile(source, p));
  const tRm = performance.now();
  await mapBounded(paths, DEFAULT_CONCURRENCY, (p) => rm(p));
  const rmMs = performance.now() - tRm;

  const rate = deleted / (expireMs / 1000);
  const deleteRate = deleted / (Math.max(1, deleteEnd - deleteStart) / 1000);
  const rmRate = deleted / (rmMs / 1000);
  line(`expired snapshots / files deleted`, `${r.expiredSnapshotIds.length} / ${deleted}`, '');
  line(`  (${r.counts['manifest-list']} lists, ${r.counts.manifest} manifests, ${r.counts.data} data, ${r.counts.metadata} metadata)`, '', '');
  line('expiry end to end (plan, commit, reachability, delete), s', (expireMs / 1000).toFixed(2), 'completes');
  console.log(`  phases reached at (ms): ${[...phases].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
  line('files deleted/s, expiry end to end', Math.round(rate).toLocaleString(), '(report)');
  line('files deleted/s, expiry delete phase', Math.round(deleteRate).toLocaleString(), '');
  line(`files deleted/s, fs.rm baseline (${DEFAULT_CONCURRENCY} in flight)`, Math.round(rmRate).toLocaleString(), '');
  line('expiry end to end / fs.rm rate', `${(rate / rmRate).toFixed(2)}x`, '(report)');
  line('expiry delete phase / fs.rm rate', `${(deleteRate / rmRate).toFixed(2)}x`, '~1.0x');
}
