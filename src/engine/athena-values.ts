import type { ColumnInfo as AthenaColumnInfo } from '@aws-sdk/client-athena';
import type { ColumnInfo, SqlValue } from './duckdb.js';

/**
 * Athena returns every value as a string (`VarCharValue`, absent for NULL). These helpers lift
 * them to the same SqlValue shapes the DuckDB path returns (see duckdb.ts), typed by the
 * ResultSetMetadata column types (Athena's Trino spellings: `bigint`, `decimal`, `timestamp`, …).
 */

/** Athena's type name → the DuckDB spelling floe's output layer keys on (e.g. DECIMAL → exact string). */
export function duckdbSpelling(col: AthenaColumnInfo): string {
  const t = (col.Type ?? 'varchar').toLowerCase();
  switch (t) {
    case 'boolean':
      return 'BOOLEAN';
    case 'tinyint':
      return 'TINYINT';
    case 'smallint':
      return 'SMALLINT';
    case 'integer':
    case 'int':
      return 'INTEGER';
    case 'bigint':
      return 'BIGINT';
    case 'real':
    case 'float':
      return 'FLOAT';
    case 'double':
      return 'DOUBLE';
    case 'decimal':
      return `DECIMAL(${col.Precision ?? 38},${col.Scale ?? 0})`;
    case 'date':
      return 'DATE';
    case 'timestamp':
      return 'TIMESTAMP';
    case 'timestamp with time zone':
      return 'TIMESTAMP WITH TIME ZONE';
    case 'time':
      return 'TIME';
    case 'varbinary':
      return 'BLOB';
    default:
      // varchar, char, json, uuid, ipaddress, and nested array/map/row (kept as Athena prints them)
      return 'VARCHAR';
  }
}

export function columnsOf(meta: AthenaColumnInfo[]): ColumnInfo[] {
  return meta.map((c) => ({ name: c.Label ?? c.Name ?? '', type: duckdbSpelling(c) }));
}

/** One Athena cell (undefined = NULL) as a SqlValue of the column's type. */
export function athenaValue(raw: string | undefined, col: AthenaColumnInfo): SqlValue {
  if (raw === undefined) return null;
  const t = (col.Type ?? 'varchar').toLowerCase();
  switch (t) {
    case 'boolean':
      return raw === 'true';
    case 'tinyint':
    case 'smallint':
    case 'integer':
    case 'int':
      return Number(raw);
    case 'bigint':
      return BigInt(raw);
    case 'real':
    case 'float':
    case 'double':
      return Number(raw);
    case 'decimal':
      return raw;
    case 'date':
      return raw;
    case 'timestamp':
      return isoTimestamp(raw);
    case 'timestamp with time zone':
      return isoTimestampTz(raw);
    case 'varbinary':
      return hexBytes(raw);
    default:
      return raw;
  }
}

/** `2026-01-01 10:00:00.120` → `2026-01-01T10:00:00.12` (DuckDB trims fraction zeros the same way). */
export function isoTimestamp(s: string): string {
  const m = /^(\d{4,}-\d\d-\d\d)[ T](\d\d:\d\d:\d\d)(?:\.(\d+))?$/.exec(s.trim());
  if (!m) return s.replace(' ', 'T');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return `${m[1]}T${m[2]}${frac ? `.${frac}` : ''}`;
}

/** `2026-01-01 10:00:00.500 UTC` (or `+01:00`) → `2026-01-01T10:00:00.5+00:00`. */
export function isoTimestampTz(s: string): string {
  const m = /^(\S+ \S+?)\s*(UTC|Z|[+-]\d\d:?\d\d)?$/.exec(s.trim());
  if (!m) return s.replace(' ', 'T');
  const zone = m[2] === undefined || m[2] === 'UTC' || m[2] === 'Z' ? '+00:00' : m[2].includes(':') ? m[2] : `${m[2].slice(0, 3)}:${m[2].slice(3)}`;
  return `${isoTimestamp(m[1]!)}${zone}`;
}

/** Athena prints varbinary as space-separated hex pairs (`68 65 6c`). */
function hexBytes(s: string): Uint8Array {
  const hex = s.replace(/\s+/g, '');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}
