import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalFileIO } from '../../src/io/local.js';
import { readIngestLog } from '../../src/zones/ingest-log.js';
import { ingest } from '../../src/zones/raw.js';
import { requireBuiltDist } from '../helpers/dist.js';

const worker = resolve(__dirname, 'ingest-worker.mjs');
let dir: string;
beforeAll(async () => {
  requireBuiltDist('zones/raw.js');
  dir = await mkdtemp(join(tmpdir(), 'floe-kill-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function filesUnder(d: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(d, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe('ingest killed with SIGKILL', () => {
  it('leaves no partial object and no log record; the rerun ingests the file exactly once', async () => {
    // 96 MiB of CSV rows: the streamed copy takes long enough to be caught in the act.
    const row = 'id,name,amount\n' + Array.from({ length: 2000 }, (_, i) => `${i},name-${i},${i}.25`).join('\n') + '\n';
    const body = Buffer.from(row.repeat(Math.ceil((96 << 20) / row.length)));
    const src = join(dir, 'big.csv');
    await writeFile(src, body);
    const sha = createHash('sha256').update(body).digest('hex');
    const root = join(dir, 'wh');
    const objects = join(root, 'raw', 'big', 'objects');

    const child = spawn(process.execPath, [worker, root, 'big', src], { stdio: 'ignore' });
    let caughtMidCopy = false;
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      if ((await filesUnder(objects)).some((f) => f.endsWith('.tmp'))) {
        child.kill('SIGKILL');
        caughtMidCopy = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await exited;
    if (!caughtMidCopy) console.log('the ingest finished before it could be killed mid-copy; checking the rerun only');
    const visible = (await filesUnder(objects)).filter((f) => !f.endsWith('.tmp'));
    if (caughtMidCopy) {
      expect(visible).toEqual([]);
      expect(await readIngestLog(new LocalFileIO(), root, 'big')).toEqual([]);
    }
    const [again] = await ingest({ root, io: new LocalFileIO() }, [src], { dataset: 'big' });
    expect(again!.status).toBe(caughtMidCopy ? 'ingested' : 'already-ingested');
    const log = await readIngestLog(new LocalFileIO(), root, 'big');
    expect(log.map((r) => r.sha256)).toEqual([sha]);
    const stored = (await filesUnder(objects)).filter((f) => !f.endsWith('.tmp'));
    expect(stored).toHaveLength(1);
    expect(createHash('sha256').update(await readFile(stored[0]!)).digest('hex')).toBe(sha);
  }, 60_000);
});
