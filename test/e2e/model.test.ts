import fc from 'fast-check';
import { describe, it } from 'vitest';
import { expect } from 'vitest';
import { tempWarehouse } from '../helpers/warehouse.js';

/**
 * Model-based test: random sequences of DML and schema evolution run against floe and against a
 * plain in-memory list of rows; after every step both must hold the same rows.
 */
type Row = { id: number; v: number; extra: number | null };
type Cmd =
  | { kind: 'insert'; ids: number[] }
  | { kind: 'delete'; mod: number; rem: number }
  | { kind: 'update'; mod: number; rem: number; add: number }
  | { kind: 'merge'; ids: number[] }
  | { kind: 'addColumn' }
  | { kind: 'rename' };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), ids: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 6 }) }),
  fc.record({ kind: fc.constant('delete' as const), mod: fc.integer({ min: 2, max: 5 }), rem: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ kind: fc.constant('update' as const), mod: fc.integer({ min: 2, max: 5 }), rem: fc.integer({ min: 0, max: 4 }), add: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ kind: fc.constant('merge' as const), ids: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 4 }) }),
  fc.constant({ kind: 'addColumn' as const }),
  fc.constant({ kind: 'rename' as const }),
);

describe('floe matches an in-memory model', () => {
  it('over random DML and evolution sequences (both write modes)', async () => {
    const { wh, dispose } = await tempWarehouse();
    let n = 0;
    try {
      await wh.sql('CREATE NAMESPACE db');
      await fc.assert(
        fc.asyncProperty(fc.boolean(), fc.array(cmd, { minLength: 1, maxLength: 7 }), async (mor, cmds) => {
          const t = `db.m${n++}`;
          const mode = mor ? 'merge-on-read' : 'copy-on-write';
          await wh.sql(`CREATE TABLE ${t} (id INT, v INT) PARTITIONED BY (bucket(3, id)) TBLPROPERTIES (
            'write.delete.mode' = '${mode}', 'write.update.mode' = '${mode}', 'write.merge.mode' = '${mode}')`);
          let model: Row[] = [];
          let vName = 'v';
          let hasExtra = false;
          for (const c of cmds) {
            switch (c.kind) {
              case 'insert':
                await wh.sql(`INSERT INTO ${t} (id, ${vName}) VALUES ${c.ids.map((i) => `(${i}, ${i})`).join(', ')}`);
                model.push(...c.ids.map((i) => ({ id: i, v: i, extra: hasExtra ? 7 : null })));
                break;
              case 'delete':
                await wh.sql(`DELETE FROM ${t} WHERE id % ${c.mod} = ${c.rem}`);
                model = model.filter((r) => r.id % c.mod !== c.rem);
                break;
              case 'update':
                await wh.sql(`UPDATE ${t} SET ${vName} = ${vName} + ${c.add} WHERE id % ${c.mod} = ${c.rem}`);
                model = model.map((r) => (r.id % c.mod === c.rem ? { ...r, v: r.v + c.add } : r));
                break;
              case 'merge': {
                // Upsert-like: matched rows get v = -id (only if unique match), unmatched ids inserted.
                const counts = new Map<number, number>();
                for (const r of model) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
                if (c.ids.some((i) => (counts.get(i) ?? 0) > 1)) {
                  await expect(wh.sql(`MERGE INTO ${t} t USING (SELECT unnest([${c.ids.join(', ')}]) AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ${vName} = -s.id WHEN NOT MATCHED THEN INSERT (id, ${vName}) VALUES (s.id, s.id)`)).rejects.toThrow(/matched one target row/);
                  break;
                }
                await wh.sql(`MERGE INTO ${t} t USING (SELECT unnest([${c.ids.join(', ')}]) AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET ${vName} = -s.id WHEN NOT MATCHED THEN INSERT (id, ${vName}) VALUES (s.id, s.id)`);
                const present = new Set(model.map((r) => r.id));
                model = model.map((r) => (c.ids.includes(r.id) ? { ...r, v: 0 - r.id + 0 } : r));
                for (const i of c.ids) if (!present.has(i)) model.push({ id: i, v: i, extra: hasExtra ? 7 : null });
                break;
              }
              case 'addColumn':
                if (hasExtra) break;
                await wh.sql(`ALTER TABLE ${t} ADD COLUMN extra INT DEFAULT 7`);
                hasExtra = true;
                model = model.map((r) => ({ ...r, extra: 7 }));
                break;
              case 'rename': {
                const next = vName === 'v' ? 'w' : 'v';
                await wh.sql(`ALTER TABLE ${t} RENAME COLUMN ${vName} TO ${next}`);
                vName = next;
                break;
              }
            }
            const got = (await wh.sql(`SELECT id, ${vName}${hasExtra ? ', extra' : ', NULL'} FROM ${t} ORDER BY 1, 2`)).rows.map((r) => r.map((x) => (x === null ? null : Number(x))));
            const want = [...model].sort((a, b) => a.id - b.id || a.v - b.v).map((r) => [r.id, r.v, r.extra]);
            expect(got, `${t} after ${JSON.stringify(c)}`).toEqual(want);
          }
        }),
        { numRuns: 40, seed: 20261124 },
      );
    } finally {
      await dispose();
    }
  });
});
