import { mapBounded } from '../io/bounded.js';
import type { FileIO } from '../io/file-io.js';
import { FileContent } from '../manifest/types.js';
import { fromJsonValue } from '../spec/values.js';
import type { NestedField, PartitionSpec, Schema } from '../spec/types.js';
import { isPrimitive } from '../spec/schema.js';
import type { FileScanTask } from '../table/scan.js';
import type { PathResolver } from '../table/manifest-reader.js';
import { quoteIdent, quoteString, type DuckDBEngine } from './duckdb.js';
import { KEEP_COLUMN, PositionDeleteCache, type CachedPositions, type DeletedPositionsRequest } from './position-delete-cache.js';
import { holdsStruct, nestedRead, parquetLayouts, type NestedRead } from './nested-projection.js';
import { duckdbType, sqlLiteral } from './types.js';

/** A LIMIT no relation reaches (BIGINT's maximum). */
const NO_LIMIT = '9223372036854775807';

/** Files made local at once before a scan (downloads when storage is remote). */
const LOCAL_PATH_CONCURRENCY = 8;

/** Extra columns of a scan with row ids: the data file's path as stored, and the row's position. */
export const ROW_FILE = '__floe_file';
export const ROW_POS = '__floe_pos';

export { POS_FILE_PATH_ID, POS_POS_ID } from './position-delete-cache.js';

/**
 * Builds the DuckDB SELECT that reads planned tasks as the table's rows.
 * Columns are matched by Iceberg field id (read_parquet's `schema` map), so renamed columns read
 * their data and dropped-then-re-added columns never read the old data; a column missing from a
 * file reads as its `initial-default` or NULL. Deletes are anti-joins: position deletes on
 * (file, row number), equality deletes on the equality columns, both gated by sequence numbers.
 * Position deletes come from the engine's PositionDeleteCache (each delete set read once); a full
 * scan (`fullScan`) applies them by keep masks instead, without a hash probe per row.
 */
export async function scanSql(
  schema: Schema,
  tasks: FileScanTask[],
  io: FileIO,
  resolve: PathResolver,
  options: {
    rowIds?: boolean;
    specs?: PartitionSpec[];
    engine: DuckDBEngine;
    /** Every schema of the table: nested columns no schema ever changed skip the per-file footer read. */
    schemas?: Schema[];
    /**
     * The query filters no column of this table (nothing DuckDB could push into the Parquet
     * reader): position deletes may then be applied by keep masks (see below).
     */
    fullScan?: boolean;
  },
): Promise<string> {
  const columns = schema.fields;
  const rowIds = options.rowIds === true;
  if (tasks.length === 0) {
    const nulls = columns.map((f) => `${sqlLiteral(f.type, null)} AS ${quoteIdent(f.name)}`);
    if (rowIds) nulls.push(`CAST(NULL AS VARCHAR) AS ${ROW_FILE}`, `CAST(NULL AS BIGINT) AS ${ROW_POS}`);
    return `SELECT ${nulls.join(', ') || '1 AS "_"'} WHERE false`;
  }
  // Position deletes are read through the engine's cache (loaded once, see
  // position-delete-cache.ts): their files are made local only when not loaded yet.
  const cache = PositionDeleteCache.of(options.engine);
  const paths = new Set<string>();
  for (const t of tasks) {
    paths.add(t.file.file_path);
    for (const d of t.deletes) if (d.file.content !== FileContent.PositionDeletes) paths.add(d.file.file_path);
  }
  // Remote storage downloads into a cache: fetch several files at once.
  const local = new Map<string, string>();
  await mapBounded([...paths], LOCAL_PATH_CONCURRENCY, async (p) => void local.set(p, await io.localPath(resolve(p))));
  const present = await presentFieldIds(options.engine, columns, tasks, options.specs ?? [], local);
  // Columns holding structs are read in each file's own nested names (see nested-projection.ts).
  const evolved = columns.filter((c) => holdsStruct(c.type) && !nestedStable(c, options.schemas));
  const layouts =
    evolved.length > 0 ? await parquetLayouts(options.engine, [...new Set(tasks.map((t) => local.get(t.file.file_path)!))]) : undefined;
  const nestedOf = (t: FileScanTask): Map<number, NestedRead> => {
    const out = new Map<number, NestedRead>();
    const top = layouts?.get(local.get(t.file.file_path)!);
    if (!top) return out;
    for (const c of evolved) {
      const node = top.find((n) => n.fieldId === c.id);
      if (node) out.set(c.id, nestedRead(c, node));
    }
    return out;
  };
  // Files with deletes are read apart from files without: only their rows pay for the delete
  // filters (and for DuckDB's file_row_number, unless row ids are asked for).
  const groups = identityGroups(columns, tasks, options.specs ?? [], present, nestedOf).flatMap((g) =>
    [true, false]
      .map((dirty) => ({ ...g, dirty, tasks: g.tasks.filter((t) => (t.deletes.length > 0) === dirty) }))
      .filter((x) => x.tasks.length > 0),
  );
  // Each data file is known to the delete filters by one slot number: its group's offset plus its
  // index in that group's read_parquet list (DuckDB's file_index).
  const slot = new Map<string, number>();
  const offsets: number[] = [];
  let next = 0;
  for (const g of groups) {
    offsets.push(next);
    for (const t of g.tasks) slot.set(t.file.file_path, next++);
  }
  const readGroup = (g: (typeof groups)[number], gi: number, withIds: boolean, files: string[], alias = ''): string => {
    const ids = withIds ? `, (file_index + ${offsets[gi]})::UBIGINT AS __slot, file_row_number AS __rn` : '';
    const rewrites = [...g.nested.values()].some((n) => n.readType === null || n.rebuild !== null);
    const list = rewrites
      ? columns
          .map((c) => {
            const n = g.nested.get(c.id);
            if (n?.readType === null) return `${sqlLiteral(c.type, null)} AS ${quoteIdent(c.name)}`;
            return n?.rebuild ? `${n.rebuild(`${alias}${quoteIdent(c.name)}`)} AS ${quoteIdent(c.name)}` : `${alias}${quoteIdent(c.name)}`;
          })
          .join(', ')
      : `${alias}*`;
    return `SELECT ${list}${ids} FROM read_parquet([${files.map(quoteString).join(', ')}], schema = ${schemaMapOption(columns, g.defaults, g.nested)})`;
  };
  const localOf = (t: FileScanTask): string => local.get(t.file.file_path)!;
  const readData = (withIds: boolean, dirty: boolean): string =>
    groups
      .map((g, gi) => (g.dirty === dirty ? readGroup(g, gi, withIds, g.tasks.map(localOf)) : undefined))
      .filter((x) => x !== undefined)
      .join(' UNION ALL ');
  const withDeletes = groups.some((g) => g.dirty);
  const withoutDeletes = groups.some((g) => !g.dirty);
  if (!withDeletes && !rowIds) {
    return `SELECT ${columns.map((f) => quoteIdent(f.name)).join(', ')} FROM (${readData(false, false)})`;
  }
  // A row's data file as stored in metadata: the slot indexes a constant list (1-based), no join.
  const slotPaths: string[] = [];
  for (const [path, i] of slot) slotPaths[i] = quoteString(path);
  const selectFrom = (alias: string): string =>
    columns.map((f) => `${alias}.${quoteIdent(f.name)}`).join(', ') +
    (rowIds ? `, ([${slotPaths.join(', ')}])[(${alias}.__slot + 1)::BIGINT] AS ${ROW_FILE}, ${alias}.__rn AS ${ROW_POS}` : '');
  const clean = withoutDeletes ? `SELECT ${selectFrom('__clean')} FROM (${readData(rowIds, false)}) AS __clean` : undefined;
  if (!withDeletes) return clean!;

  // A full scan of files with only position deletes reads each such file POSITIONAL JOIN its keep
  // mask (position-delete-cache.ts): a mask row per data row, no hash probe. Filters above a
  // positional join do not reach the Parquet reader (row groups would no longer be skipped by
  // their statistics), hence full scans only; and a positional join reads its file on one thread,
  // hence only when there are at least as many such files as DuckDB has threads. The mask is read
  // through a LIMIT that never binds: DuckDB then joins the file's rows, as the Parquet reader
  // emits them, to the (materialised) mask, instead of scanning both in lockstep, which copies
  // every data column whenever the file's row groups do not end on DuckDB's 2048-row chunks.
  const positional = tasks.filter((t) => t.deletes.length > 0);
  if (
    options.fullScan === true &&
    !rowIds &&
    positional.every((t) => t.deletes.every((d) => d.file.content === FileContent.PositionDeletes)) &&
    positional.length >= (await options.engine.threads())
  ) {
    const masks = await cache.keepMasksOf(
      positional.map((t) => ({ ...positionRequest(t, resolve), localData: localOf(t) })),
      (location) => io.localPath(location),
      LOCAL_PATH_CONCURRENCY,
    );
    if (masks.every((m) => m !== undefined)) {
      const maskOf = new Map(positional.map((t, i) => [t.file.file_path, masks[i]!]));
      const parts = groups.flatMap((g, gi) =>
        g.dirty
          ? g.tasks.map(
              (t) =>
                `${readGroup(g, gi, false, [localOf(t)], '__d.')} AS __d POSITIONAL JOIN (SELECT ${KEEP_COLUMN} FROM ${maskOf.get(t.file.file_path)!} LIMIT ${NO_LIMIT}) AS __m WHERE __m.${KEEP_COLUMN}`,
            )
          : [readGroup(g, gi, false, g.tasks.map(localOf))],
      );
      return `SELECT ${columns.map((f) => quoteIdent(f.name)).join(', ')} FROM (${parts.join(' UNION ALL ')})`;
    }
  }

  // Deletes are filters keyed by each data file's slot and DuckDB's file_row_number; each delete
  // file applies exactly to the data files planning attached it to (sequence numbers and partitions
  // were checked there). They are written `(slot, …) NOT IN (SELECT (slot, …) …)`: DuckDB compares
  // row structs null-safely, as equality deletes require (spec: a null in an equality delete matches
  // rows whose column is null), and builds its hash table on the delete side. An ANTI JOIN would be
  // flipped to build on the data side, whose cardinality read_parquet's `schema` map hides, at about
  // three times the CPU of the scan itself. Slot columns of the delete side are cast to file_index's
  // own type (UBIGINT).
  const ctes: string[] = [`__data AS (SELECT * FROM (${readData(true, true)}))`];
  const filters: string[] = [];

  const dirty = tasks.filter((t) => t.deletes.some((d) => d.file.content === FileContent.PositionDeletes));
  if (dirty.length > 0) {
    const cached = await cache.positionsOf(
      dirty.map((t) => positionRequest(t, resolve)),
      (location) => io.localPath(location),
      LOCAL_PATH_CONCURRENCY,
    );
    ctes.push(`__pos AS (${cachedPositionsSql(cached, dirty.map((t) => slot.get(t.file.file_path)!))})`);
    filters.push(`(__data.__slot, __data.__rn) NOT IN (SELECT (__slot, pos) FROM __pos)`);
  }

  const eqDeletes = uniqueDeletes(tasks, FileContent.EqualityDeletes);
  const byIds = new Map<string, typeof eqDeletes>();
  for (const d of eqDeletes) {
    const key = (d.file.equality_ids ?? []).join(',');
    const list = byIds.get(key);
    if (list) list.push(d);
    else byIds.set(key, [d]);
  }
  let n = 0;
  for (const [key, group] of byIds) {
    const ids = key.split(',').filter((x) => x.length > 0).map(Number);
    const fields = ids.map((id) => columns.find((f) => f.id === id));
    if (ids.length === 0 || fields.some((f) => f === undefined)) continue;
    const eqFields = fields as NestedField[];
    const name = `__eq${n++}`;
    const inGroup = new Set(group.map((d) => d.file.file_path));
    const files = `[${group.map((d) => quoteString(local.get(d.file.file_path)!)).join(', ')}]`;
    ctes.push(`${name}_pairs(__dlocal, __path, __slot) AS (VALUES ${pairRows(tasks, FileContent.EqualityDeletes, local, slot, inGroup).join(', ')})`);
    ctes.push(
      `${name} AS (SELECT m.__slot::UBIGINT AS __slot, ${eqFields.map((f) => `e.${quoteIdent(f.name)}`).join(', ')} FROM read_parquet(${files}, schema = ${schemaMapOption(eqFields)}, filename = true) e JOIN ${name}_pairs m ON m.__dlocal = e.filename)`,
    );
    const cols = eqFields.map((f) => quoteIdent(f.name));
    filters.push(`(__data.__slot, ${cols.map((c) => `__data.${c}`).join(', ')}) NOT IN (SELECT (__slot, ${cols.join(', ')}) FROM ${name})`);
  }
  const where = filters.length > 0 ? ` WHERE ${filters.join(' AND ')}` : '';
  return `WITH ${ctes.join(',\n')} SELECT ${selectFrom('__data')} FROM __data${where}${clean ? ` UNION ALL ${clean}` : ''}`;
}

/**
 * True when every schema of the table gives column `c` the same nested shape (names, ids, types):
 * then every file uses the current nested names and DuckDB's by-name struct cast is exact.
 */
function nestedStable(c: NestedField, schemas: Schema[] | undefined): boolean {
  if (!schemas) return false;
  const shape = JSON.stringify(c.type);
  return schemas.every((s) => {
    const f = s.fields.find((x) => x.id === c.id);
    return f === undefined || JSON.stringify(f.type) === shape;
  });
}

/** What the delete cache needs to know of a task's position deletes. */
function positionRequest(t: FileScanTask, resolve: PathResolver): DeletedPositionsRequest {
  return {
    dataPath: t.file.file_path,
    deletes: t.deletes
      .filter((d) => d.file.content === FileContent.PositionDeletes)
      .map((d) => ({ location: resolve(d.file.file_path), size: Number(d.file.file_size_in_bytes) })),
  };
}

/** (slot, pos) rows of cached deleted positions: each load's table joined to its entries' slots. */
function cachedPositionsSql(cached: CachedPositions[], slots: number[]): string {
  const byTable = new Map<string, string[]>();
  cached.forEach((c, i) => {
    const rows = byTable.get(c.table) ?? [];
    rows.push(`(${c.entry}, ${slots[i]!})`);
    byTable.set(c.table, rows);
  });
  return [...byTable]
    .map(([table, rows]) => `SELECT m.__slot::UBIGINT AS __slot, c.pos FROM ${quoteIdent(table)} c JOIN (VALUES ${rows.join(', ')}) m(__entry, __slot) ON c.entry = m.__entry`)
    .join(' UNION ALL ');
}

/** (delete file, data file path, data file slot) VALUES rows: which deletes apply to which data file. */
function pairRows(
  tasks: FileScanTask[],
  content: FileContent,
  local: Map<string, string>,
  slot: Map<string, number>,
  only?: Set<string>,
): string[] {
  const rows: string[] = [];
  for (const t of tasks) {
    for (const d of t.deletes) {
      if (d.file.content !== content || (only && !only.has(d.file.file_path))) continue;
      rows.push(`(${quoteString(local.get(d.file.file_path)!)}, ${quoteString(t.file.file_path)}, ${slot.get(t.file.file_path)!})`);
    }
  }
  return rows;
}

function uniqueDeletes(tasks: FileScanTask[], content: FileContent): FileScanTask['deletes'] {
  const seen = new Map<string, FileScanTask['deletes'][number]>();
  for (const t of tasks) {
    for (const d of t.deletes) {
      if (d.file.content === content && !seen.has(d.file.file_path)) seen.set(d.file.file_path, d);
    }
  }
  return [...seen.values()];
}

/**
 * Field ids present in the data files of identity-partitioned specs, read from their Parquet
 * footers (manifest metrics cannot tell: writers record them for columns they then leave out).
 */
async function presentFieldIds(
  engine: DuckDBEngine,
  columns: NestedField[],
  tasks: FileScanTask[],
  specs: PartitionSpec[],
  local: Map<string, string>,
): Promise<Map<string, Set<number>>> {
  const ids = new Set(columns.map((c) => c.id));
  const needs = tasks.filter((t) => specs.find((s) => s['spec-id'] === t.specId)?.fields.some((f) => f.transform === 'identity' && ids.has(f['source-id'])));
  const out = new Map<string, Set<number>>();
  if (needs.length === 0) return out;
  const byLocal = new Map(needs.map((t) => [local.get(t.file.file_path)!, t.file.file_path]));
  const files = `[${[...byLocal.keys()].map(quoteString).join(', ')}]`;
  const r = await engine.query(`SELECT file_name, field_id FROM parquet_schema(${files}) WHERE field_id IS NOT NULL`);
  for (const [name, id] of r.rows) {
    const path = byLocal.get(String(name));
    if (path === undefined) continue;
    let set = out.get(path);
    if (!set) out.set(path, (set = new Set()));
    set.add(Number(id));
  }
  return out;
}

/**
 * Tasks grouped by the values their identity partitions give to columns the data files may lack
 * (spec: "Column Projection" — a missing identity-partitioned column reads its partition value).
 */
function identityGroups(
  columns: NestedField[],
  tasks: FileScanTask[],
  specs: PartitionSpec[],
  present: Map<string, Set<number>> | undefined,
  nestedOf: (t: FileScanTask) => Map<number, NestedRead>,
): { defaults: Map<number, string>; nested: Map<number, NestedRead>; tasks: FileScanTask[] }[] {
  const byKey = new Map<string, { defaults: Map<number, string>; nested: Map<number, NestedRead>; tasks: FileScanTask[] }>();
  for (const t of tasks) {
    const defaults = new Map<number, string>();
    const spec = specs.find((s) => s['spec-id'] === t.specId);
    for (const pf of spec?.fields ?? []) {
      if (pf.transform !== 'identity') continue;
      const col = columns.find((c) => c.id === pf['source-id']);
      const v = t.file.partition[pf.name];
      if (!col || !isPrimitive(col.type) || v === undefined || v === null) continue;
      if (present?.get(t.file.file_path)?.has(col.id)) continue;
      defaults.set(col.id, sqlLiteral(col.type, v));
    }
    const nested = nestedOf(t);
    const shape = [...nested].map(([k, n]) => `${k}:${n.readType ?? 'absent'}:${n.rebuild ? n.rebuild('c') : ''}`);
    const key = [...[...defaults].map(([k, v]) => `${k}=${v}`), ...shape].join('|');
    const g = byKey.get(key);
    if (g) g.tasks.push(t);
    else byKey.set(key, { defaults, nested, tasks: [t] });
  }
  return [...byKey.values()];
}

/**
 * read_parquet's `schema` option: field id → {name, DuckDB type, value for files without the
 * column}. Defaults travel as VARCHAR (one map value type) and DuckDB casts them to the column type.
 */
function schemaMapOption(
  fields: NestedField[],
  overrides: Map<number, string> = new Map(),
  nested: Map<number, NestedRead> = new Map(),
): string {
  const entries = fields.flatMap((f) => {
    const n = nested.get(f.id);
    if (n?.readType === null) return [];
    const dflt = f['initial-default'];
    const literal =
      overrides.get(f.id) ??
      (dflt === undefined || dflt === null || !isPrimitive(f.type) ? 'NULL' : sqlLiteral(f.type, fromJsonValue(f.type, dflt)));
    return [`${f.id}: {name: ${quoteString(f.name)}, type: ${quoteString(n?.readType ?? duckdbType(f.type))}, default_value: CAST(${literal} AS VARCHAR)}`];
  });
  return `map {${entries.join(', ')}}`;
}
