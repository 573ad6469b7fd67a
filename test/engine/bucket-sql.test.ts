import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBEngine } from '../../src/engine/duckdb.js';
import { bucketLongSql, transformSql } from '../../src/engine/partition-sql.js';
import { applyTransform } from '../../src/spec/transforms.js';

let engine: DuckDBEngine;
beforeAll(async () => {
  engine = await DuckDBEngine.create();
});
afterAll(() => engine.close());

/** Buckets of BIGINT values as the SQL expression computes them. */
async function sqlBuckets(values: bigint[], n: number): Promise<number[]> {
  const list = values.map((v) => `(${v})::BIGINT`).join(', ');
  const r = await engine.query(`SELECT ${bucketLongSql('x', n)} FROM (SELECT unnest([${list}]) AS x, generate_subscripts([${list}], 1) AS i) ORDER BY i`);
  return r.rows.map((row) => Number(row[0]));
}

describe('bucket transform in DuckDB SQL (spec appendix B)', () => {
  it('matches the spec example: bucket hash of long 34 is 2017239379', async () => {
    const r = await engine.query(`SELECT ${bucketLongSql('34::BIGINT', 2147483647)}`);
    expect(Number(r.rows[0]![0])).toBe(2017239379 % 2147483647);
  });

  it('agrees with the reference transform at the edges of the long range', async () => {
    const edges = [0n, 1n, -1n, 2n ** 31n - 1n, -(2n ** 31n), 2n ** 32n - 1n, 2n ** 32n, -(2n ** 32n), 2n ** 63n - 1n, -(2n ** 63n)];
    for (const n of [1, 7, 16, 1000003]) {
      expect(await sqlBuckets(edges, n)).toEqual(edges.map((v) => applyTransform({ kind: 'bucket', n }, 'long', v)));
    }
  });

  it('agrees with the reference transform for any long and bucket count', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 100000 }), async (values, n) => {
        expect(await sqlBuckets(values, n)).toEqual(values.map((v) => applyTransform({ kind: 'bucket', n }, 'long', v)));
      }),
      { numRuns: 50 },
    );
  });

  it('buckets dates, times and timestamps by their long form', async () => {
    const r = await engine.query(
      `SELECT ${transformSql('bucket[100]', 'date', `DATE '2017-11-16'`)}, ${transformSql('bucket[100]', 'time', `TIME '22:31:08'`)}, ${transformSql('bucket[100]', 'timestamp', `TIMESTAMP '2017-11-16 22:31:08'`)}, ${transformSql('bucket[100]', 'int', '34::INTEGER')}`,
    );
    expect(r.rows[0]!.map(Number)).toEqual([
      applyTransform({ kind: 'bucket', n: 100 }, 'date', 17486),
      applyTransform({ kind: 'bucket', n: 100 }, 'time', 81068000000n),
      applyTransform({ kind: 'bucket', n: 100 }, 'timestamp', 1510871468000000n),
      applyTransform({ kind: 'bucket', n: 100 }, 'int', 34),
    ]);
  });
});
