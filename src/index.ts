/**
 * floe — a transactional Apache Iceberg lakehouse: Iceberg v2 tables on local files (or object
 * storage), an embedded SQLite catalog, and DuckDB SQL.
 */
export { Warehouse, openWarehouse, type WarehouseOptions } from './warehouse.js';
export type { StatementResult } from './sql/session.js';
export type { RowChangeOptions, UpdateRowsOptions, MergeRowsOptions, DeleteRowsResult, UpdateRowsResult, MergeRowsResult } from './sql/row-changes.js';
export type { QueryResult, SqlValue, ColumnInfo } from './engine/duckdb.js';
export { Table } from './table/table.js';
export { Transaction, type AppendOptions, type OverwriteOptions } from './table/transaction.js';
export { rewriteDataFiles, type RewriteDataFilesOptions, type RewriteDataFilesResult, type RewriteGroup } from './table/rewrite-data.js';
export type { ScanPlan, ScanOptions, FileScanTask, SnapshotSelector } from './table/scan.js';
export { IncrementalRangeError, type IncrementalScanOptions, type IncrementalScanPlan } from './table/incremental-scan.js';
export { runModels, type RunOptions } from './zones/runner.js';
export { lastRuns, readRuns, type RunRecord } from './zones/runs.js';
export type { Catalog, LoadedTable, CreateTableOptions } from './catalog/catalog.js';
export { SqliteCatalog } from './catalog/sqlite.js';
export { PostgresCatalog, type PostgresCatalogOptions } from './catalog/postgres.js';
export { GlueCatalog, type GlueCatalogOptions } from './catalog/glue.js';
export { openCatalog } from './catalog/open.js';
export type { FileIO } from './io/file-io.js';
export { LocalFileIO } from './io/local.js';
export { S3FileIO, type S3FileIOOptions, type SseKmsOptions } from './io/s3.js';
export { EncryptedFileIO } from './io/encrypted.js';
export { LocalKek, type KeyEncryptionKey } from './governance/encryption.js';
export { KmsKek } from './governance/kms-kek.js';
export { createKeyFile, loadKeyFile } from './governance/key-file.js';
export type { EncryptionOptions } from './governance/warehouse-encryption.js';
export { AthenaRunner, type AthenaRunnerOptions, type AthenaResult, type AthenaStats } from './engine/athena.js';
export * as expr from './expr/predicate.js';
export type * from './spec/types.js';
export type { DataFile, ManifestEntry, ManifestFile } from './manifest/types.js';
export * from './errors.js';
