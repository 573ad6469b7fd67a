import { existsSync } from 'node:fs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/context.js';
import { parseWhen, registerMaintain, type MaintenanceStep } from '../../src/cli/maintain.js';
import { openWarehouse } from '../../src/index.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-maintain-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', dir, ...args);
}

async function snapshots(name: string): Promise<number> {
  const r = await floe('--format', 'json', 'sql', `SELECT count(*) AS n FROM ${name.replace(/\.(\w+)$/, '."$1$snapshots"')}`);
  return (JSON.parse(r.out) as { n: number }[])[0]!.n;
}

async function tableLocation(name: string): Promise<string> {
  const wh = await openWarehouse({ warehouse: dir });
  try {
    return (await wh.loadTable(name)).location;
  } finally {
    await wh.close();
  }
}

describe('floe maintain', () => {
  it('expire: --dry-run lists files and changes nothing; then expires', async () => {
    const setup = await floe('sql', `CREATE NAMESPACE m; CREATE TABLE m.t (id INT) TBLPROPERTIES ('write.delete.mode' = 'copy-on-write');
      INSERT INTO m.t VALUES (1); INSERT INTO m.t VALUES (2); INSERT INTO m.t VALUES (3); DELETE FROM m.t WHERE id = 1`);
    expect(setup.code).toBe(0);
    expect(await snapshots('m.t')).toBe(4);
    const dry = await floe('--format', 'json', 'maintain', 'expire', 'm.t', '--older-than', '0s', '--retain-last', '1', '--dry-run');
    expect(dry.code).toBe(0);
    const listed = JSON.parse(dry.out) as { kind: string; path: string; size: number }[];
    expect(listed.filter((f) => f.kind === 'manifest-list')).toHaveLength(3);
    expect(listed.filter((f) => f.kind === 'data')).toHaveLength(1);
    expect(dry.err).toMatch(/would expire 3 snapshot/);
    expect(await snapshots('m.t')).toBe(4);
    for (const f of listed) expect(existsSync(f.path.replace(/^file:\/\//, ''))).toBe(true);

    const real = await floe('--format', 'json', 'maintain', 'expire', 'm.t', '--older-than', '0s', '--retain-last', '1');
    expect(real.code).toBe(0);
    const byKind = Object.fromEntries((JSON.parse(real.out) as { kind: string; files: number }[]).map((r) => [r.kind, r.files]));
    expect(byKind['manifest-list']).toBe(3);
    expect(byKind.data).toBe(1);
    expect(await snapshots('m.t')).toBe(1);
    for (const f of listed) expect(existsSync(f.path.replace(/^file:\/\//, ''))).toBe(false);
    expect(JSON.parse((await floe('--format', 'json', 'sql', 'SELECT sum(id) AS s FROM m.t')).out)).toEqual([{ s: 5 }]);
  });

  it('orphans and rewrite-manifests, in csv and table formats', async () => {
    await floe('sql', `CREATE TABLE m.o (id INT) TBLPROPERTIES ('commit.manifest-merge.enabled' = 'false'); INSERT INTO m.o VALUES (1); INSERT INTO m.o VALUES (2)`);
    const orphan = join(await tableLocation('m.o'), 'data', 'stray.parquet');
    await writeFile(orphan, 'x');
    const old = new Date(Date.now() - 5 * 86_400_000);
    await utimes(orphan, old, old);
    const dry = await floe('--format', 'csv', 'maintain', 'orphans', 'm.o', '--dry-run');
    expect(dry.out.split('\n')[0]).toBe('path,size,modified');
    expect(dry.out).toContain(orphan);
    expect(existsSync(orphan)).toBe(true);
    const young = await floe('--format', 'csv', 'maintain', 'orphans', 'm.o', '--older-than', '6d');
    expect(young.out.trim()).toBe('path,size,modified');
    expect(existsSync(orphan)).toBe(true);
    const real = await floe('--format', 'csv', 'maintain', 'orphans', 'm.o');
    expect(real.err).toMatch(/^1 orphan file\(s\) of \d+ scanned deleted/);
    expect(existsSync(orphan)).toBe(false);

    const rw = await floe('--format', 'table', 'maintain', 'rewrite-manifests', 'm.o');
    expect(rw.code).toBe(0);
    expect(rw.out).toContain('manifests_replaced');
    expect(rw.err).toMatch(/rewrote 2 manifest\(s\) into 1/);
    expect(JSON.parse((await floe('--format', 'json', 'sql', 'SELECT sum(id) AS s FROM m.o')).out)).toEqual([{ s: 3 }]);
  });

  it('maintain TABLE runs the standard sequence', async () => {
    await floe('sql', `CREATE TABLE m.s (id INT) TBLPROPERTIES ('commit.manifest-merge.enabled' = 'false'); INSERT INTO m.s VALUES (1); INSERT INTO m.s VALUES (2); INSERT INTO m.s VALUES (3)`);
    const r = await floe('--format', 'json', 'maintain', 'm.s', '--older-than', '0s', '--retain-last', '1');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.out) as { step: string; result: string; files_deleted: number }[];
    expect(rows.map((x) => x.step)).toEqual(['compact', 'rewrite-manifests', 'expire', 'orphans']);
    expect(rows[0]!.result).toMatch(/rewrote 3 data file\(s\) in 1 partition\(s\) into 1, removing 0 delete file/);
    // Compaction's snapshot lists the new file's manifest and the three that record its DELETED entries.
    expect(rows[1]!.result).toMatch(/rewrote 4 manifest\(s\) into 1/);
    // The cutoff is taken when the sequence starts: the three appends expire, while compaction's and
    // the manifest rewrite's snapshots are newer than it and stay.
    expect(rows[2]!.result).toMatch(/expired 3 snapshot/);
    expect(await snapshots('m.s')).toBe(2);
    const files = JSON.parse((await floe('--format', 'json', 'sql', 'SELECT count(*) AS n FROM m."s$files"')).out) as { n: number }[];
    expect(files).toEqual([{ n: 1 }]);
    expect(JSON.parse((await floe('--format', 'json', 'sql', 'SELECT sum(id) AS s FROM m.s')).out)).toEqual([{ s: 6 }]);
  });

  it('refuses bad durations and counts with a one-line error', async () => {
    const bad = await floe('maintain', 'expire', 'm.t', '--older-than', 'soon');
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/^floe: 'soon' is neither a duration/);
    const count = await floe('maintain', 'expire', 'm.t', '--retain-last', '0');
    expect(count.err).toMatch(/--retain-last needs a whole number/);
    const none = await floe('maintain');
    expect(none.code).not.toBe(0);
    expect(none.err).toMatch(/missing required argument 'table'/);
  });

  it('parses durations and timestamps', () => {
    const now = Date.UTC(2026, 0, 10);
    expect(parseWhen('3d', now)).toBe(now - 3 * 86_400_000);
    expect(parseWhen('12h', now)).toBe(now - 12 * 3_600_000);
    expect(parseWhen('90m', now)).toBe(now - 90 * 60_000);
    expect(parseWhen('1d12h', now)).toBe(now - 36 * 3_600_000);
    expect(parseWhen('2026-01-01T00:00:00Z', now)).toBe(Date.UTC(2026, 0, 1));
    expect(() => parseWhen('3 days', now)).toThrow(/neither a duration/);
  });

  it('takes extra steps and subcommands (the compaction hook)', async () => {
    const ran: string[] = [];
    const lead: MaintenanceStep = {
      name: 'first',
      async run(table) {
        ran.push(`first:${table.name}`);
        return { step: 'first', result: 'ran', filesDeleted: 0, bytesDeleted: 0 };
      },
    };
    let out = '';
    const io: CliIO = { out: (s) => (out += s), err: () => undefined, isTty: false };
    const program = new Command().exitOverride();
    registerMaintain(program, io, () => ({ warehouse: dir, format: 'json' }), {
      leadingSteps: [lead],
      subcommands: [(maintain) => void maintain.command('extra').action(() => void ran.push('extra'))],
    });
    await program.parseAsync(['node', 'floe', 'maintain', 'extra']);
    await program.parseAsync(['node', 'floe', 'maintain', 'm.s', '--dry-run']);
    expect(ran).toEqual(['extra', 'first:m.s']);
    expect((JSON.parse(out) as { step: string }[]).map((r) => r.step)).toEqual(['first', 'rewrite-manifests', 'expire', 'orphans']);
  });
});
