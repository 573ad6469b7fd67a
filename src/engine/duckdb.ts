import {
  DuckDBConnection,
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBResultReader,
  type DuckDBType,
} from '@duckdb/node-api';
import { FloeError, ValidationError, errorMessage } from '../errors.js';
import { registerIcebergFunctions } from './udfs.js';

/**
 * Values as floe hands them to callers: JSON-friendly, no precision lost.
 * BIGINT/HUGEINT → bigint; DECIMAL → string (exact); DATE/TIME/TIMESTAMP → ISO-8601 string;
 * BLOB → Uint8Array; UUID → string; nested types → arrays/objects of the same.
 */
export type SqlValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | SqlValue[]
  | { [key: string]: SqlValue };

export interface ColumnInfo {
  name: string;
  /** DuckDB's spelling of the type, e.g. `BIGINT`, `DECIMAL(10,2)`, `STRUCT(a INTEGER)`. */
  type: string;
}

export interface QueryResult {
  columns: ColumnInfo[];
  rows: SqlValue[][];
}

export interface EngineOptions {
  /** DuckDB worker threads; defaults to DuckDB's choice (all cores). */
  threads?: number;
  memoryLimit?: string;
}

/** The embedded engine: one DuckDB database in memory, one connection, UTC session time zone. */
export class DuckDBEngine {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
  ) {}

  static async create(options: EngineOptions = {}): Promise<DuckDBEngine> {
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config['threads'] = String(options.threads);
    if (options.memoryLimit !== undefined) config['memory_limit'] = options.memoryLimit;
    const instance = await DuckDBInstance.create(':memory:', config);
    const connection = await instance.connect();
    const engine = new DuckDBEngine(instance, connection);
    // Iceberg's day/hour transforms and timestamptz values are defined in UTC.
    await engine.run(`SET TimeZone = 'UTC'`);
    registerIcebergFunctions(connection);
    return engine;
  }

  private threadCount: number | undefined;

  /**
   * DuckDB's worker thread count, read once: planners use it as a hint only (a later
   * `SET threads` in SQL is not seen).
   */
  async threads(): Promise<number> {
    if (this.threadCount === undefined) {
      const r = await this.query(`SELECT current_setting('threads')`);
      this.threadCount = Number(r.rows[0]?.[0] ?? 1);
    }
    return this.threadCount;
  }

  /** Runs a statement for its effect. DuckDB errors become ValidationError with DuckDB's text. */
  async run(sql: string): Promise<void> {
    try {
      await this.connection.run(sql);
    } catch (err) {
      throw engineError(err);
    }
  }

  async query(sql: string): Promise<QueryResult> {
    let reader: DuckDBResultReader;
    try {
      reader = await this.connection.runAndReadAll(sql);
    } catch (err) {
      throw engineError(err);
    }
    return readResult(reader);
  }

  /** Streams a result in chunks (about 2048 rows each) so large results need bounded memory. */
  async *stream(sql: string): AsyncGenerator<QueryResult> {
    let result;
    try {
      result = await this.connection.stream(sql);
    } catch (err) {
      throw engineError(err);
    }
    const columns = columnInfo(result.columnNames(), result.columnTypes().map((t) => t.toString()));
    const types = result.columnTypes();
    for await (const rows of result.yieldRowsJson()) {
      if (rows.length === 0) continue;
      yield { columns, rows: convertRows(rows as JsonRow[], types) };
    }
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

type JsonRow = unknown[];

function readResult(reader: DuckDBResultReader): QueryResult {
  const names = reader.deduplicatedColumnNames();
  const types = reader.columnTypes();
  return {
    columns: columnInfo(
      names,
      types.map((t) => t.toString()),
    ),
    rows: convertRows(reader.getRowsJson() as JsonRow[], types),
  };
}

function columnInfo(names: string[], types: string[]): ColumnInfo[] {
  return names.map((name, i) => ({ name, type: types[i] ?? 'UNKNOWN' }));
}

function convertRows(rows: JsonRow[], types: readonly DuckDBType[]): SqlValue[][] {
  return rows.map((row) => row.map((v, i) => convertValue(v, types[i])));
}

/** Lifts DuckDB's lossless JSON form to floe's SqlValue, inside structs, lists and maps too. */
function convertValue(v: unknown, type: DuckDBType | undefined): SqlValue {
  if (v === null || v === undefined) return null;
  if (!type) return v as SqlValue;
  switch (type.typeId) {
    case DuckDBTypeId.STRUCT: {
      if (typeof v !== 'object' || Array.isArray(v)) return v as SqlValue;
      const o = v as Record<string, unknown>;
      const out: { [key: string]: SqlValue } = {};
      type.entryNames.forEach((name, i) => {
        out[name] = convertValue(o[name], type.entryTypes[i]);
      });
      return out;
    }
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return Array.isArray(v) ? v.map((x) => convertValue(x, type.valueType)) : (v as SqlValue);
    case DuckDBTypeId.MAP:
      // DuckDB's JSON form of a MAP: [{key, value}, …].
      return Array.isArray(v)
        ? v.map((e) => {
            const entry = e as { key?: unknown; value?: unknown };
            return { key: convertValue(entry.key, type.keyType), value: convertValue(entry.value, type.valueType) };
          })
        : (v as SqlValue);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.UHUGEINT:
      return typeof v === 'string' || typeof v === 'number' ? BigInt(v) : (v as SqlValue);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_NS:
      return typeof v === 'string' ? v.replace(' ', 'T') : (v as SqlValue);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return typeof v === 'string' ? isoTimestampTz(v) : (v as SqlValue);
    case DuckDBTypeId.BLOB:
      return typeof v === 'string' ? blobFromEscaped(v) : (v as SqlValue);
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      if (typeof v === 'string') return Number(v);
      return v as SqlValue;
    default:
      return v as SqlValue;
  }
}

function isoTimestampTz(s: string): string {
  // DuckDB prints `2024-01-02 03:04:05+00`; ISO-8601 wants `T` and `+00:00`.
  const m = /^(.*?)([+-]\d\d)(?::?(\d\d))?$/.exec(s);
  if (!m) return s.replace(' ', 'T');
  return `${m[1]!.replace(' ', 'T')}${m[2]}:${m[3] ?? '00'}`;
}

/** DuckDB prints blobs with `\xNN` escapes for non-printable bytes. */
function blobFromEscaped(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      out.push(s.charCodeAt(i));
    }
  }
  return Uint8Array.from(out);
}

/** DuckDB reports user mistakes (binder, parser, conversion) as plain errors: name them. */
export function engineError(err: unknown): FloeError {
  if (err instanceof FloeError) return err;
  const msg = errorMessage(err);
  return new ValidationError(
    msg
      .replace(/\n+LINE \d+:[\s\S]*$/, '')
      .trim()
      .replace(/\s*\n\s*/g, ' '),
  );
}

/** Quotes an identifier for DuckDB SQL. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for DuckDB SQL. */
export function quoteString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
