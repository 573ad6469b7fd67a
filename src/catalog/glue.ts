import {
  CreateDatabaseCommand,
  CreateTableCommand,
  DeleteDatabaseCommand,
  DeleteTableCommand,
  GetDatabaseCommand,
  GetTableCommand,
  GetTablesCommand,
  GlueClient,
  UpdateDatabaseCommand,
  UpdateTableCommand,
  paginateGetDatabases,
  paginateGetTables,
  type Database,
  type Table as GlueTable,
  type TableInput,
} from '@aws-sdk/client-glue';
import { AlreadyExistsError, CommitFailedError, CommitStateUnknownError, NotFoundError, ValidationError, errorMessage } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import type { TableIdentifier, TableMetadata, TableRequirement, TableUpdate } from '../spec/types.js';
import type { Catalog, CreateTableOptions, DropTableOptions, LoadedTable } from './catalog.js';
import { glueColumns } from './glue-columns.js';
import { awsErrorName, definitelyRejected, glueError } from './glue-errors.js';
import { WarehouseLocations } from './locations.js';
import { MetadataCache } from './metadata-cache.js';
import { readMetadataFile } from './metadata-files.js';
import { validateName } from './names.js';
import { metadataForPurge, purgeDropped } from './purge.js';
import { afterCommit, discard, label, stageCommit, writeFirstMetadata } from './table-commit.js';

export interface GlueCatalogOptions {
  /** Where new tables go when their Glue database has no LocationUri: `s3://bucket/prefix` (a local folder in tests). */
  warehouse: string;
  /** Storage for metadata files (and data files on purge). */
  io: FileIO;
  /** A configured client; by default one from the standard credential chain for `region`. */
  client?: GlueClient;
  region?: string;
  /** The AWS account whose Data Catalog holds the tables (default: the caller's). */
  catalogId?: string;
  catalogName?: string;
  /** Attempts per Glue call, with the SDK's backoff on throttling and 5xx answers (default 5). */
  maxAttempts?: number;
  /** Ask Glue not to archive a table version on every commit (Iceberg's `glue.skip-archive`, default true). */
  skipArchive?: boolean;
}

/** Glue parameter keys, as Iceberg's GlueCatalog, Athena and Spark read them. */
export const TABLE_TYPE = 'table_type';
export const METADATA_LOCATION = 'metadata_location';
export const PREVIOUS_METADATA_LOCATION = 'previous_metadata_location';

/** Glue and Athena names: lowercase letters, digits and underscores (Iceberg GlueCatalog's rule). */
const GLUE_DATABASE = /^[a-z0-9_]{1,252}$/;
const GLUE_TABLE = /^[a-z0-9_]{1,255}$/;

/**
 * Iceberg tables in the AWS Glue Data Catalog, laid out as Iceberg's GlueCatalog does: a Glue
 * database per (single-level) namespace, an `EXTERNAL_TABLE` per table with `table_type=ICEBERG`
 * and `metadata_location` parameters, and the schema mirrored as Hive-typed columns for Athena.
 * A commit re-reads the Glue table, refuses when its `metadata_location` is no longer the base,
 * and updates it with the `VersionId` it read, so a concurrent Athena or Spark commit makes Glue
 * answer ConcurrentModificationException instead of being overwritten.
 */
export class GlueCatalog implements Catalog {
  readonly name: string;
  private readonly client: GlueClient;
  private readonly ownsClient: boolean;
  private readonly io: FileIO;
  private readonly locations: WarehouseLocations;
  private readonly cache: MetadataCache;
  private readonly catalogId: { CatalogId?: string };
  private readonly skipArchive: boolean;

  constructor(options: GlueCatalogOptions) {
    this.name = options.catalogName ?? 'glue';
    this.ownsClient = !options.client;
    this.client =
      options.client ?? new GlueClient({ ...(options.region ? { region: options.region } : {}), maxAttempts: options.maxAttempts ?? 5 });
    this.io = options.io;
    // Glue databases may put tables anywhere (their LocationUri), so locations are not confined.
    this.locations = new WarehouseLocations(options.warehouse, false);
    this.cache = new MetadataCache(options.io);
    this.catalogId = options.catalogId ? { CatalogId: options.catalogId } : {};
    this.skipArchive = options.skipArchive ?? true;
  }

  // ------------------------------------------------------------------------------------------
  // Namespaces: one Glue database each

  private database(namespace: string[]): string {
    if (!Array.isArray(namespace) || namespace.length === 0) throw new ValidationError('namespace must not be empty');
    for (const level of namespace) validateName(level, 'namespace');
    if (namespace.length !== 1) throw new ValidationError(`Glue namespaces have one level, not '${namespace.join('.')}'`);
    const db = namespace[0]!;
    if (!GLUE_DATABASE.test(db)) throw new ValidationError(`invalid Glue database name '${db}': use lowercase letters, digits and underscores`);
    return db;
  }

  private tableName(id: TableIdentifier): { db: string; name: string } {
    const db = this.database(id.namespace);
    validateName(id.name, 'table');
    if (!GLUE_TABLE.test(id.name)) throw new ValidationError(`invalid Glue table name '${id.name}': use lowercase letters, digits and underscores`);
    return { db, name: id.name };
  }

  private async getDatabase(db: string): Promise<Database | undefined> {
    try {
      return (await this.client.send(new GetDatabaseCommand({ ...this.catalogId, Name: db }))).Database;
    } catch (e) {
      if (awsErrorName(e) === 'EntityNotFoundException') return undefined;
      throw glueError(e, 'GetDatabase', `database ${db}`);
    }
  }

  private async requireDatabase(db: string): Promise<Database> {
    const found = await this.getDatabase(db);
    if (!found) throw new NotFoundError(`namespace ${db} does not exist`);
    return found;
  }

  async listNamespaces(parent: string[] = []): Promise<string[][]> {
    if (parent.length > 0) {
      // Glue has no nested databases: an existing namespace has no children.
      await this.requireDatabase(this.database(parent));
      return [];
    }
    const names: string[] = [];
    try {
      for await (const page of paginateGetDatabases({ client: this.client }, { ...this.catalogId })) {
        for (const d of page.DatabaseList ?? []) if (d.Name) names.push(d.Name);
      }
    } catch (e) {
      throw glueError(e, 'GetDatabases', 'databases');
    }
    return names.sort().map((n) => [n]);
  }

  async createNamespace(namespace: string[], properties: Record<string, string> = {}): Promise<void> {
    const db = this.database(namespace);
    try {
      await this.client.send(new CreateDatabaseCommand({ ...this.catalogId, DatabaseInput: databaseInput(db, properties) }));
    } catch (e) {
      if (awsErrorName(e) === 'AlreadyExistsException') throw new AlreadyExistsError(`namespace ${db} already exists`, { cause: e });
      throw glueError(e, 'CreateDatabase', `database ${db}`);
    }
  }

  async namespaceExists(namespace: string[]): Promise<boolean> {
    return (await this.getDatabase(this.database(namespace))) !== undefined;
  }

  /** The database's parameters, with `location` (LocationUri) and `comment` (Description) as Iceberg maps them. */
  async loadNamespaceProperties(namespace: string[]): Promise<Record<string, string>> {
    const d = await this.requireDatabase(this.database(namespace));
    return namespaceProperties(d);
  }

  async updateNamespaceProperties(namespace: string[], updates: Record<string, string>, removals: string[]): Promise<void> {
    const db = this.database(namespace);
    const props = await this.loadNamespaceProperties(namespace);
    for (const k of removals) delete props[k];
    Object.assign(props, updates);
    try {
      await this.client.send(new UpdateDatabaseCommand({ ...this.catalogId, Name: db, DatabaseInput: databaseInput(db, props) }));
    } catch (e) {
      if (awsErrorName(e) === 'EntityNotFoundException') throw new NotFoundError(`namespace ${db} does not exist`, { cause: e });
      throw glueError(e, 'UpdateDatabase', `database ${db}`);
    }
  }

  /** Refuses while the database holds any table, Iceberg or not (Iceberg GlueCatalog does the same). */
  async dropNamespace(namespace: string[]): Promise<void> {
    const db = this.database(namespace);
    await this.requireDatabase(db);
    let tables: GlueTable[];
    try {
      tables = (await this.client.send(new GetTablesCommand({ ...this.catalogId, DatabaseName: db, MaxResults: 1 }))).TableList ?? [];
    } catch (e) {
      throw glueError(e, 'GetTables', `database ${db}`);
    }
    if (tables.length > 0) throw new ValidationError(`namespace ${db} is not empty: it holds table(s), e.g. ${tables[0]?.Name ?? '?'}`);
    try {
      await this.client.send(new DeleteDatabaseCommand({ ...this.catalogId, Name: db }));
    } catch (e) {
      if (awsErrorName(e) === 'EntityNotFoundException') throw new NotFoundError(`namespace ${db} does not exist`, { cause: e });
      throw glueError(e, 'DeleteDatabase', `database ${db}`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Tables

  private async getTable(db: string, name: string): Promise<GlueTable | undefined> {
    try {
      return (await this.client.send(new GetTableCommand({ ...this.catalogId, DatabaseName: db, Name: name }))).Table;
    } catch (e) {
      if (awsErrorName(e) === 'EntityNotFoundException') return undefined;
      throw glueError(e, 'GetTable', `table ${db}.${name}`);
    }
  }

  /** The Glue table behind an Iceberg table: NotFoundError when absent, ValidationError when not Iceberg. */
  private async icebergTable(id: TableIdentifier): Promise<{ table: GlueTable; metadataLocation: string }> {
    const { db, name } = this.tableName(id);
    const table = await this.getTable(db, name);
    if (!table) throw new NotFoundError(`table ${label(id)} does not exist`);
    if (!isIceberg(table)) {
      throw new ValidationError(`${label(id)} is not an Iceberg table (Glue ${TABLE_TYPE}: ${table.Parameters?.[TABLE_TYPE] ?? 'none'}, type ${table.TableType ?? 'none'})`);
    }
    const metadataLocation = table.Parameters?.[METADATA_LOCATION];
    if (!metadataLocation) throw new ValidationError(`Glue table ${label(id)} is marked Iceberg but has no ${METADATA_LOCATION} parameter`);
    return { table, metadataLocation };
  }

  async listTables(namespace: string[]): Promise<TableIdentifier[]> {
    const db = this.database(namespace);
    const names: string[] = [];
    try {
      for await (const page of paginateGetTables({ client: this.client }, { ...this.catalogId, DatabaseName: db })) {
        for (const t of page.TableList ?? []) if (t.Name && isIceberg(t)) names.push(t.Name);
      }
    } catch (e) {
      if (awsErrorName(e) === 'EntityNotFoundException') throw new NotFoundError(`namespace ${db} does not exist`, { cause: e });
      throw glueError(e, 'GetTables', `database ${db}`);
    }
    return names.sort().map((name) => ({ namespace: [db], name }));
  }

  async tableExists(id: TableIdentifier): Promise<boolean> {
    const { db, name } = this.tableName(id);
    const table = await this.getTable(db, name);
    return table !== undefined && isIceberg(table);
  }

  async createTable(id: TableIdentifier, options: CreateTableOptions): Promise<LoadedTable> {
    const { db, name } = this.tableName(id);
    const database = await this.requireDatabase(db);
    if (await this.getTable(db, name)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    // spec: Iceberg GlueCatalog, `<database LocationUri>/<table>` or `<warehouse>/<db>.db/<table>`.
    const requested = options.location ?? (database.LocationUri ? `${database.LocationUri.replace(/\/+$/, '')}/${name}` : this.locations.defaultTableLocation([db], name));
    const table = await writeFirstMetadata(this.io, id, options, this.locations.tableLocation(requested));
    await this.create(id, tableInput(name, undefined, table.metadata, table.metadataLocation, undefined), table.metadataLocation);
    return table;
  }

  /** CreateTable; on a definite refusal the metadata file `written` (if any) is deleted, as nothing references it. */
  private async create(id: TableIdentifier, input: TableInput, written: string | undefined): Promise<void> {
    try {
      await this.client.send(new CreateTableCommand({ ...this.catalogId, DatabaseName: id.namespace[0], TableInput: input }));
    } catch (e) {
      if (written && definitelyRejected(e)) await discard(this.io, written);
      if (awsErrorName(e) === 'AlreadyExistsException') throw new AlreadyExistsError(`table ${label(id)} already exists`, { cause: e });
      if (awsErrorName(e) === 'EntityNotFoundException') throw new NotFoundError(`namespace ${id.namespace[0]} does not exist`, { cause: e });
      throw glueError(e, 'CreateTable', `table ${label(id)}`);
    }
  }

  async loadTable(id: TableIdentifier): Promise<LoadedTable> {
    const { metadataLocation } = await this.icebergTable(id);
    return { identifier: id, metadataLocation, metadata: await this.cache.read(metadataLocation) };
  }

  async commitTable(id: TableIdentifier, requirements: TableRequirement[], updates: TableUpdate[]): Promise<LoadedTable> {
    const current = await this.loadTable(id);
    const next = await stageCommit(this.io, current, requirements, updates);
    const { db, name } = this.tableName(id);
    let glue: GlueTable;
    try {
      // Re-read just before the swap: the pointer must still be the base this commit was built on.
      const now = await this.getTable(db, name);
      if (!now || !isIceberg(now)) throw new CommitFailedError(`commit to ${label(id)} failed: the Glue table was dropped or replaced meanwhile`);
      const location = now.Parameters?.[METADATA_LOCATION];
      if (location !== current.metadataLocation) {
        throw new CommitFailedError(`commit to ${label(id)} failed: its metadata_location changed underneath from ${current.metadataLocation} to ${location ?? 'none'} (another writer committed)`);
      }
      glue = now;
    } catch (e) {
      await discard(this.io, next.metadataLocation);
      throw e;
    }
    try {
      await this.client.send(
        new UpdateTableCommand({
          ...this.catalogId,
          DatabaseName: db,
          TableInput: tableInput(name, glue, next.metadata, next.metadataLocation, current.metadataLocation),
          SkipArchive: this.skipArchive,
          // Glue refuses the update (ConcurrentModificationException) when the table changed since this version.
          ...(glue.VersionId ? { VersionId: glue.VersionId } : {}),
        }),
      );
    } catch (e) {
      if (definitelyRejected(e)) {
        await discard(this.io, next.metadataLocation);
        if (awsErrorName(e) === 'ConcurrentModificationException') {
          throw new CommitFailedError(`commit to ${label(id)} failed: Glue detected a concurrent update of version ${glue.VersionId ?? '?'} (another writer committed)`, { cause: e });
        }
        if (awsErrorName(e) === 'EntityNotFoundException') throw new CommitFailedError(`commit to ${label(id)} failed: the Glue table was dropped meanwhile`, { cause: e });
        throw glueError(e, 'UpdateTable', `table ${label(id)}`);
      }
      await this.confirmCommit(id, next.metadataLocation, e);
    }
    await afterCommit(this.io, current.metadata, next.metadata);
    await this.cache.remember(next.metadataLocation, next.metadata);
    return next;
  }

  /** After an UpdateTable with no clear answer: success when Glue now points at our file, else unknown (files kept). */
  private async confirmCommit(id: TableIdentifier, ours: string, failure: unknown): Promise<void> {
    let now: GlueTable | undefined;
    try {
      now = await this.getTable(id.namespace[0]!, id.name);
    } catch {
      now = undefined;
    }
    if (now?.Parameters?.[METADATA_LOCATION] === ours) return;
    throw new CommitStateUnknownError(`commit to ${label(id)} has an unknown outcome: ${errorMessage(failure)}`, { cause: failure });
  }

  /** Glue cannot rename: the table is created under the new name, then the old entry deleted (as Iceberg does). */
  async renameTable(from: TableIdentifier, to: TableIdentifier): Promise<void> {
    const target = this.tableName(to);
    const { table } = await this.icebergTable(from);
    await this.requireDatabase(target.db);
    if (await this.getTable(target.db, target.name)) throw new AlreadyExistsError(`table ${label(to)} already exists`);
    await this.create(to, { ...copyInput(table), Name: target.name }, undefined);
    try {
      await this.client.send(new DeleteTableCommand({ ...this.catalogId, DatabaseName: from.namespace[0], Name: from.name }));
    } catch (e) {
      // Undo the copy so the table is not listed twice.
      await this.client.send(new DeleteTableCommand({ ...this.catalogId, DatabaseName: target.db, Name: target.name })).catch(() => undefined);
      throw glueError(e, 'DeleteTable', `table ${label(from)}`);
    }
  }

  async dropTable(id: TableIdentifier, options: DropTableOptions = {}): Promise<void> {
    const { metadataLocation } = await this.icebergTable(id);
    const metadata = options.purge ? await metadataForPurge(this.cache, metadataLocation) : undefined;
    try {
      await this.client.send(new DeleteTableCommand({ ...this.catalogId, DatabaseName: id.namespace[0], Name: id.name }));
    } catch (e) {
      if (awsErrorName(e) === 'EntityNotFoundException') throw new NotFoundError(`table ${label(id)} does not exist`, { cause: e });
      throw glueError(e, 'DeleteTable', `table ${label(id)}`);
    }
    if (!options.purge) return;
    this.cache.forget(metadataLocation);
    await purgeDropped(this.io, metadataLocation, metadata);
  }

  async registerTable(id: TableIdentifier, metadataLocation: string): Promise<LoadedTable> {
    const { db, name } = this.tableName(id);
    await this.requireDatabase(db);
    if (await this.getTable(db, name)) throw new AlreadyExistsError(`table ${label(id)} already exists`);
    const metadata = await readMetadataFile(this.io, metadataLocation);
    await this.create(id, tableInput(name, undefined, metadata, metadataLocation, undefined), undefined);
    return { identifier: id, metadataLocation, metadata };
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}

function isIceberg(t: GlueTable): boolean {
  return t.Parameters?.[TABLE_TYPE]?.toUpperCase() === 'ICEBERG';
}

function databaseInput(db: string, properties: Record<string, string>): NonNullable<CreateDatabaseCommand['input']['DatabaseInput']> {
  const { location, comment, ...rest } = properties;
  return { Name: db, Parameters: rest, ...(location ? { LocationUri: location } : {}), ...(comment !== undefined ? { Description: comment } : {}) };
}

function namespaceProperties(d: Database): Record<string, string> {
  return { ...(d.Parameters ?? {}), ...(d.LocationUri ? { location: d.LocationUri } : {}), ...(d.Description !== undefined ? { comment: d.Description } : {}) };
}

/** The writable part of an existing Glue table (TableInput accepts only these fields). */
function copyInput(t: GlueTable): TableInput {
  return {
    Name: t.Name,
    ...(t.Description !== undefined ? { Description: t.Description } : {}),
    ...(t.Owner !== undefined ? { Owner: t.Owner } : {}),
    ...(t.Retention !== undefined ? { Retention: t.Retention } : {}),
    ...(t.StorageDescriptor ? { StorageDescriptor: t.StorageDescriptor } : {}),
    ...(t.PartitionKeys ? { PartitionKeys: t.PartitionKeys } : {}),
    ...(t.TableType ? { TableType: t.TableType } : {}),
    ...(t.Parameters ? { Parameters: t.Parameters } : {}),
  };
}

/**
 * The Glue entry for a table at `metadataLocation`: existing parameters and storage settings kept,
 * the Iceberg pointer parameters set, the location and columns taken from the metadata, and the
 * description from the `comment` property.
 */
function tableInput(name: string, existing: GlueTable | undefined, metadata: TableMetadata, metadataLocation: string, previous: string | undefined): TableInput {
  const base = existing ? copyInput(existing) : { Name: name };
  const parameters: Record<string, string> = { ...(base.Parameters ?? {}), [TABLE_TYPE]: 'ICEBERG', [METADATA_LOCATION]: metadataLocation };
  if (previous) parameters[PREVIOUS_METADATA_LOCATION] = previous;
  else delete parameters[PREVIOUS_METADATA_LOCATION];
  const comment = metadata.properties['comment'];
  return {
    ...base,
    Name: name,
    TableType: 'EXTERNAL_TABLE',
    Parameters: parameters,
    ...(comment !== undefined ? { Description: comment } : {}),
    StorageDescriptor: { ...(base.StorageDescriptor ?? {}), Location: metadata.location, Columns: glueColumns(metadata) },
  };
}

