import { CorruptMetadataError } from '../errors.js';
import { parseJson, stringifyJson } from '../spec/json.js';
import { partitionType } from '../spec/partition.js';
import { decimalParams, fixedLength } from '../spec/schema.js';
import type { FormatVersion, PartitionSpec, PrimitiveTypeName, Schema } from '../spec/types.js';
import { compareValues, decimalFromBytes, toBinary, uuidText } from '../spec/values.js';
import { readAvroFile, writeAvroFile } from './avro.js';
import type { DataFile, FieldSummary, FileFormat, ManifestEntry, ManifestFile, PartitionValues } from './types.js';
import { EntryStatus, FileContent, ManifestContent } from './types.js';

// ---------------------------------------------------------------------------------------------
// Avro schemas (spec: "Manifests", field ids as listed there)

/** Bytes needed for the unscaled value of a decimal of precision `p` (spec: decimal as fixed). */
export function decimalBytesFor(precision: number): number {
  let n = 1;
  while (2 ** (8 * n - 1) < 10 ** precision) n++;
  return n;
}

function avroPartitionType(type: PrimitiveTypeName, fieldId: number): unknown {
  const dec = decimalParams(type);
  if (dec) {
    return { type: 'fixed', name: `decimal_${fieldId}`, size: decimalBytesFor(dec.precision), logicalType: 'decimal', precision: dec.precision, scale: dec.scale };
  }
  const fixed = fixedLength(type);
  if (fixed !== null) return { type: 'fixed', name: `fixed_${fieldId}`, size: fixed };
  switch (type) {
    case 'boolean':
    case 'int':
    case 'long':
    case 'float':
    case 'double':
    case 'string':
      return type;
    case 'date':
      return { type: 'int', logicalType: 'date' };
    case 'time':
      return { type: 'long', logicalType: 'time-micros' };
    case 'timestamp':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false };
    case 'timestamptz':
      return { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true };
    case 'timestamp_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': false };
    case 'timestamptz_ns':
      return { type: 'long', logicalType: 'timestamp-nanos', 'adjust-to-utc': true };
    case 'uuid':
      return { type: 'fixed', name: `uuid_fixed_${fieldId}`, size: 16, logicalType: 'uuid' };
    case 'binary':
    case 'unknown':
      return 'bytes';
    default:
      return 'bytes';
  }
}

function intMap(name: string, id: number, keyId: number, valueId: number, value: string): Record<string, unknown> {
  return {
    name,
    type: [
      'null',
      {
        type: 'array',
        logicalType: 'map',
        items: {
          type: 'record',
          name: `k${keyId}_v${valueId}`,
          fields: [
            { name: 'key', type: 'int', 'field-id': keyId },
            { name: 'value', type: value, 'field-id': valueId },
          ],
        },
      },
    ],
    default: null,
    'field-id': id,
  };
}

function entrySchema(spec: PartitionSpec, schema: Schema, version: FormatVersion): Record<string, unknown> {
  const ptype = partitionType(spec, schema);
  const partition = {
    type: 'record',
    name: 'r102',
    fields: ptype.fields.map((f) => ({
      name: f.name,
      type: ['null', avroPartitionType(f.type as PrimitiveTypeName, f.id)],
      default: null,
      'field-id': f.id,
    })),
  };
  const v2 = version >= 2;
  const dataFields: Record<string, unknown>[] = [];
  if (v2) dataFields.push({ name: 'content', type: 'int', 'field-id': 134, doc: 'Contents of the file: 0=data, 1=position deletes, 2=equality deletes' });
  dataFields.push(
    { name: 'file_path', type: 'string', 'field-id': 100, doc: 'Location URI with FS scheme' },
    { name: 'file_format', type: 'string', 'field-id': 101, doc: 'File format name: avro, orc, or parquet' },
    { name: 'partition', type: partition, 'field-id': 102, doc: 'Partition data tuple, schema based on the partition spec' },
    { name: 'record_count', type: 'long', 'field-id': 103, doc: 'Number of records in the file' },
    { name: 'file_size_in_bytes', type: 'long', 'field-id': 104, doc: 'Total file size in bytes' },
  );
  if (!v2) dataFields.push({ name: 'block_size_in_bytes', type: 'long', 'field-id': 105 });
  dataFields.push(
    intMap('column_sizes', 108, 117, 118, 'long'),
    intMap('value_counts', 109, 119, 120, 'long'),
    intMap('null_value_counts', 110, 121, 122, 'long'),
    intMap('nan_value_counts', 137, 138, 139, 'long'),
    intMap('lower_bounds', 125, 126, 127, 'bytes'),
    intMap('upper_bounds', 128, 129, 130, 'bytes'),
    { name: 'key_metadata', type: ['null', 'bytes'], default: null, 'field-id': 131 },
    { name: 'split_offsets', type: ['null', { type: 'array', items: 'long', 'element-id': 133 }], default: null, 'field-id': 132 },
  );
  if (v2) dataFields.push({ name: 'equality_ids', type: ['null', { type: 'array', items: 'int', 'element-id': 136 }], default: null, 'field-id': 135 });
  dataFields.push({ name: 'sort_order_id', type: ['null', 'int'], default: null, 'field-id': 140 });
  const fields: Record<string, unknown>[] = [{ name: 'status', type: 'int', 'field-id': 0 }];
  if (v2) {
    fields.push(
      { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
      { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
    );
  } else {
    fields.push({ name: 'snapshot_id', type: 'long', 'field-id': 1 });
  }
  fields.push({ name: 'data_file', type: { type: 'record', name: 'r2', fields: dataFields }, 'field-id': 2 });
  return { type: 'record', name: 'manifest_entry', fields };
}

// ---------------------------------------------------------------------------------------------
// Writing

export interface WriteManifestOptions {
  schema: Schema;
  spec: PartitionSpec;
  formatVersion: FormatVersion;
  content: ManifestContent;
  snapshotId: bigint;
  entries: ManifestEntry[];
}

function partitionToAvro(spec: PartitionSpec, schema: Schema, values: PartitionValues): Record<string, unknown> {
  const ptype = partitionType(spec, schema);
  const out: Record<string, unknown> = {};
  for (const f of ptype.fields) {
    const v = values[f.name];
    const t = f.type as PrimitiveTypeName;
    if (v === null || v === undefined) out[f.name] = null;
    else if (decimalParams(t)) {
      const raw = toBinary(t, v);
      const size = decimalBytesFor(decimalParams(t)!.precision);
      const padded = Buffer.alloc(size, raw[0] & 0x80 ? 0xff : 0x00);
      Buffer.from(raw).copy(padded, size - raw.length);
      out[f.name] = padded;
    } else if (t === 'uuid' || t === 'binary' || t === 'unknown' || fixedLength(t) !== null) out[f.name] = Buffer.from(toBinary(t === 'unknown' ? 'binary' : t, v));
    else if (t === 'long' || t === 'time' || t.startsWith('timestamp')) out[f.name] = BigInt(v as bigint);
    else out[f.name] = v;
  }
  return out;
}

function mapToAvro<V>(m: Map<number, V> | undefined, conv: (v: V) => unknown): unknown {
  if (!m) return null;
  return [...m.entries()].map(([key, value]) => ({ key, value: conv(value) }));
}

export function writeManifest(options: WriteManifestOptions): Uint8Array {
  const version: FormatVersion = options.formatVersion >= 2 ? 2 : 1;
  const v2 = version >= 2;
  const records = options.entries.map((e) => {
    const d = e.data_file;
    const data: Record<string, unknown> = {
      file_path: d.file_path,
      file_format: d.file_format,
      partition: partitionToAvro(options.spec, options.schema, d.partition),
      record_count: BigInt(d.record_count),
      file_size_in_bytes: BigInt(d.file_size_in_bytes),
      column_sizes: mapToAvro(d.column_sizes, BigInt),
      value_counts: mapToAvro(d.value_counts, BigInt),
      null_value_counts: mapToAvro(d.null_value_counts, BigInt),
      nan_value_counts: mapToAvro(d.nan_value_counts, BigInt),
      lower_bounds: mapToAvro(d.lower_bounds, (b) => Buffer.from(b)),
      upper_bounds: mapToAvro(d.upper_bounds, (b) => Buffer.from(b)),
      key_metadata: d.key_metadata ? Buffer.from(d.key_metadata) : null,
      split_offsets: d.split_offsets ? d.split_offsets.map(BigInt) : null,
      sort_order_id: d.sort_order_id ?? null,
    };
    if (v2) {
      data.content = d.content;
      data.equality_ids = d.equality_ids ?? null;
    } else {
      data.block_size_in_bytes = 67108864n;
    }
    const entry: Record<string, unknown> = { status: e.status, data_file: data };
    if (v2) {
      entry.snapshot_id = e.snapshot_id;
      entry.sequence_number = e.sequence_number === null ? null : BigInt(e.sequence_number);
      entry.file_sequence_number = e.file_sequence_number === null ? null : BigInt(e.file_sequence_number);
    } else {
      entry.snapshot_id = e.snapshot_id ?? options.snapshotId;
    }
    return entry;
  });
  const metadata: Record<string, string> = {
    schema: stringifyJson(options.schema),
    'schema-id': String(options.schema['schema-id']),
    'partition-spec': stringifyJson(options.spec.fields),
    'partition-spec-id': String(options.spec['spec-id']),
    'format-version': String(version),
  };
  if (v2) metadata.content = options.content === ManifestContent.Deletes ? 'deletes' : 'data';
  return writeAvroFile(entrySchema(options.spec, options.schema, version), metadata, records);
}

export interface ManifestFileForOptions {
  path: string;
  length: number;
  spec: PartitionSpec;
  schema: Schema;
  content: ManifestContent;
  sequenceNumber: number;
  snapshotId: bigint;
  entries: ManifestEntry[];
}

/** The manifest-list entry describing a manifest just written (counts, partition summaries). */
export function manifestFileFor(o: ManifestFileForOptions): ManifestFile {
  let added = 0, existing = 0, deleted = 0, addedRows = 0, existingRows = 0, deletedRows = 0;
  let minSeq = Number.POSITIVE_INFINITY;
  for (const e of o.entries) {
    const rows = e.data_file.record_count;
    if (e.status === EntryStatus.Added) {
      added++;
      addedRows += rows;
    } else if (e.status === EntryStatus.Existing) {
      existing++;
      existingRows += rows;
    } else {
      deleted++;
      deletedRows += rows;
    }
    if (e.status !== EntryStatus.Deleted) minSeq = Math.min(minSeq, e.sequence_number ?? o.sequenceNumber);
  }
  return {
    manifest_path: o.path,
    manifest_length: o.length,
    partition_spec_id: o.spec['spec-id'],
    content: o.content,
    sequence_number: o.sequenceNumber,
    min_sequence_number: Number.isFinite(minSeq) ? minSeq : o.sequenceNumber,
    added_snapshot_id: o.snapshotId,
    added_files_count: added,
    existing_files_count: existing,
    deleted_files_count: deleted,
    added_rows_count: addedRows,
    existing_rows_count: existingRows,
    deleted_rows_count: deletedRows,
    partitions: partitionSummaries(o.spec, o.schema, o.entries),
  };
}

/** spec: field_summary — per partition field: nulls, NaNs and bounds over the manifest's files. */
export function partitionSummaries(spec: PartitionSpec, schema: Schema, entries: ManifestEntry[]): FieldSummary[] {
  const ptype = partitionType(spec, schema);
  return ptype.fields.map((f) => {
    const t = f.type as PrimitiveTypeName;
    let containsNull = false;
    let containsNan = false;
    let lo: unknown = undefined;
    let hi: unknown = undefined;
    for (const e of entries) {
      const v = e.data_file.partition[f.name];
      if (v === null || v === undefined) {
        containsNull = true;
        continue;
      }
      if (typeof v === 'number' && Number.isNaN(v)) {
        containsNan = true;
        continue;
      }
      if (t === 'unknown') continue;
      if (lo === undefined || compareValues(t, v, lo) < 0) lo = v;
      if (hi === undefined || compareValues(t, v, hi) > 0) hi = v;
    }
    const floating = t === 'float' || t === 'double';
    return {
      contains_null: containsNull,
      contains_nan: floating ? containsNan : null,
      lower_bound: lo === undefined ? null : toBinary(t, lo),
      upper_bound: hi === undefined ? null : toBinary(t, hi),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Reading

export interface ReadManifest {
  entries: ManifestEntry[];
  formatVersion: number;
  content: ManifestContent;
  /** From the key-value metadata, when the writer recorded them. */
  partitionSpecId?: number;
  schema?: unknown;
  partitionSpecFields?: unknown;
}

/** How to turn a decoded Avro partition value back into floe's value representation. */
type PartitionDecoder = (v: unknown) => unknown;

function partitionDecoders(avroSchema: Record<string, unknown>): Map<string, PartitionDecoder> {
  const out = new Map<string, PartitionDecoder>();
  const fields = (avroSchema.fields as Record<string, unknown>[] | undefined) ?? [];
  const dataFile = fields.find((f) => f.name === 'data_file')?.type as Record<string, unknown> | undefined;
  const partition = (dataFile?.fields as Record<string, unknown>[] | undefined)?.find((f) => f.name === 'partition')?.type as
    | Record<string, unknown>
    | undefined;
  for (const f of (partition?.fields as Record<string, unknown>[] | undefined) ?? []) {
    const branches = Array.isArray(f.type) ? f.type : [f.type];
    const t = branches.find((b) => b !== 'null') as string | Record<string, unknown> | undefined;
    const kind = typeof t === 'string' ? t : (t?.type as string | undefined);
    const logical = typeof t === 'object' ? (t.logicalType as string | undefined) : undefined;
    let dec: PartitionDecoder;
    if (kind === 'fixed' && logical === 'decimal') dec = (v) => decimalFromBytes(v as Buffer);
    else if (kind === 'fixed' && logical === 'uuid') dec = (v) => uuidText(v as Buffer);
    else if (kind === 'string' && logical === 'uuid') dec = (v) => v;
    else if (kind === 'bytes' && logical === 'decimal') dec = (v) => decimalFromBytes(v as Buffer);
    else if (kind === 'fixed' || kind === 'bytes') dec = (v) => new Uint8Array(v as Buffer);
    else dec = (v) => v;
    out.set(String(f.name), dec);
  }
  return out;
}


function mapFromAvro<V>(v: unknown, conv: (x: unknown) => V): Map<number, V> | undefined {
  if (v === null || v === undefined) return undefined;
  const out = new Map<number, V>();
  if (Array.isArray(v)) for (const kv of v as { key: number; value: unknown }[]) out.set(Number(kv.key), conv(kv.value));
  else for (const [k, x] of Object.entries(v as Record<string, unknown>)) out.set(Number(k), conv(x));
  return out;
}

const toNum = (x: unknown): number => Number(x);
const toBytes = (x: unknown): Uint8Array => new Uint8Array(x as Buffer);

/**
 * Reads a manifest of any version. With the manifest-list entry, snapshot ids and sequence
 * numbers that are null in the file are inherited from it (spec: "Sequence Number Inheritance").
 */
export function readManifest(bytes: Uint8Array, manifest?: ManifestFile): ReadManifest {
  const what = manifest ? `manifest ${manifest.manifest_path}` : 'manifest';
  const file = readAvroFile(bytes, what);
  const decoders = partitionDecoders(file.schema);
  const formatVersion = Number(file.metadata['format-version'] ?? (file.records.length > 0 && 'content' in ((file.records[0].data_file as object) ?? {}) ? 2 : 1));
  const content = file.metadata.content === 'deletes' || manifest?.content === ManifestContent.Deletes ? ManifestContent.Deletes : ManifestContent.Data;
  const entries = file.records.map((r, i): ManifestEntry => {
    const d = r.data_file as Record<string, unknown> | undefined;
    if (!d || typeof d.file_path !== 'string') throw new CorruptMetadataError(`${what} entry ${i} has no data_file.file_path`);
    const status = Number(r.status);
    if (status !== 0 && status !== 1 && status !== 2) throw new CorruptMetadataError(`${what} entry ${i} has invalid status ${String(r.status)}`);
    const partition: PartitionValues = {};
    const praw = (d.partition as Record<string, unknown> | null) ?? {};
    for (const [k, v] of Object.entries(praw)) partition[k] = v === null || v === undefined ? null : (decoders.get(k) ?? ((x) => x))(v);
    const fileContent = Number(d.content ?? 0);
    const dataFile: DataFile = {
      content: fileContent === 1 ? FileContent.PositionDeletes : fileContent === 2 ? FileContent.EqualityDeletes : FileContent.Data,
      file_path: d.file_path,
      file_format: String(d.file_format).toUpperCase() as FileFormat,
      partition,
      record_count: Number(d.record_count),
      file_size_in_bytes: Number(d.file_size_in_bytes),
    };
    const opt = <K extends keyof DataFile>(key: K, value: DataFile[K] | undefined) => {
      if (value !== undefined) dataFile[key] = value;
    };
    opt('column_sizes', mapFromAvro(d.column_sizes, toNum));
    opt('value_counts', mapFromAvro(d.value_counts, toNum));
    opt('null_value_counts', mapFromAvro(d.null_value_counts, toNum));
    opt('nan_value_counts', mapFromAvro(d.nan_value_counts, toNum));
    opt('lower_bounds', mapFromAvro(d.lower_bounds, toBytes));
    opt('upper_bounds', mapFromAvro(d.upper_bounds, toBytes));
    if (d.key_metadata) dataFile.key_metadata = toBytes(d.key_metadata);
    if (Array.isArray(d.split_offsets)) dataFile.split_offsets = d.split_offsets.map(toNum);
    if (Array.isArray(d.equality_ids)) dataFile.equality_ids = d.equality_ids.map(toNum);
    if (d.sort_order_id !== undefined && d.sort_order_id !== null) dataFile.sort_order_id = Number(d.sort_order_id);
    if (typeof d.referenced_data_file === 'string') dataFile.referenced_data_file = d.referenced_data_file;
    if (d.content_offset !== undefined && d.content_offset !== null) dataFile.content_offset = Number(d.content_offset);
    if (d.content_size_in_bytes !== undefined && d.content_size_in_bytes !== null) dataFile.content_size_in_bytes = Number(d.content_size_in_bytes);
    if (d.first_row_id !== undefined && d.first_row_id !== null) dataFile.first_row_id = Number(d.first_row_id);

    let snapshotId = r.snapshot_id === null || r.snapshot_id === undefined ? null : BigInt(r.snapshot_id as bigint);
    let seq = r.sequence_number === null || r.sequence_number === undefined ? null : Number(r.sequence_number);
    let fileSeq = r.file_sequence_number === null || r.file_sequence_number === undefined ? null : Number(r.file_sequence_number);
    if (manifest) {
      if (snapshotId === null) snapshotId = manifest.added_snapshot_id;
      // spec: only ADDED entries may inherit; v1 manifests have sequence number 0 throughout.
      if (formatVersion < 2) {
        seq ??= 0;
        fileSeq ??= 0;
      } else if (status === EntryStatus.Added) {
        seq ??= manifest.sequence_number;
        fileSeq ??= manifest.sequence_number;
      }
    }
    return { status: status as EntryStatus, snapshot_id: snapshotId, sequence_number: seq, file_sequence_number: fileSeq, data_file: dataFile };
  });
  const result: ReadManifest = { entries, formatVersion, content };
  if (file.metadata['partition-spec-id'] !== undefined) result.partitionSpecId = Number(file.metadata['partition-spec-id']);
  if (file.metadata.schema) result.schema = safeJson(file.metadata.schema);
  if (file.metadata['partition-spec']) result.partitionSpecFields = safeJson(file.metadata['partition-spec']);
  return result;
}

function safeJson(text: string): unknown {
  try {
    return parseJson(text);
  } catch {
    return undefined;
  }
}

