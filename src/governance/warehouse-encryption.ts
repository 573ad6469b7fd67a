import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import { AccessDeniedError, CorruptMetadataError } from '../errors.js';
import { EncryptedFileIO } from '../io/encrypted.js';
import type { FileIO } from '../io/file-io.js';
import { describeKek, type KekRef, type KeyEncryptionKey } from './encryption.js';
import { loadKeyFile } from './key-file.js';
import { KmsKek } from './kms-kek.js';

/** How a warehouse's files are encrypted at rest: a local key file, a KMS key, or a KEK object. */
export type EncryptionOptions =
  | { keyFile: string }
  | { kmsKeyId: string; region?: string; kmsClient?: KMSClient }
  | { kek: KeyEncryptionKey };

/** Beside catalog.db: which KEK the warehouse's files are sealed with (never the key itself). */
export const MARKER_FILE = 'floe-encryption.json';

export async function kekFrom(options: EncryptionOptions): Promise<KeyEncryptionKey> {
  if ('kek' in options) return options.kek;
  if ('keyFile' in options) return loadKeyFile(options.keyFile);
  return new KmsKek({ keyId: options.kmsKeyId, ...(options.region ? { region: options.region } : {}), ...(options.kmsClient ? { client: options.kmsClient } : {}) });
}

/**
 * The FileIO of an embedded warehouse at `root`. An encrypted warehouse records its KEK in
 * `floe-encryption.json`; opening it without a key, or with another key, fails at once with
 * AccessDeniedError naming the key it needs, rather than at the first file read.
 */
export async function warehouseIO(root: string, io: FileIO, options: EncryptionOptions | undefined): Promise<FileIO> {
  const marker = join(root, MARKER_FILE);
  const recorded = await readMarker(marker);
  if (!options) {
    if (recorded) throw new AccessDeniedError(`warehouse ${root} is encrypted with ${describeKek(recorded)}: open it with ${recorded.type === 'local' ? '--key-file FILE' : `--kms-key-id ${recorded.id}`}`);
    return io;
  }
  const kek = await kekFrom(options);
  if (recorded && (recorded.type !== kek.ref.type || recorded.id !== kek.ref.id)) {
    throw new AccessDeniedError(`wrong key for warehouse ${root}: it is encrypted with ${describeKek(recorded)}, not ${describeKek(kek.ref)}`);
  }
  if (!recorded) await writeFile(marker, `${JSON.stringify({ version: 1, kek: kek.ref }, null, 2)}\n`, { flag: 'wx' }).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  });
  return new EncryptedFileIO(io, { kek });
}

async function readMarker(path: string): Promise<KekRef | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  const m = JSON.parse(text) as { kek?: KekRef };
  if (!m.kek || (m.kek.type !== 'local' && m.kek.type !== 'kms') || typeof m.kek.id !== 'string') throw new CorruptMetadataError(`${path} is damaged`);
  return m.kek;
}
