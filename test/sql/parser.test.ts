import { describe, expect, it } from 'vitest';
import { SqlParseError } from '../../src/errors.js';
import { parseScript, parseStatement } from '../../src/sql/parser.js';
import { splitStatements } from '../../src/sql/split.js';

const query = (sql: string) => {
  const s = parseStatement(sql);
  if (s.kind !== 'query') throw new Error(`not a query: ${s.kind}`);
  return s.query;
};

describe('query references', () => {
  it('finds tables in FROM, JOIN, comma joins, subqueries, CTEs and set operations', () => {
    const q = query(`WITH recent AS (SELECT * FROM db.orders WHERE d > 1)
      SELECT * FROM recent r JOIN db.customers c ON r.c = c.id, db.extra AS x
      WHERE r.id IN (SELECT id FROM "Db"."Mixed") UNION ALL SELECT * FROM (SELECT * FROM db.more) m, db.last`);
    expect(q.refs.map((r) => [r.name.join('.'), r.cte ?? false])).toEqual([
      ['db.orders', false],
      ['recent', true],
      ['db.customers', false],
      ['db.extra', false],
      ['Db.Mixed', false],
      ['db.more', false],
      ['db.last', false],
    ]);
    for (const r of q.refs) expect(q.sql.slice(r.start, r.end).replace(/"/g, '').toLowerCase()).toBe(r.name.join('.').toLowerCase());
  });
  it('ignores table-like text in strings, column names and FROM inside functions', () => {
    const q = query(`SELECT 'FROM db.fake', extract(year FROM ts), a IS DISTINCT FROM b, "from" FROM db.real`);
    expect(q.refs.map((r) => r.name.join('.'))).toEqual(['db.real']);
  });
  it('parses Athena/Trino time travel and metadata tables', () => {
    const q = query(`SELECT * FROM db.t FOR VERSION AS OF 123 a JOIN db.u FOR TIMESTAMP AS OF TIMESTAMP '2024-01-01 00:00:00' b ON true
      JOIN db.v FOR VERSION AS OF 'audit' ON true CROSS JOIN "db"."t$snapshots"`);
    expect(q.refs[0]).toMatchObject({ name: ['db', 't'], timeTravel: { kind: 'version', value: '123' } });
    expect(q.sql.slice(q.refs[0]!.start, q.refs[0]!.end)).toBe('db.t FOR VERSION AS OF 123');
    expect(q.refs[1]).toMatchObject({ timeTravel: { kind: 'timestamp', expr: "TIMESTAMP '2024-01-01 00:00:00'" } });
    expect(q.refs[2]).toMatchObject({ timeTravel: { kind: 'version', value: 'audit' } });
    expect(q.refs[3]).toMatchObject({ name: ['db', 't'], metadataTable: 'snapshots' });
  });
  it('finds path-based table functions with named arguments', () => {
    const q = query(`SELECT * FROM iceberg_scan('/data/t', allow_moved_paths => true, version => '2') s`);
    expect(q.functions).toHaveLength(1);
    const [f] = q.functions;
    expect(q.sql.slice(f!.start, f!.end)).toBe(`iceberg_scan('/data/t', allow_moved_paths => true, version => '2')`);
    expect(f).toMatchObject({ fn: 'iceberg_scan', args: { positional: ["'/data/t'"], named: { allow_moved_paths: 'true', version: "'2'" } } });
  });
});

describe('statements', () => {
  it('parses CREATE TABLE with types, partitioning and properties', () => {
    const s = parseStatement(`CREATE TABLE IF NOT EXISTS Db.T (id BIGINT NOT NULL COMMENT 'key', price DECIMAL(10, 2), tags ARRAY<STRING>,
      attrs MAP<STRING, LIST<INT>>, addr STRUCT<city: STRING, zip INT>, ts TIMESTAMP WITH TIME ZONE)
      PARTITIONED BY (bucket(16, id), days(ts), truncate(ts, 4)) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
    expect(s).toMatchObject({
      kind: 'createTable',
      name: ['db', 't'],
      ifNotExists: true,
      partitionBy: [
        { transform: 'bucket', column: 'id', param: 16 },
        { transform: 'day', column: 'ts' },
        { transform: 'truncate', column: 'ts', param: 4 },
      ],
      properties: { 'write.delete.mode': 'merge-on-read' },
    });
    if (s.kind !== 'createTable') throw new Error();
    expect(s.columns.map((c) => c.type.kind)).toEqual(['primitive', 'decimal', 'list', 'map', 'struct', 'primitive']);
    expect(s.columns[0]).toMatchObject({ name: 'id', notNull: true, comment: 'key' });
    expect(s.columns[5]!.type).toEqual({ kind: 'primitive', name: 'timestamptz' });
  });
  it('parses CTAS, INSERT INTO a branch, INSERT OVERWRITE with columns', () => {
    expect(parseStatement('CREATE TABLE db.x AS SELECT 1 AS a')).toMatchObject({ kind: 'createTable', asQuery: { sql: 'SELECT 1 AS a' } });
    expect(parseStatement('INSERT INTO db.t.branch_dev SELECT * FROM db.s')).toMatchObject({ kind: 'insert', table: ['db', 't', 'branch_dev'], branch: 'dev', overwrite: false });
    expect(parseStatement("INSERT OVERWRITE db.t (a, b) VALUES (1, 'x')")).toMatchObject({ kind: 'insert', overwrite: true, columns: ['a', 'b'], source: { sql: "VALUES (1, 'x')" } });
  });
  it('parses DELETE, UPDATE and MERGE', () => {
    expect(parseStatement('DELETE FROM db.t WHERE id IN (SELECT id FROM db.gone)')).toMatchObject({ kind: 'delete', table: ['db', 't'], where: { sql: 'id IN (SELECT id FROM db.gone)', refs: [{ name: ['db', 'gone'] }] } });
    const u = parseStatement('UPDATE db.t AS x SET x.v = v * 2, note = NULL WHERE id > 3');
    expect(u).toMatchObject({ kind: 'update', alias: 'x', where: { sql: 'id > 3' } });
    if (u.kind !== 'update') throw new Error();
    expect(u.assignments.map((a) => [a.column, a.valueSql.sql])).toEqual([['v', 'v * 2'], ['note', 'NULL']]);
    const m = parseStatement(`MERGE INTO db.t t USING (SELECT * FROM db.s) s ON t.id = s.id
      WHEN MATCHED AND s.op = 'd' THEN DELETE WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)`);
    expect(m).toMatchObject({ kind: 'merge', target: ['db', 't'], targetAlias: 't', sourceAlias: 's', on: { sql: 't.id = s.id' } });
    if (m.kind !== 'merge') throw new Error();
    expect(m.clauses.map((c) => [c.matched, c.action.type, c.condition?.sql])).toEqual([[true, 'delete', "s.op = 'd'"], [true, 'update', undefined], [false, 'insert', undefined]]);
  });
  it('parses ALTER TABLE forms', () => {
    const alter = (s: string) => (parseStatement(`ALTER TABLE db.t ${s}`) as { action: unknown }).action;
    expect(alter('ADD COLUMN c INT AFTER b')).toMatchObject({ type: 'addColumns', columns: [{ name: 'c', after: 'b' }] });
    expect(alter('RENAME COLUMN a TO b')).toEqual({ type: 'renameColumn', from: 'a', to: 'b' });
    expect(alter('ALTER COLUMN a TYPE BIGINT')).toMatchObject({ type: 'alterColumn', column: 'a', newType: { kind: 'primitive', name: 'long' } });
    expect(alter('ADD PARTITION FIELD bucket(8, id)')).toMatchObject({ type: 'addPartitionField', term: { transform: 'bucket', param: 8 } });
    expect(alter('REPLACE PARTITION FIELD day(ts) WITH hour(ts)')).toMatchObject({ type: 'replacePartitionField' });
    expect(alter('WRITE ORDERED BY id DESC NULLS LAST')).toMatchObject({ type: 'writeOrderedBy', fields: [{ direction: 'desc', nullOrder: 'nulls-last' }] });
    expect(alter('CREATE BRANCH audit')).toMatchObject({ type: 'createRef', refType: 'branch', name: 'audit' });
    expect(alter("SET TBLPROPERTIES ('a' = 'b')")).toEqual({ type: 'setProperties', properties: { a: 'b' } });
  });
  it('parses namespaces, SHOW, DESCRIBE, SET and USE', () => {
    expect(parseScript('CREATE SCHEMA IF NOT EXISTS a.b; DROP NAMESPACE x CASCADE; SHOW TABLES IN a; DESCRIBE EXTENDED a.t; SET floe.branch = dev; USE a')).toEqual([
      { kind: 'createNamespace', name: ['a', 'b'], ifNotExists: true },
      { kind: 'dropNamespace', name: ['x'], ifExists: false, cascade: true },
      { kind: 'showTables', namespace: ['a'] },
      { kind: 'describe', name: ['a', 't'], extended: true },
      { kind: 'set', key: 'floe.branch', value: 'dev' },
      { kind: 'set', key: 'floe.namespace', value: 'a' },
    ]);
  });
});

describe('errors and splitting', () => {
  it('names the position and what was expected', () => {
    expect(() => parseStatement('SELEC 1')).toThrow(/syntax error at 1:1: unknown statement 'SELEC'/);
    expect(() => parseStatement('CREATE TABLE db.t (id INT,')).toThrow(/syntax error at 1:27: expected a column name, found end of statement/);
    expect(() => parseStatement('CREATE TABLE db.t (id WIBBLE)')).toThrow(/unknown column type 'WIBBLE'/);
    expect(() => parseStatement("SELECT 'open")).toThrow(SqlParseError);
    expect(() => parseStatement('DROP TABLE db.t extra')).toThrow(/expected end of statement, found 'extra'/);
  });
  it('splits scripts outside strings and comments', () => {
    expect(splitStatements(`SELECT ';'; -- a; comment\n SELECT "a;b" FROM t; /* ; */ ;`)).toEqual([`SELECT ';'`, `-- a; comment\n SELECT "a;b" FROM t`]);
  });
});
