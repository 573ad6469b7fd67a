import Table from 'cli-table3';
import type { ColumnInfo, SqlValue } from '../engine/duckdb.js';
import { ValidationError } from '../errors.js';

export type OutputFormat = 'table' | 'json' | 'csv';

export function parseFormat(s: string | undefined, isTty: boolean): OutputFormat {
  const f = s ?? (isTty ? 'table' : 'json');
  if (f !== 'table' && f !== 'json' && f !== 'csv') throw new ValidationError(`unknown format '${f}' (use table, json or csv)`);
  return f;
}

/**
 * A value for machine-readable output: integers beyond 2^53 and decimals as strings, dates and
 * times as ISO strings (already so in SqlValue), binary as base64, NULL as null.
 */
export function jsonValue(v: SqlValue, type?: string): unknown {
  if (v === null) return null;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) && BigInt(Number(v)) === v ? Number(v) : v.toString();
  if (typeof v === 'number') {
    if (type !== undefined && /^DECIMAL/i.test(type)) return String(v);
    return Number.isFinite(v) ? v : String(v);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map((x) => jsonValue(x));
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return v;
}

export function renderJson(columns: ColumnInfo[], rows: SqlValue[][]): string {
  const objects = rows.map((row) => {
    const o: Record<string, unknown> = {};
    columns.forEach((c, i) => {
      o[c.name] = jsonValue(row[i] ?? null, c.type);
    });
    return o;
  });
  return JSON.stringify(objects);
}

function text(v: SqlValue, type?: string): string {
  const j = jsonValue(v, type);
  if (j === null) return '';
  if (typeof j === 'object') return JSON.stringify(j);
  return String(j);
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(columns: ColumnInfo[], rows: SqlValue[][]): string {
  const lines = [columns.map((c) => csvField(c.name)).join(',')];
  for (const row of rows) lines.push(row.map((v, i) => (v === null ? '' : csvField(text(v, columns[i]?.type)))).join(','));
  return lines.join('\n');
}

export function renderTable(columns: ColumnInfo[], rows: SqlValue[][]): string {
  if (columns.length === 0) return '';
  const t = new Table({ head: columns.map((c) => c.name), style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((v, i) => (v === null ? 'NULL' : text(v, columns[i]?.type))));
  return `${t.toString()}\n(${rows.length} row${rows.length === 1 ? '' : 's'})`;
}

export function render(format: OutputFormat, columns: ColumnInfo[], rows: SqlValue[][]): string {
  switch (format) {
    case 'json':
      return renderJson(columns, rows);
    case 'csv':
      return renderCsv(columns, rows);
    case 'table':
      return renderTable(columns, rows);
    default: {
      const never: never = format;
      throw new Error(`unknown format ${String(never)}`);
    }
  }
}
