import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { LocalFileIO } from '../io/local.js';
import { toLocalPath } from '../io/paths.js';
import type { FileIO } from '../io/file-io.js';
import type { DataFile, PartitionValues } from '../manifest/types.js';
import { FileContent } from '../manifest/types.js';
import { partitionPath } from '../spec/partition.js';
import { findField, isPrimitive, typeToString } from '../spec/schema.js';
import { parseTransform, transformResultType } from '../spec/transforms.js';
import type { NestedField, PartitionSpec, PrimitiveTypeName, Schema, SortOrder } from '../spec/types.js';
import { ValidationError } from '../errors.js';
import type { DuckDBEngine } from './duckdb.js';
import { quoteIdent, quoteString } from './duckdb.js';
import { fixedColumns, rewriteFixedColumns, writerCodec } from './fixed-parquet.js';
import { parsePartitionText, transformSql } from './partition-sql.js';
import { readParquetStats, type FileStats } from './parquet-stats.js';
import { duckdbType, fieldIdsOption, sqlLiteral } from './types.js';
import { fromJsonValue } from '../spec/values.js';

export interface WriteTarget {
  schema: Schema;
  spec: PartitionSpec;
  sortOrder?: SortOrder;
  /** Table location; files go to `<location>/data/<partition path>/`. */
  location: string;
  properties: Record<string, string>;
}

export interface WriteOptions {
  /** Target columns in source order (INSERT column list); defaults to all columns in order. */
  columns?: string[];
  /** Prefix for file names, to tell writers apart. */
  filePrefix?: string;
  /**
   * Rows whose partition is known without computing it: the source's column `column` (not
   * written) holds an index into `tuples` or NULL. A row kept unchanged from a data file of the
   * target spec keeps that file's tuple (spec: a data file's partition tuple holds for all its
   * rows), so rewrites skip transforms such as bucket for them. Only fields whose values are
   * integers (bucket, year, month, day, hour, identity of integer and temporal columns) are taken
   * from `tuples`; the others, and rows with NULL, are computed.
   */
  knownPartitions?: { column: string; tuples: PartitionValues[] };
}

const DEFAULT_TARGET_FILE_SIZE = 512 * 1024 * 1024;

/**
 * Writes the rows of a DuckDB query as Parquet data files of the table (with Iceberg field ids),
 * one folder per partition, and returns their DataFile records with statistics read back from
 * the written files' footers. The files are not part of the table until a snapshot commits them.
 */
export async function writeDataFiles(
  engine: DuckDBEngine,
  io: FileIO,
  target: WriteTarget,
  sourceSql: string,
  options: WriteOptions = {},
): Promise<DataFile[]> {
  const given = options.knownPartitions;
  const known = given && target.spec.fields.length > 0 ? given : undefined;
  const projected = given ? `SELECT * EXCLUDE (${quoteIdent(given.column)}) FROM (${sourceSql})` : sourceSql;
  const select = await insertProjection(engine, target.schema, projected, options.columns);
  const partitionCols = target.spec.fields
    .filter((f) => f.transform !== 'void')
    .map((f, i) => {
      const source = target.schema.fields.find((c) => c.id === f['source-id']);
      if (!source || !isPrimitive(source.type)) {
        throw new ValidationError(`partition field ${f.name} has no primitive top-level source column`);
      }
      const computed = transformSql(f.transform, source.type, `__t.${quoteIdent(source.name)}`);
      const list = known ? knownValues(f, source.type, known.tuples) : undefined;
      const sql = list ? `CASE WHEN __t.__known IS NULL THEN ${computed} ELSE (${list})[__t.__known + 1] END` : computed;
      return { field: f, alias: `__p${i}`, sql, source };
    });
  const order = sortClause(target);
  const staging = await stagingDir(io, target.location);
  const prefix = options.filePrefix ?? `00000-${Date.now()}`;
  const inner = `SELECT ${select}${known ? `, __src.${quoteIdent(known.column)} AS __known` : ''} FROM (${sourceSql}) AS __src`;
  const withParts =
    partitionCols.length > 0
      ? `SELECT __t.*${known ? ' EXCLUDE (__known)' : ''}, ${partitionCols.map((p) => `${p.sql} AS ${p.alias}`).join(', ')} FROM (${inner}) AS __t`
      : inner;
  const ordered = order ? `SELECT * FROM (${withParts}) AS __t ORDER BY ${order}` : withParts;
  const targetSize = Number(target.properties['write.target-file-size-bytes'] ?? DEFAULT_TARGET_FILE_SIZE);
  // A fixed(L) column needs a second writer (fixed-parquet.ts), which reads DuckDB's file uncompressed.
  const fixed = fixedColumns(target.schema).size > 0;
  const opts = [
    'FORMAT parquet',
    `FIELD_IDS ${fieldIdsOption(target.schema)}`,
    `FILENAME_PATTERN ${quoteString(`${prefix}-{uuid}`)}`,
    `COMPRESSION ${fixed ? 'uncompressed' : compressionOf(target.properties)}`,
    'RETURN_FILES true',
    'OVERWRITE_OR_IGNORE true',
  ];
  // DuckDB cannot split partitioned COPY output by size; unpartitioned output rolls over files.
  if (partitionCols.length > 0) opts.push(`PARTITION_BY (${partitionCols.map((p) => p.alias).join(', ')})`);
  else opts.push(`FILE_SIZE_BYTES ${Math.max(1024 * 1024, targetSize)}`);
  let written: string[];
  try {
    const result = await engine.query(`COPY (${ordered}) TO ${quoteString(staging)} (${opts.join(', ')})`);
    const files = result.rows[0]?.[1];
    written = Array.isArray(files) ? files.map(String) : [];
    if (fixed) {
      const codec = writerCodec(compressionOf(target.properties));
      for (const file of written) await rewriteFixedColumns(engine, file, target.schema, codec);
    }
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  if (written.length === 0) {
    await rm(staging, { recursive: true, force: true });
    return [];
  }

  const stats = await readParquetStats(engine, written, target.schema);
  const out: DataFile[] = [];
  try {
    for (const file of written) {
      const partition: Record<string, unknown> = {};
      const hive = hiveValues(file);
      for (const f of target.spec.fields) {
        const col = partitionCols.find((p) => p.field === f);
        partition[f.name] = col
          ? parsePartitionText(parseTransform(f.transform), col.source.type as never, hive.get(col.alias) ?? null)
          : null;
      }
      const dir = target.spec.fields.length > 0 ? `${partitionPath(target.spec, target.schema, partition)}/` : '';
      const dest = `${target.location.replace(/\/+$/, '')}/data/${dir}${prefix}-${randomUUID()}.parquet`;
      await publish(io, file, dest);
      const st = stats.get(file);
      if (!st) throw new ValidationError(`no statistics for written file ${file}`);
      out.push({ ...parquetFile(FileContent.Data, dest, partition, st), sort_order_id: target.sortOrder?.['order-id'] ?? 0 });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return out;
}

/**
 * A partition field's values in `tuples` as a DuckDB list of the canonical form transformSql
 * computes (integers), or undefined when the field's values are not integers.
 */
function knownValues(field: PartitionSpec['fields'][number], sourceType: PrimitiveTypeName, tuples: PartitionValues[]): string | undefined {
  const result = transformResultType(parseTransform(field.transform), sourceType);
  const sqlType = result === 'int' || result === 'date' ? 'INTEGER' : result === 'long' || result === 'time' || result === 'timestamp' || result === 'timestamptz' ? 'BIGINT' : undefined;
  if (!sqlType) return undefined;
  const items: string[] = [];
  for (const t of tuples) {
    const v = t[field.name];
    if (v === null || v === undefined) items.push(`NULL::${sqlType}`);
    else if (typeof v === 'number' || typeof v === 'bigint') items.push(`${BigInt(v)}::${sqlType}`);
    else return undefined;
  }
  return `[${items.join(', ')}]`;
}

/**
 * The SELECT list casting source columns (by position) to the table's columns. Columns the
 * INSERT leaves out get their `write-default` or NULL; NOT NULL columns reject nulls with an
 * error naming the column; source types that cannot be cast to the column type are rejected.
 */
async function insertProjection(
  engine: DuckDBEngine,
  schema: Schema,
  sourceSql: string,
  columns: string[] | undefined,
): Promise<string> {
  const described = await engine.query(`DESCRIBE ${sourceSql}`);
  const sourceCols = described.rows.map((r) => ({ name: String(r[0]), type: String(r[1]) }));
  const targets: NestedField[] = columns
    ? columns.map((c) => {
        const f = findField(schema, c, false);
        if (!f || !schema.fields.includes(f)) throw new ValidationError(`unknown column '${c}' in INSERT column list`);
        return f;
      })
    : schema.fields;
  if (new Set(targets.map((t) => t.id)).size !== targets.length) {
    throw new ValidationError('a column appears more than once in the INSERT column list');
  }
  if (sourceCols.length !== targets.length) {
    throw new ValidationError(
      `INSERT has ${sourceCols.length} column(s) but ${columns ? 'the column list names' : 'the table has'} ${targets.length}`,
    );
  }
  // DuckDB types an all-NULL VALUES column as INTEGER: such columns fit any target type.
  const mismatched = schema.fields.filter((f) => {
    const i = targets.indexOf(f);
    return i >= 0 && !castable(f, sourceCols[i]!.type);
  });
  let allNull = new Set<string>();
  if (mismatched.length > 0) {
    const names = mismatched.map((f) => sourceCols[targets.indexOf(f)]!.name);
    const probe = await engine.query(`SELECT ${names.map((n) => `bool_and(${quoteIdent(n)} IS NULL)`).join(', ')} FROM (${sourceSql}) AS __src`);
    allNull = new Set(names.filter((_, k) => probe.rows[0]?.[k] !== false));
  }
  return schema.fields
    .map((field) => {
      const i = targets.indexOf(field);
      let expr: string;
      if (i >= 0) {
        const src = sourceCols[i]!;
        if (!allNull.has(src.name)) checkCastable(field, src.type);
        expr = `CAST(__src.${quoteIdent(src.name)} AS ${duckdbType(field.type)})`;
      } else {
        const dflt = field['write-default'];
        expr =
          dflt !== undefined && dflt !== null && isPrimitive(field.type)
            ? sqlLiteral(field.type, fromJsonValue(field.type, dflt))
            : sqlLiteral(field.type, null);
      }
      if (field.required) {
        const msg = `column '${field.name}' is NOT NULL but a NULL value was written`;
        expr = `CASE WHEN ${expr} IS NULL THEN error(${quoteString(msg)}) ELSE ${expr} END`;
      }
      return `${expr} AS ${quoteIdent(field.name)}`;
    })
    .join(', ');
}

function checkCastable(field: NestedField, sourceType: string): void {
  if (!castable(field, sourceType)) {
    throw new ValidationError(`type mismatch: cannot write ${sourceType} into column '${field.name}' of type ${typeToString(field.type)}`);
  }
}

/** Source types that never convert to a column type (e.g. a DATE into an INTEGER column). */
function castable(field: NestedField, sourceType: string): boolean {
  const src = sourceType.toUpperCase();
  if (src === 'VARCHAR' || src === '"NULL"' || src === 'NULL') return true;
  const numeric = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(src);
  const temporal = /^(DATE|TIMESTAMP|TIME)/.test(src);
  const t = field.type;
  if (!isPrimitive(t)) return true;
  return ((): boolean => {
    if (t === 'boolean') return src === 'BOOLEAN';
    if (t === 'int' || t === 'long' || t === 'float' || t === 'double' || t.startsWith('decimal')) return numeric;
    if (t === 'date' || t.startsWith('timestamp')) return temporal;
    if (t === 'time') return src.startsWith('TIME');
    if (t === 'string') return true;
    if (t === 'uuid') return src === 'UUID';
    return src === 'BLOB';
  })();
}

function sortClause(target: WriteTarget): string | undefined {
  const order = target.sortOrder;
  if (!order || order.fields.length === 0) return undefined;
  const parts = order.fields.map((f) => {
    const col = target.schema.fields.find((c) => c.id === f['source-id']);
    if (!col || !isPrimitive(col.type)) throw new ValidationError(`sort field ${f['source-id']} is not a top-level column`);
    const expr = f.transform === 'identity' ? `__t.${quoteIdent(col.name)}` : transformSql(f.transform, col.type, `__t.${quoteIdent(col.name)}`);
    return `${expr} ${f.direction === 'desc' ? 'DESC' : 'ASC'} ${f['null-order'] === 'nulls-first' ? 'NULLS FIRST' : 'NULLS LAST'}`;
  });
  return parts.join(', ');
}

function compressionOf(props: Record<string, string>): string {
  const c = (props['write.parquet.compression-codec'] ?? 'zstd').toLowerCase();
  return ['zstd', 'snappy', 'gzip', 'uncompressed', 'lz4'].includes(c) ? c : 'zstd';
}

/** Partition folder values of a Hive-style path written by DuckDB (`__p0=…/`). */
function hiveValues(path: string): Map<string, string | null> {
  const out = new Map<string, string | null>();
  for (const seg of path.split('/')) {
    const m = /^(__p\d+)=(.*)$/.exec(seg);
    if (!m) continue;
    const raw = decodeURIComponent(m[2]!);
    out.set(m[1]!, raw === '__HIVE_DEFAULT_PARTITION__' ? null : raw);
  }
  return out;
}

/**
 * DuckDB writes to a local folder: beside the table when it is local, else the FileIO's staging
 * folder (remote storage) or the OS temp dir.
 */
async function stagingDir(io: FileIO, location: string): Promise<string> {
  const base = io instanceof LocalFileIO ? join(toLocalPath(location.replace(/\/+$/, '')), 'data') : (io.stagingPath?.(location) ?? tmpdir());
  const dir = join(base, `.staging-${randomUUID()}`);
  // Private: rows staged for an encrypting FileIO are plaintext until they are uploaded.
  await mkdir(base, { recursive: true });
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

/** Moves a staged file to its final path: a rename when local, an upload through the FileIO otherwise. */
async function publish(io: FileIO, staged: string, dest: string): Promise<void> {
  if (io instanceof LocalFileIO) {
    const localDest = toLocalPath(dest);
    await mkdir(dirname(localDest), { recursive: true });
    await rename(staged, localDest);
    return;
  }
  if (io.commitLocal) {
    // Remote storage streams the file up (multipart when large) instead of reading it into memory.
    await io.commitLocal(staged, dest);
    return;
  }
  await io.write(dest, new Uint8Array(await readFile(staged)));
}

/** Where a group of position deletes belongs: the partition (and spec) of the data files they hit. */
export interface DeleteGroup {
  specId: number;
  spec: PartitionSpec;
  partition: Record<string, unknown>;
}

const POSITION_DELETE_SCHEMA: Schema = {
  type: 'struct',
  'schema-id': 0,
  fields: [
    { id: 2147483546, name: 'file_path', required: true, type: 'string' },
    { id: 2147483545, name: 'pos', required: true, type: 'long' },
  ],
};

/**
 * Writes position delete files (spec: "Position Delete Files": `file_path`, `pos`, sorted) from a
 * query with columns `file_path`, `pos` and `__group` (an index into `groups`): one file per group,
 * since a delete file lies in the partition of the data files it references.
 */
export async function writePositionDeletes(
  engine: DuckDBEngine,
  io: FileIO,
  location: string,
  sourceSql: string,
  groups: DeleteGroup[],
  schema: Schema,
): Promise<{ file: DataFile; specId: number }[]> {
  const staging = await stagingDir(io, location);
  const prefix = `delete-${Date.now()}`;
  let written: string[];
  try {
    const result = await engine.query(
      `COPY (SELECT file_path, pos, __group FROM (${sourceSql}) ORDER BY file_path, pos) TO ${quoteString(staging)} (FORMAT parquet, PARTITION_BY (__group), FIELD_IDS {file_path: 2147483546, pos: 2147483545}, FILENAME_PATTERN ${quoteString(`${prefix}-{uuid}`)}, RETURN_FILES true, OVERWRITE_OR_IGNORE true)`,
    );
    const files = result.rows[0]?.[1];
    written = Array.isArray(files) ? files.map(String) : [];
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  const out: { file: DataFile; specId: number }[] = [];
  try {
    if (written.length === 0) return out;
    const stats = await readParquetStats(engine, written, POSITION_DELETE_SCHEMA);
    for (const file of written) {
      const m = /__group=(\d+)/.exec(file);
      const group = m ? groups[Number(m[1])] : undefined;
      if (!group) throw new ValidationError(`position delete file ${file} has no partition group`);
      const dir = group.spec.fields.length > 0 ? `${partitionPath(group.spec, schema, group.partition)}/` : '';
      const dest = `${location.replace(/\/+$/, '')}/data/${dir}${prefix}-${randomUUID()}.parquet`;
      await publish(io, file, dest);
      const st = stats.get(file);
      if (!st) throw new ValidationError(`no statistics for written file ${file}`);
      out.push({ specId: group.specId, file: parquetFile(FileContent.PositionDeletes, dest, group.partition, st) });
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return out;
}

/** The manifest record of a written Parquet file, its metrics taken from the footer. */
/** The DataFile record of a written Parquet file, from its footer statistics. */
export function parquetFile(content: FileContent, path: string, partition: Record<string, unknown>, st: FileStats): DataFile {
  return {
    content,
    file_path: path,
    file_format: 'PARQUET',
    partition,
    record_count: st.recordCount,
    file_size_in_bytes: st.fileSize,
    column_sizes: st.columnSizes,
    value_counts: st.valueCounts,
    null_value_counts: st.nullValueCounts,
    lower_bounds: st.lowerBounds,
    upper_bounds: st.upperBounds,
    split_offsets: st.splitOffsets,
  };
}
