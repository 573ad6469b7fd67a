import { CorruptMetadataError } from '../errors.js';
import type { FormatVersion } from '../spec/types.js';
import { readAvroFile, writeAvroFile } from './avro.js';
import type { FieldSummary, ManifestFile } from './types.js';
import { ManifestContent } from './types.js';

/** spec: "Manifest Lists" — the manifest_file record with its field ids. */
function manifestFileSchema(formatVersion: FormatVersion): Record<string, unknown> {
  const optBytes = (name: string, id: number, doc?: string) => ({ name, type: ['null', 'bytes'], default: null, 'field-id': id, ...(doc ? { doc } : {}) });
  const summary = {
    type: 'record',
    name: 'r508',
    fields: [
      { name: 'contains_null', type: 'boolean', 'field-id': 509 },
      { name: 'contains_nan', type: ['null', 'boolean'], default: null, 'field-id': 518 },
      optBytes('lower_bound', 510),
      optBytes('upper_bound', 511),
    ],
  };
  const v2 = formatVersion >= 2;
  const fields: Record<string, unknown>[] = [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
  ];
  if (v2) {
    fields.push(
      { name: 'content', type: 'int', 'field-id': 517 },
      { name: 'sequence_number', type: 'long', 'field-id': 515 },
      { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    );
  }
  fields.push(
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: v2 ? 'added_files_count' : 'added_data_files_count', type: 'int', 'field-id': 504 },
    { name: v2 ? 'existing_files_count' : 'existing_data_files_count', type: 'int', 'field-id': 505 },
    { name: v2 ? 'deleted_files_count' : 'deleted_data_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
    { name: 'partitions', type: ['null', { type: 'array', items: summary, 'element-id': 508 }], default: null, 'field-id': 507 },
    optBytes('key_metadata', 519),
  );
  return { type: 'record', name: 'manifest_file', fields };
}

export interface ManifestListOptions {
  snapshotId: bigint;
  parentSnapshotId?: bigint;
  sequenceNumber: number;
  formatVersion: FormatVersion;
}

export function writeManifestList(files: ManifestFile[], options: ManifestListOptions): Uint8Array {
  const version: FormatVersion = options.formatVersion >= 2 ? 2 : 1;
  const metadata: Record<string, string> = {
    'snapshot-id': String(options.snapshotId),
    'parent-snapshot-id': options.parentSnapshotId === undefined ? 'null' : String(options.parentSnapshotId),
    'format-version': String(version),
  };
  if (version >= 2) metadata['sequence-number'] = String(options.sequenceNumber);
  const v2 = version >= 2;
  const records = files.map((f) => {
    const r: Record<string, unknown> = {
      manifest_path: f.manifest_path,
      manifest_length: BigInt(f.manifest_length),
      partition_spec_id: f.partition_spec_id,
      added_snapshot_id: f.added_snapshot_id,
      [v2 ? 'added_files_count' : 'added_data_files_count']: f.added_files_count,
      [v2 ? 'existing_files_count' : 'existing_data_files_count']: f.existing_files_count,
      [v2 ? 'deleted_files_count' : 'deleted_data_files_count']: f.deleted_files_count,
      added_rows_count: BigInt(f.added_rows_count),
      existing_rows_count: BigInt(f.existing_rows_count),
      deleted_rows_count: BigInt(f.deleted_rows_count),
      partitions: f.partitions
        ? f.partitions.map((p) => ({
            contains_null: p.contains_null,
            contains_nan: p.contains_nan ?? null,
            lower_bound: p.lower_bound ? Buffer.from(p.lower_bound) : null,
            upper_bound: p.upper_bound ? Buffer.from(p.upper_bound) : null,
          }))
        : null,
      key_metadata: f.key_metadata ? Buffer.from(f.key_metadata) : null,
    };
    if (v2) {
      r.content = f.content;
      r.sequence_number = BigInt(f.sequence_number);
      r.min_sequence_number = BigInt(f.min_sequence_number);
    }
    return r;
  });
  return writeAvroFile(manifestFileSchema(version), metadata, records);
}

/** Reads a manifest list of any format version; v1 lists read as data manifests with sequence 0. */
export function readManifestList(bytes: Uint8Array, what = 'manifest list'): ManifestFile[] {
  const file = readAvroFile(bytes, what);
  return file.records.map((r, i) => {
    const num = (key: string, fallback?: number): number => {
      const v = r[key];
      if (v === undefined || v === null) {
        if (fallback !== undefined) return fallback;
        throw new CorruptMetadataError(`${what} entry ${i} has no ${key}`);
      }
      return Number(v);
    };
    const path = r.manifest_path;
    if (typeof path !== 'string') throw new CorruptMetadataError(`${what} entry ${i} has no manifest_path`);
    const partitions = Array.isArray(r.partitions)
      ? (r.partitions as Record<string, unknown>[]).map(
          (p): FieldSummary => ({
            contains_null: Boolean(p.contains_null),
            contains_nan: p.contains_nan === undefined || p.contains_nan === null ? null : Boolean(p.contains_nan),
            lower_bound: p.lower_bound ? new Uint8Array(p.lower_bound as Buffer) : null,
            upper_bound: p.upper_bound ? new Uint8Array(p.upper_bound as Buffer) : null,
          }),
        )
      : null;
    const added = r.added_snapshot_id;
    return {
      manifest_path: path,
      manifest_length: num('manifest_length'),
      partition_spec_id: num('partition_spec_id', 0),
      content: (num('content', 0) === 1 ? ManifestContent.Deletes : ManifestContent.Data),
      sequence_number: num('sequence_number', 0),
      min_sequence_number: num('min_sequence_number', 0),
      added_snapshot_id: typeof added === 'bigint' ? added : BigInt(Number(added ?? 0)),
      added_files_count: num('added_files_count', num('added_data_files_count', 0)),
      existing_files_count: num('existing_files_count', num('existing_data_files_count', 0)),
      deleted_files_count: num('deleted_files_count', num('deleted_data_files_count', 0)),
      added_rows_count: num('added_rows_count', 0),
      existing_rows_count: num('existing_rows_count', 0),
      deleted_rows_count: num('deleted_rows_count', 0),
      partitions,
      key_metadata: r.key_metadata ? new Uint8Array(r.key_metadata as Buffer) : null,
    };
  });
}
