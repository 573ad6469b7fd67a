import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { JDBC_SCHEMA, JdbcCatalog, type SqlRunner, type SqlStore } from './jdbc.js';
import { WarehouseLocations } from './locations.js';

export interface SqliteCatalogOptions {
  /** Where the tables live: a local folder (absolute, relative or `file:` URI) or `s3://bucket/prefix`. */
  warehouse: string;
  io: FileIO;
  /** Recorded in every row, so one database can hold several catalogs (default `floe`). */
  catalogName?: string;
  /** The SQLite file (default `<warehouse>/catalog.db`; required when the warehouse is remote). */
  dbPath?: string;
  /** How long a write waits for another process's lock before SQLITE_BUSY (default 15 s). */
  busyTimeoutMs?: number;
}

/**
 * The embedded catalog: a SQLite database with the Iceberg JDBC catalog's tables, so PyIceberg's
 * SqlCatalog and Java's JdbcCatalog can open the same file. Tables stay inside the warehouse.
 */
export class SqliteCatalog extends JdbcCatalog {
  constructor(options: SqliteCatalogOptions) {
    const locations = new WarehouseLocations(options.warehouse);
    // Tables may live on remote storage (s3://…); the SQLite file itself is always local.
    if (!locations.local && !options.dbPath) throw new ValidationError(`the warehouse ${locations.root} is remote: give the catalog a local database file (dbPath)`);
    const dbPath = options.dbPath ?? `${locations.root}/catalog.db`;
    super(options.catalogName ?? 'floe', new SqliteStore(dbPath, options.busyTimeoutMs ?? 15_000), options.io, locations);
  }
}

/** better-sqlite3 behind the async SqlStore interface; one connection per catalog object. */
class SqliteStore implements SqlStore {
  private readonly db: Database.Database;
  /** The transaction in flight on this connection: other statements wait for it, never join it. */
  private inFlight: Promise<unknown> | null = null;
  private readonly direct: SqlRunner;

  constructor(dbPath: string, busyTimeoutMs: number) {
    mkdirSync(dirname(resolve(dbPath)), { recursive: true });
    // busy_timeout lets several OS processes queue for the write lock instead of failing at once;
    // WAL lets readers proceed while one of them writes.
    this.db = new Database(dbPath, { timeout: busyTimeoutMs });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    for (const ddl of JDBC_SCHEMA) this.db.exec(ddl);
    // Java's V0 schema has no iceberg_type column.
    const cols = this.db.prepare(`PRAGMA table_info(iceberg_tables)`).all() as { name: string }[];
    if (!cols.some((c) => c.name === 'iceberg_type')) this.db.exec(`ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)`);
    this.direct = {
      all: async <T>(sql: string, params: unknown[]) => this.db.prepare(sql).all(...params) as T[],
      run: async (sql: string, params: unknown[]) => this.db.prepare(sql).run(...params).changes,
    };
  }

  /** Runs `start` once no transaction is in flight, with no await between the check and the call. */
  private async whenIdle<T>(start: () => Promise<T>): Promise<T> {
    while (this.inFlight) await this.inFlight.catch(() => undefined);
    return start();
  }

  all<T>(sql: string, params: unknown[]): Promise<T[]> {
    return this.whenIdle(() => this.direct.all<T>(sql, params));
  }

  run(sql: string, params: unknown[]): Promise<number> {
    return this.whenIdle(() => this.direct.run(sql, params));
  }

  transaction<T>(body: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.whenIdle(() => {
      const work = (async () => {
        // IMMEDIATE takes the write lock up front, so the checks in `body` hold until COMMIT.
        this.db.exec('BEGIN IMMEDIATE');
        try {
          const out = await body(this.direct);
          this.db.exec('COMMIT');
          return out;
        } catch (e) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw e;
        }
      })();
      const settled = (): void => {
        if (this.inFlight === settledWork) this.inFlight = null;
      };
      const settledWork = work.then(settled, settled);
      this.inFlight = settledWork;
      return work;
    });
  }

  isConstraintViolation(e: unknown): boolean {
    return sqliteCode(e).startsWith('SQLITE_CONSTRAINT');
  }

  swapFailure(e: unknown): { definite: boolean; reason: string } {
    const code = sqliteCode(e);
    // SQLite refused to start the write: nothing changed.
    const definite = code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
    return { definite, reason: `the catalog is busy (${code})` };
  }

  async close(): Promise<void> {
    await this.whenIdle(async () => undefined);
    if (this.db.open) this.db.close();
  }
}

function sqliteCode(e: unknown): string {
  return String((e as { code?: string }).code ?? '');
}
