import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalFileIO } from '../../src/io/local.js';
import { ingestLogPath, readIngestLog } from '../../src/zones/ingest-log.js';
import { ingest, objectPath, type RawStore } from '../../src/zones/raw.js';

let dir: string;
let store: RawStore;
let src: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-raw-'));
  store = { root: join(dir, 'wh'), io: new LocalFileIO() };
  src = join(dir, 'src');
  await mkdir(src, { recursive: true });
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

async function listAll(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(join(d, e.name).slice(root.length + 1));
    }
  };
  await walk(root);
  return out.sort();
}

describe('raw zone ingest', () => {
  it('stores files unchanged under their checksum and logs who, when, what', async () => {
    const csv = 'id,name\n1,a\n2,b\n';
    await writeFile(join(src, 'a.csv'), csv);
    const gz = gzipSync(Buffer.from('{"id":1}\n{"id":2}\n'));
    await mkdir(join(src, 'sub'));
    await writeFile(join(src, 'sub', 'b.ndjson.gz'), gz);
    const out = await ingest(store, [src], { dataset: 'orders', user: 'alice' });
    expect(out.map((o) => [o.status, o.format, o.compression])).toEqual([
      ['ingested', 'csv', 'none'],
      ['ingested', 'json', 'gzip'],
    ]);
    const csvObject = join(store.root, 'raw/orders', objectPath(sha(csv), { format: 'csv', compression: 'none', extension: 'csv' }));
    expect(await readFile(csvObject, 'utf8')).toBe(csv);
    expect(csvObject).toContain(`/objects/${sha(csv).slice(0, 2)}/${sha(csv)}.csv`);
    const gzObject = join(store.root, 'raw/orders/objects', sha(gz).slice(0, 2), `${sha(gz)}.ndjson.gz`);
    expect(Buffer.compare(await readFile(gzObject), gz)).toBe(0);
    const log = await readIngestLog(store.io, store.root, 'orders');
    expect(log.map((r) => [r.sha256, r.bytes, r.user, r.format, r.compression])).toEqual([
      [sha(csv), csv.length, 'alice', 'csv', 'none'],
      [sha(gz), gz.length, 'alice', 'json', 'gzip'],
    ]);
    expect(log[0]!.source).toBe(join(src, 'a.csv'));
    expect(Date.parse(log[0]!.ingested_at)).not.toBeNaN();
  });

  it('re-ingesting the same content is a no-op that says when it was first ingested', async () => {
    await writeFile(join(src, 'a.csv'), 'id\n1\n');
    await writeFile(join(src, 'copy.csv'), 'id\n1\n');
    const [first] = await ingest(store, [join(src, 'a.csv')], { dataset: 'd', now: () => new Date('2026-01-02T03:04:05Z') });
    expect(first!.status).toBe('ingested');
    const again = await ingest(store, [join(src, 'a.csv'), join(src, 'copy.csv')], { dataset: 'd' });
    expect(again.map((o) => o.status)).toEqual(['already-ingested', 'already-ingested']);
    expect(again[0]!.message).toBe(`already ingested ${sha('id\n1\n')} at 2026-01-02T03:04:05.000Z`);
    expect(await readIngestLog(store.io, store.root, 'd')).toHaveLength(1);
    expect((await readFile(ingestLogPath(store.root, 'd'), 'utf8')).trim().split('\n')).toHaveLength(1);
  });

  it('a rerun after a kill mid-ingest adds no duplicate and ignores partial files', async () => {
    const body = 'id\n1\n2\n';
    await writeFile(join(src, 'a.csv'), body);
    const h = sha(body);
    const objects = join(store.root, 'raw/d/objects', h.slice(0, 2));
    // Killed after storing the object but before logging it, with a torn log line and a temp
    // file of a second, interrupted copy left behind.
    await mkdir(objects, { recursive: true });
    await writeFile(join(objects, `${h}.csv`), body);
    await writeFile(join(objects, `${h}.csv.abc123.tmp`), 'id\n1');
    await appendFile(ingestLogPath(store.root, 'd'), '{"sha256":"' + h.slice(0, 10));
    expect(await readIngestLog(store.io, store.root, 'd')).toEqual([]);
    const out = await ingest(store, [join(src, 'a.csv')], { dataset: 'd' });
    expect(out[0]!.status).toBe('ingested');
    const log = await readIngestLog(store.io, store.root, 'd');
    expect(log.map((r) => r.sha256)).toEqual([h]);
    expect(await readFile(join(objects, `${h}.csv`), 'utf8')).toBe(body);
    const again = await ingest(store, [join(src, 'a.csv')], { dataset: 'd' });
    expect(again[0]!.status).toBe('already-ingested');
  });

  it('concurrent ingests of the same content make one batch', async () => {
    await writeFile(join(src, 'a.csv'), 'id\n1\n');
    const runs = await Promise.all([1, 2, 3].map(() => ingest(store, [join(src, 'a.csv')], { dataset: 'd' })));
    expect(runs.flat().filter((o) => o.status === 'rejected')).toEqual([]);
    expect(await readIngestLog(store.io, store.root, 'd')).toHaveLength(1);
    const files = await listAll(join(store.root, 'raw/d'));
    expect(files.filter((f) => f.startsWith('objects/'))).toHaveLength(1);
  });

  it('rejects files whose bytes are not what the extension says, and empty files', async () => {
    const cases: [string, Uint8Array | string, RegExp][] = [
      ['fake.parquet', 'id,name\n1,a\n', /not a Parquet file \(no PAR1 magic/],
      ['fake.csv.gz', 'id\n1\n', /named \.csv\.gz but not gzip data/],
      ['fake.json.zst', 'id\n1\n', /named \.json\.zst but not zstd data/],
      ['bin.csv', new Uint8Array([0x69, 0x64, 0x0a, 0x00, 0x01, 0x02]), /binary content in a CSV file \(NUL byte at offset 3\)/],
      ['notjson.json', 'id,name\n1,a\n', /not JSON: the first character is 'i'/],
      ['empty.csv', '', /empty file/],
      ['data.xlsx', 'x', /unsupported extension \.xlsx/],
      ['noext', 'x', /no file extension/],
      ['inner.parquet.gz', gzipSync(Buffer.from('PAR1')), /Parquet files are compressed internally/],
      ['gzbin.csv.gz', gzipSync(Buffer.from([0x61, 0x00, 0x62])), /binary content in a CSV file/],
    ];
    for (const [name, body] of cases) await writeFile(join(src, name), body);
    await writeFile(join(src, 'good.csv'), 'id\n1\n');
    const out = await ingest(store, [src], { dataset: 'd' });
    const byName = new Map(out.map((o) => [o.source.split('/').pop()!, o]));
    for (const [name, , reason] of cases) {
      expect(byName.get(name)?.status, name).toBe('rejected');
      expect(byName.get(name)?.message, name).toMatch(reason);
    }
    expect(byName.get('good.csv')?.status).toBe('ingested');
    const log = await readIngestLog(store.io, store.root, 'd');
    expect(log.map((r) => r.source.split('/').pop())).toEqual(['good.csv']);
    const stored = (await listAll(join(store.root, 'raw/d'))).filter((f) => f.startsWith('objects/'));
    expect(stored).toHaveLength(1);
  });

  it('refuses a file that changes between the checksum and the copy, storing nothing', async () => {
    const path = join(src, 'a.csv');
    await writeFile(path, 'id\n1\n');
    let changed = false;
    await expect(
      ingest(store, [path], {
        dataset: 'd',
        onProgress: (doneBytes) => {
          // After pass one has read the file, rewrite it before pass two copies it.
          if (!changed && doneBytes >= 5) {
            changed = true;
            writeFileSync(path, 'id\n2\n');
          }
        },
      }),
    ).rejects.toThrow(/changed while it was being ingested/);
    expect((await listAll(join(store.root, 'raw/d'))).filter((f) => f.startsWith('objects/'))).toEqual([]);
    expect(await readIngestLog(store.io, store.root, 'd')).toEqual([]);
  });

  it('validates the dataset name', async () => {
    await expect(ingest(store, [src], { dataset: '../x' })).rejects.toThrow(/invalid dataset name/);
  });
});
