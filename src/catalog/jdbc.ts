import { AlreadyExistsError, CommitFailedError, CommitStateUnknownError, NotFoundError, ValidationError, errorMessage } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { TableIdentifier, TableRequirement, TableUpdate } from '../spec/types.js';
import type { Catalog, CreateTableOptions, DropTableOptions, LoadedTable } from './catalog.js';
import { MetadataCache } from './metadata-cache.js';
import { readMetadataFile } from './metadata-files.js';
import { validateIdentifier, validateNamespace } from './names.js';
import { metadataForPurge, purgeDropped } from './purge.js';
import { afterCommit, discard, label, stageCommit, writeFirstMetadata } from './table-commit.js';
import type { WarehouseLocations } from './locations.js';

/** Statements with `?` placeholders, as the stores run them. */
export interface SqlRunner {
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  /** Runs a statement and returns how many rows it changed. */
  run(sql: string, params: unknown[]): Promise<number>;
}

/**
 * A database holding the Iceberg JDBC catalog's tables. `transaction` runs its body with the
 * catalog's rows locked against other writers (SQLite: BEGIN IMMEDIATE; Postgres: an advisory lock).
 */
export interface SqlStore extends SqlRunner {
  transaction<T>(body: (tx: SqlRunner) => Promise<T>): Promise<T>;
  /** A primary-key violation (a name taken by a concurrent creator). */
  isConstraintViolation(e: unknown): boolean;
  /**
   * Whether a failed pointer swap definitely did not change the row (the database refused the
   * statement: busy, lock timeout, unreachable before sending), with the reason; otherwise the
   * outcome is unknown.
   */
  swapFailure(e: unknown): { definite: boolean; reason: string };
  close(): Promise<void>;
}

/** spec: Iceberg JdbcCatalog (V1 schema) and PyIceberg SqlCatalog table layouts. */
export const JDBC_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS iceberg_tables (
    catalog_name VARCHAR(255) NOT NULL,
    table_namespace VARCHAR(255) NOT NULL,
    table_name VARCHAR(255) NOT NULL,
    metadata_location VARCHAR(1000),
    previous_metadata_location VARCHAR(1000),
    iceberg_type VARCHAR(5),
    PRIMARY KEY (catalog_name, table_namespace, table_name)
  )`,
  `CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
    catalog_name VARCHAR(255) NOT NULL,
    namespace VARCHAR(255) NOT NULL,
    property_key VARCHAR(255) NOT NULL,
    property_value VARCHAR(1000),
    PRIMARY KEY (catalog_name, namespace, property_key)
  )`,
];

interface TableRow {
  metadata_location: string | null;
  previous_metadata_location: string | null;
}

/**
 * The Iceberg JDBC catalog over any SQL store: namespaces are rows of `iceberg_namespace_properties`
 * (an `exists` marker plus properties) or implied by tables; a table is a row of `iceberg_tables`.
 * A commit writes the next metadata file, then swaps the pointer with
 * `UPDATE … WHERE metadata_location = <expected>`: no row changed is a lost race (CommitFailedError,
 * the new file is deleted); a failure the store cannot classify is CommitStateUnknownError (nothing deleted).
 */
export class JdbcCatalog implements Catalog {
  private readonly cache: MetadataCache;

  constructor(
    readonly name: string,
    private readonly store: SqlStore,
    private readonly io: FileIO,
    private readonly locations: WarehouseLocations,
  ) {
    this.cache = new MetadataCache(io);
  }

  // ------------------------------------------------------------------------------------------
  // Namespaces

  async listNamespaces(parent: string[] = []): Promise<string[][]> {
    if (parent.length > 0) validateNamespace(parent);
    if (parent.length > 0 && !(await this.nsExists(this.store, parent.join('.')))) throw new NotFoundError(`namespace ${parent.join('.')} does not exist`);
    const rows = await this.store.all<{ ns: string }>(
      `SELECT namespace AS ns FROM iceberg_namespace_properties WHERE catalog_name = ?
       UNION SELECT table_namespace AS ns FROM iceberg_tables WHERE catalog_name = ?`,
      [this.name, this.name],
    );
    const out = new Map<string, string[]>();
    for (const { ns } of rows) {
      const parts = ns.split('.');
      if (parts.length <= parent.length || parent.some((p, i) => parts[i] !== p)) continue;
      const child = parts.slice(0, parent.length + 1);
      out.set(child.join('.'), child);
    }
    return [...out.values()].sort((a, b) => a.join('.').localeCompare(b.join('.')));
  }

  async createNamespace(namespace: string[], properties: Record<string, string> = {}): Promise<void> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    const insert = `INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)`;
    try {
      await this.store.transaction(async (tx) => {
        if (await this.nsExists(tx, ns)) throw new AlreadyExistsError(`namespace ${ns} already exists`);
        await tx.run(insert, [this.name, ns, 'exists', 'true']);
        for (const [k, v] of Object.entries(properties)) if (k !== 'exists') await tx.run(insert, [this.name, ns, k, v]);
      });
    } catch (e) {
      if (this.store.isConstraintViolation(e)) throw new AlreadyExistsError(`namespace ${ns} already exists`);
      throw e;
    }
  }

  private async nsExists(db: SqlRunner, ns: string): Promise<boolean> {
    const rows = await db.all(
      `SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?
       UNION ALL SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? LIMIT 1`,
      [this.name, ns, this.name, ns],
    );
    return rows.length > 0;
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    validateNamespace(namespace);
    return this.nsExists(this.store, namespace.join('.'));
  }

  async loadNamespaceProperties(namespace: string[]): Promise<Record<string, string>> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    if (!(await this.nsExists(this.store, ns))) throw new NotFoundError(`namespace ${ns} does not exist`);
    const rows = await this.store.all<{ k: string; v: string | null }>(
      `SELECT property_key AS k, property_value AS v FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?`,
      [this.name, ns],
    );
    const out: Record<string, string> = {};
    for (const r of rows) if (r.k !== 'exists') out[r.k] = r.v ?? '';
    return out;
  }

  async updateNamespaceProperties(namespace: string[], updates: Record<string, string>, removals: string[]): Promise<void> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    await this.store.transaction(async (tx) => {
      if (!(await this.nsExists(tx, ns))) throw new NotFoundError(`namespace ${ns} does not exist`);
      const del = `DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? AND property_key = ?`;
      for (const k of removals) if (k !== 'exists') await tx.run(del, [this.name, ns, k]);
      const up = `INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)
         ON CONFLICT (catalog_name, namespace, property_key) DO UPDATE SET property_value = excluded.property_value`;
      await tx.run(up, [this.name, ns, 'exists', 'true']);
      for (const [k, v] of Object.entries(updates)) await tx.run(up, [this.name, ns, k, v]);
    });
  }

  async dropNamespace(namespace: string[]): Promise<void> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    await this.store.transaction(async (tx) => {
      if (!(await this.nsExists(tx, ns))) throw new NotFoundError(`namespace ${ns} does not exist`);
      const [tables] = await tx.all<{ n: number | string }>(`SELECT count(*) AS n FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?`, [this.name, ns]);
      const n = Number(tables?.n ?? 0);
      if (n > 0) throw new ValidationError(`namespace ${ns} is not empty: it holds ${n} table(s)`);
      const children = await tx.all(
        `SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace LIKE ? ESCAPE '\\'
         UNION ALL SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace LIKE ? ESCAPE '\\' LIMIT 1`,
        [this.name, `${likeEscape(ns)}.%`, this.name, `${likeEscape(ns)}.%`],
      );
      if (children.length > 0) throw new ValidationError(`namespace ${ns} is not empty: it holds other namespaces`);
      await tx.run(`DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?`, [this.name, ns]);
    });
  }

  // ------------------------------------------------------------------------------------------
  // Tables

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    if (!(await this.nsExists(this.store, ns))) throw new NotFoundError(`namespace ${ns} does not exist`);
    const rows = await this.store.all<{ t: string }>(
      `SELECT table_name AS t FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? ORDER BY table_name`,
      [this.name, ns],
    );
    return rows.map((r) => ({ namespace: [...namespace], name: r.t }));
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    validateIdentifier(id);
    return (await this.row(this.store, id)) !== undefined;
  }

  private async row(db: SqlRunner, id: TableIdentifier): Promise<TableRow | undefined> {
    const [row] = await db.all<TableRow>(
      `SELECT metadata_location, previous_metadata_location FROM iceberg_tables
       WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`,
      [this.name, id.namespace.join('.'), id.name],
    );
    return row;
  }

  async createTable(id: TableIdentifier, options: CreateTableOptions): Promise<LoadedTable> {
    validateIdentifier(id);
    if (!(await this.namespaceExists(id.namespace))) throw new NotFoundError(`namespace ${id.namespace.join('.')} does not exist`);
    if (await this.row(this.store, id)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    const location = this.locations.tableLocation(options.location ?? this.locations.defaultTableLocation(id.namespace, id.name));
    const table = await writeFirstMetadata(this.io, id, options, location);
    try {
      await this.insertRow(id, table.metadataLocation);
    } catch (e) {
      await discard(this.io, table.metadataLocation);
      throw e;
    }
    return table;
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    validateIdentifier(id);
    const row = await this.row(this.store, id);
    if (!row || !row.metadata_location) throw new NotFoundError(`table ${label(id)} does not exist`);
    const metadata = await this.cache.read(row.metadata_location);
    return { identifier: id, metadataLocation: row.metadata_location, metadata };
  }

  async commitTable(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable> {
    const current = await this.loadTable(id);
    const next = await stageCommit(this.io, current, requirements, updates);
    let changed: number;
    try {
      changed = await this.store.run(
        `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
         WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`,
        [next.metadataLocation, current.metadataLocation, this.name, id.namespace.join('.'), id.name, current.metadataLocation],
      );
    } catch (e) {
      const failure = this.store.swapFailure(e);
      if (failure.definite) {
        await discard(this.io, next.metadataLocation);
        throw new CommitFailedError(`commit to ${label(id)} failed: ${failure.reason}`, { cause: e });
      }
      // The swap may or may not have happened: keep every file.
      throw new CommitStateUnknownError(`commit to ${label(id)} has an unknown outcome: ${errorMessage(e)}`, { cause: e });
    }
    if (changed !== 1) {
      await discard(this.io, next.metadataLocation);
      throw new CommitFailedError(`commit to ${label(id)} failed: another writer committed first (concurrent commit)`);
    }
    await afterCommit(this.io, current.metadata, next.metadata);
    await this.cache.remember(next.metadataLocation, next.metadata);
    return next;
  }

  async renameTable(from: TableIdentifier, to: TableIdentifier): Promise<void> {
    validateIdentifier(from);
    validateIdentifier(to);
    try {
      await this.store.transaction(async (tx) => {
        if (!(await this.row(tx, from))) throw new NotFoundError(`table ${label(from)} does not exist`);
        if (!(await this.nsExists(tx, to.namespace.join('.')))) throw new NotFoundError(`namespace ${to.namespace.join('.')} does not exist`);
        if (await this.row(tx, to)) throw new AlreadyExistsError(`table ${label(to)} already exists`);
        await tx.run(
          `UPDATE iceberg_tables SET table_namespace = ?, table_name = ?
           WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`,
          [to.namespace.join('.'), to.name, this.name, from.namespace.join('.'), from.name],
        );
      });
    } catch (e) {
      if (this.store.isConstraintViolation(e)) throw new AlreadyExistsError(`table ${label(to)} already exists`);
      throw e;
    }
  }

  /** Removes the table's row; with `purge`, then deletes every file its current metadata references. */
  async dropTable(id: TableIdentifier, options: DropTableOptions = {}): Promise<void> {
    validateIdentifier(id);
    const row = await this.row(this.store, id);
    if (!row) throw new NotFoundError(`table ${label(id)} does not exist`);
    const location = row.metadata_location;
    const metadata = options.purge && location ? await metadataForPurge(this.cache, location) : undefined;
    const changes = await this.store.run(`DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`, [
      this.name,
      id.namespace.join('.'),
      id.name,
    ]);
    if (changes === 0) throw new NotFoundError(`table ${label(id)} does not exist`);
    if (!options.purge || !location) return;
    this.cache.forget(location);
    await purgeDropped(this.io, location, metadata);
  }

  async registerTable(id: TableIdentifier, metadataLocation: string): Promise<LoadedTable> {
    validateIdentifier(id);
    if (!(await this.namespaceExists(id.namespace))) throw new NotFoundError(`namespace ${id.namespace.join('.')} does not exist`);
    if (await this.row(this.store, id)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    const metadata = await readMetadataFile(this.io, metadataLocation);
    await this.insertRow(id, metadataLocation);
    return { identifier: id, metadataLocation, metadata };
  }

  /** Adds a table's row; a taken name (even by a concurrent creator) is AlreadyExistsError. */
  private async insertRow(id: TableIdentifier, metadataLocation: string): Promise<void> {
    try {
      await this.store.run(
        `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type)
         VALUES (?, ?, ?, ?, NULL, 'TABLE')`,
        [this.name, id.namespace.join('.'), id.name, metadataLocation],
      );
    } catch (e) {
      if (this.store.isConstraintViolation(e)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
      throw e;
    }
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}
