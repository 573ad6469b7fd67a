import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Warehouse } from '../../src/index.js';
import { FloeError } from '../../src/index.js';
import { q, tempWarehouse } from '../helpers/warehouse.js';

let wh: Warehouse;
let dir: string;
let dispose: () => Promise<void>;

beforeEach(async () => {
  ({ wh, dir, dispose } = await tempWarehouse());
  await wh.sql('CREATE NAMESPACE db');
  await wh.sql('CREATE TABLE db.t (id INT NOT NULL, name STRING, d DATE)');
  await wh.sql(`INSERT INTO db.t VALUES (1, 'a', DATE '2024-01-01')`);
});
afterEach(async () => dispose());

async function failure(sql: string): Promise<FloeError> {
  try {
    await wh.sql(sql);
  } catch (err) {
    if (err instanceof FloeError) return err;
    throw new Error(`expected a FloeError, got ${String(err)}`);
  }
  throw new Error(`expected '${sql}' to fail`);
}

async function state(): Promise<unknown> {
  const t = await wh.loadTable('db.t');
  return { location: t.metadataLocation, rows: await q(wh, 'SELECT * FROM db.t ORDER BY id') };
}

describe('bad input gets a clear, typed error and leaves the table unchanged', () => {
  const cases: [string, string, RegExp][] = [
    ['malformed SQL', 'SELEC * FORM db.t', /syntax error|unsupported statement/i],
    ['unknown table', 'SELECT * FROM db.nope', /db\.nope does not exist/],
    ['unknown column', 'SELECT nope FROM db.t', /nope/],
    ['wrong type (value)', `INSERT INTO db.t VALUES ('x', 'b', DATE '2024-01-02')`, /x/],
    ['wrong type (column type)', `INSERT INTO db.t VALUES (DATE '2024-01-01', 'b', DATE '2024-01-02')`, /type mismatch.*'id'/],
    ['NOT NULL violated', `INSERT INTO db.t VALUES (NULL, 'b', DATE '2024-01-02')`, /'id' is NOT NULL/],
    ['wrong column count', `INSERT INTO db.t VALUES (2, 'b')`, /2 column\(s\) but the table has 3/],
    ['unknown column in INSERT list', `INSERT INTO db.t (id, nope) VALUES (2, 'b')`, /unknown column 'nope'/],
    ['time travel to a missing snapshot', 'SELECT * FROM db.t FOR VERSION AS OF 42', /snapshot 42 does not exist/],
    ['unknown branch', `SELECT * FROM db.t FOR VERSION AS OF 'nope'`, /'nope' does not exist/],
    ['location outside the warehouse', `CREATE TABLE db.x (id INT) LOCATION '/tmp/elsewhere-${process.pid}'`, /outside the warehouse/],
    ['hostile table name', 'CREATE TABLE db."../../etc" (id INT)', /name|invalid|not allowed/i],
    ['unknown metadata table', 'SELECT * FROM db."t$nope"', /unknown metadata table/],
  ];
  for (const [what, sql, message] of cases) {
    it(what, async () => {
      const before = await state();
      const err = await failure(sql);
      expect(err.message).toMatch(message);
      expect(err.message.split('\n')).toHaveLength(1);
      expect(await state()).toEqual(before);
    });
  }

  it('a missing data file is reported by name, not silently skipped', async () => {
    const t = await wh.loadTable('db.t');
    const files = await q(wh, 'SELECT file_path FROM db."t$files"');
    await rm(String(files[0]![0]).replace(/^file:\/\//, ''));
    const err = await failure('SELECT * FROM db.t');
    expect(err.message).toMatch(/\.parquet/);
    expect((await wh.loadTable('db.t')).metadataLocation).toBe(t.metadataLocation);
  });

  it('corrupt metadata JSON is a CorruptMetadataError naming the file', async () => {
    const t = await wh.loadTable('db.t');
    await writeFile(t.metadataLocation.replace(/^file:\/\//, ''), '{"format-version": 2, "table-uuid": ');
    const err = await failure('SELECT * FROM db.t');
    expect(err.code).toBe('CORRUPT_METADATA');
    expect(err.message).toContain('metadata.json');
  });

  it('a failed commit leaves no new file referenced and the data files it wrote removed', async () => {
    const before = await readdir(join(dir, 'db.db', 't', 'data'), { recursive: true });
    await failure(`INSERT INTO db.t VALUES (NULL, 'b', DATE '2024-01-02')`);
    const after = await readdir(join(dir, 'db.db', 't', 'data'), { recursive: true });
    expect(after.filter((f) => f.endsWith('.parquet')).sort()).toEqual(before.filter((f) => f.endsWith('.parquet')).sort());
  });
});
