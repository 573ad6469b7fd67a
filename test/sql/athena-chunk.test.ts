import { AthenaClient } from '@aws-sdk/client-athena';
import { afterEach, describe, expect, it } from 'vitest';
import { AthenaRunner } from '../../src/engine/athena.js';
import { chunkedInsert } from '../../src/sql/athena-chunk.js';
import { parseStatement } from '../../src/sql/parser.js';
import { athenaColumn, fakeAthena, type FakeAnswer } from '../helpers/fake-athena.js';

const DDL = [
  'CREATE TABLE sales.events (',
  '  `id` bigint,',
  '  `kind` string,',
  '  `ts` timestamp)',
  'PARTITIONED BY (`day`(`ts`), `bucket`(4, `id`))',
  "LOCATION 's3://lake/events'",
  'TBLPROPERTIES (',
  "  'table_type'='iceberg',",
  "  'write_compression'='zstd'",
  ')',
];

function days(n: number): string[] {
  return Array.from({ length: n }, (_, i) => new Date(Date.UTC(2025, 0, 1) + i * 86_400_000).toISOString().slice(0, 10) + ' 00:00:00.000');
}

function answers(keys: (string | null)[]): (sql: string) => FakeAnswer {
  return (sql) => {
    if (sql.startsWith('SHOW CREATE TABLE')) return { statementType: 'DDL', columns: [athenaColumn('createtab_stmt', 'string')], rows: DDL.map((l) => [l]) };
    if (sql.startsWith('SELECT DISTINCT')) return { columns: [athenaColumn('__p0', 'timestamp', 3)], rows: keys.map((k) => [k]), scanned: 5_000_000, pageSize: 100 };
    return { substatementType: 'INSERT', scanned: 7_000_000 };
  };
}

const runner = (): AthenaRunner => new AthenaRunner({ client: new AthenaClient({ region: 'eu-west-1' }), workgroup: 'analytics', poll: { initialMs: 1 } });
let stub: ReturnType<typeof fakeAthena> | undefined;
afterEach(() => stub?.mock.restore());

describe('chunked INSERT for Athena', () => {
  it('splits a write over 250 days × bucket(4) into INSERTs of at most 100 partitions, covering each day once', async () => {
    const keys = [...days(250), null];
    stub = fakeAthena(answers(keys));
    const stmt = parseStatement('INSERT INTO sales.events SELECT id, kind, ts FROM sales.raw_events');
    if (stmt.kind !== 'insert') throw new Error('not an insert');
    const log: string[] = [];
    await chunkedInsert(runner(), stmt, { log: (m) => log.push(m) });
    const [show, distinct, ...inserts] = stub.queries;
    expect(show).toBe('SHOW CREATE TABLE "sales"."events"');
    expect(distinct).toBe(`SELECT DISTINCT date_trunc('day', __src."ts") AS __p0 FROM (SELECT id, kind, ts FROM sales.raw_events) AS __src ("id", "kind", "ts")`);
    // bucket(4) multiplies every day by up to 4 partitions: 25 days per INSERT
    expect(inserts).toHaveLength(Math.ceil(keys.length / 25));
    const seen: string[] = [];
    for (const sql of inserts) {
      expect(sql.startsWith('INSERT INTO "sales"."events" SELECT * FROM (SELECT id, kind, ts FROM sales.raw_events) AS __src ("id", "kind", "ts") WHERE ')).toBe(true);
      const inChunk = [...sql.matchAll(/TIMESTAMP '([^']+)'/g)].map((m) => m[1]!);
      if (sql.includes(`date_trunc('day', __src."ts") IS NULL`)) inChunk.push('NULL');
      expect(inChunk.length).toBeLessThanOrEqual(25);
      seen.push(...inChunk);
    }
    expect(seen.sort()).toEqual(keys.map((k) => k ?? 'NULL').sort());
    expect(log[0]).toMatch(/251 partition keys in 11 INSERTs of at most 25 \(each commits on its own/);
  });

  it('sends a write within the limit as one INSERT, as written', async () => {
    stub = fakeAthena(answers(days(20)));
    const stmt = parseStatement('INSERT INTO sales.events (id, kind, ts) SELECT 1, \'a\', ts FROM sales.raw');
    if (stmt.kind !== 'insert') throw new Error('not an insert');
    const results = await chunkedInsert(runner(), stmt);
    expect(stub.queries.slice(2)).toEqual(['INSERT INTO "sales"."events" ("id", "kind", "ts") SELECT 1, \'a\', ts FROM sales.raw']);
    expect(results.map((r) => r.stats.dataScannedBytes)).toEqual([0, 5_000_000, 7_000_000]);
  });

  it('refuses to chunk when the INSERT does not write the partition source column', async () => {
    stub = fakeAthena(answers(days(3)));
    const stmt = parseStatement('INSERT INTO sales.events (id, kind) SELECT 1, \'a\'');
    if (stmt.kind !== 'insert') throw new Error('not an insert');
    await expect(chunkedInsert(runner(), stmt)).rejects.toThrow(/does not write partition source column ts/);
  });
});
