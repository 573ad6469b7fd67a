import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AccessDeniedError, CorruptMetadataError } from '../errors.js';

/**
 * Envelope encryption of whole files: each file gets its own random 256-bit data key (DEK);
 * the content is sealed with AES-256-GCM under the DEK, and the DEK is stored in the file's
 * header wrapped by a key-encryption key (KEK) — a local key file or an AWS KMS key.
 *
 * File layout (floe envelope v1):
 *   "FLOEENC1" | u32 big-endian header length | header JSON | ciphertext | 16-byte GCM tag
 * The header names the KEK (`kek.type`, `kek.id`), the wrapped DEK and the 12-byte IV. The GCM
 * additional data is the magic, length and header bytes followed by the file's path, so a
 * changed byte anywhere, a truncated file or a file swapped in from another path fails
 * authentication (NIST SP 800-38D: one key, unique 96-bit IVs; here a fresh key per file).
 */
export const ENVELOPE_MAGIC = Buffer.from('FLOEENC1', 'ascii');
const TAG_BYTES = 16;
const IV_BYTES = 12;

export interface KekRef {
  type: 'local' | 'kms';
  /** Local: the key's fingerprint; KMS: the key id or ARN used to wrap. */
  id: string;
}

/** A key-encryption key: makes fresh data keys for a path and unwraps them again. */
export interface KeyEncryptionKey {
  readonly ref: KekRef;
  /** A new 32-byte data key and its wrapped form, bound to `path`. */
  newDataKey(path: string): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }>;
  /** The data key of a file at `path`; throws AccessDeniedError when this KEK cannot open it. */
  unwrap(wrapped: Uint8Array, path: string): Promise<Uint8Array>;
}

interface Header {
  v: 1;
  alg: 'AES-256-GCM';
  kek: KekRef;
  /** base64 */
  dek: string;
  /** base64 */
  iv: string;
}

/** Whether bytes begin with floe's envelope magic. */
export function isEnvelope(data: Uint8Array): boolean {
  return data.length >= ENVELOPE_MAGIC.length && Buffer.from(data.buffer, data.byteOffset, ENVELOPE_MAGIC.length).equals(ENVELOPE_MAGIC);
}

/** Seals `plaintext` for `path` under a fresh data key wrapped by `kek`. */
export async function encryptFile(plaintext: Uint8Array, path: string, kek: KeyEncryptionKey): Promise<Uint8Array> {
  const { plaintext: dek, wrapped } = await kek.newDataKey(path);
  const iv = randomBytes(IV_BYTES);
  const header: Header = { v: 1, alg: 'AES-256-GCM', kek: kek.ref, dek: Buffer.from(wrapped).toString('base64'), iv: iv.toString('base64') };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(ENVELOPE_MAGIC.length + 4);
  ENVELOPE_MAGIC.copy(prefix);
  prefix.writeUInt32BE(headerBytes.length, ENVELOPE_MAGIC.length);
  const head = Buffer.concat([prefix, headerBytes]);
  const cipher = createCipheriv('aes-256-gcm', dek, iv);
  cipher.setAAD(Buffer.concat([head, Buffer.from(path, 'utf8')]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return new Uint8Array(Buffer.concat([head, body, cipher.getAuthTag()]));
}

/** The header of an envelope, without decrypting (for error messages and key checks). */
export function envelopeHeader(data: Uint8Array, path: string): { header: Header; headEnd: number } {
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (!isEnvelope(data)) throw new CorruptMetadataError(`${path} is not a floe-encrypted file`);
  if (buf.length < ENVELOPE_MAGIC.length + 4) throw new CorruptMetadataError(`encrypted file ${path} is truncated`);
  const len = buf.readUInt32BE(ENVELOPE_MAGIC.length);
  const headEnd = ENVELOPE_MAGIC.length + 4 + len;
  if (len > 64 * 1024 || headEnd + TAG_BYTES > buf.length) throw new CorruptMetadataError(`encrypted file ${path} is truncated or its header is damaged`);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(ENVELOPE_MAGIC.length + 4, headEnd).toString('utf8')) as Header;
  } catch (e) {
    throw new CorruptMetadataError(`encrypted file ${path} has a damaged header`, { cause: e });
  }
  if (header.v !== 1 || header.alg !== 'AES-256-GCM' || typeof header.dek !== 'string' || typeof header.iv !== 'string' || !header.kek) {
    throw new CorruptMetadataError(`encrypted file ${path} has an unknown or damaged header`);
  }
  return { header, headEnd };
}

/**
 * Opens an envelope written for `path`. A file sealed under another KEK fails with
 * AccessDeniedError naming both keys; a modified, truncated or moved file fails authentication
 * with CorruptMetadataError naming the file.
 */
export async function decryptFile(data: Uint8Array, path: string, kek: KeyEncryptionKey): Promise<Uint8Array> {
  const { header, headEnd } = envelopeHeader(data, path);
  if (header.kek.type !== kek.ref.type || header.kek.id !== kek.ref.id) {
    throw new AccessDeniedError(`wrong key for ${path}: it is encrypted with ${describeKek(header.kek)}, but the warehouse was opened with ${describeKek(kek.ref)}`);
  }
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const dek = await kek.unwrap(Buffer.from(header.dek, 'base64'), path);
  const iv = Buffer.from(header.iv, 'base64');
  if (iv.length !== IV_BYTES || dek.length !== 32) throw new CorruptMetadataError(`encrypted file ${path} has a damaged header`);
  const decipher = createDecipheriv('aes-256-gcm', dek, iv);
  decipher.setAAD(Buffer.concat([buf.subarray(0, headEnd), Buffer.from(path, 'utf8')]));
  decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(buf.subarray(headEnd, buf.length - TAG_BYTES)), decipher.final()]));
  } catch (e) {
    throw new CorruptMetadataError(`encrypted file ${path} failed authentication: it was modified, truncated, or moved here from another path`, { cause: e });
  }
}

export function describeKek(ref: KekRef): string {
  return ref.type === 'local' ? `the key file with fingerprint ${ref.id}` : `KMS key ${ref.id}`;
}

/** A short, non-secret identifier of a local key (SHA-256 over a domain tag and the key). */
export function keyFingerprint(key: Uint8Array): string {
  return createHash('sha256').update('floe-kek-fingerprint\u0000').update(key).digest('hex').slice(0, 16);
}

/** A KEK held in memory (read from a key file): data keys are wrapped with AES-256-GCM, bound to the path. */
export class LocalKek implements KeyEncryptionKey {
  readonly ref: KekRef;

  constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new AccessDeniedError(`a key-encryption key must be 32 bytes, got ${key.length}`);
    this.ref = { type: 'local', id: keyFingerprint(key) };
  }

  async newDataKey(path: string): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }> {
    const dek = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    c.setAAD(Buffer.from(`floe-dek\u0000${path}`, 'utf8'));
    const sealed = Buffer.concat([c.update(dek), c.final()]);
    return { plaintext: new Uint8Array(dek), wrapped: new Uint8Array(Buffer.concat([iv, sealed, c.getAuthTag()])) };
  }

  async unwrap(wrapped: Uint8Array, path: string): Promise<Uint8Array> {
    const w = Buffer.from(wrapped);
    if (w.length !== IV_BYTES + 32 + TAG_BYTES) throw new CorruptMetadataError(`encrypted file ${path} has a damaged data key`);
    const d = createDecipheriv('aes-256-gcm', this.key, w.subarray(0, IV_BYTES));
    d.setAAD(Buffer.from(`floe-dek\u0000${path}`, 'utf8'));
    d.setAuthTag(w.subarray(w.length - TAG_BYTES));
    try {
      return new Uint8Array(Buffer.concat([d.update(w.subarray(IV_BYTES, w.length - TAG_BYTES)), d.final()]));
    } catch (e) {
      throw new CorruptMetadataError(`the data key of ${path} failed authentication: the file was modified or moved here from another path`, { cause: e });
    }
  }
}
