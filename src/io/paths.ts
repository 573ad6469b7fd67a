import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.js';

/** `scheme://authority` of a URI (`s3://bucket`, `file://`), or '' for a plain path. */
const URI_HEAD = /^([a-z][a-z0-9+.-]*:\/\/[^/]*)/i;

/**
 * A local file path for `file:` URIs (`file:///abs`, `file:/abs`, percent-decoded, RFC 8089)
 * and absolute paths. Other schemes and relative paths are not local: ValidationError.
 */
export function toLocalPath(uriOrPath: string): string {
  if (uriOrPath.includes('\u0000')) throw new ValidationError(`path '${uriOrPath.replace(/\u0000/g, '\\0')}' contains a NUL character`);
  if (/^file:/i.test(uriOrPath)) {
    if (!/^file:\//i.test(uriOrPath)) throw new ValidationError(`'${uriOrPath}' is not an absolute file URI`);
    // `file:/abs` (Java's URI form) and `file:///abs` are the same file; `file://host/…` is not local.
    const uri = /^file:\/(?!\/)/i.test(uriOrPath) ? `file://${uriOrPath.slice(5)}` : uriOrPath;
    let local: string;
    try {
      local = fileURLToPath(uri);
    } catch (e) {
      throw new ValidationError(`'${uriOrPath}' is not a valid local file URI`, { cause: e });
    }
    if (local.includes('\u0000')) throw new ValidationError(`path '${uriOrPath}' contains a NUL character`);
    return local;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(uriOrPath)) throw new ValidationError(`'${uriOrPath}' is not a local path`);
  if (!uriOrPath.startsWith('/')) throw new ValidationError(`'${uriOrPath}' is not an absolute path`);
  return uriOrPath;
}

/**
 * Joins a base path or URI with further segments using single slashes; the `scheme://authority`
 * head of a URI is kept as it is (`joinPath('s3://b/', '/x//y')` → `s3://b/x/y`).
 */
export function joinPath(base: string, ...parts: string[]): string {
  const head = URI_HEAD.exec(base)?.[1] ?? '';
  const body = [base.slice(head.length), ...parts]
    .flatMap((p) => p.split('/'))
    .filter((s) => s !== '')
    .join('/');
  if (head !== '') return `${head}/${body}`;
  return base.startsWith('/') ? `/${body}` : body;
}

/**
 * Whether `path` lies inside `root` (or is `root`) once `.` and `..` are resolved. Segment-wise,
 * so `/a/bc` is not under `/a/b`; URIs must share scheme and authority.
 */
export function isUnder(path: string, root: string): boolean {
  const hp = URI_HEAD.exec(path)?.[1] ?? '';
  const hr = URI_HEAD.exec(root)?.[1] ?? '';
  if (hp.toLowerCase() !== hr.toLowerCase()) return false;
  const p = posix.normalize(`/${path.slice(hp.length)}`);
  const r = posix.normalize(`/${root.slice(hr.length)}`).replace(/\/+$/, '');
  return r === '' || p === r || p.startsWith(`${r}/`);
}

/** Schemes that name the same object store (Hadoop's S3 connectors: `s3a`, `s3n` → `s3`). */
const EQUIVALENT_SCHEMES: Record<string, string> = { s3a: 's3', s3n: 's3' };

/**
 * One spelling per stored file, for comparing paths written by different engines: `file:/x`,
 * `file:///x`, `file://localhost/x` and `/x` become `/x` (with `.`, `..` and repeated slashes
 * resolved); `s3a://b/k` and `s3n://b/k` become `s3://b/k`; schemes and hosts are lower-cased.
 * Object-store keys are kept as they are (`a//b` and `a/b` are different keys). Anything that is
 * not a URI or an absolute path is returned unchanged.
 */
export function canonicalPath(path: string): string {
  if (/^file:/i.test(path) || path.startsWith('/')) {
    try {
      return posix.normalize(toLocalPath(path));
    } catch {
      return path;
    }
  }
  const m = /^([a-z][a-z0-9+.-]*):\/\/([^/]*)(.*)$/i.exec(path);
  if (!m) return path;
  const scheme = m[1]!.toLowerCase();
  return `${EQUIVALENT_SCHEMES[scheme] ?? scheme}://${m[2]!.toLowerCase()}${m[3]!}`;
}

/** Whether a path is a URI of remote storage (`s3://…`, any scheme with an authority except `file:`). */
export function isRemoteUri(path: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) && !/^file:/i.test(path);
}

/**
 * The canonical form of a warehouse or table location: a remote URI without trailing slashes,
 * or an absolute local path (relative paths resolved against the working directory, `file:` URIs decoded).
 */
export function canonicalLocation(location: string): string {
  if (isRemoteUri(location)) return location.replace(/\/+$/, '');
  return posix.resolve(/^file:/i.test(location) ? toLocalPath(location) : location);
}
