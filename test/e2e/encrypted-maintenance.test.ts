import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFloe, type CliRun } from '../helpers/cli.js';

// Maintenance on an envelope-encrypted embedded warehouse, through the CLI: expiry reads the
// encrypted manifests to find what only expired snapshots referenced, orphan removal recognises
// the encrypted files the metadata references, and nothing is left in plaintext.
const root = mkdtempSync(join(tmpdir(), 'floe-enc-maint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const wh = join(root, 'wh');
const key = join(root, 'kek');

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', wh, '--format', 'json', ...args);
}
async function ok(...args: string[]): Promise<unknown> {
  const r = await floe('--key-file', key, ...args);
  expect(r.code, r.err).toBe(0);
  return r.out.trim() === '' ? undefined : JSON.parse(r.out);
}
const files = (dir: string, suffix: RegExp): string[] =>
  (readdirSync(join(wh, dir), { recursive: true }) as string[]).filter((f) => suffix.test(f)).map((f) => join(wh, dir, f)).sort();
const sealed = (f: string): boolean => readFileSync(f).subarray(0, 8).toString('latin1') === 'FLOEENC1';

describe('maintenance on an encrypted warehouse', () => {
  it('expires snapshots, removes orphans and vacuums, recognising encrypted files as referenced', async () => {
    expect((await floe('keys', 'create', key)).code).toBe(0);
    await ok('sql', `CREATE NAMESPACE s; CREATE TABLE s.t (id INT, v STRING) TBLPROPERTIES ('write.delete.mode' = 'copy-on-write')`);
    await ok('sql', `INSERT INTO s.t VALUES (1, 'a'), (2, 'b')`);
    await ok('sql', `INSERT INTO s.t VALUES (3, 'c')`);
    await ok('sql', `DELETE FROM s.t WHERE id = 1`);
    const data = files('s.db/t/data', /\.parquet$/);
    expect(data.length).toBe(3);
    expect(data.every(sealed)).toBe(true);
    expect(files('s.db/t/metadata', /\.avro$/).every(sealed)).toBe(true);

    // A leftover file of a failed writer: the only orphan, among encrypted referenced files.
    const stray = join(wh, 's.db/t/data/leftover-00000.parquet');
    writeFileSync(stray, 'plaintext leftover');
    const dry = (await ok('maintain', 'orphans', 's.t', '--older-than', '0s', '--dry-run')) as { path: string }[];
    expect(dry.map((o) => o.path)).toEqual([stray]);
    await ok('maintain', 'orphans', 's.t', '--older-than', '0s');
    expect(files('s.db/t/data', /\.parquet$/)).toEqual(data);

    // Without the key, maintenance refuses before touching anything.
    const denied = await floe('maintain', 'expire', 's.t', '--older-than', '0s', '--retain-last', '1');
    expect(denied.code).toBe(8);
    expect(denied.err).toMatch(/^floe: [^\n]*--key-file[^\n]*\n$/);
    expect(files('s.db/t/data', /\.parquet$/)).toEqual(data);

    // The copy-on-write DELETE replaced the file holding id 1: once the snapshots that still
    // referenced it expire, expiry (reading encrypted manifests) deletes it and keeps the rest.
    await ok('maintain', 'expire', 's.t', '--older-than', '0s', '--retain-last', '1');
    const after = files('s.db/t/data', /\.parquet$/);
    expect(after.length).toBe(2);
    expect(after.every((f) => data.includes(f))).toBe(true);
    expect(await ok('sql', 'SELECT id, v FROM s.t ORDER BY id')).toEqual([{ id: 2, v: 'b' }, { id: 3, v: 'c' }]);
    expect(files('s.db/t/metadata', /\.avro$/).every(sealed)).toBe(true);

    const vac = (await ok('sql', 'VACUUM s.t')) as Record<string, number>[];
    expect(vac).toEqual([expect.objectContaining({ expired_snapshots: 0, deleted_orphan_files: 0 })]);
    expect(files('s.db/t/data', /\.parquet$/)).toEqual(after);
    expect(await ok('sql', 'SELECT count(*) AS n FROM s.t')).toEqual([{ n: 2 }]);
  });
});
