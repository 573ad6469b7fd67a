import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetWorkGroupCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
} from '@aws-sdk/client-athena';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';

/** What the fake returns for one query text: Athena's column metadata and raw string rows. */
export interface FakeAnswer {
  statementType?: 'DML' | 'DDL' | 'UTILITY';
  substatementType?: string;
  columns?: ColumnInfo[];
  rows?: (string | null)[][];
  scanned?: number;
  /** Rows per GetQueryResults page (the header row counts on the first page, as in Athena). */
  pageSize?: number;
  /** GetQueryResults UpdateCount: rows written by a DML statement. */
  updateCount?: number;
}

export function athenaColumn(name: string, type: string, precision = 0, scale = 0): ColumnInfo {
  return { CatalogName: 'hive', SchemaName: '', TableName: '', Name: name, Label: name, Type: type, Precision: precision, Scale: scale, Nullable: 'UNKNOWN', CaseSensitive: false };
}

/**
 * An Athena stand-in on aws-sdk-client-mock: each StartQueryExecution gets an id, the query runs
 * (SUCCEEDED at once) with the answer `answer(sql)` gives, and GetQueryResults pages it with
 * NextToken, a header row first for SELECTs — the response shapes of the recorded fixtures.
 */
export function fakeAthena(answer: (sql: string) => FakeAnswer): { mock: AwsClientStub<AthenaClient>; queries: string[] } {
  const mock = mockClient(AthenaClient);
  const queries: string[] = [];
  const byId = new Map<string, FakeAnswer>();
  mock.on(GetWorkGroupCommand).resolves({ WorkGroup: { Name: 'analytics', State: 'ENABLED', Configuration: {} } });
  mock.on(StartQueryExecutionCommand).callsFake((input: { QueryString: string }) => {
    const id = `q-${queries.length}`;
    queries.push(input.QueryString);
    byId.set(id, answer(input.QueryString));
    return { QueryExecutionId: id };
  });
  mock.on(GetQueryExecutionCommand).callsFake((input: { QueryExecutionId: string }) => {
    const a = byId.get(input.QueryExecutionId)!;
    return {
      QueryExecution: {
        QueryExecutionId: input.QueryExecutionId,
        StatementType: a.statementType ?? 'DML',
        ...(a.substatementType !== undefined || (a.statementType ?? 'DML') === 'DML' ? { SubstatementType: a.substatementType ?? 'SELECT' } : {}),
        Status: { State: 'SUCCEEDED' },
        Statistics: { DataScannedInBytes: a.scanned ?? 0 },
        WorkGroup: 'analytics',
      },
    };
  });
  mock.on(GetQueryResultsCommand).callsFake((input: { QueryExecutionId: string; NextToken?: string }) => {
    const a = byId.get(input.QueryExecutionId)!;
    const cols = a.columns ?? [];
    const header = (a.statementType ?? 'DML') === 'DML' && (a.substatementType ?? 'SELECT') === 'SELECT' && cols.length > 0 ? [cols.map((c) => c.Name ?? null)] : [];
    const all = [...header, ...(a.rows ?? [])];
    const size = a.pageSize ?? 1000;
    const from = input.NextToken ? Number(input.NextToken) : 0;
    const page = all.slice(from, from + size);
    return {
      ResultSet: { Rows: page.map((r) => ({ Data: r.map((v) => (v === null ? {} : { VarCharValue: v })) })), ResultSetMetadata: { ColumnInfo: cols } },
      ...(from + size < all.length ? { NextToken: String(from + size) } : {}),
      ...(a.updateCount !== undefined ? { UpdateCount: a.updateCount } : {}),
    };
  });
  mock.on(StopQueryExecutionCommand).resolves({});
  return { mock, queries };
}
