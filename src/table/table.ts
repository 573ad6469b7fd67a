import type { Catalog, LoadedTable } from '../catalog/catalog.js';
import type { FileIO } from '../io/file-io.js';
import {
  currentSchema,
  currentSnapshot,
  sortOrderById,
  specById,
} from '../spec/metadata.js';
import type {
  PartitionSpec,
  Schema,
  Snapshot,
  SortOrder,
  TableIdentifier,
  TableMetadata,
} from '../spec/types.js';
import { ManifestReader } from './manifest-reader.js';
import { planIncrementalAppendScan, type IncrementalScanOptions, type IncrementalScanPlan } from './incremental-scan.js';
import { planScan, type ScanOptions, type ScanPlan } from './scan.js';
import { Transaction } from './transaction.js';

/** What a table needs from its surroundings: the catalog that owns it and storage. */
export interface TableContext {
  catalog: Catalog;
  io: FileIO;
  reader: ManifestReader;
  /**
   * Runs after each successful commit that added a snapshot to `branch` (automatic maintenance).
   * The commit has happened: failures here are swallowed, never reported as a failed commit.
   */
  afterCommit?: (committed: Table, branch: string) => Promise<void>;
}

/** A loaded table: an immutable view of one metadata version plus the way to change it. */
export class Table {
  constructor(
    readonly context: TableContext,
    readonly loaded: LoadedTable,
  ) {}

  get identifier(): TableIdentifier {
    return this.loaded.identifier;
  }

  get name(): string {
    return [...this.identifier.namespace, this.identifier.name].join('.');
  }

  get metadata(): TableMetadata {
    return this.loaded.metadata;
  }

  get metadataLocation(): string {
    return this.loaded.metadataLocation;
  }

  get location(): string {
    return this.metadata.location;
  }

  get properties(): Record<string, string> {
    return this.metadata.properties;
  }

  schema(): Schema {
    return currentSchema(this.metadata);
  }

  spec(): PartitionSpec {
    return specById(this.metadata, this.metadata['default-spec-id'])!;
  }

  sortOrder(): SortOrder {
    return sortOrderById(this.metadata, this.metadata['default-sort-order-id'])!;
  }

  currentSnapshot(): Snapshot | undefined {
    return currentSnapshot(this.metadata);
  }

  snapshots(): Snapshot[] {
    return this.metadata.snapshots;
  }

  /** Reloads the table's current metadata from the catalog. */
  async refresh(): Promise<Table> {
    return new Table(this.context, await this.context.catalog.loadTable(this.identifier));
  }

  /** Plans a scan (pruned by partition values and column bounds before any data file is read). */
  async planScan(options: ScanOptions = {}): Promise<ScanPlan> {
    return planScan(this.metadata, this.context.reader, options);
  }

  /** Plans the data files appended in (fromSnapshotId, toSnapshotId] (see incremental-scan.ts). */
  async planIncrementalAppendScan(options: IncrementalScanOptions = {}): Promise<IncrementalScanPlan> {
    return planIncrementalAppendScan(this.metadata, this.context.reader, options);
  }

  newTransaction(): Transaction {
    return new Transaction(this);
  }
}

export function newTableContext(catalog: Catalog, io: FileIO): TableContext {
  return { catalog, io, reader: new ManifestReader(io) };
}
