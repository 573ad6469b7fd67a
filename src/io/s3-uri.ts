import { ValidationError } from '../errors.js';

/** A parsed `s3://bucket/key` location; `scheme` is kept so listings echo the caller's form. */
export interface S3Location {
  scheme: 's3' | 's3a' | 's3n';
  bucket: string;
  /** Object key without a leading slash ('' for the bucket itself). */
  key: string;
}

/** Hadoop's `s3a://` and `s3n://` name the same objects as `s3://` (Iceberg's S3FileIO accepts all three). */
const S3_URI = /^(s3|s3a|s3n):\/\/([^/?#]+)(\/.*)?$/i;

/** spec: S3 bucket naming rules: 3–63 characters of lower-case letters, digits, dots and hyphens. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Uri(path: string): boolean {
  return S3_URI.test(path);
}

/** Parses an S3 URI; anything else, or a malformed bucket name, is a ValidationError naming it. */
export function parseS3Uri(uri: string): S3Location {
  const m = S3_URI.exec(uri);
  if (!m) throw new ValidationError(`'${uri}' is not an s3:// URI`);
  const bucket = m[2]!;
  if (!BUCKET_NAME.test(bucket)) throw new ValidationError(`'${bucket}' in ${uri} is not a valid S3 bucket name`);
  const key = (m[3] ?? '').replace(/^\/+/, '');
  if (key.includes('\u0000')) throw new ValidationError(`S3 key in '${uri.replace(/\u0000/g, '\\0')}' contains a NUL character`);
  return { scheme: m[1]!.toLowerCase() as S3Location['scheme'], bucket, key };
}

/** Parses an S3 URI that must name an object (a non-empty key). */
export function parseS3Object(uri: string): S3Location {
  const loc = parseS3Uri(uri);
  if (loc.key === '' || loc.key.endsWith('/')) throw new ValidationError(`'${uri}' names a bucket or folder, not an object`);
  return loc;
}

export function formatS3Uri(loc: Pick<S3Location, 'scheme' | 'bucket'>, key: string): string {
  return `${loc.scheme}://${loc.bucket}/${key}`;
}
