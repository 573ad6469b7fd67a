import { describe, expect, it } from 'vitest';
import { quoteString } from '../../src/engine/duckdb.js';
import { toLocalPath } from '../../src/io/paths.js';
import { specById } from '../../src/spec/metadata.js';
import { applyTransform, parseTransform } from '../../src/spec/transforms.js';
import type { PrimitiveTypeName } from '../../src/spec/types.js';
import type { Warehouse } from '../../src/index.js';
import { planScan } from '../../src/table/scan.js';
import { q, useWarehouse } from '../helpers/warehouse.js';

const ctx = useWarehouse();

/** Every live data file's rows, transformed by the file's spec, give the file's partition tuple. */
async function expectPartitionsHold(wh: Warehouse, name: string): Promise<number> {
  const table = await wh.loadTable(name);
  const plan = await planScan(table.metadata, table.context.reader, {});
  const schema = table.schema();
  let checked = 0;
  for (const task of plan.tasks) {
    const spec = specById(table.metadata, task.specId)!;
    const r = await wh.engine.query(`SELECT id, p FROM read_parquet(${quoteString(toLocalPath(task.file.file_path))})`);
    for (const [id, p] of r.rows) {
      for (const f of spec.fields) {
        const col = schema.fields.find((c) => c.id === f['source-id'])!;
        const value = col.name === 'id' ? id : p;
        const want = applyTransform(parseTransform(f.transform), col.type as PrimitiveTypeName, value);
        const got = task.file.partition[f.name];
        expect(typeof got === 'bigint' ? got : got === null ? null : Number(got), `${f.name} of row ${String(id)} in ${task.file.file_path}`).toEqual(
          typeof want === 'bigint' ? want : want === null ? null : Number(want),
        );
      }
      checked++;
    }
  }
  return checked;
}

describe('copy-on-write rewrites keep each file\'s partition right', () => {
  it('MERGE, UPDATE and DELETE that move rows, keep rows and insert rows, across two specs', async () => {
    const wh = ctx.wh;
    await wh.sql(`CREATE TABLE db.t (id BIGINT, p STRING) PARTITIONED BY (bucket(4, id))
      TBLPROPERTIES ('write.merge.mode' = 'copy-on-write', 'write.update.mode' = 'copy-on-write', 'write.delete.mode' = 'copy-on-write')`);
    await wh.sql(`INSERT INTO db.t SELECT range, CASE WHEN range % 3 = 0 THEN NULL ELSE 'p' || (range % 2) END FROM range(200)`);
    // Files of the first spec are rewritten under the second: their tuples cannot be reused.
    await wh.sql(`ALTER TABLE db.t REPLACE PARTITION FIELD bucket(4, id) WITH bucket(8, id)`);
    await wh.sql(`ALTER TABLE db.t ADD PARTITION FIELD p`);
    await wh.sql(`INSERT INTO db.t SELECT range, 'p' || (range % 2) FROM range(200, 260)`);
    await wh.sql(`CREATE TABLE db.s (id BIGINT, p STRING)`);
    await wh.sql(`INSERT INTO db.s SELECT range * 7, 'q' FROM range(50)`);
    await wh.sql(`MERGE INTO db.t t USING db.s s ON t.id = s.id
      WHEN MATCHED AND s.id % 2 = 0 THEN UPDATE SET id = t.id + 1000
      WHEN MATCHED THEN UPDATE SET p = s.p
      WHEN NOT MATCHED THEN INSERT (id, p) VALUES (s.id, s.p)`);
    await wh.sql(`UPDATE db.t SET id = id + 5000 WHERE id % 11 = 0`);
    await wh.sql(`DELETE FROM db.t WHERE id % 13 = 0`);
    const rows = await q(wh, `SELECT count(*) FROM db.t`);
    expect(await expectPartitionsHold(wh, 'db.t')).toBe(rows[0]![0]);
    // The contents are those of the same statements on a plain DuckDB table.
    await wh.engine.run(`CREATE TABLE ref AS SELECT range AS id, CASE WHEN range % 3 = 0 THEN NULL ELSE 'p' || (range % 2) END AS p FROM range(200)
      UNION ALL SELECT range, 'p' || (range % 2) FROM range(200, 260)`);
    await wh.engine.run(`CREATE TABLE refs AS SELECT range * 7 AS id, 'q' AS p FROM range(50)`);
    await wh.engine.run(`INSERT INTO ref SELECT id, p FROM refs WHERE id NOT IN (SELECT id FROM ref)`);
    await wh.engine.run(`UPDATE ref SET p = 'q' WHERE id IN (SELECT id FROM refs WHERE id % 2 <> 0) AND id < 260`);
    await wh.engine.run(`UPDATE ref SET id = id + 1000 WHERE id IN (SELECT id FROM refs WHERE id % 2 = 0) AND id < 260`);
    await wh.engine.run(`UPDATE ref SET id = id + 5000 WHERE id % 11 = 0`);
    await wh.engine.run(`DELETE FROM ref WHERE id % 13 = 0`);
    const want = (await wh.engine.query(`SELECT id, p FROM ref ORDER BY id, p`)).rows;
    const got = (await wh.sql(`SELECT id, p FROM db.t ORDER BY id, p`)).rows;
    expect(got).toEqual(want);
  });
});
