import { ValidationError } from '../errors.js';
import { maxFieldId } from './schema.js';
import type { PartitionSpec, Schema, SortOrder, TableMetadata, TableUpdate } from './types.js';
import { MAIN_BRANCH } from './types.js';

/**
 * Applies REST-style table updates to metadata, purely (spec: REST catalog "TableUpdate").
 * `-1` as a schema, spec or sort-order id means "the one added last in these updates".
 * Invalid updates (unknown ids, snapshots that do not exist) are ValidationErrors.
 */
export function applyUpdates(base: TableMetadata, updates: TableUpdate[], now = Date.now()): TableMetadata {
  const m: TableMetadata = {
    ...base,
    schemas: [...base.schemas],
    'partition-specs': [...base['partition-specs']],
    'sort-orders': [...base['sort-orders']],
    snapshots: [...base.snapshots],
    'snapshot-log': [...base['snapshot-log']],
    'metadata-log': [...base['metadata-log']],
    refs: { ...base.refs },
    properties: { ...base.properties },
  };
  let lastSchema: number | undefined;
  let lastSpec: number | undefined;
  let lastOrder: number | undefined;
  let touchedSnapshots = false;

  for (const u of updates) {
    switch (u.action) {
      case 'assign-uuid':
        if (base['table-uuid'] && base['table-uuid'] !== u.uuid && base.snapshots.length > 0) {
          throw new ValidationError(`cannot reassign the uuid of table ${base['table-uuid']}`);
        }
        m['table-uuid'] = u.uuid;
        break;
      case 'upgrade-format-version':
        if (u['format-version'] < m['format-version']) {
          throw new ValidationError(`cannot downgrade format-version ${m['format-version']} to ${u['format-version']}`);
        }
        m['format-version'] = u['format-version'];
        break;
      case 'add-schema': {
        const same = m.schemas.find((s) => sameFields(s, u.schema));
        if (same) {
          lastSchema = same['schema-id'];
          break;
        }
        const id = m.schemas.reduce((a, s) => Math.max(a, s['schema-id']), -1) + 1;
        const schema: Schema = { ...u.schema, 'schema-id': id };
        m.schemas.push(schema);
        m['last-column-id'] = Math.max(m['last-column-id'], u['last-column-id'] ?? 0, maxFieldId(schema));
        lastSchema = id;
        break;
      }
      case 'set-current-schema': {
        const id = u['schema-id'] === -1 ? lastSchema : u['schema-id'];
        if (id === undefined || !m.schemas.some((s) => s['schema-id'] === id)) {
          throw new ValidationError(`cannot set current schema: schema ${u['schema-id']} does not exist`);
        }
        m['current-schema-id'] = id;
        break;
      }
      case 'add-spec': {
        const same = m['partition-specs'].find((s) => sameSpecFields(s, u.spec));
        if (same) {
          lastSpec = same['spec-id'];
          break;
        }
        const id = m['partition-specs'].reduce((a, s) => Math.max(a, s['spec-id']), -1) + 1;
        const spec: PartitionSpec = { ...u.spec, 'spec-id': id };
        m['partition-specs'].push(spec);
        m['last-partition-id'] = Math.max(m['last-partition-id'], ...spec.fields.map((f) => f['field-id']));
        lastSpec = id;
        break;
      }
      case 'set-default-spec': {
        const id = u['spec-id'] === -1 ? lastSpec : u['spec-id'];
        if (id === undefined || !m['partition-specs'].some((s) => s['spec-id'] === id)) {
          throw new ValidationError(`cannot set default spec: spec ${u['spec-id']} does not exist`);
        }
        m['default-spec-id'] = id;
        break;
      }
      case 'add-sort-order': {
        const same = m['sort-orders'].find((o) => sameOrderFields(o, u['sort-order']));
        if (same) {
          lastOrder = same['order-id'];
          break;
        }
        const id = u['sort-order'].fields.length === 0 ? 0 : m['sort-orders'].reduce((a, o) => Math.max(a, o['order-id']), 0) + 1;
        const order: SortOrder = { ...u['sort-order'], 'order-id': id };
        m['sort-orders'].push(order);
        lastOrder = id;
        break;
      }
      case 'set-default-sort-order': {
        const id = u['sort-order-id'] === -1 ? lastOrder : u['sort-order-id'];
        if (id === undefined || !m['sort-orders'].some((o) => o['order-id'] === id)) {
          throw new ValidationError(`cannot set default sort order: order ${u['sort-order-id']} does not exist`);
        }
        m['default-sort-order-id'] = id;
        break;
      }
      case 'add-snapshot': {
        const s = u.snapshot;
        if (m.snapshots.some((x) => x['snapshot-id'] === s['snapshot-id'])) {
          throw new ValidationError(`snapshot ${s['snapshot-id']} already exists`);
        }
        if (m['format-version'] >= 2 && s['sequence-number'] <= m['last-sequence-number'] && m.snapshots.length > 0) {
          throw new ValidationError(
            `snapshot ${s['snapshot-id']} has sequence number ${s['sequence-number']}, not above the table's ${m['last-sequence-number']}`,
          );
        }
        m.snapshots.push(s);
        m['last-sequence-number'] = Math.max(m['last-sequence-number'], s['sequence-number']);
        m['last-updated-ms'] = s['timestamp-ms'];
        touchedSnapshots = true;
        break;
      }
      case 'set-snapshot-ref': {
        const s = m.snapshots.find((x) => x['snapshot-id'] === u['snapshot-id']);
        if (!s) throw new ValidationError(`cannot set ref '${u['ref-name']}': snapshot ${u['snapshot-id']} does not exist`);
        const existing = m.refs[u['ref-name']];
        if (existing && existing.type !== u.type) {
          throw new ValidationError(`ref '${u['ref-name']}' is a ${existing.type}, not a ${u.type}`);
        }
        if (u['ref-name'] === MAIN_BRANCH && u.type !== 'branch') throw new ValidationError(`'main' must be a branch`);
        const ref: TableMetadata['refs'][string] = { 'snapshot-id': u['snapshot-id'], type: u.type };
        if (u['min-snapshots-to-keep'] !== undefined) ref['min-snapshots-to-keep'] = u['min-snapshots-to-keep'];
        if (u['max-snapshot-age-ms'] !== undefined) ref['max-snapshot-age-ms'] = u['max-snapshot-age-ms'];
        if (u['max-ref-age-ms'] !== undefined) ref['max-ref-age-ms'] = u['max-ref-age-ms'];
        m.refs[u['ref-name']] = ref;
        if (u['ref-name'] === MAIN_BRANCH) {
          m['current-snapshot-id'] = u['snapshot-id'];
          m['snapshot-log'].push({ 'snapshot-id': u['snapshot-id'], 'timestamp-ms': touchedSnapshots ? s['timestamp-ms'] : now });
        }
        break;
      }
      case 'remove-snapshots': {
        const drop = new Set(u['snapshot-ids']);
        m.snapshots = m.snapshots.filter((s) => !drop.has(s['snapshot-id']));
        for (const [name, r] of Object.entries(m.refs)) if (drop.has(r['snapshot-id'])) delete m.refs[name];
        if (m['current-snapshot-id'] !== undefined && drop.has(m['current-snapshot-id'])) delete m['current-snapshot-id'];
        m['snapshot-log'] = m['snapshot-log'].filter((e) => !drop.has(e['snapshot-id']));
        // Statistics describe one snapshot and go with it (as Java's TableMetadata builder does).
        for (const key of ['statistics', 'partition-statistics'] as const) {
          const kept = m[key]?.filter((st) => !drop.has(statisticsSnapshotId(st) ?? -1n));
          if (kept) m[key] = kept;
        }
        break;
      }
      case 'remove-snapshot-ref':
        delete m.refs[u['ref-name']];
        if (u['ref-name'] === MAIN_BRANCH) delete m['current-snapshot-id'];
        break;
      case 'set-location':
        m.location = u.location.replace(/\/+$/, '');
        break;
      case 'set-properties':
        Object.assign(m.properties, u.updates);
        break;
      case 'remove-properties':
        for (const k of u.removals) delete m.properties[k];
        break;
      case 'remove-partition-specs':
        if (u['spec-ids'].includes(m['default-spec-id'])) throw new ValidationError('cannot remove the default partition spec');
        m['partition-specs'] = m['partition-specs'].filter((s) => !u['spec-ids'].includes(s['spec-id']));
        break;
      case 'remove-schemas':
        if (u['schema-ids'].includes(m['current-schema-id'])) throw new ValidationError('cannot remove the current schema');
        m.schemas = m.schemas.filter((s) => !u['schema-ids'].includes(s['schema-id']));
        break;
      case 'set-statistics':
      case 'set-partition-statistics': {
        const key = u.action === 'set-statistics' ? 'statistics' : 'partition-statistics';
        const entry = u.action === 'set-statistics' ? u.statistics : u['partition-statistics'];
        if (!m.snapshots.some((s) => s['snapshot-id'] === entry['snapshot-id'])) {
          throw new ValidationError(`cannot set ${key} of snapshot ${entry['snapshot-id']}: it does not exist`);
        }
        m[key] = [...(m[key] ?? []).filter((st) => statisticsSnapshotId(st) !== entry['snapshot-id']), entry];
        break;
      }
      case 'remove-statistics':
      case 'remove-partition-statistics': {
        const key = u.action === 'remove-statistics' ? 'statistics' : 'partition-statistics';
        const kept = m[key]?.filter((st) => statisticsSnapshotId(st) !== u['snapshot-id']);
        if (kept) m[key] = kept;
        break;
      }
      default: {
        const never: never = u;
        throw new ValidationError(`unknown table update ${JSON.stringify(never)}`);
      }
    }
  }
  if (!touchedSnapshots) m['last-updated-ms'] = Math.max(now, base['last-updated-ms']);
  return m;
}

function sameFields(a: Schema, b: Schema): boolean {
  return (
    JSON.stringify(a.fields) === JSON.stringify(b.fields) &&
    JSON.stringify(a['identifier-field-ids'] ?? []) === JSON.stringify(b['identifier-field-ids'] ?? [])
  );
}

function sameSpecFields(a: PartitionSpec, b: PartitionSpec): boolean {
  return JSON.stringify(a.fields) === JSON.stringify(b.fields);
}

function sameOrderFields(a: SortOrder, b: SortOrder): boolean {
  return JSON.stringify(a.fields) === JSON.stringify(b.fields);
}

/** The `snapshot-id` of a statistics or partition-statistics entry (spec: "Table Statistics"), if it has one. */
export function statisticsSnapshotId(entry: unknown): bigint | undefined {
  const id = (entry as { 'snapshot-id'?: unknown } | null)?.['snapshot-id'];
  if (typeof id === 'bigint') return id;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return BigInt(id);
  return undefined;
}

/** The `statistics-path` of a statistics or partition-statistics entry, if it has one. */
export function statisticsPath(entry: unknown): string | undefined {
  const path = (entry as { 'statistics-path'?: unknown } | null)?.['statistics-path'];
  return typeof path === 'string' ? path : undefined;
}
