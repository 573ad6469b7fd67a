import { stat } from 'node:fs/promises';
import { decimalParams } from '../spec/schema.js';
import { toBinary } from '../spec/values.js';
import type { IcebergType, PrimitiveTypeName, StructType } from '../spec/types.js';
import type { DuckDBEngine } from './duckdb.js';
import { quoteString } from './duckdb.js';

/** Per-file statistics as the manifest wants them (spec: data_file fields 108–111, 125, 128, 132). */
export interface FileStats {
  recordCount: number;
  fileSize: number;
  columnSizes: Map<number, number>;
  valueCounts: Map<number, number>;
  nullValueCounts: Map<number, number>;
  lowerBounds: Map<number, Uint8Array>;
  upperBounds: Map<number, Uint8Array>;
  splitOffsets: number[];
}

/** Iceberg's default metrics mode `truncate(16)`: string bounds keep 16 code points. */
const TRUNCATE_LENGTH = 16;

interface LeafColumn {
  id: number;
  type: PrimitiveTypeName;
  /** Inside a list or map: counts are per element, no bounds (as Iceberg does). */
  repeated: boolean;
}

/** Reads the footers of written Parquet files and turns their statistics into Iceberg metrics. */
export async function readParquetStats(
  engine: DuckDBEngine,
  files: string[],
  schema: StructType,
): Promise<Map<string, FileStats>> {
  const leaves = leafColumns(schema);
  const list = `[${files.map(quoteString).join(', ')}]`;
  const result = await engine.query(
    `SELECT file_name, row_group_id, row_group_num_rows, path_in_schema, stats_min_value, stats_max_value,
            stats_null_count, num_values, total_compressed_size, coalesce(dictionary_page_offset, data_page_offset)
     FROM parquet_metadata(${list}) ORDER BY file_name, row_group_id, column_id`,
  );
  const out = new Map<string, FileStats>();
  const rowGroupsSeen = new Set<string>();
  const mins = new Map<string, Map<number, unknown>>();
  const maxs = new Map<string, Map<number, unknown>>();
  for (const f of files) {
    out.set(f, {
      recordCount: 0,
      fileSize: (await stat(f)).size,
      columnSizes: new Map(),
      valueCounts: new Map(),
      nullValueCounts: new Map(),
      lowerBounds: new Map(),
      upperBounds: new Map(),
      splitOffsets: [],
    });
    mins.set(f, new Map());
    maxs.set(f, new Map());
  }
  const noStats = new Set<string>();
  for (const row of result.rows) {
    const [file, rg, rgRows, path, min, max, nulls, values, size, offset] = row;
    const fileName = String(file);
    const st = out.get(fileName);
    if (!st) continue;
    const rgKey = `${fileName}#${rg}`;
    if (!rowGroupsSeen.has(rgKey)) {
      rowGroupsSeen.add(rgKey);
      st.recordCount += Number(rgRows);
      st.splitOffsets.push(Number(offset));
    }
    const leaf = leaves.get(String(path));
    if (!leaf) continue;
    add(st.columnSizes, leaf.id, Number(size));
    add(st.valueCounts, leaf.id, Number(values));
    const statKey = `${fileName}#${leaf.id}`;
    if (nulls === null) noStats.add(statKey);
    else add(st.nullValueCounts, leaf.id, Number(nulls));
    if (leaf.repeated) continue;
    if (min === null || max === null) {
      // A row group of only nulls has no min/max; any other gap means bounds are unknown.
      if (Number(nulls) !== Number(values)) noStats.add(`${statKey}#bounds`);
      continue;
    }
    const lo = parseStat(leaf.type, String(min));
    const hi = parseStat(leaf.type, String(max));
    if (lo === undefined || hi === undefined) {
      noStats.add(`${statKey}#bounds`);
      continue;
    }
    keepExtreme(mins.get(fileName)!, leaf.id, lo, -1);
    keepExtreme(maxs.get(fileName)!, leaf.id, hi, 1);
  }
  for (const [fileName, st] of out) {
    for (const [id, leaf] of [...leaves.values()].map((l) => [l.id, l] as const)) {
      if (noStats.has(`${fileName}#${id}`)) st.nullValueCounts.delete(id);
      if (noStats.has(`${fileName}#${id}#bounds`)) continue;
      const lo = mins.get(fileName)!.get(id);
      const hi = maxs.get(fileName)!.get(id);
      if (lo === undefined || hi === undefined) continue;
      // A position delete file's file_path keeps full bounds (as Java's metrics for delete files), so
      // conflict checks and planning can tell which data files it names.
      const bounds = id === 2147483546 ? ([toBinary('string', lo), toBinary('string', hi)] as const) : encodeBounds(leaf.type, lo, hi);
      if (!bounds) continue;
      st.lowerBounds.set(id, bounds[0]);
      st.upperBounds.set(id, bounds[1]);
    }
  }
  return out;
}

function add(m: Map<number, number>, id: number, v: number): void {
  m.set(id, (m.get(id) ?? 0) + v);
}

function keepExtreme(m: Map<number, unknown>, id: number, v: unknown, sign: 1 | -1): void {
  const cur = m.get(id);
  if (cur === undefined || compare(v, cur) * sign > 0) m.set(id, v);
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === 'string' && typeof b === 'string') {
    // Iceberg orders strings by UTF-8 bytes, which is code point order.
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const x = BigInt(a as bigint);
    const y = BigInt(b as bigint);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = a as number;
  const y = b as number;
  return x < y ? -1 : x > y ? 1 : 0;
}

function encodeBounds(type: PrimitiveTypeName, lo: unknown, hi: unknown): [Uint8Array, Uint8Array] | undefined {
  if (type === 'string') {
    const lower = truncateString(lo as string);
    const upper = truncateStringUpper(hi as string);
    if (upper === undefined) return undefined;
    return [toBinary(type, lower), toBinary(type, upper)];
  }
  return [toBinary(type, lo), toBinary(type, hi)];
}

function truncateString(s: string): string {
  const cps = [...s];
  return cps.length <= TRUNCATE_LENGTH ? s : cps.slice(0, TRUNCATE_LENGTH).join('');
}

/** An upper bound after truncation must be incremented to stay an upper bound (spec: metrics). */
function truncateStringUpper(s: string): string | undefined {
  const cps = [...s];
  if (cps.length <= TRUNCATE_LENGTH) return s;
  const kept = cps.slice(0, TRUNCATE_LENGTH);
  for (let i = kept.length - 1; i >= 0; i--) {
    const cp = kept[i]!.codePointAt(0)!;
    if (cp < 0x10ffff) {
      let next = cp + 1;
      if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
      return kept.slice(0, i).join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** Parses DuckDB's text form of a Parquet min/max into a floe value (undefined: unusable). */
export function parseStat(type: PrimitiveTypeName, text: string): unknown {
  const dec = decimalParams(type);
  if (dec) return parseDecimalUnscaled(text, dec.scale);
  switch (type) {
    case 'boolean':
      return text === 'true' || text === '1';
    case 'int':
      return Number.parseInt(text, 10);
    case 'long':
      return BigInt(text);
    case 'float':
    case 'double': {
      const v = Number(text);
      return Number.isNaN(v) ? undefined : v;
    }
    case 'date':
      return daysOf(text);
    case 'time':
      return timeMicros(text);
    case 'timestamp':
    case 'timestamptz':
      return timestampMicros(text);
    case 'string':
      return text;
    case 'uuid':
      return /^[0-9a-f-]{36}$/i.test(text) ? text.toLowerCase() : undefined;
    default:
      return undefined;
  }
}

function parseDecimalUnscaled(text: string, scale: number): bigint | undefined {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(text.trim());
  if (!m) return undefined;
  const frac = (m[3] ?? '').padEnd(scale, '0');
  if (frac.length > scale) return undefined;
  const v = BigInt(`${m[2] || '0'}${frac}`);
  return m[1] === '-' ? -v : v;
}

function daysOf(text: string): number | undefined {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)$/.exec(text);
  if (!m) return undefined;
  return Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000);
}

function timeMicros(text: string): bigint | undefined {
  const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?$/.exec(text);
  if (!m) return undefined;
  const secs = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
  return BigInt(secs) * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0') || '0');
}

function timestampMicros(text: string): bigint | undefined {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([+-]\d\d)(?::?(\d\d))?)?$/.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  const frac = BigInt((m[7] ?? '').padEnd(6, '0').slice(0, 6) || '0');
  const offsetMin = m[8] ? (Number(m[8]) * 60 + Math.sign(Number(m[8]) || 1) * Number(m[9] ?? 0)) : 0;
  return BigInt(ms) * 1000n + frac - BigInt(offsetMin) * 60_000_000n;
}

/** Parquet leaf paths (`a, b` as DuckDB prints them) → Iceberg field id and type. */
function leafColumns(schema: StructType): Map<string, LeafColumn> {
  const out = new Map<string, LeafColumn>();
  const walk = (prefix: string[], id: number, t: IcebergType, repeated: boolean): void => {
    if (typeof t === 'string') {
      out.set(prefix.join(', '), { id, type: t, repeated });
      return;
    }
    switch (t.type) {
      case 'struct':
        for (const f of t.fields) walk([...prefix, f.name], f.id, f.type, repeated);
        return;
      case 'list':
        walk([...prefix, 'list', 'element'], t['element-id'], t.element, true);
        return;
      case 'map':
        walk([...prefix, 'key_value', 'key'], t['key-id'], t.key, true);
        walk([...prefix, 'key_value', 'value'], t['value-id'], t.value, true);
        return;
      default: {
        const never: never = t;
        throw new Error(`unknown type ${String(never)}`);
      }
    }
  };
  for (const f of schema.fields) walk([f.name], f.id, f.type, false);
  return out;
}
