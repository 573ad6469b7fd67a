import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBEngine } from '../../src/engine/duckdb.js';
import { materialize, type Relation } from '../../src/engine/materialize.js';

let engine: DuckDBEngine;
beforeAll(async () => {
  engine = await DuckDBEngine.create({ threads: 1 });
});
afterAll(() => engine.close());

describe('materialize', () => {
  it('keeps nested cells exact: bytes, hostile text, big integers, NaN, maps and lists of structs', async () => {
    const allBytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const hostile = `it's "quoted" \\ back\\slash, ☃ and \n newline`;
    const rel: Relation = {
      columns: [
        { name: 'id', type: 'INTEGER' },
        { name: 's', type: 'STRUCT(b BLOB, t VARCHAR, n BIGINT, d DOUBLE, day DATE, amt DECIMAL(38, 10), "odd name" VARCHAR)' },
        { name: 'm', type: 'MAP(INTEGER, VARCHAR)' },
        { name: 'l', type: 'STRUCT(x INTEGER)[]' },
      ],
      rows: [
        [
          1,
          { struct: [['b', allBytes], ['t', hostile], ['n', 2n ** 62n + 1n], ['d', Number.NaN], ['day', '1969-12-31'], ['amt', '-1234567890123456789012345678.0123456789'], ['odd name', 'ok']] },
          new Map<number, string>([[1, hostile], [-2, '']]),
          [{ struct: [['x', 1]] }, null, { struct: [['x', null]] }],
        ],
        [2, null, new Map(), []],
        [3, { struct: [['b', new Uint8Array()], ['t', null], ['n', null], ['d', -Infinity], ['day', null], ['amt', null], ['odd name', null]] }, null, null],
      ],
    };
    await materialize(engine, 'mt', rel);
    const r = await engine.query('SELECT id, s, m, l, typeof(s), typeof(m), typeof(l) FROM mt ORDER BY id');
    expect(r.rows[0]![1]).toEqual({ b: allBytes, t: hostile, n: 2n ** 62n + 1n, d: Number.NaN, day: '1969-12-31', amt: '-1234567890123456789012345678.0123456789', 'odd name': 'ok' });
    expect(r.rows[0]![2]).toEqual([{ key: 1, value: hostile }, { key: -2, value: '' }]);
    expect(r.rows[0]![3]).toEqual([{ x: 1 }, null, { x: null }]);
    expect(r.rows[0]!.slice(4)).toEqual([
      'STRUCT(b BLOB, t VARCHAR, n BIGINT, d DOUBLE, "day" DATE, amt DECIMAL(38,10), "odd name" VARCHAR)',
      'MAP(INTEGER, VARCHAR)',
      'STRUCT(x INTEGER)[]',
    ]);
    expect(r.rows[1]!.slice(1, 4)).toEqual([null, [], []]);
    expect(r.rows[2]!.slice(1, 4)).toEqual([{ b: new Uint8Array(), t: null, n: null, d: -Infinity, day: null, amt: null, 'odd name': null }, null, null]);
    expect((await engine.query(`SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'mt%'`)).rows).toEqual([[1n]]);
  });
});
