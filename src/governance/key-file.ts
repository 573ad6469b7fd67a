import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { AccessDeniedError, AlreadyExistsError, NotFoundError, ValidationError } from '../errors.js';
import { keyFingerprint, LocalKek } from './encryption.js';

/**
 * A local key file holds one key-encryption key: 32 random bytes, base64, one line. It is
 * created with mode 0600 and refused when others may read it (as ssh does with private keys).
 */
export async function createKeyFile(path: string): Promise<string> {
  const key = randomBytes(32);
  try {
    await writeFile(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new AlreadyExistsError(`key file ${path} already exists (floe never overwrites a key)`);
    throw e;
  }
  return keyFingerprint(key);
}

export async function loadKeyFile(path: string): Promise<LocalKek> {
  let text: string;
  try {
    const s = await stat(path);
    if (process.platform !== 'win32' && (s.mode & 0o077) !== 0) {
      throw new AccessDeniedError(`key file ${path} is accessible by others (mode ${(s.mode & 0o777).toString(8)}): chmod 600 ${path}`);
    }
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`key file ${path} does not exist (create one with: floe keys create ${path})`);
    throw e;
  }
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64') !== text.trim()) throw new ValidationError(`key file ${path} does not hold a base64 32-byte key`);
  return new LocalKek(key);
}
