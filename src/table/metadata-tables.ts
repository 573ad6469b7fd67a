import type { Cell, Relation, StructCell } from '../engine/materialize.js';
import type { DataFile, ManifestFile } from '../manifest/types.js';
import { EntryStatus } from '../manifest/types.js';
import { ancestorsOf, currentSchema, currentSnapshot, specById } from '../spec/metadata.js';
import { humanTransformValue, transformResultType, parseTransform } from '../spec/transforms.js';
import { formatValue, fromBinary } from '../spec/values.js';
import { fieldById, isPrimitive } from '../spec/schema.js';
import type { PrimitiveTypeName, Schema, Snapshot, TableMetadata } from '../spec/types.js';
import { ColumnStatsAccumulator, leafColumns, partitionDataType, readableMetricsCell, readableMetricsType, type LeafColumn } from './metadata-metrics.js';
import { partitionCell, partitionKey, partitionStructType, unionPartitionColumns } from './metadata-partition.js';
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
  const schema = currentSchema(m);
  const files = await liveFiles(m, reader, snapshot);
  const partitionColumns = unionPartitionColumns(m, schema);
  const partitionType = partitionStructType(partitionColumns);
  const leaves = leafColumns(schema);
  const metricsType = readableMetricsType(leaves);
  const columns: { name: string; type: string; cell: (f: DataFile, specId: number) => Cell }[] = [
    { name: 'content', type: 'INTEGER', cell: (f) => f.content },
    { name: 'file_path', type: 'VARCHAR', cell: (f) => f.file_path },
    { name: 'file_format', type: 'VARCHAR', cell: (f) => f.file_format },
    { name: 'spec_id', type: 'INTEGER', cell: (_f, specId) => specId },
    // Trino: the partition ROW exists only when some spec has a field.
    ...(partitionType ? [{ name: 'partition', type: partitionType, cell: (f: DataFile, specId: number) => partitionCell(m, partitionColumns, specId, f.partition) }] : []),
    { name: 'record_count', type: 'BIGINT', cell: (f) => BigInt(f.record_count) },
    { name: 'file_size_in_bytes', type: 'BIGINT', cell: (f) => BigInt(f.file_size_in_bytes) },
    { name: 'column_sizes', type: 'MAP(INTEGER, BIGINT)', cell: (f) => numberMap(f.column_sizes) },
    { name: 'value_counts', type: 'MAP(INTEGER, BIGINT)', cell: (f) => numberMap(f.value_counts) },
    { name: 'null_value_counts', type: 'MAP(INTEGER, BIGINT)', cell: (f) => numberMap(f.null_value_counts) },
    { name: 'nan_value_counts', type: 'MAP(INTEGER, BIGINT)', cell: (f) => numberMap(f.nan_value_counts) },
    { name: 'lower_bounds', type: 'MAP(INTEGER, VARCHAR)', cell: (f) => boundsText(schema, f.lower_bounds) },
    { name: 'upper_bounds', type: 'MAP(INTEGER, VARCHAR)', cell: (f) => boundsText(schema, f.upper_bounds) },
    { name: 'equality_ids', type: 'INTEGER[]', cell: (f) => f.equality_ids ?? null },
    { name: 'sort_order_id', type: 'INTEGER', cell: (f) => f.sort_order_id ?? null },
    { name: 'key_metadata', type: 'BLOB', cell: (f) => f.key_metadata ?? null },
    { name: 'split_offsets', type: 'BIGINT[]', cell: (f) => (f.split_offsets ? f.split_offsets.map((o) => BigInt(o)) : null) },
    // Iceberg's files table: per leaf column, its metrics with bounds in the column's type.
    ...(metricsType ? [{ name: 'readable_metrics', type: metricsType, cell: (f: DataFile) => readableMetricsCell(leaves, f) }] : []),
  ];
  return {
    columns: columns.map(({ name, type }) => ({ name, type })),
    rows: files.map(({ file, specId }) => columns.map((c) => c.cell(file, specId))),
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

/** Trino's `$partitions`: one row per partition of each spec, with counts, sizes and column stats. */
async function partitionsTable(m: TableMetadata, reader: ManifestReader, snapshot: Snapshot | undefined): Promise<Relation> {
  const schema = currentSchema(m);
  const partitionColumns = unionPartitionColumns(m, schema);
  const partitionType = partitionStructType(partitionColumns);
  // Trino: data covers the top-level primitive columns that are not identity partition sources.
  const identitySources = new Set(
    m['partition-specs'].flatMap((s) => s.fields.filter((f) => f.transform === 'identity').map((f) => f['source-id'])),
  );
  const dataColumns: LeafColumn[] = schema.fields
    .filter((f) => isPrimitive(f.type) && !identitySources.has(f.id))
    .map((f) => ({ id: f.id, name: f.name, type: f.type as PrimitiveTypeName }));
  const dataType = partitionDataType(dataColumns);
  interface Group {
    spec: number;
    partition: StructCell;
    records: number;
    files: number;
    size: number;
    deletes: number;
    stats: ColumnStatsAccumulator;
  }
  const groups = new Map<string, Group>();
  for (const { file, specId } of await liveFiles(m, reader, snapshot)) {
    const partition = partitionCell(m, partitionColumns, specId, file.partition);
    const key = `${specId}|${partitionKey(partition)}`;
    let g = groups.get(key);
    if (!g) {
      g = { spec: specId, partition, records: 0, files: 0, size: 0, deletes: 0, stats: new ColumnStatsAccumulator(dataColumns) };
      groups.set(key, g);
    }
    if (file.content === 0) {
      g.records += file.record_count;
      g.files++;
      g.size += file.file_size_in_bytes;
      g.stats.add(file);
    } else {
      g.deletes++;
    }
  }
  const columns: { name: string; type: string; cell: (g: Group) => Cell }[] = [
    ...(partitionType ? [{ name: 'partition', type: partitionType, cell: (g: Group) => g.partition }] : []),
    { name: 'spec_id', type: 'INTEGER', cell: (g) => g.spec },
    { name: 'record_count', type: 'BIGINT', cell: (g) => BigInt(g.records) },
    { name: 'file_count', type: 'BIGINT', cell: (g) => BigInt(g.files) },
    { name: 'total_size', type: 'BIGINT', cell: (g) => BigInt(g.size) },
    { name: 'delete_file_count', type: 'BIGINT', cell: (g) => BigInt(g.deletes) },
    ...(dataType ? [{ name: 'data', type: dataType, cell: (g: Group) => g.stats.cell() }] : []),
  ];
  return {
    columns: columns.map(({ name, type }) => ({ name, type })),
    rows: [...groups.values()].map((g) => columns.map((c) => c.cell(g))),
  };
}
