import { openWarehouse, type Warehouse } from '../warehouse.js';
import { parseFormat, type OutputFormat } from './output.js';

/** Global options every command sees. */
export interface GlobalOptions {
  warehouse?: string;
  catalog?: string;
  format?: string;
  debug?: boolean;
}

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTty: boolean;
}

/** Opens the warehouse named by --warehouse, FLOE_WAREHOUSE or ./warehouse, with --catalog / FLOE_CATALOG when given. */
export function open(opts: GlobalOptions): Promise<Warehouse> {
  const catalog = opts.catalog ?? process.env['FLOE_CATALOG'];
  return openWarehouse({ warehouse: opts.warehouse ?? process.env['FLOE_WAREHOUSE'] ?? './warehouse', ...(catalog ? { catalog } : {}) });
}

export function formatOf(opts: GlobalOptions, io: CliIO): OutputFormat {
  return parseFormat(opts.format, io.isTty);
}

/** Runs `fn` with an open warehouse and always closes it. */
export async function withWarehouse<T>(opts: GlobalOptions, fn: (wh: Warehouse) => Promise<T>): Promise<T> {
  const wh = await open(opts);
  try {
    return await fn(wh);
  } finally {
    await wh.close();
  }
}
