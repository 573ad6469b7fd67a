import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

const ROWS = "(1, 'click', 10, TIMESTAMP '2026-01-01 10:00:00'), (2, 'view', 20, TIMESTAMP '2026-01-01 11:00:00'), (3, 'click', NULL, TIMESTAMP '2026-01-02 10:00:00'), (4, 'buy', 40, TIMESTAMP '2026-01-02 12:00:00'), (5, 'view', 50, TIMESTAMP '2026-01-03 09:00:00'), (6, NULL, 60, TIMESTAMP '2026-01-03 10:00:00')";

/** Two identical tables: `db.api` changed through the library, `db.sqltwin` through SQL. */
async function twins(mode: string): Promise<void> {
  for (const name of ['api', 'sqltwin']) {
    await ctx.wh.sql(
      `CREATE TABLE db.${name} (id INT, kind STRING, n BIGINT, at TIMESTAMP) PARTITIONED BY (bucket(2, id)) TBLPROPERTIES ('write.delete.mode' = '${mode}', 'write.update.mode' = '${mode}', 'write.merge.mode' = '${mode}')`,
    );
    await ctx.wh.sql(`INSERT INTO db.${name} VALUES ${ROWS}`);
  }
}

async function same(): Promise<unknown[][]> {
  const a = await q(ctx.wh, 'SELECT * FROM db.api ORDER BY id, kind, n');
  const b = await q(ctx.wh, 'SELECT * FROM db.sqltwin ORDER BY id, kind, n');
  expect(a).toEqual(b);
  return a;
}

for (const mode of ['copy-on-write', 'merge-on-read'] as const) {
  describe(`row API (${mode})`, () => {
    it('deleteRows matches DELETE with the same predicate', async () => {
      await twins(mode);
      const r = await ctx.wh.deleteRows('db.api', {
        op: 'or',
        left: { op: 'and', left: { op: 'eq', column: 'kind', value: 'click' }, right: { op: 'not', child: { op: 'gt', column: 'n', value: 15 } } },
        right: { op: 'in', column: 'id', values: [5, 6] },
      });
      const s = await ctx.wh.sql("DELETE FROM db.sqltwin WHERE (kind = 'click' AND NOT (n > 15)) OR id IN (5, 6)");
      expect(r.deleted).toBe(Number(s.rows[0]![0]));
      expect(r.deleted).toBe(3);
      expect(r.table.currentSnapshot()?.summary.operation).toBeDefined();
      expect((await same()).map((x) => x[0])).toEqual([2, 3, 4]);
      // The API honours write.delete.mode: position delete files only under merge-on-read.
      const deleteFiles = await q(ctx.wh, `SELECT count(*) FROM db."api$files" WHERE content = 1`);
      expect(deleteFiles[0]![0] as number > 0).toBe(mode === 'merge-on-read');
      // A NULL comparison matches neither the predicate nor its negation (SQL semantics).
      const none = await ctx.wh.deleteRows('db.api', { op: 'not', child: { op: 'gt', column: 'n', value: 0 } });
      expect(none.deleted).toBe(0);
    });

    it('updateRows matches UPDATE with the same values', async () => {
      await twins(mode);
      const r = await ctx.wh.updateRows('db.api', {
        set: { kind: 'seen', n: 7n, at: new Date('2026-02-01T00:00:00Z') },
        where: { op: 'or', left: { op: 'startsWith', column: 'kind', value: 'vi' }, right: { op: 'isNull', column: 'n' } },
      });
      const s = await ctx.wh.sql("UPDATE db.sqltwin SET kind = 'seen', n = 7, at = TIMESTAMP '2026-02-01 00:00:00' WHERE starts_with(kind, 'vi') OR n IS NULL");
      expect(r.updated).toBe(Number(s.rows[0]![0]));
      expect(r.updated).toBe(3);
      await same();
      const nulls = await ctx.wh.updateRows('db.api', { set: { n: null }, where: { op: 'isNull', column: 'kind' } });
      await ctx.wh.sql('UPDATE db.sqltwin SET n = NULL WHERE kind IS NULL');
      expect(nulls.updated).toBe(1);
      const rows = await same();
      expect(rows.find((x) => x[0] === 6)![2]).toBeNull();
    });

    it('mergeRows matches MERGE (update + insert, then delete)', async () => {
      await twins(mode);
      const r = await ctx.wh.mergeRows('db.api', {
        source: [
          { id: 2, kind: 'VIEW', n: 21 },
          { id: 4, kind: 'BUY', n: 41 },
          { id: 9, kind: 'new', n: 90 },
        ],
        on: ['id'],
      });
      const s = await ctx.wh.sql(`MERGE INTO db.sqltwin t USING (VALUES (2, 'VIEW', 21), (4, 'BUY', 41), (9, 'new', 90)) AS src(id, kind, n) ON t.id = src.id
        WHEN MATCHED THEN UPDATE SET kind = src.kind, n = src.n WHEN NOT MATCHED THEN INSERT (id, kind, n) VALUES (src.id, src.kind, src.n)`);
      expect([r.updated, r.deleted, r.inserted]).toEqual(s.rows[0]!.map(Number));
      expect([r.updated, r.deleted, r.inserted]).toEqual([2, 0, 1]);
      const rows = await same();
      expect(rows.find((x) => x[0] === 9)).toEqual([9, 'new', 90, null]);

      const d = await ctx.wh.mergeRows('db.api', { source: [{ id: 1 }, { id: 3 }, { id: 77 }], on: ['id'], whenMatched: 'delete', whenNotMatched: 'ignore' });
      await ctx.wh.sql('MERGE INTO db.sqltwin t USING (VALUES (1), (3), (77)) AS src(id) ON t.id = src.id WHEN MATCHED THEN DELETE');
      expect([d.updated, d.deleted, d.inserted]).toEqual([0, 2, 0]);
      expect((await same()).map((x) => x[0])).toEqual([2, 4, 5, 6, 9]);
    });

    it('mergeRows fails when two source rows match one target row (cardinality), changing nothing', async () => {
      await ctx.wh.sql(`CREATE TABLE db.t (id INT, v STRING) TBLPROPERTIES ('write.merge.mode' = '${mode}')`);
      await ctx.wh.sql("INSERT INTO db.t VALUES (1, 'a'), (1, 'b'), (2, 'c')");
      const before = (await ctx.wh.loadTable('db.t')).metadataLocation;
      await expect(
        ctx.wh.mergeRows('db.t', {
          source: [
            { id: 2, v: 'x' },
            { id: 2, v: 'y' },
          ],
          on: ['id'],
        }),
      ).rejects.toThrow(/matched one target row with 2 source rows/);
      expect((await ctx.wh.loadTable('db.t')).metadataLocation).toBe(before);
      // One source row matching two target rows updates both, as MERGE does (SQL standard).
      const r = await ctx.wh.mergeRows('db.t', { source: [{ id: 1, v: 'x' }], on: ['id'] });
      expect([r.updated, r.inserted]).toEqual([2, 0]);
      expect(await q(ctx.wh, 'SELECT * FROM db.t ORDER BY id, v')).toEqual([
        [1, 'x'],
        [1, 'x'],
        [2, 'c'],
      ]);
    });
  });
}

describe('row API: bad input, hostile strings, branches', () => {
  it('names unknown columns and rejects values of the wrong type, changing nothing', async () => {
    const wh = ctx.wh;
    await wh.sql("CREATE TABLE db.t (id INT, kind STRING, ok BOOLEAN)");
    await wh.sql("INSERT INTO db.t VALUES (1, 'a', true), (2, 'b', false)");
    const before = (await wh.loadTable('db.t')).metadataLocation;
    const cases: [() => Promise<unknown>, RegExp][] = [
      [() => wh.deleteRows('db.t', { op: 'eq', column: 'nope', value: 1 }), /unknown column 'nope'/],
      [() => wh.updateRows('db.t', { set: { missing: 1 } }), /unknown column 'missing'/],
      [() => wh.updateRows('db.t', { set: { kind: 'x' }, where: { op: 'isNull', column: 'ghost' } }), /unknown column 'ghost'/],
      [() => wh.mergeRows('db.t', { source: [{ id: 1, extra: 2 }], on: ['id'] }), /unknown column 'extra'/],
      [() => wh.mergeRows('db.t', { source: [{ id: 1 }], on: ['key'] }), /unknown column 'key'/],
      [() => wh.deleteRows('db.t', { op: 'eq', column: 'id', value: 'one' }), /cannot convert 'one' to int.*'id'/],
      [() => wh.deleteRows('db.t', { op: 'eq', column: 'id', value: 1.5 }), /cannot convert 1.5 to int/],
      [() => wh.deleteRows('db.t', { op: 'eq', column: 'kind', value: 5 }), /cannot convert 5 to string.*'kind'/],
      [() => wh.updateRows('db.t', { set: { ok: 'maybe' } }), /cannot convert maybe to boolean.*'ok'/],
      [() => wh.updateRows('db.t', { set: { id: 2 ** 40 } }), /cannot convert .* to int/],
      [() => wh.deleteRows('db.t', { op: 'startsWith', column: 'id', value: '1' }), /startsWith needs a string column/],
    ];
    for (const [p, msg] of cases) {
      const e = await p().then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(ValidationError);
      expect(String((e as Error).message)).toMatch(msg);
    }
    expect((await wh.loadTable('db.t')).metadataLocation).toBe(before);
  });

  it('treats quotes and semicolons in column names and values as data', async () => {
    const wh = ctx.wh;
    const col = `we"ird'; col`;
    await wh.sql(`CREATE TABLE db.h (id INT, "we""ird'; col" STRING)`);
    const evil = `x'); DROP TABLE db.h; --"`;
    await wh.appendRows('db.h', [
      { id: 1, [col]: evil },
      { id: 2, [col]: 'plain' },
      { id: 3, [col]: `it's` },
    ]);
    const d = await wh.deleteRows('db.h', { op: 'eq', column: col, value: evil });
    expect(d.deleted).toBe(1);
    const u = await wh.updateRows('db.h', { set: { [col]: `'; DELETE FROM db.h; --` }, where: { op: 'in', column: col, values: [`it's`, `"; x`] } });
    expect(u.updated).toBe(1);
    const m = await wh.mergeRows('db.h', { source: [{ id: 2, [col]: `a"b'c` }, { id: 4, [col]: `;;` }], on: ['id'] });
    expect([m.updated, m.inserted]).toEqual([1, 1]);
    expect(await q(wh, 'SELECT * FROM db.h ORDER BY id')).toEqual([
      [2, `a"b'c`],
      [3, `'; DELETE FROM db.h; --`],
      [4, ';;'],
    ]);
    // A merge keyed by the hostile column itself.
    const k = await wh.mergeRows('db.h', { source: [{ [col]: ';;', id: 40 }], on: [col] });
    expect(k.updated).toBe(1);
    expect(await q(wh, `SELECT id FROM db.h WHERE "we""ird'; col" = ';;'`)).toEqual([[40]]);
  });

  it('writes to the branch given, leaving main as it was', async () => {
    const wh = ctx.wh;
    await wh.sql("CREATE TABLE db.t (id INT, v STRING) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')");
    await wh.sql("INSERT INTO db.t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    await wh.sql('ALTER TABLE db.t CREATE BRANCH audit');
    const mainSnap = (await wh.loadTable('db.t')).metadata['current-snapshot-id'];
    const d = await wh.deleteRows('db.t', { op: 'eq', column: 'id', value: 1 }, { branch: 'audit' });
    const u = await wh.updateRows('db.t', { set: { v: 'B' }, where: { op: 'eq', column: 'id', value: 2 }, branch: 'audit' });
    const m = await wh.mergeRows('db.t', { source: [{ id: 3, v: 'C' }, { id: 4, v: 'd' }], on: ['id'], branch: 'audit' });
    expect([d.deleted, u.updated, m.updated, m.inserted]).toEqual([1, 1, 1, 1]);
    expect(m.table.metadata['current-snapshot-id']).toBe(mainSnap);
    expect(await q(wh, 'SELECT * FROM db.t ORDER BY id')).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(await q(wh, `SELECT * FROM db.t FOR VERSION AS OF 'audit' ORDER BY id`)).toEqual([
      [2, 'B'],
      [3, 'C'],
      [4, 'd'],
    ]);
    await expect(wh.deleteRows('db.t', { op: 'alwaysTrue' }, { branch: 'nosuch' })).rejects.toThrow(/branch 'nosuch'/);
  });
});
