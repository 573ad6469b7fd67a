import pg from 'pg';
import { AccessDeniedError, IoError, errorMessage } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { JDBC_SCHEMA, JdbcCatalog, type SqlRunner, type SqlStore } from './jdbc.js';
import { WarehouseLocations } from './locations.js';

export interface PostgresCatalogOptions {
  /** `postgres://user:password@host:port/database` (libpq URI; `postgresql://` too). */
  url: string;
  /** Where tables live: a local folder or a storage URI such as `s3://bucket/prefix`. */
  warehouse: string;
  io: FileIO;
  /** Recorded in every row, so one database can hold several catalogs (default `floe`). */
  catalogName?: string;
  /** Most connections this catalog object holds open (default 10). */
  maxConnections?: number;
}

/**
 * The Iceberg JDBC catalog on a PostgreSQL server: the same tables and rows as the SQLite
 * catalog (and Java's JdbcCatalog), so writers on many machines share one catalog. Every commit
 * is one guarded `UPDATE … WHERE metadata_location = <expected>` on a pooled connection.
 */
export class PostgresCatalog extends JdbcCatalog {
  private readonly pgStore: PostgresStore;

  constructor(options: PostgresCatalogOptions) {
    const name = options.catalogName ?? 'floe';
    const store = new PostgresStore(options.url, name, options.maxConnections ?? 10);
    super(name, store, options.io, new WarehouseLocations(options.warehouse));
    this.pgStore = store;
  }

  /** Opens the catalog and makes sure its tables exist; connection problems surface here. */
  static async connect(options: PostgresCatalogOptions): Promise<PostgresCatalog> {
    const catalog = new PostgresCatalog(options);
    try {
      await catalog.pgStore.ready;
    } catch (e) {
      await catalog.close();
      throw e;
    }
    return catalog;
  }
}

/** The connection failed before any statement was sent: nothing can have changed. */
class ConnectError extends IoError {}

/** SQLSTATE classes after which the server may have committed without telling us. */
function connectionLost(code: string): boolean {
  return code.startsWith('08') || code.startsWith('57P');
}

class PostgresStore implements SqlStore {
  private readonly pool: pg.Pool;
  private readonly where: string;
  private ended = false;
  readonly ready: Promise<void>;

  constructor(
    url: string,
    private readonly catalogName: string,
    max: number,
  ) {
    this.pool = new pg.Pool({ connectionString: url, max });
    // An idle connection dropped by the server must not crash the process; the next checkout reconnects.
    this.pool.on('error', () => undefined);
    this.where = redact(url);
    this.ready = this.init();
    this.ready.catch(() => undefined);
  }

  /** Creates the tables when missing; writers with only row privileges on existing tables never run DDL. */
  private async init(): Promise<void> {
    await this.withClient(async (client) => {
      const [present] = (
        await client.query<{ tables: number; typed: number }>(
          `SELECT count(DISTINCT table_name)::int AS tables, count(*) FILTER (WHERE table_name = 'iceberg_tables' AND column_name = 'iceberg_type')::int AS typed
           FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name IN ('iceberg_tables', 'iceberg_namespace_properties')`,
        )
      ).rows;
      if (present && present.tables === 2 && present.typed === 1) return;
      await client.query('BEGIN');
      try {
        // Two processes creating the tables at once would race in the system catalogs.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('iceberg_catalog_schema'))`);
        for (const ddl of JDBC_SCHEMA) await client.query(ddl);
        // Java's V0 schema has no iceberg_type column.
        await client.query(`ALTER TABLE iceberg_tables ADD COLUMN IF NOT EXISTS iceberg_type VARCHAR(5)`);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  private async withClient<T>(use: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      const code = sqlState(e);
      if (code.startsWith('28')) throw new AccessDeniedError(`access to the Postgres catalog ${this.where} denied: ${errorMessage(e)}`, { cause: e });
      throw new ConnectError(`cannot reach the Postgres catalog ${this.where}: ${errorMessage(e)}`, { cause: e });
    }
    let broken: Error | undefined;
    try {
      return await use(client);
    } catch (e) {
      if (!sqlState(e) || connectionLost(sqlState(e))) broken = e instanceof Error ? e : new Error(String(e));
      throw e;
    } finally {
      client.release(broken);
    }
  }

  private runner(client: pg.PoolClient): SqlRunner {
    return {
      all: async <T>(sql: string, params: unknown[]) => (await client.query(placeholders(sql), params)).rows as T[],
      run: async (sql: string, params: unknown[]) => (await client.query(placeholders(sql), params)).rowCount ?? 0,
    };
  }

  async all<T>(sql: string, params: unknown[]): Promise<T[]> {
    await this.ready;
    return this.withClient((c) => this.runner(c).all<T>(sql, params));
  }

  async run(sql: string, params: unknown[]): Promise<number> {
    await this.ready;
    return this.withClient((c) => this.runner(c).run(sql, params));
  }

  async transaction<T>(body: (tx: SqlRunner) => Promise<T>): Promise<T> {
    await this.ready;
    return this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        // Namespace and rename checks hold until COMMIT: such transactions of one catalog run one at a time.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`iceberg_catalog:${this.catalogName}`]);
        const out = await body(this.runner(client));
        await client.query('COMMIT');
        return out;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    });
  }

  isConstraintViolation(e: unknown): boolean {
    return sqlState(e) === '23505';
  }

  swapFailure(e: unknown): { definite: boolean; reason: string } {
    if (e instanceof ConnectError || e instanceof AccessDeniedError) return { definite: true, reason: e.message };
    const code = sqlState(e);
    // The server answered with an error: an autocommit UPDATE that fails is rolled back.
    if (code && !connectionLost(code)) return { definite: true, reason: `the catalog database refused the update (${code}: ${errorMessage(e)})` };
    return { definite: false, reason: errorMessage(e) };
  }

  async close(): Promise<void> {
    await this.ready.catch(() => undefined);
    if (this.ended) return;
    this.ended = true;
    await this.pool.end();
  }
}

function sqlState(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : '';
}

/** `?` placeholders (the shared SQL) as Postgres's `$1, $2, …`; the statements hold no `?` in literals. */
function placeholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** The URL without its password, for messages. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}
