import { posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.js';

/** A local file path for `file:` URIs and absolute paths; other schemes are not local. */
export function toLocalPath(uriOrPath: string): string {
  if (uriOrPath.startsWith('file:')) {
    try {
      return fileURLToPath(uriOrPath.startsWith('file:///') ? uriOrPath : uriOrPath.replace(/^file:\/*/, 'file:///'));
    } catch (e) {
      throw new ValidationError(`'${uriOrPath}' is not a valid file URI`, { cause: e });
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uriOrPath)) throw new ValidationError(`'${uriOrPath}' is not a local path`);
  if (!uriOrPath.startsWith('/')) throw new ValidationError(`'${uriOrPath}' is not an absolute path`);
  return uriOrPath;
}

/** Joins path segments of a path or URI with single slashes. */
export function joinPath(base: string, ...parts: string[]): string {
  let out = base.replace(/\/+$/, '');
  for (const p of parts) {
    const clean = p.replace(/^\/+/, '').replace(/\/+$/, '');
    if (clean) out = `${out}/${clean}`;
  }
  return out;
}

/** Whether `path` lies inside `root` once `.` and `..` are resolved. */
export function isUnder(path: string, root: string): boolean {
  const scheme = (s: string) => /^([a-z][a-z0-9+.-]*:\/\/[^/]*)/i.exec(s)?.[1] ?? '';
  const sp = scheme(path);
  const sr = scheme(root);
  if (sp.toLowerCase() !== sr.toLowerCase()) return false;
  const p = posix.normalize(`/${path.slice(sp.length)}`);
  const r = posix.normalize(`/${root.slice(sr.length)}`).replace(/\/+$/, '');
  return r === '' || p === r || p.startsWith(`${r}/`);
}
