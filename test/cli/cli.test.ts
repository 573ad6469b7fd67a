import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-cli-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', dir, ...args);
}

describe('floe CLI', () => {
  it('runs scripts and prints JSON with the documented value rules', async () => {
    const r = await floe(
      '--format',
      'json',
      'sql',
      `CREATE NAMESPACE s; CREATE TABLE s.t (id BIGINT, amount DECIMAL(10,2), d DATE, ts TIMESTAMP, note STRING);
       INSERT INTO s.t VALUES (9007199254740993, 12.50, DATE '2024-02-03', TIMESTAMP '2024-02-03 04:05:06', NULL), (1, 1.00, NULL, NULL, 'x');
       SELECT * FROM s.t ORDER BY id`,
    );
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual([
      { id: 1, amount: '1.00', d: null, ts: null, note: 'x' },
      { id: '9007199254740993', amount: '12.50', d: '2024-02-03', ts: '2024-02-03T04:05:06', note: null },
    ]);
    expect(Object.keys(JSON.parse(r.out)[0])).toEqual(['id', 'amount', 'd', 'ts', 'note']);
  });

  it('applies the same JSON value rules inside structs, lists and maps', async () => {
    const r = await floe(
      '--format',
      'json',
      'sql',
      `SELECT {'small': 1::BIGINT, 'big': 9007199254740993::BIGINT, 'dec': 1.25::DECIMAL(5, 2), 'ts': TIMESTAMP '2024-01-01 01:02:03',
               'tz': TIMESTAMPTZ '2024-01-01 01:02:03+00', 'bin': 'ab'::BLOB} AS s,
              [1::BIGINT, NULL] AS l, MAP {'k': DATE '2024-05-06'} AS m`,
    );
    expect(r.err).toBe('');
    expect(JSON.parse(r.out)).toEqual([
      {
        s: { small: 1, big: '9007199254740993', dec: '1.25', ts: '2024-01-01T01:02:03', tz: '2024-01-01T01:02:03+00:00', bin: 'YWI=' },
        l: [1, null],
        m: [{ key: 'k', value: '2024-05-06' }],
      },
    ]);
  });

  it('prints CSV and tables', async () => {
    const csv = await floe('--format', 'csv', 'sql', "SELECT 1 AS a, 'x,y' AS b");
    expect(csv.out.trim()).toBe('a,b\n1,"x,y"');
    const table = await floe('--format', 'table', 'tables');
    expect(table.out).toContain('t');
    const desc = await floe('--format', 'json', 'describe', 's.t');
    expect(JSON.parse(desc.out)[0]).toEqual({ col_name: 'id', data_type: 'long', comment: null });
  });

  it('lists history and rolls back', async () => {
    await floe('sql', 'INSERT INTO s.t VALUES (2, 2.00, NULL, NULL, NULL)');
    const h = JSON.parse((await floe('--format', 'json', 'history', 's.t')).out) as { snapshot_id: string | number }[];
    expect(h).toHaveLength(2);
    const r = await floe('rollback', 's.t', '--to', String(h[0]!.snapshot_id));
    expect(r.code).toBe(0);
    expect(JSON.parse((await floe('--format', 'json', 'sql', 'SELECT count(*) AS n FROM s.t')).out)).toEqual([{ n: 2 }]);
  });

  it('reports errors in one line with a per-class exit code, stack only with --debug', async () => {
    const parse = await floe('sql', 'SELEC 1');
    expect(parse.code).toBe(2);
    expect(parse.err.trim().split('\n')).toHaveLength(1);
    const missing = await floe('sql', 'SELECT * FROM s.nope');
    expect(missing.code).toBe(4);
    expect(missing.err).toMatch(/^floe: table s\.nope does not exist\n$/);
    const debug = await floe('--debug', 'sql', 'SELECT * FROM s.nope');
    expect(debug.err.split('\n').length).toBeGreaterThan(2);
    const conflictFree = await floe('rollback', 's.t', '--to', '123');
    expect(conflictFree.code).toBe(4);
    const noFile = await floe('sql', '-f', 'no-such-script.sql');
    expect(noFile.code).toBe(4);
    expect(noFile.err).toMatch(/^floe: cannot read SQL file 'no-such-script\.sql': ENOENT\n$/);
    const badFormat = await floe('--format', 'xml', 'sql', 'SELECT 1');
    expect(badFormat.code).toBe(3);
    expect(badFormat.err.trim().split('\n')).toHaveLength(1);
  });
});
