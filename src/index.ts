/**
 * floe — a transactional Apache Iceberg lakehouse: Iceberg v2 tables on local files (or object
 * storage), an embedded SQLite catalog, and DuckDB SQL.
 */
export { Warehouse, openWarehouse, type WarehouseOptions } from './warehouse.js';
export type { StatementResult } from './sql/session.js';
export type { QueryResult, SqlValue, ColumnInfo } from './engine/duckdb.js';
export { Table } from './table/table.js';
export { Transaction, type AppendOptions, type OverwriteOptions } from './table/transaction.js';
export { rewriteDataFiles, type RewriteDataFilesOptions, type RewriteDataFilesResult, type RewriteGroup } from './table/rewrite-data.js';
export type { ScanPlan, ScanOptions, FileScanTask, SnapshotSelector } from './table/scan.js';
export type { Catalog, LoadedTable, CreateTableOptions } from './catalog/catalog.js';
export { SqliteCatalog } from './catalog/sqlite.js';
export type { FileIO } from './io/file-io.js';
export { LocalFileIO } from './io/local.js';
export * as expr from './expr/predicate.js';
export type * from './spec/types.js';
export type { DataFile, ManifestEntry, ManifestFile } from './manifest/types.js';
export * from './errors.js';
