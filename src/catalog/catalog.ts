import type {
  PartitionSpec,
  Schema,
  SortOrder,
  TableIdentifier,
  TableMetadata,
  TableRequirement,
  TableUpdate,
} from '../spec/types.js';

/** A table as a catalog hands it out: where its current metadata lives and what it says. */
export interface LoadedTable {
  identifier: TableIdentifier;
  metadataLocation: string;
  metadata: TableMetadata;
}

export interface CreateTableOptions {
  schema: Schema;
  partitionSpec?: PartitionSpec;
  sortOrder?: SortOrder;
  properties?: Record<string, string>;
  /** Defaults to `<warehouse>/<ns…>/<name>` (the catalog decides). */
  location?: string;
}

export interface DropTableOptions {
  /** Also delete every file the table's metadata references (metadata, manifests, data). */
  purge?: boolean;
}

/**
 * A catalog maps table identifiers to the location of their current metadata file and swaps
 * that pointer atomically. Requirements are checked by the catalog against the metadata it holds,
 * not by the caller; a failed check is a CommitFailedError and leaves the table unchanged.
 */
export interface Catalog {
  readonly name: string;

  listNamespaces(parent?: string[]): Promise<string[][]>;
  createNamespace(namespace: string[], properties?: Record<string, string>): Promise<void>;
  namespaceExists(namespace: string[]): Promise<boolean>;
  loadNamespaceProperties(namespace: string[]): Promise<Record<string, string>>;
  updateNamespaceProperties(
    namespace: string[],
    updates: Record<string, string>,
    removals: string[],
  ): Promise<void>;
  /** Fails with ValidationError when the namespace still holds tables or namespaces. */
  dropNamespace(namespace: string[]): Promise<void>;

  listTables(namespace: string[]): Promise<TableIdentifier[]>;
  tableExists(identifier: TableIdentifier): Promise<boolean>;
  createTable(identifier: TableIdentifier, options: CreateTableOptions): Promise<LoadedTable>;
  loadTable(identifier: TableIdentifier): Promise<LoadedTable>;
  /**
   * Checks `requirements` against the current metadata, applies `updates`, writes the new
   * metadata file and swaps the pointer. CommitFailedError when a requirement fails or the swap
   * loses a race; CommitStateUnknownError when the outcome cannot be known.
   */
  commitTable(
    identifier: TableIdentifier,
    requirements: TableRequirement[],
    updates: TableUpdate[],
  ): Promise<LoadedTable>;
  renameTable(from: TableIdentifier, to: TableIdentifier): Promise<void>;
  dropTable(identifier: TableIdentifier, options?: DropTableOptions): Promise<void>;
  /** Registers an existing table by the location of one of its metadata files. */
  registerTable(identifier: TableIdentifier, metadataLocation: string): Promise<LoadedTable>;
  close(): Promise<void>;
}
