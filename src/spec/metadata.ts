import { randomBytes, randomUUID } from 'node:crypto';
import { CorruptMetadataError, NotFoundError } from '../errors.js';
import { parseJson, stringifyJson, toBigInt } from './json.js';
import { describe, int, isObject, maxFieldId, parseSchema } from './schema.js';
import { parseTransform, transformToString } from './transforms.js';
import type {
  FormatVersion,
  MetadataLogEntry,
  PartitionField,
  PartitionSpec,
  Schema,
  Snapshot,
  SnapshotLogEntry,
  SnapshotRef,
  SnapshotSummary,
  SortField,
  SortOrder,
  TableMetadata,
} from './types.js';
import { MAIN_BRANCH } from './types.js';

export const UNSORTED_ORDER: SortOrder = { 'order-id': 0, fields: [] };

// ---------------------------------------------------------------------------------------------
// Parsing (spec: appendix C "Table Metadata"; v1 files are lifted to the v2 shape)

export function parseTableMetadata(text: string): TableMetadata {
  let json: unknown;
  try {
    json = parseJson(text);
  } catch (e) {
    throw new CorruptMetadataError(`table metadata is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return tableMetadataFromJson(json);
}

export function tableMetadataFromJson(json: unknown): TableMetadata {
  if (!isObject(json)) throw new CorruptMetadataError(`table metadata must be a JSON object, found ${describe(json)}`);
  const version = json['format-version'];
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new CorruptMetadataError(`unsupported table format-version ${describe(version)} (floe reads 1, 2 and 3)`);
  }
  const formatVersion = version as FormatVersion;
  const str = (key: string, optional = false): string => {
    const v = json[key];
    if (typeof v === 'string') return v;
    if (optional && v === undefined) return '';
    throw new CorruptMetadataError(`table metadata field '${key}' must be a string, found ${describe(v)}`);
  };
  const location = str('location');

  const schemas = Array.isArray(json.schemas)
    ? json.schemas.map(parseSchema)
    : json.schema !== undefined
      ? [parseSchema(json.schema)]
      : fail('table metadata has no schemas');
  const currentSchemaId = json['current-schema-id'] === undefined ? schemas[0]['schema-id'] : int(json['current-schema-id'], 'current-schema-id');
  if (!schemas.some((s) => s['schema-id'] === currentSchemaId)) fail(`current-schema-id ${currentSchemaId} is not among the schemas`);

  let specs: PartitionSpec[];
  if (Array.isArray(json['partition-specs'])) specs = json['partition-specs'].map(parseSpec);
  else if (Array.isArray(json['partition-spec'])) specs = [{ 'spec-id': 0, fields: parseSpecFields(json['partition-spec'], 0, true) }];
  else specs = [{ 'spec-id': 0, fields: [] }];
  const defaultSpecId = json['default-spec-id'] === undefined ? specs[0]['spec-id'] : int(json['default-spec-id'], 'default-spec-id');
  if (!specs.some((s) => s['spec-id'] === defaultSpecId)) fail(`default-spec-id ${defaultSpecId} is not among the partition specs`);
  const maxPartitionId = specs.flatMap((s) => s.fields.map((f) => f['field-id'])).reduce((a, b) => Math.max(a, b), 999);

  const sortOrders = Array.isArray(json['sort-orders']) ? json['sort-orders'].map(parseSortOrder) : [UNSORTED_ORDER];
  const defaultSortOrderId = json['default-sort-order-id'] === undefined ? sortOrders[0]['order-id'] : int(json['default-sort-order-id'], 'default-sort-order-id');

  const snapshots = Array.isArray(json.snapshots) ? json.snapshots.map(parseSnapshot) : [];
  let currentSnapshotId: bigint | undefined;
  if (json['current-snapshot-id'] !== undefined && json['current-snapshot-id'] !== null) {
    currentSnapshotId = toBigIntOrFail(json['current-snapshot-id'], 'current-snapshot-id');
    if (currentSnapshotId === -1n) currentSnapshotId = undefined;
  }
  if (currentSnapshotId !== undefined && !snapshots.some((s) => s['snapshot-id'] === currentSnapshotId)) {
    fail(`current-snapshot-id ${currentSnapshotId} is not among the snapshots`);
  }

  const refs: Record<string, SnapshotRef> = {};
  if (isObject(json.refs)) {
    for (const [name, r] of Object.entries(json.refs)) refs[name] = parseRef(name, r);
  }
  if (currentSnapshotId !== undefined && !refs[MAIN_BRANCH]) refs[MAIN_BRANCH] = { 'snapshot-id': currentSnapshotId, type: 'branch' };

  const properties: Record<string, string> = {};
  if (isObject(json.properties)) for (const [k, v] of Object.entries(json.properties)) properties[k] = String(v);

  const metadata: TableMetadata = {
    'format-version': formatVersion,
    'table-uuid': str('table-uuid', formatVersion === 1) || randomUUID(),
    location,
    'last-sequence-number': json['last-sequence-number'] === undefined ? 0 : int(json['last-sequence-number'], 'last-sequence-number'),
    'last-updated-ms': int(json['last-updated-ms'], 'last-updated-ms'),
    'last-column-id': int(json['last-column-id'], 'last-column-id'),
    schemas,
    'current-schema-id': currentSchemaId,
    'partition-specs': specs,
    'default-spec-id': defaultSpecId,
    'last-partition-id': json['last-partition-id'] === undefined ? maxPartitionId : int(json['last-partition-id'], 'last-partition-id'),
    properties,
    snapshots,
    'snapshot-log': Array.isArray(json['snapshot-log']) ? json['snapshot-log'].map(parseSnapshotLog) : [],
    'metadata-log': Array.isArray(json['metadata-log']) ? json['metadata-log'].map(parseMetadataLog) : [],
    'sort-orders': sortOrders,
    'default-sort-order-id': defaultSortOrderId,
    refs,
  };
  if (currentSnapshotId !== undefined) metadata['current-snapshot-id'] = currentSnapshotId;
  if (Array.isArray(json.statistics)) metadata.statistics = json.statistics;
  if (Array.isArray(json['partition-statistics'])) metadata['partition-statistics'] = json['partition-statistics'];
  if (json['next-row-id'] !== undefined) metadata['next-row-id'] = int(json['next-row-id'], 'next-row-id');
  return metadata;
}

function fail(message: string): never {
  throw new CorruptMetadataError(`corrupt table metadata: ${message}`);
}

function toBigIntOrFail(v: unknown, what: string): bigint {
  try {
    return toBigInt(v, what);
  } catch {
    return fail(`${what} must be an integer, found ${describe(v)}`);
  }
}

function parseSpec(json: unknown): PartitionSpec {
  if (!isObject(json)) fail('partition spec must be an object');
  const id = int(json['spec-id'], 'spec-id');
  return { 'spec-id': id, fields: parseSpecFields(json.fields, id, false) };
}

function parseSpecFields(json: unknown, specId: number, v1: boolean): PartitionField[] {
  if (!Array.isArray(json)) fail(`partition spec ${specId} has no fields list`);
  return json.map((f, i) => {
    if (!isObject(f)) fail(`partition spec ${specId} field ${i} must be an object`);
    const transform = String(f.transform);
    parseTransform(transform);
    if (typeof f.name !== 'string') fail(`partition spec ${specId} field ${i} has no name`);
    return {
      'source-id': int(f['source-id'], 'source-id'),
      'field-id': f['field-id'] === undefined && v1 ? 1000 + i : int(f['field-id'], 'field-id'),
      name: f.name,
      transform: transformToString(parseTransform(transform)),
    };
  });
}

function parseSortOrder(json: unknown): SortOrder {
  if (!isObject(json) || !Array.isArray(json.fields)) fail('sort order must be an object with fields');
  return {
    'order-id': int(json['order-id'], 'order-id'),
    fields: json.fields.map((f): SortField => {
      if (!isObject(f)) fail('sort field must be an object');
      return {
        transform: transformToString(parseTransform(String(f.transform))),
        'source-id': int(f['source-id'], 'source-id'),
        direction: f.direction === 'desc' ? 'desc' : 'asc',
        'null-order': f['null-order'] === 'nulls-last' ? 'nulls-last' : 'nulls-first',
      };
    }),
  };
}

function parseSnapshot(json: unknown): Snapshot {
  if (!isObject(json)) fail('snapshot must be an object');
  const summaryJson = isObject(json.summary) ? json.summary : {};
  const summary: SnapshotSummary = { operation: 'append' };
  for (const [k, v] of Object.entries(summaryJson)) summary[k] = String(v);
  const op = summary.operation;
  if (op !== 'append' && op !== 'replace' && op !== 'overwrite' && op !== 'delete') fail(`snapshot operation '${op}' is unknown`);
  const s: Snapshot = {
    'snapshot-id': toBigIntOrFail(json['snapshot-id'], 'snapshot-id'),
    'sequence-number': json['sequence-number'] === undefined ? 0 : int(json['sequence-number'], 'sequence-number'),
    'timestamp-ms': int(json['timestamp-ms'], 'timestamp-ms'),
    summary,
  };
  if (json['parent-snapshot-id'] !== undefined && json['parent-snapshot-id'] !== null) {
    s['parent-snapshot-id'] = toBigIntOrFail(json['parent-snapshot-id'], 'parent-snapshot-id');
  }
  if (typeof json['manifest-list'] === 'string') s['manifest-list'] = json['manifest-list'];
  else if (Array.isArray(json.manifests)) s.manifests = json.manifests.map(String);
  else fail(`snapshot ${s['snapshot-id']} has neither a manifest-list nor manifests`);
  if (json['schema-id'] !== undefined) s['schema-id'] = int(json['schema-id'], 'schema-id');
  return s;
}

function parseRef(name: string, json: unknown): SnapshotRef {
  if (!isObject(json)) fail(`ref '${name}' must be an object`);
  const type = json.type;
  if (type !== 'branch' && type !== 'tag') fail(`ref '${name}' has unknown type ${describe(type)}`);
  const r: SnapshotRef = { 'snapshot-id': toBigIntOrFail(json['snapshot-id'], `ref '${name}' snapshot-id`), type };
  for (const k of ['min-snapshots-to-keep', 'max-snapshot-age-ms', 'max-ref-age-ms'] as const) {
    if (json[k] !== undefined && json[k] !== null) r[k] = int(json[k], k);
  }
  return r;
}

function parseSnapshotLog(json: unknown): SnapshotLogEntry {
  if (!isObject(json)) fail('snapshot-log entry must be an object');
  return { 'snapshot-id': toBigIntOrFail(json['snapshot-id'], 'snapshot-log snapshot-id'), 'timestamp-ms': int(json['timestamp-ms'], 'timestamp-ms') };
}

function parseMetadataLog(json: unknown): MetadataLogEntry {
  if (!isObject(json) || typeof json['metadata-file'] !== 'string') fail('metadata-log entry must name a metadata-file');
  return { 'metadata-file': json['metadata-file'], 'timestamp-ms': int(json['timestamp-ms'], 'timestamp-ms') };
}

// ---------------------------------------------------------------------------------------------
// Serialisation

export function serializeTableMetadata(m: TableMetadata): string {
  const out: Record<string, unknown> = {
    'format-version': m['format-version'],
    'table-uuid': m['table-uuid'],
    location: m.location,
  };
  if (m['format-version'] >= 2) out['last-sequence-number'] = m['last-sequence-number'];
  out['last-updated-ms'] = m['last-updated-ms'];
  out['last-column-id'] = m['last-column-id'];
  if (m['format-version'] === 1) {
    out.schema = currentSchema(m);
    out['partition-spec'] = specById(m, m['default-spec-id'])?.fields ?? [];
  }
  out['current-schema-id'] = m['current-schema-id'];
  out.schemas = m.schemas;
  out['default-spec-id'] = m['default-spec-id'];
  out['partition-specs'] = m['partition-specs'];
  out['last-partition-id'] = m['last-partition-id'];
  out['default-sort-order-id'] = m['default-sort-order-id'];
  out['sort-orders'] = m['sort-orders'];
  out.properties = m.properties;
  out['current-snapshot-id'] = m['current-snapshot-id'] ?? (m['format-version'] === 1 ? -1 : null);
  out.refs = m.refs;
  out.snapshots = m.snapshots.map((s) => (m['format-version'] === 1 ? withoutSequence(s) : s));
  if (m.statistics) out.statistics = m.statistics;
  if (m['partition-statistics']) out['partition-statistics'] = m['partition-statistics'];
  out['snapshot-log'] = m['snapshot-log'];
  out['metadata-log'] = m['metadata-log'];
  if (m['next-row-id'] !== undefined) out['next-row-id'] = m['next-row-id'];
  return stringifyJson(out, 2);
}

function withoutSequence(s: Snapshot): Omit<Snapshot, 'sequence-number'> {
  const { 'sequence-number': _seq, ...rest } = s;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Construction

export interface NewTableOptions {
  schema: Schema;
  spec?: PartitionSpec;
  sortOrder?: SortOrder;
  location: string;
  properties?: Record<string, string>;
  formatVersion?: FormatVersion;
}

/** Metadata of a new, empty table. Ids in the schema and spec are kept as given. */
export function newTableMetadata(options: NewTableOptions): TableMetadata {
  const schema: Schema = { ...options.schema, 'schema-id': 0 };
  const spec: PartitionSpec = { 'spec-id': 0, fields: options.spec?.fields ?? [] };
  const sortOrder: SortOrder = options.sortOrder && options.sortOrder.fields.length > 0 ? { ...options.sortOrder, 'order-id': 1 } : UNSORTED_ORDER;
  const properties = { ...(options.properties ?? {}) };
  const version = options.formatVersion ?? 2;
  delete properties['format-version'];
  return {
    'format-version': version,
    'table-uuid': randomUUID(),
    location: options.location.replace(/\/+$/, ''),
    'last-sequence-number': 0,
    'last-updated-ms': Date.now(),
    'last-column-id': maxFieldId(schema),
    schemas: [schema],
    'current-schema-id': 0,
    'partition-specs': [spec],
    'default-spec-id': 0,
    'last-partition-id': spec.fields.reduce((a, f) => Math.max(a, f['field-id']), 999),
    properties,
    snapshots: [],
    'snapshot-log': [],
    'metadata-log': [],
    'sort-orders': sortOrder.fields.length > 0 ? [UNSORTED_ORDER, sortOrder] : [UNSORTED_ORDER],
    'default-sort-order-id': sortOrder['order-id'],
    refs: {},
  };
}

/** A fresh positive 63-bit snapshot id. */
export function newSnapshotId(): bigint {
  const b = randomBytes(8);
  b[0] &= 0x7f;
  const id = b.readBigInt64BE(0);
  return id === 0n ? 1n : id;
}

/** Records the previous metadata file in the metadata log, keeping the newest `max` entries. */
export function withMetadataLog(m: TableMetadata, previous: { location: string; timestampMs: number } | null): TableMetadata {
  if (!previous) return m;
  const max = Number(m.properties['write.metadata.previous-versions-max'] ?? 100);
  const log = [...m['metadata-log'], { 'metadata-file': previous.location, 'timestamp-ms': previous.timestampMs }];
  return { ...m, 'metadata-log': log.slice(Math.max(0, log.length - Math.max(1, max))) };
}

// ---------------------------------------------------------------------------------------------
// Lookups

export function schemaById(m: TableMetadata, id: number): Schema | undefined {
  return m.schemas.find((s) => s['schema-id'] === id);
}

export function currentSchema(m: TableMetadata): Schema {
  const s = schemaById(m, m['current-schema-id']);
  if (!s) throw new CorruptMetadataError(`current schema ${m['current-schema-id']} is missing`);
  return s;
}

export function specById(m: TableMetadata, id: number): PartitionSpec | undefined {
  return m['partition-specs'].find((s) => s['spec-id'] === id);
}

export function defaultSpec(m: TableMetadata): PartitionSpec {
  const s = specById(m, m['default-spec-id']);
  if (!s) throw new CorruptMetadataError(`default partition spec ${m['default-spec-id']} is missing`);
  return s;
}

export function sortOrderById(m: TableMetadata, id: number): SortOrder | undefined {
  return m['sort-orders'].find((s) => s['order-id'] === id);
}

export function snapshotById(m: TableMetadata, id: bigint): Snapshot | undefined {
  return m.snapshots.find((s) => s['snapshot-id'] === id);
}

export function currentSnapshot(m: TableMetadata): Snapshot | undefined {
  const id = m.refs[MAIN_BRANCH]?.['snapshot-id'] ?? m['current-snapshot-id'];
  return id === undefined ? undefined : snapshotById(m, id);
}

/** The snapshot a branch or tag points at; `main` is the current snapshot. */
export function snapshotForRef(m: TableMetadata, name: string): Snapshot | undefined {
  if (name === MAIN_BRANCH) return currentSnapshot(m);
  const ref = m.refs[name];
  return ref ? snapshotById(m, ref['snapshot-id']) : undefined;
}

/** The schema a snapshot was written with (its `schema-id`), else the current schema. */
export function schemaForSnapshot(m: TableMetadata, s: Snapshot): Schema {
  return (s['schema-id'] !== undefined ? schemaById(m, s['schema-id']) : undefined) ?? currentSchema(m);
}

/**
 * The snapshot that was current at `timestampMs` (the last snapshot-log entry at or before it),
 * NotFoundError when the table had no snapshot then.
 */
export function snapshotAsOf(m: TableMetadata, timestampMs: number): Snapshot {
  let found: bigint | undefined;
  const log = m['snapshot-log'].length > 0 ? m['snapshot-log'] : m.snapshots.map((s) => ({ 'snapshot-id': s['snapshot-id'], 'timestamp-ms': s['timestamp-ms'] }));
  for (const e of log) if (e['timestamp-ms'] <= timestampMs) found = e['snapshot-id'];
  const s = found === undefined ? undefined : snapshotById(m, found);
  if (!s) throw new NotFoundError(`table has no snapshot at or before ${new Date(timestampMs).toISOString()}`);
  return s;
}

/** The snapshot and its ancestors, newest first, as far as they are still in the metadata. */
export function ancestorsOf(m: TableMetadata, snapshotId: bigint): Snapshot[] {
  const byId = new Map(m.snapshots.map((s) => [s['snapshot-id'], s]));
  const out: Snapshot[] = [];
  let cur = byId.get(snapshotId);
  const seen = new Set<bigint>();
  while (cur && !seen.has(cur['snapshot-id'])) {
    seen.add(cur['snapshot-id']);
    out.push(cur);
    const parent = cur['parent-snapshot-id'];
    cur = parent === undefined ? undefined : byId.get(parent);
  }
  return out;
}
