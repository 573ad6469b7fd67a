import { rename, rm } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type FileMetaData, type SchemaElement } from 'hyparquet';
import { ParquetWriter, fileWriter, type SchemaElement as WriterSchemaElement } from 'hyparquet-writer';
import { UnsupportedError, ValidationError } from '../errors.js';
import { fixedLength, primitiveLeaves } from '../spec/schema.js';
import type { StructType } from '../spec/types.js';
import { decimalFromBytes } from '../spec/values.js';
import type { DuckDBEngine } from './duckdb.js';
import { quoteString } from './duckdb.js';

/**
 * Iceberg `fixed(L)` is Parquet `fixed_len_byte_array[L]` (spec: "Parquet" type mapping). DuckDB has
 * no fixed-length binary type and writes BLOB as BYTE_ARRAY, so floe re-writes each file DuckDB
 * wrote for a schema with a fixed column (at any depth) with hyparquet-writer: the fixed leaves
 * become FIXED_LEN_BYTE_ARRAY(L), every other leaf keeps its physical and logical type, and every
 * element keeps its Iceberg field id. The copy is checked against DuckDB's file (schema and rows)
 * before it replaces it; any difference fails the write.
 */

/** A fixed column: its byte length and full dotted name (for errors). */
interface FixedColumn {
  length: number;
  name: string;
}

/** Field id → fixed column, for every fixed(L) in the type at any depth. */
export function fixedColumns(schema: StructType): Map<number, FixedColumn> {
  const out = new Map<number, FixedColumn>();
  for (const leaf of primitiveLeaves(schema)) {
    const length = fixedLength(leaf.type);
    if (length !== null) out.set(leaf.id, { length, name: leaf.name });
  }
  return out;
}

/** The codecs floe can write without DuckDB: zstd and lz4 have no compressor here, so they become snappy. */
type WriterCodec = 'UNCOMPRESSED' | 'SNAPPY' | 'GZIP';

export function writerCodec(codec: string): WriterCodec {
  switch (codec.toLowerCase()) {
    case 'uncompressed':
      return 'UNCOMPRESSED';
    case 'gzip':
      return 'GZIP';
    default:
      return 'SNAPPY';
  }
}

/** A node of the Parquet schema tree (flat SchemaElements nested by num_children). */
interface Node {
  element: SchemaElement;
  children: Node[];
}

function schemaTree(elements: SchemaElement[]): Node {
  let i = 0;
  const take = (): Node => {
    const element = elements[i++];
    if (!element) throw new ValidationError('malformed Parquet schema: fewer elements than num_children says');
    const children: Node[] = [];
    for (let k = 0; k < (element.num_children ?? 0); k++) children.push(take());
    return { element, children };
  };
  return take();
}

type Raw = unknown;

/**
 * How a value read from DuckDB's file (raw physical values: see rawMetadata) becomes the value
 * hyparquet-writer writes for a node: fixed leaves are length-checked, decimals become their
 * unscaled bigint, maps their `{key, value}` entries.
 */
function converter(node: Node, fixed: Map<number, FixedColumn>): (v: Raw) => Raw {
  const e = node.element;
  if (node.children.length === 0) {
    const fx = e.field_id !== undefined ? fixed.get(e.field_id) : undefined;
    if (fx) {
      return (v) => {
        if (v === null || v === undefined) return v;
        if (!(v instanceof Uint8Array)) throw new ValidationError(`column '${fx.name}': expected bytes for fixed[${fx.length}]`);
        if (v.length !== fx.length) {
          throw new ValidationError(`column '${fx.name}' is fixed[${fx.length}] but a value of ${v.length} byte(s) was written`);
        }
        return v;
      };
    }
    if (e.converted_type === 'DECIMAL' || e.logical_type?.type === 'DECIMAL') {
      return (v) => (v === null || v === undefined ? v : v instanceof Uint8Array ? decimalFromBytes(v) : BigInt(v as number | bigint));
    }
    return (v) => v;
  }
  if (e.converted_type === 'MAP' || e.logical_type?.type === 'MAP') {
    const kv = node.children[0]!;
    const key = converter(kv.children.find((c) => c.element.name === 'key') ?? kv.children[0]!, fixed);
    const value = converter(kv.children.find((c) => c.element.name === 'value') ?? kv.children[1]!, fixed);
    const kvName = kv.element.name;
    return (v) => {
      if (v === null || v === undefined) return v;
      const entries = (v as Record<string, unknown>)[kvName];
      if (!Array.isArray(entries)) return [];
      return entries.map((en: { key: Raw; value: Raw }) => ({ key: key(en.key), value: value(en.value) }));
    };
  }
  if (e.converted_type === 'LIST' || e.logical_type?.type === 'LIST') {
    const repeated = node.children[0]!;
    // Three-level lists (`list.element`); a two-level list's repeated node is the element itself.
    const elementNode = repeated.children.length === 1 ? repeated.children[0]! : repeated;
    const element = converter(elementNode, fixed);
    return (v) => (v === null || v === undefined ? v : (v as Raw[]).map((x) => element(x)));
  }
  const fields = node.children.map((c) => [c.element.name, converter(c, fixed)] as const);
  return (v) => {
    if (v === null || v === undefined) return v;
    const o = v as Record<string, Raw>;
    const out: Record<string, Raw> = {};
    for (const [name, conv] of fields) out[name] = conv(o[name]);
    return out;
  };
}

/**
 * The metadata hyparquet reads DuckDB's file with: leaves without converted/logical types (so
 * values arrive as their physical form, nothing rounded through JS numbers or Dates) and maps
 * without their MAP annotation (so entries arrive as `{key_value: [{key, value}]}` instead of an
 * object keyed by stringified keys).
 */
function rawMetadata(md: FileMetaData): FileMetaData {
  return {
    ...md,
    schema: md.schema.map((e) => {
      const leaf = e.type !== undefined;
      if (!leaf && e.converted_type !== 'MAP' && e.logical_type?.type !== 'MAP') return e;
      const { converted_type: _c, logical_type: _l, ...rest } = e;
      return rest;
    }),
  };
}

/** The schema written: DuckDB's, with each fixed leaf as FIXED_LEN_BYTE_ARRAY(L) and no logical type. */
function targetSchema(md: FileMetaData, fixed: Map<number, FixedColumn>, file: string): WriterSchemaElement[] {
  const found = new Set<number>();
  const out = md.schema.map((e): WriterSchemaElement => {
    if (e.type === 'INT96') throw new UnsupportedError(`cannot re-write ${file}: column '${e.name}' is INT96`);
    const fx = e.field_id !== undefined ? fixed.get(e.field_id) : undefined;
    if (!fx) {
      const { logical_type, ...rest } = e;
      if (logical_type === undefined) return rest;
      // hyparquet-writer's types know every logical type DuckDB writes; FILE is hyparquet-only.
      if (logical_type.type === 'FILE') throw new UnsupportedError(`cannot re-write ${file}: column '${e.name}' has logical type FILE`);
      return { ...rest, logical_type };
    }
    found.add(e.field_id!);
    if (e.type !== 'BYTE_ARRAY' && e.type !== 'FIXED_LEN_BYTE_ARRAY') {
      throw new UnsupportedError(`cannot write column '${fx.name}' as fixed[${fx.length}]: DuckDB wrote it as ${e.type ?? 'a group'}`);
    }
    const { converted_type: _c, logical_type: _l, ...rest } = e;
    return { ...rest, type: 'FIXED_LEN_BYTE_ARRAY' as const, type_length: fx.length };
  });
  for (const [id, fx] of fixed) {
    if (!found.has(id)) throw new UnsupportedError(`cannot write column '${fx.name}' as fixed[${fx.length}]: field id ${id} is not in ${file}`);
  }
  return out;
}

/**
 * Re-writes one Parquet file DuckDB wrote (uncompressed or snappy) so that its fixed columns are
 * FIXED_LEN_BYTE_ARRAY, keeping its row groups; replaces the file only after the copy reads back
 * (through DuckDB) with the same schema apart from those columns and the same rows.
 */
export async function rewriteFixedColumns(engine: DuckDBEngine, path: string, schema: StructType, codec: WriterCodec): Promise<void> {
  const fixed = fixedColumns(schema);
  if (fixed.size === 0) return;
  const file = await asyncBufferFromFile(path);
  const md = await parquetMetadataAsync(file);
  const target = targetSchema(md, fixed, path);
  const tree = schemaTree(md.schema);
  const convert = tree.children.map((c) => ({ name: c.element.name, conv: converter(c, fixed) }));
  const raw = rawMetadata(md);
  const tmp = `${path}.fixed`;
  const writer = new ParquetWriter({
    writer: fileWriter(tmp),
    schema: target,
    codec,
    compressors: { GZIP: (input: Uint8Array) => new Uint8Array(gzipSync(input)) },
    statistics: true,
    // Whole values: floe truncates string bounds itself (metrics mode truncate(16)).
    statisticsTruncateLength: Infinity,
    ...(md.key_value_metadata ? { kvMetadata: md.key_value_metadata } : {}),
    createdBy: 'floe (hyparquet-writer)',
  });
  try {
    let start = 0;
    for (const rg of md.row_groups) {
      const n = Number(rg.num_rows);
      if (n === 0) continue;
      const rows = await new Promise<unknown[][]>((resolve, reject) => {
        parquetRead({ file, metadata: raw, utf8: false, rowStart: start, rowEnd: start + n, onComplete: resolve }).catch(reject);
      });
      const columnData = convert.map(({ name, conv }, j) => ({ name, data: rows.map((r) => conv(r[j])) }));
      await writer.write({ columnData, rowGroupSize: n });
      start += n;
    }
    await writer.finish();
    await verifyCopy(engine, path, tmp, fixed);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** The copy must match DuckDB's file: same schema outside the fixed leaves, same rows (as a multiset). */
async function verifyCopy(engine: DuckDBEngine, original: string, copy: string, fixed: Map<number, FixedColumn>): Promise<void> {
  const cols = 'name, type, type_length, repetition_type, num_children, converted_type, scale, precision, field_id, logical_type';
  const schemaOf = async (f: string): Promise<string[]> =>
    (await engine.query(`SELECT ${cols} FROM parquet_schema(${quoteString(f)})`)).rows.map((r) =>
      fixed.has(Number(r[8])) ? `${String(r[0])}|${String(r[8])}|fixed` : JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );
  const [a, b] = [await schemaOf(original), await schemaOf(copy)];
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    throw new UnsupportedError(`re-writing ${original} with fixed-length columns changed its schema; the file was not written`);
  }
  const fixedTypes = await engine.query(`SELECT count(*) FROM parquet_schema(${quoteString(copy)}) WHERE field_id IN (${[...fixed.keys()].join(', ')}) AND (type <> 'FIXED_LEN_BYTE_ARRAY' OR type_length IS NULL)`);
  const o = quoteString(original);
  const c = quoteString(copy);
  const diff = await engine.query(
    `SELECT (SELECT count(*) FROM read_parquet(${o})) - (SELECT count(*) FROM read_parquet(${c})),
            (SELECT count(*) FROM (SELECT * FROM read_parquet(${o}) EXCEPT ALL SELECT * FROM read_parquet(${c})))`,
  );
  if (Number(fixedTypes.rows[0]?.[0]) !== 0 || Number(diff.rows[0]?.[0]) !== 0 || Number(diff.rows[0]?.[1]) !== 0) {
    throw new UnsupportedError(`re-writing ${original} with fixed-length columns changed its contents; the file was not written`);
  }
}
