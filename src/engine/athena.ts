import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  GetWorkGroupCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type ColumnInfo as AthenaColumnInfo,
  type QueryExecution,
  type StartQueryExecutionInput,
} from '@aws-sdk/client-athena';
import { AccessDeniedError, CancelledError, FloeError, LimitExceededError, ValidationError } from '../errors.js';
import { apiFailure, isThrottling, queryFailure } from './athena-errors.js';
import { athenaValue, columnsOf } from './athena-values.js';
import type { ColumnInfo, QueryResult, SqlValue } from './duckdb.js';

/** How Athena bills a query (spec: Athena pricing — per byte scanned, rounded up to a megabyte, 10 MB minimum). */
export interface AthenaPricing {
  /** USD per terabyte (2^40 bytes) scanned; default 5. */
  usdPerTb: number;
  /** Minimum billed bytes per query; default 10 MB (10 × 2^20). */
  minBytes: number;
}

export const DEFAULT_PRICING: AthenaPricing = { usdPerTb: 5, minBytes: 10 * 2 ** 20 };

export interface PollOptions {
  /** First wait between GetQueryExecution calls (ms); default 200. */
  initialMs: number;
  /** Waits double up to this (ms); default 5000. */
  maxMs: number;
  /** Give up (stopping the query) after this much total waiting (ms); default 30 minutes. */
  timeoutMs: number;
}

export interface AthenaRunnerOptions {
  client: AthenaClient;
  workgroup: string;
  /** Query context: data catalog (default Athena's `AwsDataCatalog`) and database. */
  catalog?: string;
  database?: string;
  /** Result location, for workgroups that do not enforce their own. */
  outputLocation?: string;
  pricing?: Partial<AthenaPricing>;
  poll?: Partial<PollOptions>;
  /** GetQueryResults page size (Athena allows up to 1000). */
  pageSize?: number;
  /** Injectable clock for tests; resolves early (rejecting) when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface AthenaStats {
  queryExecutionId: string;
  state: string;
  statementType?: string;
  dataScannedBytes: number;
  billedBytes: number;
  costUsd: number;
  engineExecutionMs?: number;
  /** Rows written by CTAS, INSERT INTO, UPDATE, DELETE or MERGE (GetQueryResults UpdateCount). */
  updateCount?: number;
}

export interface AthenaResult extends QueryResult {
  stats: AthenaStats;
}

/** Billed bytes and USD of a query that scanned `scanned` bytes. */
export function queryCost(scanned: number, pricing: AthenaPricing = DEFAULT_PRICING): { billedBytes: number; costUsd: number } {
  const mb = 2 ** 20;
  const billedBytes = Math.max(pricing.minBytes, Math.ceil(scanned / mb) * mb);
  return { billedBytes, costUsd: (billedBytes / 2 ** 40) * pricing.usdPerTb };
}

/**
 * Runs SQL on Athena in one workgroup: StartQueryExecution, GetQueryExecution polled with bounded
 * exponential backoff, GetQueryResults paged by NextToken. Aborting the signal (Ctrl-C) stops the
 * query with StopQueryExecution; a failed query becomes a typed floe error; a query cancelled by
 * the workgroup's BytesScannedCutoffPerQuery becomes LimitExceededError naming the limit.
 */
export class AthenaRunner {
  private readonly pricing: AthenaPricing;
  private readonly poll: PollOptions;
  private cutoffPromise: Promise<number | undefined> | undefined;

  constructor(private readonly options: AthenaRunnerOptions) {
    if (!options.workgroup) throw new ValidationError('an Athena workgroup is required (--workgroup)');
    this.pricing = { ...DEFAULT_PRICING, ...options.pricing };
    this.poll = { initialMs: 200, maxMs: 5000, timeoutMs: 30 * 60_000, ...options.poll };
  }

  get workgroup(): string {
    return this.options.workgroup;
  }

  /** The workgroup's per-query bytes-scanned cutoff (GetWorkGroup), undefined when it has none. */
  bytesScannedCutoff(): Promise<number | undefined> {
    this.cutoffPromise ??= this.options.client
      .send(new GetWorkGroupCommand({ WorkGroup: this.options.workgroup }))
      .then((r) => r.WorkGroup?.Configuration?.BytesScannedCutoffPerQuery ?? undefined)
      .catch((e: unknown) => {
        this.cutoffPromise = undefined;
        const err = apiFailure(e, 'GetWorkGroup', `workgroup ${this.options.workgroup}`);
        // Without athena:GetWorkGroup the cutoff still applies; floe just cannot name it in advance.
        if (err instanceof AccessDeniedError) return undefined;
        throw err;
      });
    return this.cutoffPromise;
  }

  /** Runs one statement and collects every result row. */
  async query(sql: string, options: { signal?: AbortSignal } = {}): Promise<AthenaResult> {
    let columns: ColumnInfo[] = [];
    const rows: SqlValue[][] = [];
    const run = this.stream(sql, options);
    let next = await run.next();
    while (!next.done) {
      columns = next.value.columns;
      for (const r of next.value.rows) rows.push(r);
      next = await run.next();
    }
    return { columns, rows, stats: next.value };
  }

  /** Runs one statement, yielding result pages as they are fetched; returns the query's statistics. */
  async *stream(sql: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<QueryResult, AthenaStats> {
    const raw = this.streamRaw(sql, options);
    let next = await raw.next();
    while (!next.done) {
      const { meta, rows } = next.value;
      yield { columns: columnsOf(meta), rows: rows.map((r) => r.map((v, i) => athenaValue(v, meta[i] ?? {}))) };
      next = await raw.next();
    }
    return next.value;
  }

  /** As stream(), with Athena's raw strings (undefined = NULL) and column metadata. */
  async *streamRaw(
    sql: string,
    options: { signal?: AbortSignal } = {},
  ): AsyncGenerator<{ meta: AthenaColumnInfo[]; rows: (string | undefined)[][] }, AthenaStats> {
    const signal = options.signal;
    if (signal?.aborted) throw cancelled(undefined);
    const cutoff = await this.bytesScannedCutoff();
    const id = await this.start(sql);
    const qe = await this.wait(id, signal);
    const stats = this.statsOf(qe);
    const state = qe.Status?.State;
    if (state !== 'SUCCEEDED') throw this.failure(qe, stats, cutoff);

    let token: string | undefined;
    let first = true;
    do {
      if (signal?.aborted) throw cancelled(id);
      const page = await this.withThrottleRetry(() =>
        this.options.client.send(
          new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: this.options.pageSize ?? 1000, ...(token ? { NextToken: token } : {}) }),
        ),
        'GetQueryResults',
        id,
      );
      const meta = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
      if (first && typeof page.UpdateCount === 'number') stats.updateCount = page.UpdateCount;
      let rows = (page.ResultSet?.Rows ?? []).map((r) => (r.Data ?? []).map((d) => d.VarCharValue));
      // Athena repeats the column labels as the first row of a SELECT's first page.
      if (first && hasHeaderRow(qe) && rows.length > 0 && sameLabels(rows[0]!, meta)) rows = rows.slice(1);
      first = false;
      yield { meta, rows };
      token = page.NextToken ?? undefined;
    } while (token);
    return stats;
  }

  /** StartQueryExecution in the workgroup with the configured context. */
  async start(sql: string): Promise<string> {
    const input: StartQueryExecutionInput = { QueryString: sql, WorkGroup: this.options.workgroup };
    if (this.options.catalog !== undefined || this.options.database !== undefined) {
      input.QueryExecutionContext = {
        ...(this.options.catalog !== undefined ? { Catalog: this.options.catalog } : {}),
        ...(this.options.database !== undefined ? { Database: this.options.database } : {}),
      };
    }
    if (this.options.outputLocation !== undefined) input.ResultConfiguration = { OutputLocation: this.options.outputLocation };
    let id: string | undefined;
    try {
      id = (await this.options.client.send(new StartQueryExecutionCommand(input))).QueryExecutionId;
    } catch (e) {
      throw apiFailure(e, 'StartQueryExecution', `workgroup ${this.options.workgroup}`);
    }
    if (!id) throw new FloeError('IO', `StartQueryExecution in workgroup ${this.options.workgroup} returned no query id`);
    return id;
  }

  /** Polls until the query leaves QUEUED/RUNNING; stops it on abort or timeout. */
  async wait(id: string, signal?: AbortSignal): Promise<QueryExecution> {
    const sleep = this.options.sleep ?? defaultSleep;
    let delay = this.poll.initialMs;
    let waited = 0;
    for (;;) {
      if (signal?.aborted) return this.stopAndThrow(id);
      const qe = await this.withThrottleRetry(
        async () => (await this.options.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }))).QueryExecution,
        'GetQueryExecution',
        id,
      );
      const state = qe?.Status?.State;
      if (qe && state !== 'QUEUED' && state !== 'RUNNING' && state !== undefined) return qe;
      if (waited >= this.poll.timeoutMs) {
        await this.stop(id);
        throw new LimitExceededError(`Athena query ${id} did not finish within ${this.poll.timeoutMs} ms; it was stopped`);
      }
      try {
        await sleep(delay, signal);
      } catch {
        return this.stopAndThrow(id);
      }
      waited += delay;
      delay = Math.min(this.poll.maxMs, delay * 2);
    }
  }

  /** StopQueryExecution (best effort: a query that already ended cannot be stopped). */
  async stop(id: string): Promise<void> {
    try {
      await this.options.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch {
      // the query may have finished meanwhile; nothing to undo
    }
  }

  private async stopAndThrow(id: string): Promise<never> {
    await this.stop(id);
    throw cancelled(id);
  }

  private statsOf(qe: QueryExecution): AthenaStats {
    const scanned = qe.Statistics?.DataScannedInBytes ?? 0;
    const cost = queryCost(scanned, this.pricing);
    return {
      queryExecutionId: qe.QueryExecutionId ?? '',
      state: qe.Status?.State ?? 'UNKNOWN',
      ...(qe.StatementType !== undefined ? { statementType: qe.StatementType } : {}),
      dataScannedBytes: scanned,
      ...cost,
      ...(qe.Statistics?.EngineExecutionTimeInMillis !== undefined ? { engineExecutionMs: qe.Statistics.EngineExecutionTimeInMillis } : {}),
    };
  }

  private failure(qe: QueryExecution, stats: AthenaStats, cutoff: number | undefined): FloeError {
    const reason = qe.Status?.StateChangeReason ?? '';
    // Athena itself cancels a query that goes over the workgroup's data usage control.
    const overCutoff =
      /bytes ?scanned limit|data ?usage ?(control|limit)|BytesScannedCutoff/i.test(reason) ||
      (cutoff !== undefined && qe.Status?.State === 'CANCELLED' && stats.dataScannedBytes >= cutoff);
    if (overCutoff) {
      const limit = cutoff !== undefined ? `${formatBytes(cutoff)} (BytesScannedCutoffPerQuery = ${cutoff})` : '(BytesScannedCutoffPerQuery)';
      return new LimitExceededError(
        `Athena query ${stats.queryExecutionId} was cancelled: it exceeded workgroup ${this.options.workgroup}'s bytes-scanned cutoff ${limit} after scanning ${formatBytes(stats.dataScannedBytes)}`,
      );
    }
    if (qe.Status?.State === 'CANCELLED') return cancelled(stats.queryExecutionId, reason);
    return queryFailure(qe, `workgroup ${this.options.workgroup}`);
  }

  /** Retries an API call that was throttled, with the same bounded backoff as polling. */
  private async withThrottleRetry<T>(fn: () => Promise<T>, call: string, id: string): Promise<T> {
    const sleep = this.options.sleep ?? defaultSleep;
    let delay = this.poll.initialMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (!isThrottling(e) || attempt >= 5) throw apiFailure(e, call, `query ${id}`);
        await sleep(delay).catch(() => undefined);
        delay = Math.min(this.poll.maxMs, delay * 2);
      }
    }
  }
}

/** SELECT results (and other row-returning DML such as EXPLAIN) start with a label row. */
function hasHeaderRow(qe: QueryExecution): boolean {
  if (qe.SubstatementType !== undefined) return qe.SubstatementType.toUpperCase() === 'SELECT';
  return qe.StatementType === 'DML';
}

function sameLabels(row: (string | undefined)[], meta: AthenaColumnInfo[]): boolean {
  return row.length === meta.length && row.every((v, i) => v === (meta[i]?.Label ?? meta[i]?.Name));
}

function cancelled(id: string | undefined, reason?: string): FloeError {
  return new CancelledError(`Athena query ${id ? `${id} ` : ''}was cancelled${reason ? `: ${reason}` : ''}`);
}

export function formatBytes(n: number): string {
  if (n < 2 ** 20) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 2 ** 30) return `${(n / 2 ** 20).toFixed(1)} MB`;
  return `${(n / 2 ** 30).toFixed(2)} GB`;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
