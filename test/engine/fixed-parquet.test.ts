import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { UnsupportedError, ValidationError } from '../../src/errors.js';
import { fixedColumns, rewriteFixedColumns } from '../../src/engine/fixed-parquet.js';
import { readParquetStats } from '../../src/engine/parquet-stats.js';
import { fieldIdsOption } from '../../src/engine/types.js';
import { parquetFile } from '../../src/engine/writer.js';
import { FileContent } from '../../src/manifest/types.js';
import { toLocalPath } from '../../src/io/paths.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

const COLUMNS = `id INT, f FIXED(4), u UUID, s STRUCT<a: FIXED(2), b: STRING>, l ARRAY<FIXED(3)>, m MAP<INT, FIXED(2)>,
  d DECIMAL(20, 3), ts TIMESTAMP, tz TIMESTAMPTZ, st STRING, bi BIGINT, dt DATE`;
const ROWS = `(1, unhex('01020304'), UUID '0f8fad5b-d9cb-469f-a165-70867728950e', {'a': unhex('0a0b'), 'b': 'x'}, [unhex('010203'), NULL],
    MAP {1: unhex('ffee')}, 12345678901234567.891, TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05+00', 'héllo', 9007199254740993, DATE '2024-02-29'),
  (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
  (3, unhex('ffffffff'), NULL, {'a': NULL, 'b': NULL}, [], MAP {}, -0.001, TIMESTAMP '1969-12-31 23:59:59', NULL, '', -1, DATE '1900-01-01')`;

/** parquet_schema rows (name, type, type_length, repetition, converted_type, scale, precision, field_id, logical_type) by field id. */
async function schemaOf(file: string): Promise<Map<number, unknown[]>> {
  const rows = await q(ctx.wh, `SELECT name, type, type_length, repetition_type, converted_type, scale, precision, field_id, logical_type FROM parquet_schema('${file}') WHERE field_id IS NOT NULL`);
  return new Map(rows.map((r) => [Number(r[7]), r]));
}

async function dataFiles(table: string): Promise<string[]> {
  return (await q(ctx.wh, `SELECT file_path FROM db."${table}$files" WHERE content = 0 ORDER BY file_path`)).map((r) => String(r[0]));
}

describe('fixed(L) columns are written as Parquet FIXED_LEN_BYTE_ARRAY(L)', () => {
  it('writes fixed leaves (top-level and nested) as FIXED_LEN_BYTE_ARRAY with their field ids; every other column as DuckDB writes it', async () => {
    await ctx.wh.sql(`CREATE TABLE db.f (${COLUMNS}) PARTITIONED BY (bucket(2, id))`);
    await ctx.wh.sql(`INSERT INTO db.f VALUES ${ROWS}`);
    const files = await dataFiles('f');
    expect(files.length).toBeGreaterThanOrEqual(1);
    const t = await ctx.wh.loadTable('db.f');
    // The same rows written by DuckDB alone: the reference for every column that is not fixed.
    const ref = join(toLocalPath(t.location), 'reference.parquet');
    await ctx.wh.engine.run(`COPY (SELECT * FROM (VALUES ${ROWS}) AS v(${t.schema().fields.map((f) => `"${f.name}"`).join(', ')})) TO '${ref}' (FORMAT parquet, FIELD_IDS ${fieldIdsOption(t.schema())})`);
    const expected = await schemaOf(ref);
    const fixedIds = new Map<number, number>([[2, 4], [5, 2], [8, 3], [11, 2]]); // f, s.a, l.element, m.value
    for (const file of files) {
      const got = await schemaOf(file);
      expect([...got.keys()].sort((a, b) => a - b)).toEqual([...expected.keys()].sort((a, b) => a - b));
      for (const [id, row] of got) {
        const length = fixedIds.get(id);
        if (length === undefined) {
          expect(row, `field ${id}`).toEqual(expected.get(id));
        } else {
          expect(expected.get(id)![1]).toBe('BYTE_ARRAY');
          expect([row[1], Number(row[2]), row[4], row[8], row[7]]).toEqual(['FIXED_LEN_BYTE_ARRAY', length, null, null, id]);
        }
      }
      // uuid is fixed[16] with the UUID logical type (DuckDB's own layout).
      expect(got.get(3)!.slice(1, 3).map(String)).toEqual(['FIXED_LEN_BYTE_ARRAY', '16']);
      expect(String(got.get(3)![8])).toMatch(/UUID/);
    }
    const viaFloe = await q(ctx.wh, 'SELECT * FROM db.f ORDER BY id');
    expect(viaFloe).toEqual(await q(ctx.wh, `SELECT * FROM read_parquet('${ref}') ORDER BY id`));
    expect(viaFloe[0]!.slice(0, 2)).toEqual([1, Uint8Array.from([1, 2, 3, 4])]);
    // A plain reader of the files, without floe's projection, sees the same rows.
    expect(await q(ctx.wh, `SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(', ')}], hive_partitioning = false) ORDER BY id`)).toEqual(viaFloe);
    // Statistics come from the re-written footers.
    expect(await q(ctx.wh, `SELECT min(readable_metrics.d.lower_bound), max(readable_metrics.ts.upper_bound), sum(readable_metrics.f.null_value_count) FROM db."f$files"`)).toEqual([
      ['-0.001', '2024-01-02T03:04:05.123456', 1],
    ]);
    expect(await q(ctx.wh, `SELECT count(*) FROM db.f WHERE f = unhex('ffffffff') AND s.a IS NULL`)).toEqual([[1]]);
  });

  it('keeps lists of structs, maps keyed by fixed, nested lists, decimals of every width, ns timestamps, times and NaN exact beside fixed columns', async () => {
    const cols = `id INT, ls ARRAY<STRUCT<a: FIXED(2), b: INT>>, mk MAP<FIXED(2), INT>, ms MAP<STRING, STRUCT<x: FIXED(1)>>, ll ARRAY<ARRAY<FIXED(1)>>,
      d9 DECIMAL(9, 2), d18 DECIMAL(18, 4), d38 DECIMAL(38, 10), tns TIMESTAMP_NS, tm TIME, db DOUBLE, req FIXED(3) NOT NULL`;
    const rows = `(1, [{'a': unhex('0102'), 'b': 1}, NULL, {'a': NULL, 'b': 2}], MAP {unhex('0102'): 1, unhex('0304'): NULL}, MAP {'k': {'x': unhex('01')}, 'n': NULL},
        [[unhex('01')], [], NULL, [NULL]], -1234567.89, -12345678901234.5678, -1234567890123456789012345678.0123456789,
        TIMESTAMP_NS '2024-01-02 03:04:05.123456789', TIME '23:59:59.999999', 'NaN'::DOUBLE, unhex('000000')),
      (2, [], MAP {}, NULL, [], NULL, 0.0001, NULL, NULL, NULL, -0.5, unhex('ffffff')),
      (3, NULL, NULL, MAP {}, NULL, 9999999.99, NULL, 0.0000000001, NULL, TIME '00:00:00', NULL, unhex('010101'))`;
    await ctx.wh.sql(`CREATE TABLE db.n (${cols})`);
    await ctx.wh.sql(`INSERT INTO db.n VALUES ${rows}`);
    const [file] = await dataFiles('n');
    const ids = [...fixedColumns((await ctx.wh.loadTable('db.n')).schema()).keys()];
    expect(ids).toHaveLength(5); // ls.a, mk.key, ms.x, ll.element.element, req
    expect(await q(ctx.wh, `SELECT DISTINCT type FROM parquet_schema('${file}') WHERE field_id IN (${ids.join(', ')})`)).toEqual([['FIXED_LEN_BYTE_ARRAY']]);
    const asText = 'SELECT id, ls::VARCHAR, mk::VARCHAR, ms::VARCHAR, ll::VARCHAR, d9::VARCHAR, d18::VARCHAR, d38::VARCHAR, tns::VARCHAR, tm::VARCHAR, db::VARCHAR, hex(req)';
    expect(await q(ctx.wh, `${asText} FROM db.n ORDER BY id`)).toEqual(await q(ctx.wh, `${asText} FROM (VALUES ${rows}) AS v(id, ls, mk, ms, ll, d9, d18, d38, tns, tm, db, req) ORDER BY id`));
  });

  it('rejects a fixed value of the wrong length, top-level or nested, naming the column, and leaves the table and its folder unchanged', async () => {
    await ctx.wh.sql(`CREATE TABLE db.bad (id INT, f FIXED(4), s STRUCT<a: FIXED(2)>, l ARRAY<FIXED(3)>)`);
    await ctx.wh.sql(`INSERT INTO db.bad VALUES (1, unhex('01020304'), {'a': unhex('0102')}, [unhex('010203')])`);
    const before = (await ctx.wh.loadTable('db.bad')).currentSnapshot()!['snapshot-id'];
    const dataDir = join(toLocalPath((await ctx.wh.loadTable('db.bad')).location), 'data');
    const listing = await readdir(dataDir);
    const cases: [string, RegExp][] = [
      [`(2, unhex('010203'), NULL, NULL)`, /column 'f' is fixed\[4\] but a value of 3 byte\(s\) was written/],
      [`(2, NULL, {'a': unhex('010203')}, NULL)`, /column 's\.a' is fixed\[2\] but a value of 3 byte\(s\) was written/],
      [`(2, NULL, NULL, [unhex('010203'), unhex('01')])`, /column 'l\.element' is fixed\[3\] but a value of 1 byte\(s\) was written/],
    ];
    for (const [values, message] of cases) {
      const err = await ctx.wh.sql(`INSERT INTO db.bad VALUES ${values}`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as Error).message).toMatch(message);
    }
    expect((await ctx.wh.loadTable('db.bad')).currentSnapshot()!['snapshot-id']).toBe(before);
    expect(await readdir(dataDir)).toEqual(listing);
    expect(await q(ctx.wh, 'SELECT count(*) FROM db.bad')).toEqual([[1]]);
  });

  it('reads tables holding both layouts: BYTE_ARRAY files written before, and FIXED_LEN_BYTE_ARRAY files', async () => {
    await ctx.wh.sql(`CREATE TABLE db.mix (id INT, f FIXED(4), s STRUCT<a: FIXED(2)>)`);
    const t = await ctx.wh.loadTable('db.mix');
    // A file as floe wrote it before: DuckDB's BYTE_ARRAY, with field ids.
    const old = join(toLocalPath(t.location), 'data', 'old.parquet');
    await mkdir(join(toLocalPath(t.location), 'data'), { recursive: true });
    await ctx.wh.engine.run(
      `COPY (SELECT 1::INT AS id, unhex('0a0b0c0d') AS f, {'a': unhex('0e0f')} AS s) TO '${old}' (FORMAT parquet, FIELD_IDS ${fieldIdsOption(t.schema())})`,
    );
    expect((await q(ctx.wh, `SELECT type FROM parquet_schema('${old}') WHERE name = 'f'`))[0]).toEqual(['BYTE_ARRAY']);
    const stats = await readParquetStats(ctx.wh.engine, [old], t.schema());
    await t.newTransaction().appendFiles([parquetFile(FileContent.Data, `file://${old}`, {}, stats.get(old)!)]).commit();
    await ctx.wh.sql(`INSERT INTO db.mix VALUES (2, unhex('01020304'), {'a': unhex('0506')})`);
    const types = new Set<string>();
    for (const file of await dataFiles('mix')) types.add(String((await q(ctx.wh, `SELECT type FROM parquet_schema('${toLocalPath(file)}') WHERE name = 'f'`))[0]![0]));
    expect([...types].sort()).toEqual(['BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY']);
    expect(await q(ctx.wh, `SELECT id, hex(f), hex(s.a) FROM db.mix ORDER BY id`)).toEqual([
      [1, '0A0B0C0D', '0E0F'],
      [2, '01020304', '0506'],
    ]);
    expect(await q(ctx.wh, `SELECT id FROM db.mix WHERE f = unhex('01020304')`)).toEqual([[2]]);
  });

  it('compresses as the table asks where it can: gzip and uncompressed as such, zstd (no compressor here) as snappy', async () => {
    for (const [codec, want] of [['gzip', 'GZIP'], ['uncompressed', 'UNCOMPRESSED'], ['zstd', 'SNAPPY']] as const) {
      await ctx.wh.sql(`CREATE TABLE db.c_${codec} (id INT, f FIXED(4)) TBLPROPERTIES ('write.parquet.compression-codec' = '${codec}')`);
      await ctx.wh.sql(`INSERT INTO db.c_${codec} SELECT range::INT, unhex(printf('%08x', range)) FROM range(3000)`);
      const [file] = await dataFiles(`c_${codec}`);
      expect(await q(ctx.wh, `SELECT DISTINCT compression FROM parquet_metadata('${toLocalPath(file!)}')`)).toEqual([[want]]);
      expect(await q(ctx.wh, `SELECT count(*), count(DISTINCT f), min(hex(f)), max(hex(f)) FROM db.c_${codec}`)).toEqual([[3000, 3000, '00000000', '00000BB7']]);
    }
  });

  it('leaves tables without fixed columns to DuckDB alone', async () => {
    await ctx.wh.sql(`CREATE TABLE db.plain (id INT, b BINARY, u UUID)`);
    await ctx.wh.sql(`INSERT INTO db.plain VALUES (1, unhex('01'), UUID '0f8fad5b-d9cb-469f-a165-70867728950e')`);
    const [file] = await dataFiles('plain');
    expect(await q(ctx.wh, `SELECT DISTINCT compression FROM parquet_metadata('${toLocalPath(file!)}')`)).toEqual([['ZSTD']]);
    expect((await q(ctx.wh, `SELECT type FROM parquet_schema('${toLocalPath(file!)}') WHERE name = 'b'`))[0]).toEqual(['BYTE_ARRAY']);
  });

  it('refuses, leaving the file as it was, when a fixed field id is missing from the file or holds another type', async () => {
    const dir = join(tmpdir(), `floe-fixed-${process.pid}-${Date.now()}`);
    await mkdir(dir, { recursive: true });
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'x.parquet');
    await ctx.wh.engine.run(`COPY (SELECT 1::INT AS a) TO '${file}' (FORMAT parquet, FIELD_IDS {a: 1})`);
    const bytes = await readFile(file);
    const schema = (type: 'fixed[4]', id: number) => ({ type: 'struct' as const, fields: [{ id, name: 'a', required: false, type }] });
    await expect(rewriteFixedColumns(ctx.wh.engine, file, schema('fixed[4]', 1), 'SNAPPY')).rejects.toThrow(UnsupportedError);
    await expect(rewriteFixedColumns(ctx.wh.engine, file, schema('fixed[4]', 1), 'SNAPPY')).rejects.toThrow(/column 'a' as fixed\[4\]: DuckDB wrote it as INT32/);
    await expect(rewriteFixedColumns(ctx.wh.engine, file, schema('fixed[4]', 7), 'SNAPPY')).rejects.toThrow(/field id 7 is not in/);
    expect(await readFile(file)).toEqual(bytes);
    expect(await readdir(dir)).toEqual(['x.parquet']);
  });
});
