import { ValidationError } from '../errors.js';
import type { S3FileIOOptions } from './s3.js';

/**
 * S3 settings from the environment, as the CLI reads them:
 * `AWS_REGION` (or `AWS_DEFAULT_REGION`), `FLOE_S3_ENDPOINT` (or `AWS_ENDPOINT_URL_S3`),
 * `FLOE_S3_FORCE_PATH_STYLE`, `FLOE_S3_SSE_KMS_KEY_ID`, `FLOE_S3_BUCKET_KEY_ENABLED`,
 * `FLOE_S3_MAX_ATTEMPTS`, `FLOE_S3_PART_SIZE_MIB`, `FLOE_S3_CACHE_DIR`, `FLOE_S3_CACHE_MAX_BYTES`.
 * Credentials are not read here: the SDK's default provider chain finds them.
 */
export function s3OptionsFromEnv(env: Record<string, string | undefined> = process.env): S3FileIOOptions {
  const out: S3FileIOOptions = {};
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  if (region) out.region = region;
  const endpoint = env['FLOE_S3_ENDPOINT'] ?? env['AWS_ENDPOINT_URL_S3'];
  if (endpoint) out.endpoint = endpoint;
  const pathStyle = bool(env, 'FLOE_S3_FORCE_PATH_STYLE');
  if (pathStyle !== undefined) out.forcePathStyle = pathStyle;
  const keyId = env['FLOE_S3_SSE_KMS_KEY_ID'];
  const bucketKey = bool(env, 'FLOE_S3_BUCKET_KEY_ENABLED');
  if (keyId) out.sseKms = { keyId, ...(bucketKey !== undefined ? { bucketKeyEnabled: bucketKey } : {}) };
  const attempts = int(env, 'FLOE_S3_MAX_ATTEMPTS');
  if (attempts !== undefined) out.maxAttempts = attempts;
  const part = int(env, 'FLOE_S3_PART_SIZE_MIB');
  if (part !== undefined) out.partSizeBytes = part * 1024 * 1024;
  const cacheDir = env['FLOE_S3_CACHE_DIR'];
  if (cacheDir) out.cacheDir = cacheDir;
  const cacheMax = int(env, 'FLOE_S3_CACHE_MAX_BYTES');
  if (cacheMax !== undefined) out.cacheMaxBytes = cacheMax;
  return out;
}

function bool(env: Record<string, string | undefined>, name: string): boolean | undefined {
  const v = env[name]?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ValidationError(`${name} must be true or false, not '${env[name]}'`);
}

function int(env: Record<string, string | undefined>, name: string): number | undefined {
  const v = env[name]?.trim();
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new ValidationError(`${name} must be a whole number, not '${env[name]}'`);
  return Number(v);
}
