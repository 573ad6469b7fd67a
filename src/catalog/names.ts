import { ValidationError } from '../errors.js';
import type { TableIdentifier } from '../spec/types.js';

/**
 * Names become path segments and catalog keys, so hostile ones are refused: empty, `.`/`..`,
 * separators, dots inside one level, control characters, over 255 characters.
 */
export function validateName(name: string, what: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new ValidationError(`${what} name must not be empty`);
  if (name.length > 255) throw new ValidationError(`${what} name '${name.slice(0, 40)}…' is longer than 255 characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f/\\]/.test(name) || name.includes('.')) {
    throw new ValidationError(`invalid ${what} name '${name.replace(/[\u0000-\u001f\u007f]/g, '?')}': it must not contain '.', '/', '\\' or control characters`);
  }
}

export function validateNamespace(namespace: string[]): void {
  if (!Array.isArray(namespace) || namespace.length === 0) throw new ValidationError('namespace must not be empty');
  for (const level of namespace) validateName(level, 'namespace');
}

export function validateIdentifier(id: TableIdentifier): void {
  validateNamespace(id.namespace);
  validateName(id.name, 'table');
}
