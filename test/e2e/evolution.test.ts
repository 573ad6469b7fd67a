import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('schema evolution (no data rewritten)', () => {
  it('adds, renames, widens, reorders and drops columns by field id', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.t (id INT NOT NULL, name STRING, score FLOAT)');
    await wh.sql(`INSERT INTO db.t VALUES (1, 'a', 1.5), (2, 'b', 2.5)`);
    const before = (await wh.loadTable('db.t')).currentSnapshot()!['snapshot-id'];
    await wh.sql(`ALTER TABLE db.t ADD COLUMN country STRING DEFAULT 'NL' AFTER id`);
    await wh.sql('ALTER TABLE db.t RENAME COLUMN name TO label');
    await wh.sql('ALTER TABLE db.t ALTER COLUMN id TYPE BIGINT');
    await wh.sql('ALTER TABLE db.t ALTER COLUMN score TYPE DOUBLE');
    await wh.sql(`INSERT INTO db.t (id, label, score) VALUES (3, 'c', 3.5)`);
    expect(await q(wh, 'SELECT id, country, label, score FROM db.t ORDER BY id')).toEqual([
      [1, 'NL', 'a', 1.5],
      [2, 'NL', 'b', 2.5],
      [3, 'NL', 'c', 3.5],
    ]);
    const described = await q(wh, 'DESCRIBE db.t');
    expect(described.map((r) => [r[0], r[1]])).toEqual([['id', 'long not null'], ['country', 'string'], ['label', 'string'], ['score', 'double']]);
    // Dropping and re-adding a column gives a new field id: old data never reappears.
    await wh.sql('ALTER TABLE db.t DROP COLUMN label');
    await wh.sql('ALTER TABLE db.t ADD COLUMN label STRING');
    expect(await q(wh, 'SELECT count(label) FROM db.t')).toEqual([[0]]);
    // The old snapshot still reads with the schema it was written with.
    expect(await q(wh, `SELECT * FROM db.t FOR VERSION AS OF ${before} ORDER BY id`)).toEqual([
      [1, 'a', 1.5],
      [2, 'b', 2.5],
    ]);
  });

  it('evolves nested struct fields by field id: add, rename, widen, drop, at any depth', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.n (id BIGINT, s STRUCT<x: INT, y: STRING, inner: STRUCT<a: INT, b: STRING>>, l ARRAY<STRUCT<p: INT>>)');
    await wh.sql(`INSERT INTO db.n VALUES (1, {'x': 1, 'y': 'one', 'inner': {'a': 10, 'b': 'ten'}}, [{'p': 5}]), (2, NULL, NULL)`);
    const before = (await wh.loadTable('db.n')).currentSnapshot()!['snapshot-id'];
    await wh.sql('ALTER TABLE db.n ADD COLUMN s.z DOUBLE');
    await wh.sql('ALTER TABLE db.n RENAME COLUMN s.x TO xx');
    await wh.sql('ALTER TABLE db.n RENAME COLUMN s.inner.a TO aa');
    await wh.sql('ALTER TABLE db.n ALTER COLUMN s.xx TYPE BIGINT');
    await wh.sql('ALTER TABLE db.n DROP COLUMN s.y');
    await wh.sql(`INSERT INTO db.n VALUES (3, {'xx': 3, 'inner': {'aa': 30, 'b': 'thirty'}, 'z': 3.5}, [{'p': 7}])`);
    // Old files keep their old nested names; they must still read by id, never as NULL.
    expect(await q(wh, 'SELECT id, s.xx, s.inner.aa, s.inner.b, s.z, l[1].p FROM db.n ORDER BY id')).toEqual([
      [1, 1, 10, 'ten', null, 5],
      [2, null, null, null, null, null],
      [3, 3, 30, 'thirty', 3.5, 7],
    ]);
    expect(await q(wh, 'SELECT id FROM db.n WHERE s.xx >= 1 AND s IS NOT NULL ORDER BY id')).toEqual([[1], [3]]);
    // A dropped nested field never comes back; re-adding the name gives a new id and reads NULL for old rows.
    await wh.sql('ALTER TABLE db.n ADD COLUMN s.y STRING');
    expect(await q(wh, 'SELECT count(s.y) FROM db.n')).toEqual([[0]]);
    // Row-level changes read old files through the same projection.
    await wh.sql('UPDATE db.n SET id = 10 WHERE s.inner.aa = 10');
    expect(await q(wh, 'SELECT id, s.xx FROM db.n ORDER BY id')).toEqual([[2, null], [3, 3], [10, 1]]);
    // Time travel reads the snapshot's own schema.
    expect(await q(wh, `SELECT s.x, s.y, s.inner.a FROM db.n FOR VERSION AS OF ${before} WHERE id = 1`)).toEqual([[1, 'one', 10]]);
  });

  it('evolves structs inside lists and map values (Spark paths l.element.f, m.value.f)', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.ls (id INT, l ARRAY<STRUCT<a: INT, b: STRING>>, m MAP<STRING, STRUCT<a: INT>>)');
    await wh.sql(`INSERT INTO db.ls VALUES (1, [{'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}], MAP {'k': {'a': 7}})`);
    await wh.sql('ALTER TABLE db.ls RENAME COLUMN l.element.a TO aa');
    await wh.sql('ALTER TABLE db.ls ADD COLUMN l.element.c DOUBLE');
    await wh.sql('ALTER TABLE db.ls DROP COLUMN l.b');
    await wh.sql('ALTER TABLE db.ls RENAME COLUMN m.value.a TO z');
    await wh.sql(`INSERT INTO db.ls VALUES (2, [{'aa': 5, 'c': 1.5}], MAP {'j': {'z': 9}})`);
    expect(await q(wh, `SELECT id, list_transform(l, lambda e: e.aa), list_transform(l, lambda e: e.c), map_values(m)[1].z FROM db.ls ORDER BY id`)).toEqual([
      [1, [1, 2], [null, null], 7],
      [2, [5], [1.5], 9],
    ]);
    const location = (await wh.loadTable('db.ls')).metadataLocation;
    await expect(wh.sql('ALTER TABLE db.ls ADD COLUMN m.key.q INT')).rejects.toThrow(/map keys cannot evolve/);
    await expect(wh.sql('ALTER TABLE db.ls ADD COLUMN id.x INT')).rejects.toThrow(/holds no struct/);
    expect((await wh.loadTable('db.ls')).metadataLocation).toBe(location);
  });

  it('refuses changes the spec does not allow, leaving the table unchanged', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.u (id BIGINT, d DATE, s STRING) PARTITIONED BY (day(d))');
    const location = (await wh.loadTable('db.u')).metadataLocation;
    await expect(wh.sql('ALTER TABLE db.u ALTER COLUMN id TYPE INT')).rejects.toThrow(/cannot change column 'id' from long to int/);
    await expect(wh.sql('ALTER TABLE db.u ALTER COLUMN s SET NOT NULL')).rejects.toThrow(/cannot make column 's' NOT NULL/);
    await expect(wh.sql('ALTER TABLE db.u DROP COLUMN d')).rejects.toThrow(/partition spec uses it/);
    // spec: date → timestamp is a v3 promotion; a v2 table keeps INT32 dates that v2 readers cannot read as timestamps.
    await expect(wh.sql('ALTER TABLE db.u ALTER COLUMN d TYPE TIMESTAMP')).rejects.toThrow(/cannot change column 'd' from date to timestamp/);
    await expect(wh.sql('ALTER TABLE db.u ADD COLUMN s INT')).rejects.toThrow(/already exists/);
    await expect(wh.sql('ALTER TABLE db.u ADD COLUMN r INT NOT NULL')).rejects.toThrow(/without a DEFAULT/);
    await expect(wh.sql('ALTER TABLE db.u RENAME COLUMN nope TO x')).rejects.toThrow(/'nope' does not exist/);
    expect((await wh.loadTable('db.u')).metadataLocation).toBe(location);
  });
});

describe('partition evolution, sort order, properties, branches and tags', () => {
  it('prunes across old and new specs', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.e (id BIGINT, d DATE) PARTITIONED BY (month(d))');
    await wh.sql(`INSERT INTO db.e SELECT range, DATE '2024-01-01' + CAST(range AS INT) FROM range(60)`);
    await wh.sql('ALTER TABLE db.e REPLACE PARTITION FIELD month(d) WITH day(d)');
    await wh.sql('ALTER TABLE db.e ADD PARTITION FIELD bucket(4, id)');
    await wh.sql(`INSERT INTO db.e SELECT range + 100, DATE '2024-03-01' + CAST(range AS INT) FROM range(10)`);
    const specs = (await wh.loadTable('db.e')).metadata['partition-specs'];
    expect(specs.map((s) => s.fields.map((f) => f.transform))).toEqual([['month'], ['day'], ['day', 'bucket[4]']]);
    const r = await wh.sql(`SELECT count(*) FROM db.e WHERE d = DATE '2024-01-15'`);
    expect(r.rows).toEqual([[1n]]);
    expect(r.scans[0]!.metrics.dataFilesSelected).toBe(1);
    const r2 = await wh.sql(`SELECT count(*) FROM db.e WHERE d = DATE '2024-03-05'`);
    expect(r2.rows).toEqual([[1n]]);
    expect(r2.scans[0]!.metrics.dataFilesSelected).toBe(1);
    expect(await q(wh, 'SELECT count(*) FROM db.e')).toEqual([[70]]);
  });

  it('sets properties and write order, and manages branches and tags', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.b (id INT, v STRING)');
    await wh.sql(`ALTER TABLE db.b SET TBLPROPERTIES ('write.delete.mode' = 'merge-on-read', 'owner' = 'me')`);
    await wh.sql(`ALTER TABLE db.b UNSET TBLPROPERTIES ('owner')`);
    await wh.sql('ALTER TABLE db.b WRITE ORDERED BY id DESC');
    await wh.sql(`INSERT INTO db.b VALUES (1, 'a'), (3, 'c'), (2, 'b')`);
    const t = await wh.loadTable('db.b');
    expect(t.properties['write.delete.mode']).toBe('merge-on-read');
    expect(t.properties.owner).toBeUndefined();
    expect(t.sortOrder().fields).toEqual([{ transform: 'identity', 'source-id': 1, direction: 'desc', 'null-order': 'nulls-last' }]);
    await wh.sql('ALTER TABLE db.b CREATE TAG v1');
    await wh.sql('ALTER TABLE db.b CREATE BRANCH audit');
    await wh.sql(`INSERT INTO db.b.branch_audit VALUES (4, 'd')`);
    expect(await q(wh, 'SELECT count(*) FROM db.b')).toEqual([[3]]);
    expect(await q(wh, `SELECT count(*) FROM db.b FOR VERSION AS OF 'audit'`)).toEqual([[4]]);
    expect(await q(wh, `SELECT count(*) FROM db.b FOR VERSION AS OF 'v1'`)).toEqual([[3]]);
    await expect(wh.sql(`INSERT INTO db.b.branch_v1 VALUES (9, 'x')`)).rejects.toThrow(/tags are read-only/);
    await expect(wh.sql('ALTER TABLE db.b CREATE TAG v1')).rejects.toThrow(/already exists/);
    await wh.sql('ALTER TABLE db.b DROP BRANCH audit');
    await expect(wh.sql(`SELECT count(*) FROM db.b FOR VERSION AS OF 'audit'`)).rejects.toThrow(/'audit' does not exist/);
    await wh.sql('ALTER TABLE db.b RENAME TO db.b2');
    expect(await q(wh, 'SELECT count(*) FROM db.b2')).toEqual([[3]]);
  });

  it('stores branch and tag retention in refs as the spec names it', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.r (id INT)');
    await wh.sql('INSERT INTO db.r VALUES (1)');
    const first = (await wh.loadTable('db.r')).currentSnapshot()!['snapshot-id'];
    await wh.sql('INSERT INTO db.r VALUES (2)');
    await wh.sql(`ALTER TABLE db.r CREATE BRANCH b AS OF VERSION ${first} RETAIN 7 DAYS WITH SNAPSHOT RETENTION 3 SNAPSHOTS 2 DAYS`);
    await wh.sql(`ALTER TABLE db.r CREATE TAG t AS OF VERSION ${first} RETAIN 12 HOURS`);
    const refs = (await wh.loadTable('db.r')).metadata.refs;
    expect(refs.b).toEqual({ 'snapshot-id': first, type: 'branch', 'max-ref-age-ms': 7 * 86_400_000, 'min-snapshots-to-keep': 3, 'max-snapshot-age-ms': 2 * 86_400_000 });
    expect(refs.t).toEqual({ 'snapshot-id': first, type: 'tag', 'max-ref-age-ms': 12 * 3_600_000 });
    expect(await q(wh, `SELECT name, max_reference_age_in_ms, min_snapshots_to_keep, max_snapshot_age_in_ms FROM db."r$refs" WHERE name = 'b'`)).toEqual([
      ['b', 7 * 86_400_000, 3, 2 * 86_400_000],
    ]);
    await expect(wh.sql('ALTER TABLE db.r CREATE TAG t2 WITH SNAPSHOT RETENTION 2 SNAPSHOTS')).rejects.toThrow(/branches only/);
    // Every write path refuses a tag and leaves the table unchanged.
    const location = (await wh.loadTable('db.r')).metadataLocation;
    await wh.sql(`SET floe.branch = t`);
    await expect(wh.sql('DELETE FROM db.r WHERE id = 1')).rejects.toThrow(/tag 't': tags are read-only/);
    await expect(wh.sql('UPDATE db.r SET id = 5')).rejects.toThrow(/tag 't': tags are read-only/);
    await expect(wh.sql('MERGE INTO db.r USING (SELECT 1 AS id) s ON r.id = s.id WHEN MATCHED THEN DELETE')).rejects.toThrow(/tag 't': tags are read-only/);
    await wh.sql('RESET floe.branch');
    expect((await wh.loadTable('db.r')).metadataLocation).toBe(location);
  });
});
