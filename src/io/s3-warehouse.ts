import { UnsupportedError, ValidationError } from '../errors.js';
import { canonicalLocation } from './paths.js';
import { S3FileIO, type S3FileIOOptions } from './s3.js';
import { isS3Uri, parseS3Uri } from './s3-uri.js';

/**
 * The root of a remote warehouse (`s3://bucket/prefix`, no trailing slash). Its catalog stays on local
 * disk, so a SQLite file must be named unless a catalog is given.
 */
export function openS3Root(warehouse: string, options: { catalog?: unknown; catalogPath?: string; io?: unknown }): string {
  if (!isS3Uri(warehouse) && !options.io) throw new UnsupportedError(`warehouse ${warehouse}: only s3:// remote storage is supported`);
  if (isS3Uri(warehouse)) parseS3Uri(warehouse);
  if (!options.catalog && !options.catalogPath) {
    throw new ValidationError(`the warehouse ${warehouse} is on S3: name a local catalog file with catalogPath (CLI: --catalog-db FILE or FLOE_CATALOG_DB)`);
  }
  return canonicalLocation(warehouse);
}

/** An S3FileIO for a warehouse, after checking that its bucket exists and is usable (clear errors up front). */
export async function openS3FileIO(root: string, options: S3FileIOOptions = {}): Promise<S3FileIO> {
  const io = new S3FileIO(options);
  try {
    await io.checkBucket(root);
  } catch (e) {
    await io.close();
    throw e;
  }
  return io;
}
