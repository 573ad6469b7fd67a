import type { Cell } from '../engine/materialize.js';
import { decimalParams, fixedLength } from '../spec/schema.js';
import type { PrimitiveTypeName } from '../spec/types.js';
import { formatValue } from '../spec/values.js';

/**
 * A value (floe's in-memory form, spec/values.ts) as a metadata-table cell that DuckDB casts to
 * the column's type: numbers and bigints as themselves, bytes as BLOBs, temporal and decimal values
 * as the text `CAST('…' AS type)` accepts. Values written before a type promotion (an int under a
 * now-long column) are widened.
 */
export function valueCell(type: PrimitiveTypeName, v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (type === 'binary' || fixedLength(type) !== null) return v instanceof Uint8Array ? v : null;
  if (decimalParams(type)) return formatValue(type, v);
  switch (type) {
    case 'boolean':
      return Boolean(v);
    case 'int':
    case 'float':
    case 'double':
      return Number(v);
    case 'long':
      return typeof v === 'bigint' ? v : BigInt(v as number);
    case 'string':
    case 'uuid':
    case 'unknown':
      return String(v);
    default:
      return formatValue(type, v);
  }
}
