import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AccessDeniedError, CorruptMetadataError } from '../../src/errors.js';
import { decryptFile, encryptFile, envelopeHeader, LocalKek } from '../../src/governance/encryption.js';

const kek = new LocalKek(randomBytes(32));
const PATH = '/lake/db/t/data/00000-a.parquet';

describe('floe envelope v1', () => {
  it('round-trips any content and never stores it in the clear', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), async (plain) => {
        const sealed = await encryptFile(plain, PATH, kek);
        expect(Buffer.from(await decryptFile(sealed, PATH, kek))).toEqual(Buffer.from(plain));
        if (plain.length >= 16) expect(Buffer.from(sealed).includes(Buffer.from(plain))).toBe(false);
      }),
      { numRuns: 50 },
    );
  });

  it('uses a fresh data key and IV per file', async () => {
    const a = envelopeHeader(await encryptFile(Buffer.from('same'), PATH, kek), PATH).header;
    const b = envelopeHeader(await encryptFile(Buffer.from('same'), PATH, kek), PATH).header;
    expect(a.dek).not.toBe(b.dek);
    expect(a.iv).not.toBe(b.iv);
  });

  it('fails authentication on any single changed byte, truncation or another path', async () => {
    const sealed = await encryptFile(Buffer.from('x'.repeat(300)), PATH, kek);
    const { headEnd } = envelopeHeader(sealed, PATH);
    // a byte in the header JSON's IV, in the ciphertext and in the tag
    const headerText = Buffer.from(sealed.subarray(0, headEnd)).toString('latin1');
    const ivAt = headerText.indexOf('"iv":"') + 7;
    for (const at of [ivAt, headEnd + 5, sealed.length - 1]) {
      const bad = Uint8Array.from(sealed);
      bad[at] = bad[at]! ^ 0x20;
      await expect(decryptFile(bad, PATH, kek), `byte ${at}`).rejects.toBeInstanceOf(CorruptMetadataError);
    }
    await expect(decryptFile(sealed.subarray(0, sealed.length - 3), PATH, kek)).rejects.toBeInstanceOf(CorruptMetadataError);
    await expect(decryptFile(sealed, '/lake/db/t/data/00000-b.parquet', kek)).rejects.toThrow(/00000-b\.parquet failed authentication|data key of \/lake\/db\/t\/data\/00000-b\.parquet failed/);
  });

  it('names both keys when opened with another key', async () => {
    const other = new LocalKek(randomBytes(32));
    const sealed = await encryptFile(Buffer.from('secret'), PATH, kek);
    const err = await decryptFile(sealed, PATH, other).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toBe(`wrong key for ${PATH}: it is encrypted with the key file with fingerprint ${kek.ref.id}, but the warehouse was opened with the key file with fingerprint ${other.ref.id}`);
  });
});
