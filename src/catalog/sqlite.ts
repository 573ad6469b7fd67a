import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  AlreadyExistsError,
  CommitFailedError,
  CommitStateUnknownError,
  FloeError,
  NotFoundError,
  ValidationError,
  errorMessage,
} from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { canonicalLocation, isRemoteUri, isUnder, toLocalPath } from '../io/paths.js';
import { readManifest } from '../manifest/manifest.js';
import { readManifestList } from '../manifest/manifest-list.js';
import { newTableMetadata, withMetadataLog } from '../spec/metadata.js';
import { checkRequirements } from '../spec/requirements.js';
import type { FormatVersion, TableIdentifier, TableMetadata, TableRequirement, TableUpdate } from '../spec/types.js';
import { applyUpdates } from '../spec/updates.js';
import type { Catalog, CreateTableOptions, DropTableOptions, LoadedTable } from './catalog.js';
import { parseMetadataVersion, readMetadataFile, writeMetadataFile } from './metadata-files.js';
import { validateIdentifier, validateNamespace } from './names.js';

export interface SqliteCatalogOptions {
  /** Local folder holding the tables (and by default `catalog.db`): absolute, relative or `file:` URI. */
  warehouse: string;
  io: FileIO;
  /** Recorded in every row, so one database can hold several catalogs (default `floe`). */
  catalogName?: string;
  dbPath?: string;
  /** How long a write waits for another process's lock before SQLITE_BUSY (default 15 s). */
  busyTimeoutMs?: number;
}

interface TableRow {
  metadata_location: string | null;
  previous_metadata_location: string | null;
}

/**
 * The embedded catalog: a SQLite database with the Iceberg JDBC catalog's tables, so PyIceberg's
 * SqlCatalog and Java's JdbcCatalog can open the same file. A commit writes the next metadata
 * file and then swaps the pointer with `UPDATE … WHERE metadata_location = <expected>`.
 */
export class SqliteCatalog implements Catalog {
  readonly name: string;
  private readonly db: Database.Database;
  private readonly warehouse: string;
  private readonly io: FileIO;
  /** Parsed metadata by location, checked against the file's size and mtime before reuse. */
  private readonly parsed = new Map<string, { metadata: TableMetadata; size: number; mtimeMs: number }>();

  constructor(options: SqliteCatalogOptions) {
    this.name = options.catalogName ?? 'floe';
    this.warehouse = canonicalLocation(options.warehouse);
    this.io = options.io;
    // Tables may live on remote storage (s3://…); the SQLite file itself is always local.
    if (isRemoteUri(this.warehouse) && !options.dbPath) throw new ValidationError(`the warehouse ${this.warehouse} is remote: give the catalog a local database file (dbPath)`);
    const dbPath = options.dbPath ?? `${this.warehouse}/catalog.db`;
    mkdirSync(dirname(resolve(dbPath)), { recursive: true });
    // busy_timeout lets several OS processes queue for the write lock instead of failing at once;
    // WAL lets readers proceed while one of them writes.
    this.db = new Database(dbPath, { timeout: options.busyTimeoutMs ?? 15_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // spec: Iceberg JdbcCatalog (V1 schema) and PyIceberg SqlCatalog table layouts.
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS iceberg_tables (
        catalog_name VARCHAR(255) NOT NULL,
        table_namespace VARCHAR(255) NOT NULL,
        table_name VARCHAR(255) NOT NULL,
        metadata_location VARCHAR(1000),
        previous_metadata_location VARCHAR(1000),
        iceberg_type VARCHAR(5),
        PRIMARY KEY (catalog_name, table_namespace, table_name)
      );
      CREATE TABLE IF NOT EXISTS iceberg_namespace_properties (
        catalog_name VARCHAR(255) NOT NULL,
        namespace VARCHAR(255) NOT NULL,
        property_key VARCHAR(255) NOT NULL,
        property_value VARCHAR(1000),
        PRIMARY KEY (catalog_name, namespace, property_key)
      );`);
    const cols = this.db.prepare(`PRAGMA table_info(iceberg_tables)`).all() as { name: string }[];
    if (!cols.some((c) => c.name === 'iceberg_type')) this.db.exec(`ALTER TABLE iceberg_tables ADD COLUMN iceberg_type VARCHAR(5)`);
  }

  // ------------------------------------------------------------------------------------------
  // Namespaces

  async listNamespaces(parent: string[] = []): Promise<string[][]> {
    if (parent.length > 0) validateNamespace(parent);
    if (parent.length > 0 && !(await this.namespaceExists(parent))) throw new NotFoundError(`namespace ${parent.join('.')} does not exist`);
    const rows = this.db
      .prepare(
        `SELECT namespace AS ns FROM iceberg_namespace_properties WHERE catalog_name = ?
         UNION SELECT table_namespace AS ns FROM iceberg_tables WHERE catalog_name = ?`,
      )
      .all(this.name, this.name) as { ns: string }[];
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
    const insert = this.db.prepare(
      `INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      if (this.nsExistsSync(ns)) throw new AlreadyExistsError(`namespace ${ns} already exists`);
      insert.run(this.name, ns, 'exists', 'true');
      for (const [k, v] of Object.entries(properties)) if (k !== 'exists') insert.run(this.name, ns, k, v);
    }).immediate();
  }

  private nsExistsSync(ns: string): boolean {
    const row = this.db
      .prepare(
        `SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?
         UNION ALL SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? LIMIT 1`,
      )
      .get(this.name, ns, this.name, ns);
    return row !== undefined;
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    validateNamespace(namespace);
    return this.nsExistsSync(namespace.join('.'));
  }

  async loadNamespaceProperties(namespace: string[]): Promise<Record<string, string>> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    if (!this.nsExistsSync(ns)) throw new NotFoundError(`namespace ${ns} does not exist`);
    const rows = this.db
      .prepare(`SELECT property_key AS k, property_value AS v FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?`)
      .all(this.name, ns) as { k: string; v: string | null }[];
    const out: Record<string, string> = {};
    for (const r of rows) if (r.k !== 'exists') out[r.k] = r.v ?? '';
    return out;
  }

  async updateNamespaceProperties(namespace: string[], updates: Record<string, string>, removals: string[]): Promise<void> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    this.db.transaction(() => {
      if (!this.nsExistsSync(ns)) throw new NotFoundError(`namespace ${ns} does not exist`);
      const del = this.db.prepare(`DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? AND property_key = ?`);
      for (const k of removals) if (k !== 'exists') del.run(this.name, ns, k);
      const up = this.db.prepare(
        `INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, ?, ?)
         ON CONFLICT (catalog_name, namespace, property_key) DO UPDATE SET property_value = excluded.property_value`,
      );
      up.run(this.name, ns, 'exists', 'true');
      for (const [k, v] of Object.entries(updates)) up.run(this.name, ns, k, v);
    }).immediate();
  }

  async dropNamespace(namespace: string[]): Promise<void> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    this.db.transaction(() => {
      if (!this.nsExistsSync(ns)) throw new NotFoundError(`namespace ${ns} does not exist`);
      const tables = this.db.prepare(`SELECT count(*) AS n FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ?`).get(this.name, ns) as { n: number };
      if (tables.n > 0) throw new ValidationError(`namespace ${ns} is not empty: it holds ${tables.n} table(s)`);
      const children = this.db
        .prepare(
          `SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace LIKE ? ESCAPE '\\'
           UNION ALL SELECT 1 FROM iceberg_tables WHERE catalog_name = ? AND table_namespace LIKE ? ESCAPE '\\' LIMIT 1`,
        )
        .get(this.name, `${likeEscape(ns)}.%`, this.name, `${likeEscape(ns)}.%`);
      if (children) throw new ValidationError(`namespace ${ns} is not empty: it holds other namespaces`);
      this.db.prepare(`DELETE FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ?`).run(this.name, ns);
    }).immediate();
  }

  // ------------------------------------------------------------------------------------------
  // Tables

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    validateNamespace(namespace);
    const ns = namespace.join('.');
    if (!this.nsExistsSync(ns)) throw new NotFoundError(`namespace ${ns} does not exist`);
    const rows = this.db
      .prepare(`SELECT table_name AS t FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? ORDER BY table_name`)
      .all(this.name, ns) as { t: string }[];
    return rows.map((r) => ({ namespace: [...namespace], name: r.t }));
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    validateIdentifier(id);
    return this.row(id) !== undefined;
  }

  private row(id: TableIdentifier): TableRow | undefined {
    return this.db
      .prepare(
        `SELECT metadata_location, previous_metadata_location FROM iceberg_tables
         WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`,
      )
      .get(this.name, id.namespace.join('.'), id.name) as TableRow | undefined;
  }

  private defaultLocation(id: TableIdentifier): string {
    return `${this.warehouse}/${id.namespace.join('.')}.db/${id.name}`;
  }

  async createTable(id: TableIdentifier, options: CreateTableOptions): Promise<LoadedTable> {
    validateIdentifier(id);
    if (!(await this.namespaceExists(id.namespace))) throw new NotFoundError(`namespace ${id.namespace.join('.')} does not exist`);
    if (this.row(id)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    const location = (options.location ?? this.defaultLocation(id)).replace(/\/+$/, '');
    let localLocation: string;
    try {
      localLocation = isRemoteUri(this.warehouse) ? canonicalLocation(location) : resolve(toLocalPath(location));
    } catch (e) {
      throw new ValidationError(`location ${location} is not on this warehouse's storage: ${errorMessage(e)}`, { cause: e });
    }
    if (!isUnder(localLocation, this.warehouse)) {
      throw new ValidationError(`location ${location} is outside the warehouse ${this.warehouse}`);
    }
    const properties = { ...(options.properties ?? {}) };
    const fv = properties['format-version'];
    if (fv !== undefined && fv !== '1' && fv !== '2') throw new ValidationError(`format-version must be 1 or 2, not '${fv}'`);
    const metadata = newTableMetadata({
      schema: options.schema,
      ...(options.partitionSpec ? { spec: options.partitionSpec } : {}),
      ...(options.sortOrder ? { sortOrder: options.sortOrder } : {}),
      location: localLocation,
      properties,
      formatVersion: (fv ? Number(fv) : 2) as FormatVersion,
    });
    const metadataLocation = await writeMetadataFile(this.io, localLocation, metadata, 0);
    try {
      this.insertRow(id, metadataLocation);
    } catch (e) {
      await this.io.delete(metadataLocation).catch(() => undefined);
      throw e;
    }
    return { identifier: id, metadataLocation, metadata };
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    validateIdentifier(id);
    const row = this.row(id);
    if (!row || !row.metadata_location) throw new NotFoundError(`table ${label(id)} does not exist`);
    const metadata = await this.readMetadata(row.metadata_location);
    return { identifier: id, metadataLocation: row.metadata_location, metadata };
  }

  private async readMetadata(location: string): Promise<TableMetadata> {
    const hit = this.parsed.get(location);
    if (hit) {
      const st = await this.io.stat(location);
      if (st && st.size === hit.size && st.mtimeMs === hit.mtimeMs) return hit.metadata;
    }
    const metadata = await readMetadataFile(this.io, location);
    await this.remember(location, metadata);
    return metadata;
  }

  private async remember(location: string, metadata: TableMetadata): Promise<void> {
    const st = await this.io.stat(location);
    if (!st) return;
    this.parsed.set(location, { metadata, size: st.size, mtimeMs: st.mtimeMs });
    if (this.parsed.size > 64) this.parsed.delete(this.parsed.keys().next().value as string);
  }

  async commitTable(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable> {
    const current = await this.loadTable(id);
    checkRequirements(current.metadata, requirements);
    let next = applyUpdates(current.metadata, updates);
    next = withMetadataLog(next, { location: current.metadataLocation, timestampMs: current.metadata['last-updated-ms'] });
    const version = (parseMetadataVersion(current.metadataLocation) ?? current.metadata['metadata-log'].length) + 1;
    const location = await writeMetadataFile(this.io, next.location, next, version);
    let changed: number;
    try {
      changed = this.db
        .prepare(
          `UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
           WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`,
        )
        .run(location, current.metadataLocation, this.name, id.namespace.join('.'), id.name, current.metadataLocation).changes;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
        await this.io.delete(location).catch(() => undefined);
        throw new CommitFailedError(`commit to ${label(id)} failed: the catalog is busy (${code})`, { cause: e });
      }
      // The swap may or may not have happened: keep every file.
      throw new CommitStateUnknownError(`commit to ${label(id)} has an unknown outcome: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (changed !== 1) {
      await this.io.delete(location).catch(() => undefined);
      throw new CommitFailedError(`commit to ${label(id)} failed: another writer committed first (concurrent commit)`);
    }
    if (next.properties['write.metadata.delete-after-commit.enabled'] === 'true') {
      const kept = new Set(next['metadata-log'].map((e) => e['metadata-file']));
      for (const old of current.metadata['metadata-log']) {
        if (!kept.has(old['metadata-file'])) await this.io.delete(old['metadata-file']).catch(() => undefined);
      }
    }
    await this.remember(location, next);
    return { identifier: id, metadataLocation: location, metadata: next };
  }

  async renameTable(from: TableIdentifier, to: TableIdentifier): Promise<void> {
    validateIdentifier(from);
    validateIdentifier(to);
    this.db.transaction(() => {
      if (!this.row(from)) throw new NotFoundError(`table ${label(from)} does not exist`);
      if (!this.nsExistsSync(to.namespace.join('.'))) throw new NotFoundError(`namespace ${to.namespace.join('.')} does not exist`);
      if (this.row(to)) throw new AlreadyExistsError(`table ${label(to)} already exists`);
      this.db
        .prepare(
          `UPDATE iceberg_tables SET table_namespace = ?, table_name = ?
           WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`,
        )
        .run(to.namespace.join('.'), to.name, this.name, from.namespace.join('.'), from.name);
    }).immediate();
  }

  /**
   * Removes the table's row; with `purge`, then deletes every file its current metadata references.
   * When that metadata cannot be read (missing or corrupt), the row is still dropped and only the
   * metadata file itself is deleted, as Java's JdbcCatalog skips the purge it cannot plan.
   */
  async dropTable(id: TableIdentifier, options: DropTableOptions = {}): Promise<void> {
    validateIdentifier(id);
    const row = this.row(id);
    if (!row) throw new NotFoundError(`table ${label(id)} does not exist`);
    let metadata: TableMetadata | undefined;
    if (options.purge && row.metadata_location) {
      metadata = await this.readMetadata(row.metadata_location).catch((e: unknown) => {
        if (e instanceof FloeError) return undefined;
        throw e;
      });
    }
    const changes = this.db
      .prepare(`DELETE FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`)
      .run(this.name, id.namespace.join('.'), id.name).changes;
    if (changes === 0) throw new NotFoundError(`table ${label(id)} does not exist`);
    if (!options.purge || !row.metadata_location) return;
    this.parsed.delete(row.metadata_location);
    if (metadata) await purgeFiles(this.io, row.metadata_location, metadata);
    else await this.io.delete(row.metadata_location).catch(() => undefined);
  }

  async registerTable(id: TableIdentifier, metadataLocation: string): Promise<LoadedTable> {
    validateIdentifier(id);
    if (!(await this.namespaceExists(id.namespace))) throw new NotFoundError(`namespace ${id.namespace.join('.')} does not exist`);
    if (this.row(id)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    const metadata = await readMetadataFile(this.io, metadataLocation);
    this.insertRow(id, metadataLocation);
    return { identifier: id, metadataLocation, metadata };
  }

  /** Adds a table's row; a taken name (even by a concurrent creator) is AlreadyExistsError. */
  private insertRow(id: TableIdentifier, metadataLocation: string): void {
    try {
      this.db
        .prepare(
          `INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location, iceberg_type)
           VALUES (?, ?, ?, ?, NULL, 'TABLE')`,
        )
        .run(this.name, id.namespace.join('.'), id.name, metadataLocation);
    } catch (e) {
      if (isConstraint(e)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
      throw e;
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/**
 * Deletes every file the table's metadata references: data and delete files of every live
 * manifest, manifests, manifest lists, statistics files, and the metadata files in the log.
 * Unreadable manifests are skipped (what is known is still deleted); deletions are best effort.
 */
export async function purgeFiles(io: FileIO, metadataLocation: string, metadata: TableMetadata): Promise<void> {
  const files = new Set<string>();
  const manifests = new Set<string>();
  for (const s of metadata.snapshots) {
    try {
      if (s['manifest-list']) {
        files.add(s['manifest-list']);
        for (const m of readManifestList(await io.read(s['manifest-list']))) manifests.add(m.manifest_path);
      } else for (const m of s.manifests ?? []) manifests.add(m);
    } catch (e) {
      if (!(e instanceof FloeError)) throw e;
    }
  }
  for (const m of manifests) {
    files.add(m);
    try {
      const { entries } = readManifest(await io.read(m));
      for (const e of entries) files.add(e.data_file.file_path);
    } catch (e) {
      if (!(e instanceof FloeError)) throw e;
    }
  }
  for (const key of ['statistics', 'partition-statistics'] as const) {
    for (const st of metadata[key] ?? []) {
      const path = (st as { 'statistics-path'?: unknown })['statistics-path'];
      if (typeof path === 'string') files.add(path);
    }
  }
  for (const e of metadata['metadata-log']) files.add(e['metadata-file']);
  files.add(metadataLocation);
  const all = [...files];
  // Bounded parallelism: a large table has many thousands of files.
  for (let i = 0; i < all.length; i += 64) {
    await Promise.all(all.slice(i, i + 64).map((f) => io.delete(f).catch(() => undefined)));
  }
}

function isConstraint(e: unknown): boolean {
  return String((e as { code?: string }).code ?? '').startsWith('SQLITE_CONSTRAINT');
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function label(id: TableIdentifier): string {
  return [...id.namespace, id.name].join('.');
}
