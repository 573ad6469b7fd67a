import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueryExecutionCommand, StopQueryExecutionCommand, type GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeAthena } from '../helpers/fake-athena.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-athena-cli-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));
let stub: ReturnType<typeof fakeAthena> | undefined;
afterEach(() => stub?.mock.restore());

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', dir, ...args);
}

/** The recorded two-page SELECT, as the fake's answer. */
function recordedSelect(): { columns: NonNullable<NonNullable<GetQueryResultsOutput['ResultSet']>['ResultSetMetadata']>['ColumnInfo']; rows: (string | null)[][] } {
  const f = JSON.parse(readFileSync(join(__dirname, '../engine/fixtures/athena/select-multipage.json'), 'utf8')) as { GetQueryResults: GetQueryResultsOutput[] };
  const pages = f.GetQueryResults.map((p) => p.ResultSet!);
  const rows = pages.flatMap((p) => p.Rows!).slice(1).map((r) => r.Data!.map((d) => d.VarCharValue ?? null));
  return { columns: pages[0]!.ResultSetMetadata!.ColumnInfo, rows };
}

/** The same rows as the fixture, computed by DuckDB. */
const DUCKDB_SAME = `SELECT id::BIGINT AS id, amount::DECIMAL(10,2) AS amount, day::DATE AS day, ts::TIMESTAMP AS ts, ok::BOOLEAN AS ok, score::DOUBLE AS score, note::VARCHAR AS note, big::BIGINT AS big FROM (VALUES
  (1, '9.99', '2026-01-02', '2026-01-01 10:00:00.5', true, 1.5, NULL, '9007199254740993'),
  (2, '0.10', '2026-01-03', '2026-01-03 00:00:00', false, -0.25, 'a, "quoted" note', '-3'),
  (3, NULL, NULL, NULL, NULL, NULL, '', NULL)) AS v(id, amount, day, ts, ok, score, note, big) ORDER BY id`;

describe('floe --engine athena', () => {
  it('prints the same JSON, CSV and table output as the DuckDB path for the same result, and a cost line on stderr', async () => {
    const rec = recordedSelect();
    for (const format of ['json', 'csv', 'table']) {
      stub = fakeAthena(() => ({ columns: rec.columns!, rows: rec.rows, scanned: 25165824, pageSize: 2 }));
      const athena = await floe('--engine', 'athena', '--workgroup', 'analytics', '--region', 'eu-west-1', '--format', format, 'sql', 'SELECT * FROM sales.orders ORDER BY id');
      stub.mock.restore();
      const duck = await floe('--format', format, 'sql', DUCKDB_SAME);
      expect(athena.code, athena.err).toBe(0);
      expect(duck.code, duck.err).toBe(0);
      expect(athena.out).toBe(duck.out);
      expect(athena.err).toMatch(/^floe: scanned 24\.0 MB, cost \$0\.000114 \(query q-0\)\n$/);
    }
  });

  it('prints warnings before unsupported statements and sends translated DDL', async () => {
    stub = fakeAthena(() => ({ statementType: 'DDL' }));
    const r = await floe('--engine', 'athena', '--workgroup', 'analytics', '--format', 'json', 'sql', "CREATE TABLE s.t (id BIGINT) USING iceberg LOCATION 's3://lake/t'; CALL system.expire_snapshots('s.t')");
    expect(r.code, r.err).toBe(0);
    expect(stub.queries).toEqual(["CREATE TABLE s.t (id bigint) LOCATION 's3://lake/t' TBLPROPERTIES ('table_type' = 'ICEBERG')", "CALL system.expire_snapshots('s.t')"]);
    expect(r.err).toMatch(/floe: scanned .*\nfloe: warning: Athena does not support CALL procedures/);
  });

  it('applies the configured price to the cost line', async () => {
    stub = fakeAthena(() => ({ columns: [], rows: [], scanned: 2 ** 40 }));
    const r = await floe('--engine', 'athena', '--workgroup', 'analytics', '--price-per-tb', '6.25', 'sql', 'SELECT 1');
    expect(r.err).toMatch(/scanned 1024\.00 GB, cost \$6\.250000/);
  });

  it('needs a workgroup', async () => {
    const r = await floe('--engine', 'athena', 'sql', 'SELECT 1');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/--engine athena needs --workgroup WG/);
  });

  it('Ctrl-C stops the running query with StopQueryExecution', async () => {
    stub = fakeAthena(() => ({ columns: [], rows: [] }));
    let polls = 0;
    stub.mock.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => {
      if (++polls === 1) setImmediate(() => process.emit('SIGINT'));
      return { QueryExecution: { QueryExecutionId: input.QueryExecutionId, Status: { State: 'RUNNING' } } };
    });
    const r = await floe('--engine', 'athena', '--workgroup', 'analytics', 'sql', 'SELECT * FROM huge');
    expect(r.code).toBe(130);
    expect(r.err).toMatch(/cancelling the Athena query[\s\S]*Athena query q-0 was cancelled/);
    expect(stub.mock.commandCalls(StopQueryExecutionCommand).map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: 'q-0' }]);
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('routes a script statement by statement, sent as written, and prints write counts in the DuckDB shape', async () => {
    const writes = (t: string): [string, number][] => [
      [`INSERT INTO ${t} VALUES (1, 'a;b'), (2, 'b'), (3, 'c')`, 3],
      [`DELETE FROM ${t} WHERE id = 1`, 1],
      [`UPDATE ${t} SET v = 'z' WHERE id >= 2`, 2],
    ];
    for (const format of ['json', 'csv']) {
      const t = `s.t_${format}`;
      await floe('sql', `CREATE NAMESPACE IF NOT EXISTS s; CREATE TABLE ${t} (id INT, v STRING)`);
      for (const [sql, n] of writes(t)) {
        const duck = await floe('--format', format, 'sql', sql);
        expect(duck.code, duck.err).toBe(0);
        stub = fakeAthena(() => ({ statementType: 'DML', substatementType: sql.split(' ')[0], updateCount: n }));
        const athena = await floe('--engine', 'athena', '--workgroup', 'analytics', '--region', 'eu-west-1', '--format', format, 'sql', sql);
        stub.mock.restore();
        expect(athena.code, athena.err).toBe(0);
        expect(athena.out).toBe(duck.out);
      }
    }
    // One script: split on top-level semicolons only, each statement sent as written.
    const merge = "MERGE INTO s.t t USING (SELECT 4 AS id, 'd' AS v) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)";
    stub = fakeAthena((sql) => ({ statementType: 'DML', substatementType: sql.split(' ')[0], updateCount: sql.startsWith('MERGE') ? 1 : 3 }));
    const r = await floe('--engine', 'athena', '--workgroup', 'analytics', '--region', 'eu-west-1', '--format', 'json', 'sql', `${writes('s.t')[0]![0]};\n${merge};`);
    expect(r.code, r.err).toBe(0);
    expect(stub.queries).toEqual([writes('s.t')[0]![0], merge]);
    // Athena reports one total for MERGE, not DuckDB's updated/deleted/inserted split.
    expect(JSON.parse(r.out)).toEqual([{ rows_affected: 1 }]);
  });
});
