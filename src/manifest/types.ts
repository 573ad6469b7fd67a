/**
 * Manifest and manifest-list records, named as the spec's Avro fields (spec: "Manifests",
 * "Manifest Lists"). Partition tuples are keyed by partition field name, as in the Avro record.
 */

/** spec: data_file.content (field 134). */
export const FileContent = { Data: 0, PositionDeletes: 1, EqualityDeletes: 2 } as const;
export type FileContent = (typeof FileContent)[keyof typeof FileContent];

/** spec: manifest_entry.status (field 0). */
export const EntryStatus = { Existing: 0, Added: 1, Deleted: 2 } as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

/** spec: manifest_file.content (field 517). */
export const ManifestContent = { Data: 0, Deletes: 1 } as const;
export type ManifestContent = (typeof ManifestContent)[keyof typeof ManifestContent];

export type FileFormat = 'PARQUET' | 'AVRO' | 'ORC' | 'PUFFIN';

/** A partition tuple: partition field name → value in its Iceberg representation (see values.ts). */
export type PartitionValues = Record<string, unknown>;

export interface DataFile {
  content: FileContent;
  file_path: string;
  file_format: FileFormat;
  partition: PartitionValues;
  record_count: number;
  file_size_in_bytes: number;
  /** field id → value. */
  column_sizes?: Map<number, number>;
  value_counts?: Map<number, number>;
  null_value_counts?: Map<number, number>;
  nan_value_counts?: Map<number, number>;
  /** field id → the spec's binary single-value serialisation (appendix D). */
  lower_bounds?: Map<number, Uint8Array>;
  upper_bounds?: Map<number, Uint8Array>;
  key_metadata?: Uint8Array;
  split_offsets?: number[];
  equality_ids?: number[];
  sort_order_id?: number;
  /** v3 */
  first_row_id?: number;
  referenced_data_file?: string;
  content_offset?: number;
  content_size_in_bytes?: number;
}

export interface ManifestEntry {
  status: EntryStatus;
  /** Null when inherited from the manifest list entry (spec: snapshot id inheritance). */
  snapshot_id: bigint | null;
  sequence_number: number | null;
  file_sequence_number: number | null;
  data_file: DataFile;
}

/** spec: field_summary (field 508 element). Bounds in binary single-value form. */
export interface FieldSummary {
  contains_null: boolean;
  contains_nan?: boolean | null;
  lower_bound?: Uint8Array | null;
  upper_bound?: Uint8Array | null;
}

export interface ManifestFile {
  manifest_path: string;
  manifest_length: number;
  partition_spec_id: number;
  content: ManifestContent;
  sequence_number: number;
  min_sequence_number: number;
  added_snapshot_id: bigint;
  added_files_count: number;
  existing_files_count: number;
  deleted_files_count: number;
  added_rows_count: number;
  existing_rows_count: number;
  deleted_rows_count: number;
  partitions?: FieldSummary[] | null;
  key_metadata?: Uint8Array | null;
  /** v3 */
  first_row_id?: number | null;
}
