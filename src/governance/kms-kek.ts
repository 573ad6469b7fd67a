import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { AccessDeniedError, CorruptMetadataError, FloeError, IoError, NotFoundError, errorMessage } from '../errors.js';
import type { KekRef, KeyEncryptionKey } from './encryption.js';

/** The EncryptionContext key binding a data key to its file (KMS: Decrypt needs the same context). */
export const KMS_CONTEXT_KEY = 'floe:path';

export interface KmsKekOptions {
  keyId: string;
  client?: KMSClient;
  region?: string;
}

/**
 * A KEK in AWS KMS: GenerateDataKey (AES_256) makes each file's data key, Decrypt unwraps it.
 * Both carry EncryptionContext {"floe:path": <file path>}, so KMS refuses to unwrap a data key
 * for any other path, and CloudTrail records which file each use was for.
 */
export class KmsKek implements KeyEncryptionKey {
  readonly ref: KekRef;
  private readonly client: KMSClient;
  /** Unwrapped data keys by wrapped blob: one Decrypt per file per process. */
  private readonly cache = new Map<string, Uint8Array>();

  constructor(options: KmsKekOptions) {
    this.ref = { type: 'kms', id: options.keyId };
    this.client = options.client ?? new KMSClient(options.region ? { region: options.region } : {});
  }

  async newDataKey(path: string): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }> {
    try {
      const r = await this.client.send(new GenerateDataKeyCommand({ KeyId: this.ref.id, KeySpec: 'AES_256', EncryptionContext: { [KMS_CONTEXT_KEY]: path } }));
      if (!r.Plaintext || !r.CiphertextBlob) throw new IoError(`KMS GenerateDataKey with key ${this.ref.id} returned no data key`);
      return { plaintext: r.Plaintext, wrapped: r.CiphertextBlob };
    } catch (e) {
      throw kmsError(e, 'GenerateDataKey', this.ref.id, path);
    }
  }

  async unwrap(wrapped: Uint8Array, path: string): Promise<Uint8Array> {
    const key = `${path}\u0000${Buffer.from(wrapped).toString('base64')}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    try {
      const r = await this.client.send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: this.ref.id, EncryptionContext: { [KMS_CONTEXT_KEY]: path } }));
      if (!r.Plaintext) throw new IoError(`KMS Decrypt with key ${this.ref.id} returned no plaintext for ${path}`);
      if (this.cache.size >= 4096) this.cache.clear();
      this.cache.set(key, r.Plaintext);
      return r.Plaintext;
    } catch (e) {
      throw kmsError(e, 'Decrypt', this.ref.id, path);
    }
  }
}

function kmsError(e: unknown, call: string, keyId: string, path: string): FloeError {
  if (e instanceof FloeError) return e;
  const name = (e as { name?: string } | undefined)?.name ?? 'Error';
  const msg = `KMS ${call} with key ${keyId} for ${path} failed: ${name}: ${errorMessage(e)}`;
  switch (name) {
    case 'AccessDeniedException':
    case 'IncorrectKeyException':
    case 'DisabledException':
    case 'KMSInvalidStateException':
    case 'ExpiredTokenException':
    case 'UnrecognizedClientException':
      return new AccessDeniedError(msg, { cause: e });
    case 'InvalidCiphertextException':
      // KMS refuses a blob whose EncryptionContext (the path) differs, or that was altered.
      return new CorruptMetadataError(`${msg} (the data key was altered, or the file was moved here from another path)`, { cause: e });
    case 'NotFoundException':
      return new NotFoundError(msg, { cause: e });
    default:
      return new IoError(msg, { cause: e });
  }
}
