import type { Cell, Relation } from '../engine/materialize.js';
import type { DataFile, ManifestFile } from '../manifest/types.js';
import { EntryStatus } from '../manifest/types.js';
import { ancestorsOf, currentSnapshot, specById } from '../spec/metadata.js';
import { humanTransformValue, transformResultType, parseTransform } from '../spec/transforms.js';
import { formatValue, fromBinary } from '../spec/values.js';
import { fieldById, isPrimitive } from '../spec/schema.js';
import type { PartitionSpec, Schema, Snapshot, TableMetadata } from '../spec/types.js';
import { ValidationError } from '../errors.js';
import type { ManifestReader } from './manifest-reader.js';

/** Metadata tables with Athena/Trino naming (`"t$snapshots"` …). */
export const METADATA_TABLES = ['snapshots', 'history', 'files', 'manifests', 'partitions', 'refs'] as const;
export type MetadataTableName = (typeof METADATA_TABLES)[number];

export function isMetadataTable(name: string): name is MetadataTableName {
  return (METADATA_TABLES as readonly string[]).includes(name);
}

export async function metadataTable(
  name: string,
  metadata: TableMetadata,
  reader: ManifestReader,
  snapshot: Snapshot | undefined,
): Promise<Relation> {
  if (!isMetadataTable(name)) {
    throw new ValidationError(`unknown metadata table '$${name}' (known: ${METADATA_TABLES.map((t) => `$${t}`).join(', ')})`);
  }
  switch (name) {
    case 'snapshots':
      return snapshotsTable(metadata);
    case 'history':
      return historyTable(metadata);
    case 'refs':
      return refsTable(metadata);
    case 'files':
      return filesTable(metadata, reader, snapshot);
    case 'manifests':
      return manifestsTable(metadata, reader, snapshot);
    case 'partitions':
      return partitionsTable(metadata, reader, snapshot);
    default: {
      const never: never = name;
      throw new Error(`unknown metadata table ${String(never)}`);
    }
  }
}

function ts(ms: number): string {
  return new Date(ms).toISOString();
}

function snapshotsTable(m: TableMetadata): Relation {
  return {
    columns: [
      { name: 'committed_at', type: 'TIMESTAMPTZ' },
      { name: 'snapshot_id', type: 'BIGINT' },
      { name: 'parent_id', type: 'BIGINT' },
      { name: 'operation', type: 'VARCHAR' },
      { name: 'manifest_list', type: 'VARCHAR' },
      { name: 'summary', type: 'MAP(VARCHAR, VARCHAR)' },
    ],
    rows: m.snapshots.map((s) => [
      ts(s['timestamp-ms']),
      s['snapshot-id'],
      s['parent-snapshot-id'] ?? null,
      s.summary.operation,
      s['manifest-list'] ?? null,
      new Map(Object.entries(s.summary)),
    ]),
  };
}

function historyTable(m: TableMetadata): Relation {
  const head = currentSnapshot(m);
  const ancestors = new Set(head ? ancestorsOf(m, head['snapshot-id']).map((s) => s['snapshot-id']) : []);
  return {
    columns: [
      { name: 'made_current_at', type: 'TIMESTAMPTZ' },
      { name: 'snapshot_id', type: 'BIGINT' },
      { name: 'parent_id', type: 'BIGINT' },
      { name: 'is_current_ancestor', type: 'BOOLEAN' },
    ],
    rows: m['snapshot-log'].map((e) => {
      const s = m.snapshots.find((x) => x['snapshot-id'] === e['snapshot-id']);
      return [ts(e['timestamp-ms']), e['snapshot-id'], s?.['parent-snapshot-id'] ?? null, ancestors.has(e['snapshot-id'])];
    }),
  };
}

function refsTable(m: TableMetadata): Relation {
  return {
    columns: [
      { name: 'name', type: 'VARCHAR' },
      { name: 'type', type: 'VARCHAR' },
      { name: 'snapshot_id', type: 'BIGINT' },
      { name: 'max_reference_age_in_ms', type: 'BIGINT' },
      { name: 'min_snapshots_to_keep', type: 'INTEGER' },
      { name: 'max_snapshot_age_in_ms', type: 'BIGINT' },
    ],
    rows: Object.entries(m.refs).map(([name, r]) => [
      name,
      r.type.toUpperCase(),
      r['snapshot-id'],
      r['max-ref-age-ms'] ?? null,
      r['min-snapshots-to-keep'] ?? null,
      r['max-snapshot-age-ms'] ?? null,
    ]),
  };
}

/** A partition tuple as readable text, e.g. `{category=alpha, ts_day=2024-01-02}`. */
export function partitionText(spec: PartitionSpec | undefined, schema: Schema, partition: Record<string, unknown>): string {
  if (!spec || spec.fields.length === 0) return '{}';
  const parts = spec.fields.map((f) => {
    const v = partition[f.name];
    const source = fieldById(schema, f['source-id']);
    if (v === null || v === undefined || !source || !isPrimitive(source.type)) return `${f.name}=${v === null || v === undefined ? 'null' : String(v)}`;
    const t = parseTransform(f.transform);
    const type = transformResultType(t, source.type);
    return `${f.name}=${humanTransformValue(t, v) ?? formatValue(type, v)}`;
  });
  return `{${parts.join(', ')}}`;
}

async function liveFiles(
  m: TableMetadata,
  reader: ManifestReader,
  snapshot: Snapshot | undefined,
): Promise<{ file: DataFile; specId: number }[]> {
  if (!snapshot) return [];
  const out: { file: DataFile; specId: number }[] = [];
  for (const mf of await reader.manifestsOf(snapshot, m)) {
    for (const e of await reader.entriesOf(mf)) {
      if (e.status !== EntryStatus.Deleted) out.push({ file: e.data_file, specId: mf.partition_spec_id });
    }
  }
  return out;
}

function boundsText(schema: Schema, bounds: Map<number, Uint8Array> | undefined): Map<number, Cell> {
  const out = new Map<number, Cell>();
  for (const [id, bytes] of bounds ?? []) {
    const f = fieldById(schema, id);
    if (!f || !isPrimitive(f.type)) continue;
    try {
      out.set(id, formatValue(f.type, fromBinary(f.type, bytes)));
    } catch {
      out.set(id, Buffer.from(bytes).toString('hex'));
    }
  }
  return out;
}

function numberMap(m: Map<number, number> | undefined): Map<number, Cell> {
  return new Map([...(m ?? new Map<number, number>())].map(([k, v]) => [k, BigInt(v)]));
}

async function filesTable(m: TableMetadata, reader: ManifestReader, snapshot: Snapshot | undefined): Promise<Relation> {
  const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])!;
  const files = await liveFiles(m, reader, snapshot);
  return {
    columns: [
      { name: 'content', type: 'INTEGER' },
      { name: 'file_path', type: 'VARCHAR' },
      { name: 'file_format', type: 'VARCHAR' },
      { name: 'spec_id', type: 'INTEGER' },
      { name: 'partition', type: 'VARCHAR' },
      { name: 'record_count', type: 'BIGINT' },
      { name: 'file_size_in_bytes', type: 'BIGINT' },
      { name: 'column_sizes', type: 'MAP(INTEGER, BIGINT)' },
      { name: 'value_counts', type: 'MAP(INTEGER, BIGINT)' },
      { name: 'null_value_counts', type: 'MAP(INTEGER, BIGINT)' },
      { name: 'nan_value_counts', type: 'MAP(INTEGER, BIGINT)' },
      { name: 'lower_bounds', type: 'MAP(INTEGER, VARCHAR)' },
      { name: 'upper_bounds', type: 'MAP(INTEGER, VARCHAR)' },
      { name: 'equality_ids', type: 'INTEGER[]' },
      { name: 'sort_order_id', type: 'INTEGER' },
      { name: 'key_metadata', type: 'BLOB' },
      { name: 'split_offsets', type: 'BIGINT[]' },
    ],
    rows: files.map(({ file: f, specId }) => [
      f.content,
      f.file_path,
      f.file_format,
      specId,
      partitionText(specById(m, specId), schema, f.partition),
      BigInt(f.record_count),
      BigInt(f.file_size_in_bytes),
      numberMap(f.column_sizes),
      numberMap(f.value_counts),
      numberMap(f.null_value_counts),
      numberMap(f.nan_value_counts),
      boundsText(schema, f.lower_bounds),
      boundsText(schema, f.upper_bounds),
      f.equality_ids ?? null,
      f.sort_order_id ?? null,
      f.key_metadata ?? null,
      f.split_offsets ? f.split_offsets.map((o) => BigInt(o)) : null,
    ]),
  };
}

async function manifestsTable(m: TableMetadata, reader: ManifestReader, snapshot: Snapshot | undefined): Promise<Relation> {
  const manifests: ManifestFile[] = snapshot ? await reader.manifestsOf(snapshot, m) : [];
  return {
    columns: [
      { name: 'content', type: 'INTEGER' },
      { name: 'path', type: 'VARCHAR' },
      { name: 'length', type: 'BIGINT' },
      { name: 'partition_spec_id', type: 'INTEGER' },
      { name: 'added_snapshot_id', type: 'BIGINT' },
      { name: 'sequence_number', type: 'BIGINT' },
      { name: 'added_data_files_count', type: 'INTEGER' },
      { name: 'existing_data_files_count', type: 'INTEGER' },
      { name: 'deleted_data_files_count', type: 'INTEGER' },
      { name: 'added_rows_count', type: 'BIGINT' },
      { name: 'existing_rows_count', type: 'BIGINT' },
      { name: 'deleted_rows_count', type: 'BIGINT' },
      { name: 'partition_summaries', type: SUMMARY_TYPE },
    ],
    rows: manifests.map((mf) => [
      mf.content,
      mf.manifest_path,
      BigInt(mf.manifest_length),
      mf.partition_spec_id,
      mf.added_snapshot_id,
      BigInt(mf.sequence_number),
      mf.added_files_count,
      mf.existing_files_count,
      mf.deleted_files_count,
      BigInt(mf.added_rows_count),
      BigInt(mf.existing_rows_count),
      BigInt(mf.deleted_rows_count),
      partitionSummaries(m, mf),
    ]),
  };
}

/** Trino's $manifests.partition_summaries: per partition field, nulls/NaNs seen and readable bounds. */
const SUMMARY_TYPE = 'STRUCT(contains_null BOOLEAN, contains_nan BOOLEAN, lower_bound VARCHAR, upper_bound VARCHAR)[]';

function partitionSummaries(m: TableMetadata, mf: ManifestFile): Cell {
  if (!mf.partitions) return null;
  const spec = specById(m, mf.partition_spec_id);
  const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])!;
  return mf.partitions.map((p, i) => {
    const field = spec?.fields[i];
    const source = field ? fieldById(schema, field['source-id']) : undefined;
    const text = (b: Uint8Array | null | undefined): Cell => {
      if (!b) return null;
      if (!field || !source || !isPrimitive(source.type)) return Buffer.from(b).toString('hex');
      const t = parseTransform(field.transform);
      const type = transformResultType(t, source.type);
      try {
        const v = fromBinary(type, b);
        return humanTransformValue(t, v) ?? formatValue(type, v);
      } catch {
        return Buffer.from(b).toString('hex');
      }
    };
    return { struct: [['contains_null', p.contains_null], ['contains_nan', p.contains_nan ?? null], ['lower_bound', text(p.lower_bound)], ['upper_bound', text(p.upper_bound)]] };
  });
}

async function partitionsTable(m: TableMetadata, reader: ManifestReader, snapshot: Snapshot | undefined): Promise<Relation> {
  const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])!;
  const groups = new Map<string, { spec: number; text: string; records: number; files: number; size: number; deletes: number }>();
  for (const { file, specId } of await liveFiles(m, reader, snapshot)) {
    const text = partitionText(specById(m, specId), schema, file.partition);
    const key = `${specId}|${text}`;
    const g = groups.get(key) ?? { spec: specId, text, records: 0, files: 0, size: 0, deletes: 0 };
    if (file.content === 0) {
      g.records += file.record_count;
      g.files++;
      g.size += file.file_size_in_bytes;
    } else {
      g.deletes++;
    }
    groups.set(key, g);
  }
  return {
    columns: [
      { name: 'partition', type: 'VARCHAR' },
      { name: 'spec_id', type: 'INTEGER' },
      { name: 'record_count', type: 'BIGINT' },
      { name: 'file_count', type: 'BIGINT' },
      { name: 'total_size', type: 'BIGINT' },
      { name: 'delete_file_count', type: 'BIGINT' },
    ],
    rows: [...groups.values()].map((g) => [g.text, g.spec, BigInt(g.records), BigInt(g.files), BigInt(g.size), BigInt(g.deletes)]),
  };
}
