import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

describe('upsert by identifier fields (equality deletes)', () => {
  it('replaces rows with the same key and keeps every snapshot readable', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.u (id BIGINT NOT NULL, name STRING, v INT) PARTITIONED BY (bucket(4, id))');
    await wh.sql('ALTER TABLE db.u SET IDENTIFIER FIELDS id');
    await wh.upsertRows('db.u', [
      { id: 1, name: 'a', v: 1 },
      { id: 2, name: 'b', v: 2 },
      { id: 3, name: 'c', v: 3 },
    ]);
    const first = (await wh.loadTable('db.u')).currentSnapshot()!['snapshot-id'];
    const t = await wh.upsertRows('db.u', [
      { id: 2, name: 'B', v: 20 },
      { id: 4, name: 'd', v: 4 },
    ]);
    expect(await q(wh, 'SELECT id, name, v FROM db.u ORDER BY id')).toEqual([
      [1, 'a', 1],
      [2, 'B', 20],
      [3, 'c', 3],
      [4, 'd', 4],
    ]);
    expect(await q(wh, `SELECT count(*) FROM db.u FOR VERSION AS OF ${first}`)).toEqual([[3]]);
    expect(t.currentSnapshot()!.summary['added-equality-deletes']).toBe('2');
    const deletes = await q(wh, `SELECT content, record_count FROM db."u$files" WHERE content = 2`);
    expect(deletes.reduce((a, r) => a + Number(r[1]), 0)).toBe(5); // both upserts wrote their keys
  });

  it('refuses tables it cannot upsert into and repeated keys', async () => {
    const wh = ctx.wh;
    await wh.sql('CREATE TABLE db.n (id BIGINT NOT NULL, d DATE) PARTITIONED BY (d)');
    await expect(wh.upsertRows('db.n', [{ id: 1, d: '2024-01-01' }])).rejects.toThrow(/no identifier fields/);
    await wh.sql('ALTER TABLE db.n SET IDENTIFIER FIELDS id');
    await expect(wh.upsertRows('db.n', [{ id: 1, d: '2024-01-01' }])).rejects.toThrow(/not derived from the identifier fields/);
    await wh.sql('CREATE TABLE db.k (id BIGINT NOT NULL, v INT)');
    await wh.sql('ALTER TABLE db.k SET IDENTIFIER FIELDS id');
    await expect(wh.upsertRows('db.k', [{ id: 1, v: 1 }, { id: 1, v: 2 }])).rejects.toThrow(/repeat the key/);
    expect(await q(wh, 'SELECT count(*) FROM db.k')).toEqual([[0]]);
  });
});
