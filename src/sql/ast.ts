/**
 * Statements floe executes itself, and the query text it hands to DuckDB. Names are lists of
 * identifier parts; unquoted identifiers of tables and namespaces are lower-cased (as Athena,
 * Trino and Spark do), quoted ones are kept as written.
 */

/** `FOR VERSION AS OF …` (snapshot id or branch/tag name) or `FOR TIMESTAMP AS OF <expr>`. */
export type TimeTravel = { kind: 'version'; value: string } | { kind: 'timestamp'; expr: string };

/** A table reference inside query text; `start`/`end` span the name and any time-travel clause. */
export interface TableRef {
  start: number;
  end: number;
  name: string[];
  timeTravel?: TimeTravel;
  /** `snapshots` for `"ns"."t$snapshots"` (Athena/Trino metadata tables). */
  metadataTable?: string;
  /** The name is a CTE of the same query: DuckDB resolves it. */
  cte?: boolean;
}

export type TableFunctionName = 'iceberg_scan' | 'iceberg_snapshots' | 'iceberg_metadata';

/** A path-based table function in FROM, e.g. `iceberg_scan('path', allow_moved_paths => true)`. */
export interface TableFunctionRef {
  start: number;
  end: number;
  fn: TableFunctionName;
  /** Argument SQL texts. */
  args: { positional: string[]; named: Record<string, string> };
}

/** SQL text (a query or an expression) with the table references found in it. */
export interface QueryText {
  sql: string;
  refs: TableRef[];
  functions: TableFunctionRef[];
}

export type SqlType =
  | { kind: 'primitive'; name: 'boolean' | 'int' | 'long' | 'float' | 'double' | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'timestamp_ns' | 'timestamptz_ns' | 'string' | 'uuid' | 'binary' }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'fixed'; length: number }
  | { kind: 'struct'; fields: StructFieldDef[] }
  | { kind: 'list'; element: SqlType }
  | { kind: 'map'; key: SqlType; value: SqlType };

export interface StructFieldDef {
  name: string;
  type: SqlType;
  notNull: boolean;
  comment?: string;
}

export interface ColumnDef extends StructFieldDef {
  /** `DEFAULT <expr>` as SQL text. */
  default?: string;
}

export type TransformKind = 'identity' | 'bucket' | 'truncate' | 'year' | 'month' | 'day' | 'hour' | 'void';

/** `col`, `bucket(16, col)`, `truncate(4, col)`, `day(col)` … in PARTITIONED BY and ALTER TABLE. */
export interface PartitionTerm {
  transform: TransformKind;
  column: string;
  param?: number;
}

export interface SortTerm {
  term: PartitionTerm;
  direction: 'asc' | 'desc';
  nullOrder: 'nulls-first' | 'nulls-last';
}

export interface Assignment {
  column: string;
  valueSql: QueryText;
}

export type MergeAction =
  | { type: 'update'; assignments: Assignment[] }
  | { type: 'updateAll' }
  | { type: 'delete' }
  | { type: 'insert'; columns?: string[]; values: QueryText[] }
  | { type: 'insertAll' };

export interface MergeClause {
  matched: boolean;
  condition?: QueryText;
  action: MergeAction;
}

export type AlterAction =
  | { type: 'addColumns'; columns: (ColumnDef & { first?: boolean; after?: string })[] }
  | { type: 'dropColumn'; column: string; ifExists: boolean }
  | { type: 'renameColumn'; from: string; to: string }
  | { type: 'alterColumn'; column: string; newType?: SqlType; notNull?: boolean; comment?: string; first?: boolean; after?: string }
  | { type: 'setProperties'; properties: Record<string, string> }
  | { type: 'unsetProperties'; keys: string[]; ifExists: boolean }
  | { type: 'addPartitionField'; term: PartitionTerm; name?: string }
  | { type: 'dropPartitionField'; term: PartitionTerm }
  | { type: 'replacePartitionField'; from: PartitionTerm; to: PartitionTerm; name?: string }
  | { type: 'writeOrderedBy'; fields: SortTerm[] }
  | { type: 'writeUnordered' }
  | { type: 'setIdentifierFields'; columns: string[] }
  | { type: 'dropIdentifierFields'; columns: string[] }
  | { type: 'createRef'; refType: 'branch' | 'tag'; name: string; ifNotExists: boolean; orReplace: boolean; snapshotId?: string; retainMs?: number; minSnapshotsToKeep?: number; maxSnapshotAgeMs?: number }
  | { type: 'dropRef'; refType: 'branch' | 'tag'; name: string; ifExists: boolean }
  | { type: 'renameTable'; to: string[] };

export type Statement =
  | { kind: 'query'; query: QueryText }
  | { kind: 'createNamespace'; name: string[]; ifNotExists: boolean; properties?: Record<string, string> }
  | { kind: 'dropNamespace'; name: string[]; ifExists: boolean; cascade: boolean }
  | {
      kind: 'createTable';
      name: string[];
      ifNotExists: boolean;
      orReplace: boolean;
      columns: ColumnDef[];
      partitionBy: PartitionTerm[];
      properties: Record<string, string>;
      comment?: string;
      location?: string;
      asQuery?: QueryText;
    }
  | { kind: 'dropTable'; name: string[]; ifExists: boolean; purge: boolean }
  | { kind: 'insert'; table: string[]; branch?: string; overwrite: boolean; columns?: string[]; source: QueryText }
  | { kind: 'showTables'; namespace?: string[] }
  | { kind: 'showNamespaces'; parent?: string[] }
  | { kind: 'describe'; name: string[]; extended: boolean }
  | { kind: 'showCreateTable'; name: string[] }
  | { kind: 'showTblProperties'; name: string[] }
  | { kind: 'delete'; table: string[]; alias?: string; where?: QueryText }
  | { kind: 'update'; table: string[]; alias?: string; assignments: Assignment[]; where?: QueryText }
  | { kind: 'merge'; target: string[]; targetAlias?: string; source: QueryText; sourceAlias?: string; on: QueryText; clauses: MergeClause[] }
  | { kind: 'alterTable'; name: string[]; action: AlterAction }
  | { kind: 'call'; procedure: string[]; args: { positional: string[]; named: Record<string, string> } }
  | { kind: 'optimize'; name: string[]; where?: QueryText }
  | { kind: 'vacuum'; name: string[] }
  /** `SET k = v`; `RESET k` and `USE ns` set too (`value` '' resets). */
  | { kind: 'set'; key: string; value: string };
