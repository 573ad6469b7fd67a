/**
 * Iceberg table format as plain data. Shapes follow the spec's JSON serialisation (appendix C)
 * so that metadata files and REST payloads map onto them one to one; 64-bit ids that can exceed
 * 2^53 (snapshot ids) are `bigint`.
 */

/** Primitive types in their JSON spelling, e.g. `long`, `decimal(10, 2)`, `fixed[16]`. */
export type PrimitiveTypeName =
  | 'boolean'
  | 'int'
  | 'long'
  | 'float'
  | 'double'
  | 'date'
  | 'time'
  | 'timestamp'
  | 'timestamptz'
  | 'timestamp_ns'
  | 'timestamptz_ns'
  | 'string'
  | 'uuid'
  | 'binary'
  | 'unknown'
  | `decimal(${number}, ${number})`
  | `decimal(${number},${number})`
  | `fixed[${number}]`;

export interface NestedField {
  id: number;
  name: string;
  required: boolean;
  type: IcebergType;
  doc?: string;
  /** spec v3: value for rows written before the field existed (JSON single-value form). */
  'initial-default'?: unknown;
  'write-default'?: unknown;
}

export interface StructType {
  type: 'struct';
  fields: NestedField[];
}

export interface ListType {
  type: 'list';
  'element-id': number;
  element: IcebergType;
  'element-required': boolean;
}

export interface MapType {
  type: 'map';
  'key-id': number;
  key: IcebergType;
  'value-id': number;
  value: IcebergType;
  'value-required': boolean;
}

export type IcebergType = PrimitiveTypeName | StructType | ListType | MapType;

export interface Schema extends StructType {
  'schema-id': number;
  'identifier-field-ids'?: number[];
}

/** Transforms in their JSON spelling: identity, bucket[N], truncate[W], year, month, day, hour, void. */
export type TransformName =
  | 'identity'
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'void'
  | `bucket[${number}]`
  | `truncate[${number}]`;

export interface PartitionField {
  'source-id': number;
  'field-id': number;
  name: string;
  transform: TransformName;
}

export interface PartitionSpec {
  'spec-id': number;
  fields: PartitionField[];
}

export type SortDirection = 'asc' | 'desc';
export type NullOrder = 'nulls-first' | 'nulls-last';

export interface SortField {
  transform: TransformName;
  'source-id': number;
  direction: SortDirection;
  'null-order': NullOrder;
}

export interface SortOrder {
  'order-id': number;
  fields: SortField[];
}

export type SnapshotOperation = 'append' | 'replace' | 'overwrite' | 'delete';

export interface SnapshotSummary {
  operation: SnapshotOperation;
  [key: string]: string;
}

export interface Snapshot {
  'snapshot-id': bigint;
  'parent-snapshot-id'?: bigint;
  /** v2: required; v1 tables read as 0. */
  'sequence-number': number;
  'timestamp-ms': number;
  /** Absent only in v1 tables that embed `manifests` instead. */
  'manifest-list'?: string;
  /** v1 only (deprecated): manifest paths listed inline. */
  manifests?: string[];
  summary: SnapshotSummary;
  'schema-id'?: number;
}

export type RefType = 'branch' | 'tag';

export interface SnapshotRef {
  'snapshot-id': bigint;
  type: RefType;
  'min-snapshots-to-keep'?: number;
  'max-snapshot-age-ms'?: number;
  'max-ref-age-ms'?: number;
}

export interface SnapshotLogEntry {
  'snapshot-id': bigint;
  'timestamp-ms': number;
}

export interface MetadataLogEntry {
  'metadata-file': string;
  'timestamp-ms': number;
}

export type FormatVersion = 1 | 2 | 3;

/**
 * Table metadata, normalised on read: v1 files are lifted to this shape (schemas, partition-specs,
 * sort-orders lists present; sequence numbers 0) while `format-version` keeps the file's version.
 */
export interface TableMetadata {
  'format-version': FormatVersion;
  'table-uuid': string;
  location: string;
  'last-sequence-number': number;
  'last-updated-ms': number;
  'last-column-id': number;
  schemas: Schema[];
  'current-schema-id': number;
  'partition-specs': PartitionSpec[];
  'default-spec-id': number;
  'last-partition-id': number;
  properties: Record<string, string>;
  'current-snapshot-id'?: bigint;
  snapshots: Snapshot[];
  'snapshot-log': SnapshotLogEntry[];
  'metadata-log': MetadataLogEntry[];
  'sort-orders': SortOrder[];
  'default-sort-order-id': number;
  refs: Record<string, SnapshotRef>;
  /** Statistics and partition statistics are carried through untouched. */
  statistics?: unknown[];
  'partition-statistics'?: unknown[];
  /** v3 */
  'next-row-id'?: number;
}

/** Updates as in the REST catalog's TableUpdate (discriminated by `action`). */
export type TableUpdate =
  | { action: 'assign-uuid'; uuid: string }
  | { action: 'upgrade-format-version'; 'format-version': FormatVersion }
  | { action: 'add-schema'; schema: Schema; 'last-column-id'?: number }
  /** -1 means "the schema added last in this change". */
  | { action: 'set-current-schema'; 'schema-id': number }
  | { action: 'add-spec'; spec: PartitionSpec }
  | { action: 'set-default-spec'; 'spec-id': number }
  | { action: 'add-sort-order'; 'sort-order': SortOrder }
  | { action: 'set-default-sort-order'; 'sort-order-id': number }
  | { action: 'add-snapshot'; snapshot: Snapshot }
  | {
      action: 'set-snapshot-ref';
      'ref-name': string;
      type: RefType;
      'snapshot-id': bigint;
      'min-snapshots-to-keep'?: number;
      'max-snapshot-age-ms'?: number;
      'max-ref-age-ms'?: number;
    }
  | { action: 'remove-snapshots'; 'snapshot-ids': bigint[] }
  | { action: 'remove-snapshot-ref'; 'ref-name': string }
  | { action: 'set-location'; location: string }
  | { action: 'set-properties'; updates: Record<string, string> }
  | { action: 'remove-properties'; removals: string[] }
  | { action: 'remove-partition-specs'; 'spec-ids': number[] }
  | { action: 'remove-schemas'; 'schema-ids': number[] }
  /** spec (REST): statistics and partition statistics of one snapshot, set or removed. */
  | { action: 'set-statistics'; statistics: { 'snapshot-id': bigint; 'statistics-path': string } & Record<string, unknown> }
  | { action: 'remove-statistics'; 'snapshot-id': bigint }
  | { action: 'set-partition-statistics'; 'partition-statistics': { 'snapshot-id': bigint; 'statistics-path': string } & Record<string, unknown> }
  | { action: 'remove-partition-statistics'; 'snapshot-id': bigint };

/** Requirements as in the REST catalog's TableRequirement (discriminated by `type`). */
export type TableRequirement =
  | { type: 'assert-create' }
  | { type: 'assert-table-uuid'; uuid: string }
  | { type: 'assert-ref-snapshot-id'; ref: string; 'snapshot-id': bigint | null }
  | { type: 'assert-last-assigned-field-id'; 'last-assigned-field-id': number }
  | { type: 'assert-current-schema-id'; 'current-schema-id': number }
  | { type: 'assert-last-assigned-partition-id'; 'last-assigned-partition-id': number }
  | { type: 'assert-default-spec-id'; 'default-spec-id': number }
  | { type: 'assert-default-sort-order-id'; 'default-sort-order-id': number };

/** A table's name inside a catalog: namespace levels plus the table name. */
export interface TableIdentifier {
  namespace: string[];
  name: string;
}

export const MAIN_BRANCH = 'main';
