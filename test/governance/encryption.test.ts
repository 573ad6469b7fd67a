import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DecryptCommand,
  DecryptRequest$,
  GenerateDataKeyCommand,
  GenerateDataKeyRequest$,
  KMSClient,
  type DecryptRequest,
  type GenerateDataKeyRequest,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AccessDeniedError, CorruptMetadataError, NotFoundError } from '../../src/errors.js';
import { createKeyFile } from '../../src/governance/key-file.js';
import { EncryptedFileIO } from '../../src/io/encrypted.js';
import { openWarehouse, type Warehouse } from '../../src/warehouse.js';
import { shapeErrors } from '../helpers/sdk-shape.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
let keyFile: string;
const open: Warehouse[] = [];

async function wh(options: Parameters<typeof openWarehouse>[0] = {}): Promise<Warehouse> {
  const w = await openWarehouse({ warehouse: join(dir, 'wh'), engine: { threads: 2 }, ...options });
  open.push(w);
  return w;
}

async function closeAll(): Promise<void> {
  for (const w of open.splice(0)) await w.close();
}

async function rows(w: Warehouse, sql: string): Promise<unknown[][]> {
  return (await w.sql(sql)).rows.map((r) => r.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

async function filesUnder(root: string, suffix: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (e.isFile() && suffix.test(e.name)) out.push(join(e.parentPath, e.name));
  }
  return out.sort();
}

async function setup(w: Warehouse, mode = 'copy-on-write'): Promise<void> {
  await w.sql('CREATE NAMESPACE db');
  await w.sql(`CREATE TABLE db.t (id BIGINT, kind STRING, d DATE) PARTITIONED BY (kind) TBLPROPERTIES ('write.delete.mode' = '${mode}', 'write.update.mode' = '${mode}')`);
  await w.sql("INSERT INTO db.t VALUES (1, 'a', DATE '2026-01-01'), (2, 'a', DATE '2026-01-02'), (3, 'b', DATE '2026-01-03'), (4, 'c', NULL)");
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-enc-'));
  keyFile = join(dir, 'floe.key');
  await createKeyFile(keyFile);
});
afterEach(async () => {
  await closeAll();
  await rm(dir, { recursive: true, force: true });
});

describe('encrypted warehouse (local key file)', () => {
  for (const mode of ['copy-on-write', 'merge-on-read']) {
    it(`round-trips INSERT / SELECT / DELETE / UPDATE (${mode}) and leaves no Parquet or Avro plaintext on disk`, async () => {
      const w = await wh({ encryption: { keyFile } });
      await setup(w, mode);
      await w.sql("DELETE FROM db.t WHERE id = 2");
      await w.sql("UPDATE db.t SET kind = 'z' WHERE id = 3");
      expect(await rows(w, 'SELECT id, kind, d FROM db.t ORDER BY id')).toEqual([
        [1, 'a', '2026-01-01'],
        [3, 'z', '2026-01-03'],
        [4, 'c', null],
      ]);
      await closeAll();

      const data = await filesUnder(join(dir, 'wh'), /\.(parquet|avro)$/);
      expect(data.filter((f) => f.endsWith('.parquet')).length).toBeGreaterThanOrEqual(3);
      expect(data.some((f) => f.endsWith('.avro'))).toBe(true);
      for (const f of data) {
        const bytes = await readFile(f);
        expect(bytes.subarray(0, 8).toString('latin1'), f).toBe('FLOEENC1');
        expect(bytes.includes(Buffer.from('PAR1')), f).toBe(false);
        expect(bytes.includes(Buffer.from('avro.schema')), f).toBe(false);
      }
      // table metadata stays readable for catalogs and tools
      const meta = await filesUnder(join(dir, 'wh'), /\.metadata\.json$/);
      expect(JSON.parse(await readFile(meta[0]!, 'utf8'))['format-version']).toBe(2);

      const again = await wh({ encryption: { keyFile } });
      expect(await rows(again, 'SELECT count(*), sum(id) FROM db.t')).toEqual([[3, 8]]);
    });
  }

  it('decrypts for DuckDB into a private cache that close() removes', async () => {
    const w = await wh({ encryption: { keyFile } });
    await setup(w);
    expect(w.io).toBeInstanceOf(EncryptedFileIO);
    const table = await w.loadTable('db.t');
    const plan = await table.planScan();
    const local = await w.io.localPath(plan.tasks[0]!.file.file_path);
    expect((await stat(local)).mode & 0o777).toBe(0o600);
    expect((await stat(dirname(local))).mode & 0o777).toBe(0o700);
    expect((await readFile(local)).subarray(0, 4).toString('latin1')).toBe('PAR1');
    await closeAll();
    expect(existsSync(dirname(local))).toBe(false);
  });

  it('refuses to open an encrypted warehouse without its key, or with another key', async () => {
    await setup(await wh({ encryption: { keyFile } }));
    await closeAll();
    const without = await wh().catch((e: unknown) => e);
    expect(without).toBeInstanceOf(AccessDeniedError);
    expect((without as Error).message).toMatch(/is encrypted with the key file with fingerprint [0-9a-f]{16}: open it with --key-file FILE/);
    const other = join(dir, 'other.key');
    await createKeyFile(other);
    const wrong = await wh({ encryption: { keyFile: other } }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(AccessDeniedError);
    expect((wrong as Error).message).toMatch(/wrong key for warehouse/);
  });

  it('names the file when a file was sealed under another key', async () => {
    await setup(await wh({ encryption: { keyFile } }));
    await closeAll();
    await rm(join(dir, 'wh', 'floe-encryption.json'));
    const other = join(dir, 'other.key');
    await createKeyFile(other);
    const w = await wh({ encryption: { keyFile: other } });
    const err = await w.sql('SELECT * FROM db.t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(/^wrong key for \S+\.avro: it is encrypted with the key file with fingerprint/);
  });

  it('detects a changed byte and a file swapped in from another path, naming the file', async () => {
    const w = await wh({ encryption: { keyFile } });
    await setup(w);
    await closeAll();
    const parquet = await filesUnder(join(dir, 'wh'), /\.parquet$/);
    const [a, b] = parquet;
    const bytes = await readFile(a!);
    bytes[bytes.length - 40] ^= 0x01;
    await writeFile(a!, bytes);
    const w2 = await wh({ encryption: { keyFile } });
    const flipped = await w2.sql('SELECT * FROM db.t').catch((e: unknown) => e);
    expect(flipped).toBeInstanceOf(CorruptMetadataError);
    expect((flipped as Error).message).toBe(`encrypted file ${a} failed authentication: it was modified, truncated, or moved here from another path`);
    await closeAll();

    await copyFile(b!, a!);
    const w3 = await wh({ encryption: { keyFile } });
    const swapped = await w3.sql('SELECT * FROM db.t').catch((e: unknown) => e);
    expect(swapped).toBeInstanceOf(CorruptMetadataError);
    expect((swapped as Error).message).toContain(a!);
  });

  it('refuses plaintext data files in an encrypted table', async () => {
    const w = await wh({ encryption: { keyFile } });
    await setup(w);
    const [victim] = await filesUnder(join(dir, 'wh'), /\.parquet$/);
    await w.engine.run(`COPY (SELECT 1::BIGINT AS id, 'a' AS kind, DATE '2026-01-01' AS d) TO '${victim}' (FORMAT parquet)`);
    expect((await readFile(victim!)).subarray(0, 4).toString('latin1')).toBe('PAR1');
    const fresh = await wh({ encryption: { keyFile }, warehouse: join(dir, 'wh') });
    const err = await fresh.sql('SELECT * FROM db.t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AccessDeniedError);
    expect((err as Error).message).toMatch(new RegExp(`refusing to read ${victim}: it is not encrypted, but this warehouse requires encryption`));
  });

  it('fails clearly when the key file is missing, malformed or readable by others', async () => {
    const missing = await wh({ encryption: { keyFile: join(dir, 'nope.key') } }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as Error).message).toMatch(/key file .*nope\.key does not exist \(create one with: floe keys create/);
    await chmod(keyFile, 0o644);
    await expect(wh({ encryption: { keyFile } })).rejects.toThrow(/is accessible by others \(mode 644\): chmod 600/);
    const bad = join(dir, 'bad.key');
    await writeFile(bad, 'c2hvcnQ=\n', { mode: 0o600 });
    await expect(wh({ encryption: { keyFile: bad } })).rejects.toThrow(/does not hold a base64 32-byte key/);
  });
});

describe('floe keys create and --key-file', () => {
  function floe(...args: string[]): Promise<CliRun> {
    return runFloe('--warehouse', join(dir, 'cli'), ...args);
  }

  it('creates a 0600 key file once and runs SQL on an encrypted warehouse', async () => {
    const k = join(dir, 'cli.key');
    const made = await floe('keys', 'create', k);
    expect(made.code, made.err).toBe(0);
    expect((await stat(k)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(k, 'utf8')).trim(), 'base64')).toHaveLength(32);
    expect((await floe('keys', 'create', k)).err).toMatch(/already exists/);

    const r = await floe('--key-file', k, '--format', 'json', 'sql', "CREATE NAMESPACE n; CREATE TABLE n.t (a INT); INSERT INTO n.t VALUES (7); SELECT a FROM n.t");
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toEqual([{ a: 7 }]);
    const denied = await floe('--format', 'json', 'sql', 'SELECT a FROM n.t');
    expect(denied.code).toBe(8);
    expect(denied.err).toMatch(/^floe: warehouse .* is encrypted with the key file with fingerprint/);
  });
});

describe('encrypted warehouse (AWS KMS)', () => {
  const kms = mockClient(KMSClient);
  const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  /** The fake KMS keeps each data key under its blob together with the context it was made for. */
  const issued = new Map<string, { key: Uint8Array; context: Record<string, string> }>();

  beforeEach(() => {
    kms.reset();
    issued.clear();
    kms.on(GenerateDataKeyCommand).callsFake((input: GenerateDataKeyRequest) => {
      const key = new Uint8Array(randomBytes(32));
      const blob = new Uint8Array(randomBytes(48));
      issued.set(Buffer.from(blob).toString('hex'), { key, context: { ...input.EncryptionContext } });
      return { KeyId: KEY_ID, Plaintext: key, CiphertextBlob: blob };
    });
    kms.on(DecryptCommand).callsFake((input: DecryptRequest) => {
      const hit = issued.get(Buffer.from(input.CiphertextBlob!).toString('hex'));
      if (!hit || JSON.stringify(hit.context) !== JSON.stringify(input.EncryptionContext ?? {})) {
        throw Object.assign(new Error(''), { name: 'InvalidCiphertextException', $fault: 'client', $metadata: {} });
      }
      return { KeyId: KEY_ID, Plaintext: hit.key, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
    });
  });

  it('wraps every file key with GenerateDataKey and unwraps with Decrypt, both bound to the file path', async () => {
    const w = await wh({ encryption: { kmsKeyId: KEY_ID, kmsClient: new KMSClient({ region: 'eu-west-1' }) } });
    await setup(w);
    await w.sql('DELETE FROM db.t WHERE id = 1');
    await closeAll();
    const w2 = await wh({ encryption: { kmsKeyId: KEY_ID, kmsClient: new KMSClient({ region: 'eu-west-1' }) } });
    expect(await rows(w2, 'SELECT id FROM db.t ORDER BY id')).toEqual([[2], [3], [4]]);

    const sealed = await filesUnder(join(dir, 'wh'), /\.(parquet|avro)$/);
    const generated = kms.commandCalls(GenerateDataKeyCommand).map((c) => c.args[0].input);
    for (const input of generated) {
      expect(shapeErrors(input, GenerateDataKeyRequest$)).toEqual([]);
      expect(input).toEqual({ KeyId: KEY_ID, KeySpec: 'AES_256', EncryptionContext: { 'floe:path': expect.stringMatching(/\.(parquet|avro)$/) } });
    }
    // one data key per file written (files of the rewritten snapshot included)
    expect(new Set(generated.map((g) => g.EncryptionContext!['floe:path'])).size).toBe(generated.length);
    for (const f of sealed) expect(generated.map((g) => g.EncryptionContext!['floe:path'])).toContain(f);
    const decrypts = kms.commandCalls(DecryptCommand).map((c) => c.args[0].input);
    expect(decrypts.length).toBeGreaterThan(0);
    for (const input of decrypts) {
      expect(shapeErrors(input, DecryptRequest$)).toEqual([]);
      expect(input.KeyId).toBe(KEY_ID);
      expect(Object.keys(input.EncryptionContext ?? {})).toEqual(['floe:path']);
    }
  });

  it('reports a file moved to another path as failing KMS authentication', async () => {
    const w = await wh({ encryption: { kmsKeyId: KEY_ID, kmsClient: new KMSClient({ region: 'eu-west-1' }) } });
    await setup(w);
    await closeAll();
    const [a, b] = await filesUnder(join(dir, 'wh'), /\.parquet$/);
    await copyFile(b!, a!);
    const w2 = await wh({ encryption: { kmsKeyId: KEY_ID, kmsClient: new KMSClient({ region: 'eu-west-1' }) } });
    const err = await w2.sql('SELECT * FROM db.t').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptMetadataError);
    expect((err as Error).message).toMatch(new RegExp(`KMS Decrypt with key .* for ${a} failed: InvalidCiphertextException.*moved here from another path`));
  });
});
