import { describe, expect, it } from 'vitest';
import { PositionDeleteCache, type DeletedPositionsRequest } from '../../src/engine/position-delete-cache.js';
import { scanSql } from '../../src/engine/scan-view.js';
import { FileContent } from '../../src/manifest/types.js';
import { identityPaths } from '../../src/table/manifest-reader.js';
import { planScan } from '../../src/table/scan.js';
import type { Warehouse } from '../../src/index.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

async function morTable(wh: Warehouse, name: string, rows: number): Promise<void> {
  await wh.sql(`CREATE TABLE db.${name} (id BIGINT, v DOUBLE) PARTITIONED BY (bucket(2, id)) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read', 'write.update.mode' = 'merge-on-read')`);
  await wh.sql(`INSERT INTO db.${name} SELECT range, range * 0.5 FROM range(${rows})`);
}

async function snapshotId(wh: Warehouse, table: string): Promise<bigint> {
  return (await wh.loadTable(table)).metadata['current-snapshot-id']!;
}

/** count(*) and sum(id) of ids 0..n-1 minus those `gone` rejects, computed here as the expected answer. */
function expected(n: number, gone: (id: number) => boolean): [number, number] {
  let count = 0;
  let sum = 0;
  for (let id = 0; id < n; id++) {
    if (gone(id)) continue;
    count++;
    sum += id;
  }
  return [count, sum];
}

/** The position-delete requests a plan of the table's current snapshot makes. */
async function requestsOf(wh: Warehouse, table: string): Promise<DeletedPositionsRequest[]> {
  const t = await wh.loadTable(table);
  const plan = await planScan(t.metadata, t.context.reader, {});
  return plan.tasks
    .filter((task) => task.deletes.length > 0)
    .map((task) => ({
      dataPath: task.file.file_path,
      deletes: task.deletes
        .filter((d) => d.file.content === FileContent.PositionDeletes)
        .map((d) => ({ location: d.file.file_path, size: Number(d.file.file_size_in_bytes) })),
    }));
}

describe('position deletes read through the engine cache', () => {
  it('loads a delete set once; a later DELETE and time travel to fewer deletes read their own rows', async () => {
    const wh = ctx.wh;
    const cache = PositionDeleteCache.of(wh.engine);
    await morTable(wh, 't', 1000);
    const s0 = await snapshotId(wh, 'db.t');
    await wh.sql(`DELETE FROM db.t WHERE id % 10 = 1`);
    const s1 = await snapshotId(wh, 'db.t');
    const read = `SELECT count(*), sum(id) FROM db.t`;
    expect(await q(wh, read)).toEqual([expected(1000, (id) => id % 10 === 1)]);
    const loads = cache.size;
    const positions = cache.positions;
    expect(positions).toBe(100);
    // Repeated reads use what was loaded: nothing more is read into the cache.
    expect(await q(wh, read)).toEqual([expected(1000, (id) => id % 10 === 1)]);
    expect(await q(wh, `SELECT count(*) FROM db.t WHERE id < 500`)).toEqual([[450]]);
    expect(cache.size).toBe(loads);
    expect(cache.positions).toBe(positions);

    // A second DELETE adds delete files: its data files ask for new entries.
    await wh.sql(`DELETE FROM db.t WHERE id % 10 = 2`);
    expect(await q(wh, read)).toEqual([expected(1000, (id) => id % 10 === 1 || id % 10 === 2)]);
    expect(cache.size).toBeGreaterThan(loads);
    // Older snapshots read with exactly their own deletes, cached beside the newer ones.
    expect(await q(wh, `SELECT count(*), sum(id) FROM db.t FOR VERSION AS OF ${s1}`)).toEqual([expected(1000, (id) => id % 10 === 1)]);
    expect(await q(wh, `SELECT count(*), sum(id) FROM db.t FOR VERSION AS OF ${s0}`)).toEqual([expected(1000, () => false)]);
    expect(await q(wh, read)).toEqual([expected(1000, (id) => id % 10 === 1 || id % 10 === 2)]);

    // UPDATE under merge-on-read deletes the old rows by position and reads back the new ones.
    await wh.sql(`UPDATE db.t SET v = -1 WHERE id % 10 = 3`);
    expect(await q(wh, `SELECT count(*), sum(id), count(*) FILTER (WHERE v = -1) FROM db.t`)).toEqual([
      [...expected(1000, (id) => id % 10 === 1 || id % 10 === 2), 100],
    ]);
    // Compaction removes the delete files; the rows read stay the same.
    await wh.sql(`OPTIMIZE db.t REWRITE DATA USING BIN_PACK`);
    const after = await wh.loadTable('db.t');
    const plan = await planScan(after.metadata, after.context.reader, {});
    expect(plan.tasks.every((t) => t.deletes.length === 0)).toBe(true);
    expect(await q(wh, read)).toEqual([expected(1000, (id) => id % 10 === 1 || id % 10 === 2)]);
  });

  it('two tables with deletes in one query each read their own positions', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'a', 200);
    await morTable(wh, 'b', 200);
    await wh.sql(`DELETE FROM db.a WHERE id % 4 = 0`);
    await wh.sql(`DELETE FROM db.b WHERE id % 4 = 1`);
    const rows = await q(wh, `SELECT (SELECT sum(id) FROM db.a), (SELECT sum(id) FROM db.b), (SELECT count(*) FROM db.a JOIN db.b USING (id))`);
    expect(rows).toEqual([[expected(200, (id) => id % 4 === 0)[1], expected(200, (id) => id % 4 === 1)[1], 100]]);
  });

  it('still applies equality deletes beside cached position deletes', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.u (id BIGINT NOT NULL, v DOUBLE) PARTITIONED BY (bucket(2, id)) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
    await wh.sql(`ALTER TABLE db.u SET IDENTIFIER FIELDS id`);
    await wh.sql(`INSERT INTO db.u SELECT range, 0 FROM range(100)`);
    await wh.sql(`DELETE FROM db.u WHERE id < 10`);
    expect(await q(wh, `SELECT count(*), sum(v) FROM db.u`)).toEqual([[90, 0]]);
    await wh.upsertRows('db.u', [
      { id: 50, v: 5 },
      { id: 60, v: 6 },
      { id: 5, v: 1 },
    ]);
    const read = `SELECT count(*), sum(v), count(*) FILTER (WHERE id = 50) FROM db.u`;
    expect(await q(wh, read)).toEqual([[91, 12, 1]]);
    expect(await q(wh, read)).toEqual([[91, 12, 1]]);
    await wh.sql(`DELETE FROM db.u WHERE id = 60`);
    expect(await q(wh, read)).toEqual([[90, 6, 1]]);
  });

  it('drops the least recently used loads beyond its budget, never those a request uses', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'e', 400);
    await wh.sql(`DELETE FROM db.e WHERE id % 8 = 0`);
    const requests = await requestsOf(wh, 'db.e');
    expect(requests).toHaveLength(2);
    const cache = new PositionDeleteCache(wh.engine, 30);
    const local = (p: string): Promise<string> => wh.io.localPath(p);
    const countIn = async (c: { table: string; entry: number }): Promise<unknown[][]> =>
      (await wh.engine.query(`SELECT count(*) FROM "${c.table}" WHERE entry = ${c.entry}`)).rows.map((r) => r.map(Number));
    const [first] = await cache.positionsOf([requests[0]!], local);
    const [second] = await cache.positionsOf([requests[1]!], local);
    // 50 positions in all, 30 allowed: the older load went, the one just asked for stayed.
    expect(cache.size).toBe(1);
    await expect(countIn(first!)).rejects.toThrow(/does not exist/);
    const n = (await countIn(second!))[0]![0] as number;
    expect(n).toBeGreaterThan(0);
    // Asking for both loads the dropped one anew, and keeps both while they are in use.
    const both = await cache.positionsOf(requests, local);
    expect(cache.size).toBe(2);
    expect(both[1]).toEqual(second);
    const total = ((await countIn(both[0]!))[0]![0] as number) + ((await countIn(both[1]!))[0]![0] as number);
    expect(total).toBe(50);
    expect(cache.positions).toBe(50);
    // The next request that needs only one lets the other go.
    await cache.positionsOf([requests[0]!], local);
    expect(cache.size).toBe(1);
    await expect(countIn(second!)).rejects.toThrow(/does not exist/);
    await cache.clear();
    expect(cache.size).toBe(0);
  });

  it('builds a larger delete set on the loaded smaller one, reading only the delete files it lacks', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'i', 300);
    await wh.sql(`DELETE FROM db.i WHERE id % 3 = 0`);
    const one = await requestsOf(wh, 'db.i');
    await wh.sql(`DELETE FROM db.i WHERE id % 3 = 1 AND id < 150`);
    const two = await requestsOf(wh, 'db.i');
    expect(two.map((r) => r.deletes.length).sort()).toEqual([2, 2]);
    const cache = new PositionDeleteCache(wh.engine);
    const asked: string[] = [];
    const local = (p: string): Promise<string> => {
      asked.push(p);
      return wh.io.localPath(p);
    };
    await cache.positionsOf(one, local);
    expect(asked.sort()).toEqual(one.flatMap((r) => r.deletes.map((d) => d.location)).sort());
    asked.length = 0;
    const got = await cache.positionsOf(two, local);
    const firstFiles = new Set(one.flatMap((r) => r.deletes.map((d) => d.location)));
    expect(asked.sort()).toEqual(two.flatMap((r) => r.deletes.map((d) => d.location)).filter((l) => !firstFiles.has(l)).sort());
    // The positions are those of both deletes: 100 + 50 rows.
    const counts = await Promise.all(got.map(async (c) => Number((await wh.engine.query(`SELECT count(DISTINCT pos) FROM "${c.table}" WHERE entry = ${c.entry}`)).rows[0]![0])));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(150);
    expect(await q(wh, `SELECT count(*) FROM db.i`)).toEqual([[150]]);
  });

  it('a view built before its positions were dropped fails instead of reading deleted rows', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'g', 100);
    await wh.sql(`DELETE FROM db.g WHERE id % 2 = 0`);
    const t = await wh.loadTable('db.g');
    const plan = await planScan(t.metadata, t.context.reader, {});
    const sql = await scanSql(plan.schema, plan.tasks, wh.io, identityPaths, { engine: wh.engine, specs: t.metadata['partition-specs'] });
    await wh.engine.run(`CREATE TEMP VIEW g_view AS ${sql}`);
    expect((await wh.engine.query(`SELECT count(*) FROM g_view`)).rows).toEqual([[50n]]);
    await PositionDeleteCache.of(wh.engine).clear();
    await expect(wh.engine.query(`SELECT count(*) FROM g_view`)).rejects.toThrow(/does not exist/);
    // A new scan loads them again.
    expect(await q(wh, `SELECT count(*) FROM db.g`)).toEqual([[50]]);
  });
});

describe('keep masks: full scans of files with position deletes', () => {
  it('reads the same rows through keep masks as through the hash probe, across DELETEs and time travel', async () => {
    const wh = ctx.wh;
    const cache = PositionDeleteCache.of(wh.engine);
    await morTable(wh, 'm', 2000);
    await wh.sql(`DELETE FROM db.m WHERE id % 7 = 3`);
    const s1 = await snapshotId(wh, 'db.m');
    await wh.sql(`DELETE FROM db.m WHERE id % 11 = 5 OR id >= 1990`);
    const full = `SELECT count(*), sum(id), sum(v) FROM db.m`;
    // A WHERE clause (even one that keeps every row) makes the scan probe the deleted positions.
    const probed = `SELECT count(*), sum(id), sum(v) FROM db.m WHERE id >= 0`;
    const [n, sum] = expected(2000, (id) => id % 7 === 3 || id % 11 === 5 || id >= 1990);
    expect(await q(wh, probed)).toEqual([[n, sum, sum / 2]]);
    expect(cache.maskCount).toBe(0);
    expect(await q(wh, full)).toEqual([[n, sum, sum / 2]]);
    expect(cache.maskCount).toBe(2);
    // Time travel to fewer deletes asks for other masks, and reads its own rows.
    const [n1, sum1] = expected(2000, (id) => id % 7 === 3);
    expect(await q(wh, `SELECT count(*), sum(id) FROM db.m FOR VERSION AS OF ${s1}`)).toEqual([[n1, sum1]]);
    expect(cache.maskCount).toBe(4);
    // Rows read whole (not only aggregates) match row for row, in both ways of applying deletes.
    const rows = await q(wh, `SELECT id, v FROM db.m ORDER BY id`);
    expect(rows).toEqual(await q(wh, `SELECT id, v FROM db.m WHERE v >= 0 ORDER BY id`));
    expect(rows).toHaveLength(n);
    // A join filters the table's rows too (DuckDB pushes join keys into the scan): hash probe, same answer.
    expect(await q(wh, `SELECT count(*) FROM db.m a JOIN db.m b ON a.id = b.id`)).toEqual([[n]]);
  });

  it('masks files that read evolved columns: renamed, added with a default, nested fields', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.ev (id BIGINT, s STRUCT<x: INT, y: STRING>) PARTITIONED BY (bucket(2, id)) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
    await wh.sql(`INSERT INTO db.ev SELECT range, {'x': range::INT, 'y': 'r' || range} FROM range(40)`);
    await wh.sql('ALTER TABLE db.ev RENAME COLUMN s.x TO xx');
    await wh.sql('ALTER TABLE db.ev ADD COLUMN s.z DOUBLE');
    await wh.sql('ALTER TABLE db.ev RENAME COLUMN id TO key');
    await wh.sql(`DELETE FROM db.ev WHERE key % 4 = 1`);
    const full = await q(wh, `SELECT key, s.xx, s.y, s.z FROM db.ev`);
    expect(PositionDeleteCache.of(wh.engine).maskCount).toBe(2);
    const want = [...Array(40).keys()].filter((i) => i % 4 !== 1).map((i) => [i, i, `r${i}`, null]);
    expect([...full].sort((a, b) => (a[0] as number) - (b[0] as number))).toEqual(want);
  });

  it('builds a mask as long as the data file says, false exactly at the deleted positions', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'k', 500);
    await wh.sql(`DELETE FROM db.k WHERE id % 9 = 2`);
    const requests = await requestsOf(wh, 'db.k');
    const local = (p: string): Promise<string> => wh.io.localPath(p);
    const cache = new PositionDeleteCache(wh.engine);
    const masks = await cache.keepMasksOf(
      await Promise.all(requests.map(async (r) => ({ ...r, localData: await local(r.dataPath) }))),
      local,
    );
    expect(masks.every((m) => m !== undefined)).toBe(true);
    for (const [i, r] of requests.entries()) {
      const file = await local(r.dataPath);
      const rows = (await wh.engine.query(`SELECT num_rows FROM parquet_file_metadata('${file}')`)).rows[0]![0];
      const mask = await wh.engine.query(`SELECT count(*), list(rowid ORDER BY rowid) FILTER (WHERE NOT __floe_keep) FROM ${masks[i]!}`);
      expect(Number(mask.rows[0]![0])).toBe(Number(rows));
      // The deleted positions, read straight from the data file by id.
      const gone = await wh.engine.query(`SELECT list(file_row_number ORDER BY file_row_number) FROM read_parquet('${file}', file_row_number = true) WHERE id % 9 = 2`);
      expect(String(mask.rows[0]![1])).toBe(String(gone.rows[0]![0]));
    }
    await cache.clear();
    expect(cache.maskCount).toBe(0);
  });

  it('drops the least recently used masks beyond its row budget, never those a request uses', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'b', 400);
    await wh.sql(`DELETE FROM db.b WHERE id % 5 = 0`);
    const requests = await requestsOf(wh, 'db.b');
    const local = (p: string): Promise<string> => wh.io.localPath(p);
    const asks = await Promise.all(requests.map(async (r) => ({ ...r, localData: await local(r.dataPath) })));
    // Each data file holds about 200 rows: a budget of 300 rows keeps one mask.
    const cache = new PositionDeleteCache(wh.engine, undefined, 300);
    const [first] = await cache.keepMasksOf([asks[0]!], local);
    const [second] = await cache.keepMasksOf([asks[1]!], local);
    expect(cache.maskCount).toBe(1);
    await expect(wh.engine.query(`SELECT count(*) FROM ${first!}`)).rejects.toThrow(/does not exist/);
    expect(Number((await wh.engine.query(`SELECT count(*) FROM ${second!}`)).rows[0]![0])).toBeGreaterThan(0);
    // Both at once are kept while in use.
    const both = await cache.keepMasksOf(asks, local);
    expect(cache.maskCount).toBe(2);
    expect(both[1]).toBe(second);
    await cache.clear();
  });
});

describe('keep masks over files of many row groups', () => {
  it('keeps the deleted rows out, row for row, where row groups do not end on DuckDB chunks', async () => {
    const wh = ctx.wh;
    await morTable(wh, 'big', 300_000);
    await wh.sql(`DELETE FROM db.big WHERE id % 97 = 13`);
    await wh.sql(`DELETE FROM db.big WHERE id % 1009 = 7 OR (id BETWEEN 120000 AND 125000)`);
    const gone = (id: number): boolean => id % 97 === 13 || id % 1009 === 7 || (id >= 120000 && id <= 125000);
    const [n, sum] = expected(300_000, gone);
    // Sums of squares tell a shifted mask apart from the right one even when counts agree.
    let squares = 0n;
    for (let id = 0; id < 300_000; id++) if (!gone(id)) squares += BigInt(id) * BigInt(id);
    const files = (await wh.sql(`SELECT file_path FROM db."big$files" WHERE content = 0`)).rows.map((r) => String(r[0]).replace(/^file:\/\//, ''));
    const groups = await wh.engine.query(
      `SELECT count(*), count(*) FILTER (WHERE row_group_num_rows % 2048 <> 0) FROM parquet_metadata([${files.map((f) => `'${f}'`).join(', ')}]) WHERE column_id = 0`,
    );
    expect(Number(groups.rows[0]![0])).toBeGreaterThan(2);
    expect(Number(groups.rows[0]![1])).toBeGreaterThan(1);
    const full = await q(wh, `SELECT count(*), sum(id), sum(id::HUGEINT * id)::VARCHAR, count(*) FILTER (WHERE v <> id * 0.5) FROM db.big`);
    expect(PositionDeleteCache.of(wh.engine).maskCount).toBe(2);
    expect(full).toEqual([[n, sum, String(squares), 0]]);
    expect(await q(wh, `SELECT count(*), sum(id) FROM db.big WHERE id >= 0`)).toEqual([[n, sum]]);
  });
});
