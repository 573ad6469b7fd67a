import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryExecutionInput$,
  GetQueryResultsCommand,
  GetQueryResultsInput$,
  GetWorkGroupCommand,
  GetWorkGroupInput$,
  StartQueryExecutionCommand,
  StartQueryExecutionInput$,
  StopQueryExecutionCommand,
  StopQueryExecutionInput$,
  type GetQueryExecutionOutput,
  type GetQueryResultsOutput,
  type GetWorkGroupOutput,
  type StartQueryExecutionInput,
} from '@aws-sdk/client-athena';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AthenaRunner, queryCost } from '../../src/engine/athena.js';
import { apiFailure, queryFailure } from '../../src/engine/athena-errors.js';
import { AccessDeniedError, CancelledError, CommitFailedError, IoError, LimitExceededError, NotFoundError, SqlParseError, ValidationError } from '../../src/errors.js';
import { shapeErrors } from '../helpers/sdk-shape.js';

const FIXTURES = join(__dirname, 'fixtures/athena');

interface Fixture {
  GetWorkGroup?: GetWorkGroupOutput;
  StartQueryExecution?: { QueryExecutionId: string };
  GetQueryExecution?: GetQueryExecutionOutput[];
  GetQueryResults?: GetQueryResultsOutput[];
  error?: { name: string; message: string; $metadata: Record<string, unknown> };
}

/** A recorded response as the SDK would parse it (timestamps are Dates). */
function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'), (k, v: unknown) =>
    typeof v === 'string' && /(DateTime|CreationTime)$/.test(k) ? new Date(v) : v,
  ) as Fixture;
}

function sdkError(e: NonNullable<Fixture['error']>): Error {
  return Object.assign(new Error(e.message), { name: e.name, $fault: 'client', $metadata: e.$metadata });
}

const athena = mockClient(AthenaClient);
const sleeps: number[] = [];
const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
  sleeps.push(ms);
  if (signal?.aborted) throw new Error('aborted');
};

function runner(extra: Partial<ConstructorParameters<typeof AthenaRunner>[0]> = {}): AthenaRunner {
  return new AthenaRunner({ client: new AthenaClient({ region: 'eu-west-1' }), workgroup: 'analytics', sleep, ...extra });
}

function load(f: Fixture): void {
  if (f.GetWorkGroup) athena.on(GetWorkGroupCommand).resolves(f.GetWorkGroup);
  if (f.StartQueryExecution) athena.on(StartQueryExecutionCommand).resolves(f.StartQueryExecution);
  let q = athena.on(GetQueryExecutionCommand);
  for (const r of f.GetQueryExecution ?? []) q = q.resolvesOnce(r);
  const results = f.GetQueryResults ?? [];
  athena.on(GetQueryResultsCommand, { NextToken: undefined }).resolves(results[0] ?? {});
  results.forEach((page, i) => {
    const token = results[i - 1]?.NextToken;
    if (token) athena.on(GetQueryResultsCommand, { NextToken: token }).resolves(page);
  });
}

/** Every request the runner sent conforms to the SDK's schema for its input. */
function expectShapes(): void {
  const inputs = (calls: readonly { args: readonly [{ input: unknown }, ...unknown[]] }[]): unknown[] => calls.map((c) => c.args[0].input);
  const checks: [unknown[], unknown][] = [
    [inputs(athena.commandCalls(StartQueryExecutionCommand)), StartQueryExecutionInput$],
    [inputs(athena.commandCalls(GetQueryExecutionCommand)), GetQueryExecutionInput$],
    [inputs(athena.commandCalls(GetQueryResultsCommand)), GetQueryResultsInput$],
    [inputs(athena.commandCalls(GetWorkGroupCommand)), GetWorkGroupInput$],
    [inputs(athena.commandCalls(StopQueryExecutionCommand)), StopQueryExecutionInput$],
  ];
  for (const [sent, schema] of checks) for (const input of sent) expect(shapeErrors(input, schema)).toEqual([]);
}

beforeEach(() => {
  athena.reset();
  sleeps.length = 0;
});
afterEach(() => expectShapes());

describe('AthenaRunner', () => {
  it('pages a SELECT by NextToken, drops the header row and types the values', async () => {
    load(fixture('select-multipage.json'));
    const r = await runner({ database: 'sales', catalog: 'AwsDataCatalog', outputLocation: 's3://floe-athena-results/' }).query('SELECT * FROM sales.orders ORDER BY id');
    expect(r.columns).toEqual([
      { name: 'id', type: 'BIGINT' },
      { name: 'amount', type: 'DECIMAL(10,2)' },
      { name: 'day', type: 'DATE' },
      { name: 'ts', type: 'TIMESTAMP' },
      { name: 'ok', type: 'BOOLEAN' },
      { name: 'score', type: 'DOUBLE' },
      { name: 'note', type: 'VARCHAR' },
      { name: 'big', type: 'BIGINT' },
    ]);
    expect(r.rows).toEqual([
      [1n, '9.99', '2026-01-02', '2026-01-01T10:00:00.5', true, 1.5, null, 9007199254740993n],
      [2n, '0.10', '2026-01-03', '2026-01-03T00:00:00', false, -0.25, 'a, "quoted" note', -3n],
      [3n, null, null, null, null, null, '', null],
    ]);
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    const expected: StartQueryExecutionInput = {
      QueryString: 'SELECT * FROM sales.orders ORDER BY id',
      WorkGroup: 'analytics',
      QueryExecutionContext: { Catalog: 'AwsDataCatalog', Database: 'sales' },
      ResultConfiguration: { OutputLocation: 's3://floe-athena-results/' },
    };
    expect(start).toEqual(expected);
    const pages = athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input.NextToken);
    expect(pages).toEqual([undefined, 'AYADeJdNextPageToken0001']);
    // 24 MiB scanned → 24 MiB billed at USD 5 per TiB
    expect(r.stats.dataScannedBytes).toBe(25165824);
    expect(r.stats.costUsd).toBeCloseTo((24 / 1024 / 1024) * 5, 12);
  });

  it('polls QUEUED → RUNNING → SUCCEEDED with growing, bounded waits and bills the 10 MB minimum', async () => {
    load(fixture('queued-running-succeeded.json'));
    const r = await runner({ poll: { initialMs: 100, maxMs: 300 } }).query('SELECT count(*) AS n FROM sales.orders');
    expect(r.rows).toEqual([[42n]]);
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(4);
    expect(sleeps).toEqual([100, 200, 300]);
    expect(r.stats.billedBytes).toBe(10 * 2 ** 20);
    expect(r.stats.costUsd).toBeCloseTo((10 / 2 ** 20) * 5, 12);
  });

  it('has a shape checker that rejects what the SDK would not send', () => {
    expect(shapeErrors({ QueryString: 'SELECT 1', Workgroup: 'analytics' }, StartQueryExecutionInput$)).toEqual([
      expect.stringMatching(/Workgroup: not a member of StartQueryExecutionInput/),
    ]);
    expect(shapeErrors({ WorkGroup: 'analytics' }, StartQueryExecutionInput$)).toEqual([expect.stringMatching(/QueryString: required/)]);
    expect(shapeErrors({ QueryString: 'x', QueryExecutionContext: { Database: 7 } }, StartQueryExecutionInput$)).toHaveLength(1);
  });

  it('prices configurably', () => {
    expect(queryCost(0).billedBytes).toBe(10 * 2 ** 20);
    expect(queryCost(2 ** 40, { usdPerTb: 6.25, minBytes: 0 }).costUsd).toBe(6.25);
    expect(queryCost(2 ** 20 * 10 + 1).billedBytes).toBe(2 ** 20 * 11);
  });

  it('maps a FAILED syntax error to SqlParseError with Athena\'s reason', async () => {
    load(fixture('failed-syntax.json'));
    const err = await runner().query('SELECT FORM orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SqlParseError);
    expect(String((err as Error).message)).toMatch(/mismatched input 'FORM'.*workgroup analytics/);
  });

  it('names the workgroup\'s bytes-scanned cutoff when Athena cancels a query over it', async () => {
    load(fixture('cancelled-bytes-cutoff.json'));
    const r = runner();
    expect(await r.bytesScannedCutoff()).toBe(1073741824);
    const err = await r.query('SELECT * FROM sales.orders').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as Error).message).toMatch(/bytes-scanned cutoff 1\.00 GB \(BytesScannedCutoffPerQuery = 1073741824\)/);
    expect(athena.commandCalls(GetWorkGroupCommand)[0]!.args[0].input).toEqual({ WorkGroup: 'analytics' });
  });

  it('surfaces ThrottlingException on StartQueryExecution as LimitExceededError', async () => {
    const f = fixture('throttling.json');
    load(f);
    athena.on(StartQueryExecutionCommand).rejects(sdkError(f.error!));
    const err = await runner().query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect((err as Error).message).toMatch(/StartQueryExecution on workgroup analytics failed: ThrottlingException: Rate exceeded/);
  });

  it('waits out ThrottlingException while polling', async () => {
    const f = fixture('throttling.json');
    load(f);
    athena.on(GetQueryExecutionCommand).rejectsOnce(sdkError(f.error!)).resolves(f.GetQueryExecution![0]!);
    const r = await runner({ poll: { initialMs: 50 } }).query('SELECT 1 AS n');
    expect(r.rows).toEqual([[1n]]);
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(2);
  });

  it('maps AccessDeniedException to AccessDeniedError naming the workgroup', async () => {
    const f = fixture('access-denied.json');
    load(f);
    athena.on(StartQueryExecutionCommand).rejects(sdkError(f.error!));
    const err = await runner().query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/workgroup analytics.*not authorized to perform: athena:StartQueryExecution/);
  });

  it('issues StopQueryExecution when the signal aborts (Ctrl-C) while the query runs', async () => {
    const f = fixture('queued-running-succeeded.json');
    load(f);
    athena.reset();
    athena.on(GetWorkGroupCommand).resolves(f.GetWorkGroup!);
    athena.on(StartQueryExecutionCommand).resolves(f.StartQueryExecution!);
    athena.on(GetQueryExecutionCommand).resolves(f.GetQueryExecution![1]!);
    athena.on(StopQueryExecutionCommand).resolves({});
    const controller = new AbortController();
    const r = runner({
      sleep: async (ms, signal) => {
        sleeps.push(ms);
        if (sleeps.length === 2) controller.abort();
        if (signal?.aborted) throw new Error('aborted');
      },
    });
    const err = await r.query('SELECT * FROM big', { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    const stops = athena.commandCalls(StopQueryExecutionCommand);
    expect(stops.map((c) => c.args[0].input)).toEqual([{ QueryExecutionId: f.StartQueryExecution!.QueryExecutionId }]);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it('stops a query that outlives the polling timeout', async () => {
    const f = fixture('queued-running-succeeded.json');
    athena.on(GetWorkGroupCommand).resolves(f.GetWorkGroup!);
    athena.on(StartQueryExecutionCommand).resolves(f.StartQueryExecution!);
    athena.on(GetQueryExecutionCommand).resolves(f.GetQueryExecution![1]!);
    athena.on(StopQueryExecutionCommand).resolves({});
    const err = await runner({ poll: { initialMs: 1000, maxMs: 1000, timeoutMs: 3000 } }).query('SELECT 1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LimitExceededError);
    expect(athena.commandCalls(StopQueryExecutionCommand)).toHaveLength(1);
  });

  it('maps Athena failure reasons and API errors to floe error classes', () => {
    const failed = (reason: string, category = 2): Error =>
      queryFailure({ QueryExecutionId: 'q', Status: { State: 'FAILED', StateChangeReason: reason, AthenaError: { ErrorCategory: category } } }, 'workgroup wg');
    expect(failed("TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.sales.nope' does not exist")).toBeInstanceOf(NotFoundError);
    expect(failed('SCHEMA_NOT_FOUND: line 1:15: Schema nope does not exist')).toBeInstanceOf(NotFoundError);
    expect(failed("COLUMN_NOT_FOUND: line 1:8: Column 'x' cannot be resolved")).toBeInstanceOf(ValidationError);
    expect(failed('ICEBERG_COMMIT_ERROR: Failed to commit Iceberg update to table: sales.orders')).toBeInstanceOf(CommitFailedError);
    expect(failed('Access denied when writing output to url: s3://results/x.csv')).toBeInstanceOf(AccessDeniedError);
    expect(failed('Insufficient Lake Formation permission(s) on orders')).toBeInstanceOf(AccessDeniedError);
    expect(failed('GENERIC_INTERNAL_ERROR: something broke', 1)).toBeInstanceOf(IoError);
    expect(failed("SYNTAX_ERROR: line 1:1: Incorrect number of parameters")).toBeInstanceOf(SqlParseError);
    const tooMany = failed('HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers for partitions/buckets');
    expect(tooMany).toBeInstanceOf(LimitExceededError);
    expect(tooMany.message).toMatch(/--chunk-partitions$/);
    const invalid = Object.assign(new Error('WorkGroup wg is not found.'), { name: 'InvalidRequestException', AthenaErrorCode: 'INVALID_INPUT' });
    expect(apiFailure(invalid, 'GetWorkGroup', 'workgroup wg')).toBeInstanceOf(NotFoundError);
    const expired = Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredTokenException' });
    expect(apiFailure(expired, 'StartQueryExecution', 'workgroup wg').message).toBe(
      'StartQueryExecution on workgroup wg failed: ExpiredTokenException: The security token included in the request is expired',
    );
    expect(apiFailure(expired, 'StartQueryExecution', 'workgroup wg')).toBeInstanceOf(AccessDeniedError);
  });
});
