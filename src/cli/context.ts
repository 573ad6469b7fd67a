import { s3OptionsFromEnv } from '../io/s3-env.js';
import type { S3FileIOOptions } from '../io/s3.js';
import { isS3Uri } from '../io/s3-uri.js';
import { openWarehouse, type Warehouse } from '../warehouse.js';
import { encryptionFrom } from './keys.js';
import { parseFormat, type OutputFormat } from './output.js';

/** Global options every command sees. */
export interface GlobalOptions {
  warehouse?: string;
  /** Local SQLite catalog file (needed for an s3:// warehouse; env FLOE_CATALOG_DB). */
  catalogDb?: string;
  /** A shared catalog instead of the embedded one: postgres://… or glue (env FLOE_CATALOG). */
  catalog?: string;
  format?: string;
  debug?: boolean;
  /** AWS region for S3, Glue, Athena and KMS (else the SDK's: AWS_REGION, profile). */
  region?: string;
  /** SSE-KMS key for S3 writes (env FLOE_S3_SSE_KMS_KEY_ID). */
  sseKmsKeyId?: string;
}

export interface CliIO {
  out: (s: string) => void;
  err: (s: string) => void;
  isTty: boolean;
}

/**
 * Opens the warehouse named by --warehouse, FLOE_WAREHOUSE or ./warehouse, with --catalog /
 * FLOE_CATALOG when given (S3 and encryption settings from options and the environment).
 */
export function open(opts: GlobalOptions): Promise<Warehouse> {
  const warehouse = opts.warehouse ?? process.env['FLOE_WAREHOUSE'] ?? './warehouse';
  const catalogPath = opts.catalogDb ?? process.env['FLOE_CATALOG_DB'];
  let catalog = opts.catalog ?? process.env['FLOE_CATALOG'];
  if (catalog?.toLowerCase() === 'glue' && opts.region) catalog = `glue://?region=${encodeURIComponent(opts.region)}`;
  const encryption = encryptionFrom(opts);
  return openWarehouse({
    warehouse,
    ...(catalog ? { catalog } : {}),
    ...(catalogPath ? { catalogPath } : {}),
    ...(isS3Uri(warehouse) ? { s3: s3Options(opts) } : {}),
    ...(encryption ? { encryption } : {}),
  });
}

/** S3 settings from the environment, with --region and --sse-kms-key-id (or --aws-config) over it. */
function s3Options(opts: GlobalOptions): S3FileIOOptions {
  const s3 = s3OptionsFromEnv();
  if (opts.region) s3.region = opts.region;
  if (opts.sseKmsKeyId) s3.sseKms = { ...s3.sseKms, keyId: opts.sseKmsKeyId };
  return s3;
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
