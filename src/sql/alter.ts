import { ValidationError, NotFoundError } from '../errors.js';
import { duckdbType } from '../engine/types.js';
import { defaultSpec } from '../spec/metadata.js';
import { isPrimitive } from '../spec/schema.js';
import { parseTransform } from '../spec/transforms.js';
import type { IcebergType, PartitionField, PartitionSpec, Schema, SortField, TableMetadata } from '../spec/types.js';
import { MAIN_BRANCH } from '../spec/types.js';
import { coerceValue, toJsonValue } from '../spec/values.js';
import { addColumns, dropColumn, renameColumn, setIdentifierFields, updateColumn, type NewColumn } from '../table/update-schema.js';
import type { AlterAction, PartitionTerm, Statement } from './ast.js';
import type { SqlSession, StatementResult } from './session.js';
import { partitionFieldName, transformName } from './statements.js';
import { icebergTypeOf } from './types.js';

/** ALTER TABLE: schema, partition and sort evolution, properties, branches and tags, rename. */
export async function alterTable(session: SqlSession, stmt: Extract<Statement, { kind: 'alterTable' }>): Promise<StatementResult> {
  const table = await session.loadTable(stmt.name);
  const a: AlterAction = stmt.action;
  const tx = table.newTransaction();
  const done = (message: string): StatementResult => ({ statement: 'alterTable', message, columns: [], rows: [], scans: [] });
  switch (a.type) {
    case 'addColumns': {
      const cols: NewColumn[] = [];
      for (const c of a.columns) {
        let n = 0;
        const type = icebergTypeOf(c.type, () => ++n);
        cols.push({
          path: c.name,
          type,
          required: c.notNull,
          ...(c.comment !== undefined ? { doc: c.comment } : {}),
          ...(c.default !== undefined ? { defaultValue: await defaultJson(session, type, c.default, c.name) } : {}),
          ...(c.first ? { first: true } : {}),
          ...(c.after !== undefined ? { after: c.after } : {}),
        });
      }
      tx.updateSchema((s, m) => addColumns(s, m['last-column-id'], cols).schema);
      await tx.commit();
      return done(`added ${cols.map((c) => c.path).join(', ')} to ${table.name}`);
    }
    case 'dropColumn': {
      const exists = (s: Schema): boolean => {
        try {
          dropColumn(s, a.column, new Map());
          return true;
        } catch {
          return false;
        }
      };
      if (a.ifExists && !exists(table.schema())) return done(`column ${a.column} does not exist`);
      tx.updateSchema((s, m) => dropColumn(s, a.column, protectedColumns(m)));
      await tx.commit();
      return done(`dropped column ${a.column} of ${table.name}`);
    }
    case 'renameColumn':
      tx.updateSchema((s) => renameColumn(s, a.from, a.to));
      await tx.commit();
      return done(`renamed column ${a.from} to ${a.to} in ${table.name}`);
    case 'alterColumn': {
      let n = 0;
      const newType = a.newType ? icebergTypeOf(a.newType, () => ++n) : undefined;
      tx.updateSchema((s, m) =>
        updateColumn(s, a.column, {
          formatVersion: m['format-version'],
          ...(newType !== undefined ? { newType } : {}),
          ...(a.notNull !== undefined ? { required: a.notNull } : {}),
          ...(a.comment !== undefined ? { doc: a.comment } : {}),
          ...(a.first ? { first: true } : {}),
          ...(a.after !== undefined ? { after: a.after } : {}),
        }),
      );
      await tx.commit();
      return done(`altered column ${a.column} of ${table.name}`);
    }
    case 'setIdentifierFields':
    case 'dropIdentifierFields':
      tx.updateSchema((s) => {
        const current = new Set(s['identifier-field-ids'] ?? []);
        if (a.type === 'setIdentifierFields') return setIdentifierFields(s, a.columns);
        const drop = setIdentifierFields({ ...s, fields: s.fields.map((f) => ({ ...f, required: true })) }, a.columns)['identifier-field-ids'] ?? [];
        return { ...s, 'identifier-field-ids': [...current].filter((id) => !drop.includes(id)) };
      });
      await tx.commit();
      return done(`updated identifier fields of ${table.name}`);
    case 'setProperties':
      if ('format-version' in a.properties) {
        const v = Number(a.properties['format-version']);
        tx.apply(() => ({ updates: [{ action: 'upgrade-format-version', 'format-version': v === 1 || v === 2 || v === 3 ? v : 2 }] }));
        delete a.properties['format-version'];
      }
      tx.setProperties(a.properties);
      await tx.commit();
      return done(`set ${Object.keys(a.properties).length} propert${Object.keys(a.properties).length === 1 ? 'y' : 'ies'} of ${table.name}`);
    case 'unsetProperties': {
      const missing = a.keys.filter((k) => !(k in table.properties));
      if (missing.length > 0 && !a.ifExists) throw new ValidationError(`propert${missing.length === 1 ? 'y' : 'ies'} ${missing.join(', ')} not set on ${table.name}`);
      tx.removeProperties(a.keys);
      await tx.commit();
      return done(`removed properties ${a.keys.join(', ')} of ${table.name}`);
    }
    case 'addPartitionField':
    case 'dropPartitionField':
    case 'replacePartitionField':
      tx.updateSpec((spec, m) => evolveSpec(spec, m, a));
      await tx.commit();
      return done(`changed the partitioning of ${table.name}`);
    case 'writeOrderedBy':
    case 'writeUnordered': {
      const schema = table.schema();
      const fields: SortField[] =
        a.type === 'writeUnordered'
          ? []
          : a.fields.map((f) => ({
              transform: transformName(f.term),
              'source-id': sourceOf(schema, f.term).id,
              direction: f.direction,
              'null-order': f.nullOrder,
            }));
      tx.replaceSortOrder({ 'order-id': 0, fields });
      await tx.commit();
      return done(`${table.name} is now written ${fields.length === 0 ? 'unordered' : 'ordered'}`);
    }
    case 'createRef': {
      const existing = table.metadata.refs[a.name];
      if (existing && a.ifNotExists) return done(`${a.refType} ${a.name} already exists`);
      if (existing && !a.orReplace) throw new ValidationError(`${existing.type} '${a.name}' already exists on ${table.name}`);
      if (existing && existing.type !== a.refType) throw new ValidationError(`'${a.name}' is a ${existing.type}, not a ${a.refType}`);
      if (a.name === MAIN_BRANCH) throw new ValidationError(`'main' is the table's main branch`);
      // spec: min-snapshots-to-keep and max-snapshot-age-ms apply to branches only.
      if (a.refType === 'tag' && (a.minSnapshotsToKeep !== undefined || a.maxSnapshotAgeMs !== undefined)) {
        throw new ValidationError(`tag '${a.name}': snapshot retention applies to branches only (a tag keeps one snapshot)`);
      }
      const snapshotId = a.snapshotId !== undefined ? BigInt(a.snapshotId) : table.currentSnapshot()?.['snapshot-id'];
      if (snapshotId === undefined) throw new ValidationError(`${table.name} has no snapshot to ${a.refType}`);
      if (!table.metadata.snapshots.some((s) => s['snapshot-id'] === snapshotId)) throw new NotFoundError(`snapshot ${snapshotId} does not exist in ${table.name}`);
      tx.apply(() => ({
        requirements: [{ type: 'assert-ref-snapshot-id', ref: a.name, 'snapshot-id': existing ? existing['snapshot-id'] : null }],
        updates: [
          {
            action: 'set-snapshot-ref',
            'ref-name': a.name,
            type: a.refType,
            'snapshot-id': snapshotId,
            ...(a.retainMs !== undefined ? { 'max-ref-age-ms': a.retainMs } : {}),
            ...(a.minSnapshotsToKeep !== undefined ? { 'min-snapshots-to-keep': a.minSnapshotsToKeep } : {}),
            ...(a.maxSnapshotAgeMs !== undefined ? { 'max-snapshot-age-ms': a.maxSnapshotAgeMs } : {}),
          },
        ],
      }));
      await tx.commit();
      return done(`created ${a.refType} ${a.name} of ${table.name} at snapshot ${snapshotId}`);
    }
    case 'dropRef': {
      const existing = table.metadata.refs[a.name];
      if (!existing) {
        if (a.ifExists) return done(`${a.refType} ${a.name} does not exist`);
        throw new NotFoundError(`${a.refType} '${a.name}' does not exist on ${table.name}`);
      }
      if (existing.type !== a.refType) throw new ValidationError(`'${a.name}' is a ${existing.type}, not a ${a.refType}`);
      if (a.name === MAIN_BRANCH) throw new ValidationError('the main branch cannot be dropped');
      tx.apply(() => ({ updates: [{ action: 'remove-snapshot-ref', 'ref-name': a.name }] }));
      await tx.commit();
      return done(`dropped ${a.refType} ${a.name} of ${table.name}`);
    }
    case 'renameTable': {
      const to = session.identifier(a.to);
      await session.context.catalog.renameTable(table.identifier, to);
      return done(`renamed ${table.name} to ${[...to.namespace, to.name].join('.')}`);
    }
    default: {
      const never: never = a;
      throw new ValidationError(`unknown ALTER TABLE action ${JSON.stringify(never)}`);
    }
  }
}

/** Columns the current spec partitions by or the sort order sorts by cannot be dropped. */
function protectedColumns(m: TableMetadata): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of defaultSpec(m).fields) if (f.transform !== 'void') out.set(f['source-id'], `the current partition spec uses it (field ${f.name}); drop the partition field first`);
  const order = m['sort-orders'].find((o) => o['order-id'] === m['default-sort-order-id']);
  for (const f of order?.fields ?? []) out.set(f['source-id'], 'the table is sorted by it; change the write order first');
  return out;
}

function sourceOf(schema: Schema, term: PartitionTerm): { id: number; name: string } {
  const f = schema.fields.find((x) => x.name.toLowerCase() === term.column.toLowerCase());
  if (!f) throw new ValidationError(`column '${term.column}' does not exist`);
  if (!isPrimitive(f.type)) throw new ValidationError(`column '${term.column}' is not a primitive column`);
  return f;
}

function matches(f: PartitionField, schema: Schema, term: PartitionTerm): boolean {
  const source = schema.fields.find((x) => x.name.toLowerCase() === term.column.toLowerCase());
  if (term.transform === 'identity' && f.name.toLowerCase() === term.column.toLowerCase()) return true;
  return source !== undefined && f['source-id'] === source.id && f.transform === transformName(term);
}

/** Partition evolution (Spark syntax): old files keep their spec; new writes use the new one. */
function evolveSpec(spec: PartitionSpec, m: TableMetadata, a: Extract<AlterAction, { type: 'addPartitionField' | 'dropPartitionField' | 'replacePartitionField' }>): PartitionSpec {
  const schema = m.schemas.find((s) => s['schema-id'] === m['current-schema-id'])!;
  let fields = [...spec.fields];
  let lastId = m['last-partition-id'];
  const drop = (term: PartitionTerm): void => {
    const i = fields.findIndex((f) => matches(f, schema, term));
    if (i < 0) throw new ValidationError(`the table is not partitioned by ${describeTerm(term)}`);
    if (m['format-version'] === 1) fields[i] = { ...fields[i]!, transform: 'void' };
    else fields = fields.filter((_, k) => k !== i);
  };
  const add = (term: PartitionTerm, name?: string): void => {
    const source = sourceOf(schema, term);
    const transform = transformName(term);
    parseTransform(transform);
    if (fields.some((f) => f['source-id'] === source.id && f.transform === transform)) throw new ValidationError(`the table is already partitioned by ${describeTerm(term)}`);
    const fieldName = name ?? partitionFieldName({ ...term, column: source.name });
    if (fields.some((f) => f.name === fieldName) || schema.fields.some((c) => c.name === fieldName && term.transform !== 'identity')) {
      throw new ValidationError(`partition field name '${fieldName}' is already used`);
    }
    fields.push({ 'source-id': source.id, 'field-id': ++lastId, name: fieldName, transform });
  };
  if (a.type === 'addPartitionField') add(a.term, a.name);
  else if (a.type === 'dropPartitionField') drop(a.term);
  else {
    drop(a.from);
    add(a.to, a.name);
  }
  return { 'spec-id': 0, fields };
}

function describeTerm(t: PartitionTerm): string {
  return t.transform === 'identity' ? t.column : `${t.transform}(${t.param !== undefined ? `${t.param}, ` : ''}${t.column})`;
}

/** Evaluates a DEFAULT expression with DuckDB and returns it in the spec's JSON single-value form. */
async function defaultJson(session: SqlSession, type: IcebergType, sql: string, column: string): Promise<unknown> {
  if (!isPrimitive(type)) throw new ValidationError(`column '${column}': DEFAULT is only supported for primitive types`);
  const r = await session.context.engine.query(`SELECT CAST((${sql}) AS ${duckdbType(type)})`);
  const v = r.rows[0]?.[0];
  if (v === null || v === undefined) return null;
  return toJsonValue(type, coerceValue(type, v instanceof Uint8Array ? v : typeof v === 'object' ? String(v) : v));
}
