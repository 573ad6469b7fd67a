import { duckdbType } from '../engine/types.js';
import { decimalParams } from '../spec/schema.js';
import type { PrimitiveTypeName } from '../spec/types.js';

/**
 * Casts source text to a column type without DuckDB's lenient rounding ('1.5' as INTEGER is 2,
 * '1.234' as DECIMAL(10, 2) is 1.23): integers must be written as integers and decimals may not
 * carry more fractional digits than the column's scale; anything else reads as a type failure
 * (NULL). Cheaper than casting the value back to text: one extra numeric parse per value.
 */
export function strictTextCast(expr: string, t: PrimitiveTypeName): string {
  const cast = `TRY_CAST(${expr} AS ${duckdbType(t)})`;
  // The value must equal the text read exactly: as a double (exact for integers up to 2^53 and
  // decimals up to 15 digits), or as a decimal with six more fractional digits (wider decimals).
  if (t === 'int' || t === 'long') return `CASE WHEN TRY_CAST(${expr} AS DOUBLE) = ${cast} THEN ${cast} END`;
  const dec = decimalParams(t);
  if (dec && dec.precision <= 15) return `CASE WHEN TRY_CAST(${expr} AS DOUBLE) = ${cast} THEN ${cast} END`;
  if (dec && dec.precision < 38) {
    const finer = `TRY_CAST(${expr} AS DECIMAL(38, ${Math.min(38, dec.scale + Math.min(6, 38 - dec.precision))}))`;
    return `CASE WHEN ${finer} IS NULL OR ${finer} = ${cast} THEN ${cast} END`;
  }
  return cast;
}

/**
 * The type strict CSV staging casts a column's text into while parsing: the column's own type,
 * except int (read as long) and decimals of up to 15 digits (read with 15, the widest the double
 * check covers), so that wider values stay visible to drift detection (spec: int → long, decimal
 * precision). Text that does not fit the staging type is kept as text for drift and quarantine.
 */
export function strictStageType(t: PrimitiveTypeName): PrimitiveTypeName {
  if (t === 'int') return 'long';
  const dec = decimalParams(t);
  if (dec && dec.precision <= 15) return `decimal(15, ${dec.scale})`;
  return t;
}
