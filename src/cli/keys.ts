import type { Command } from 'commander';
import { createKeyFile } from '../governance/key-file.js';
import type { EncryptionOptions } from '../governance/warehouse-encryption.js';
import type { CliIO, GlobalOptions } from './context.js';

/**
 * `floe keys create FILE` makes a local key-encryption key (32 random bytes, base64, mode 0600),
 * and the global `--key-file FILE` / `--kms-key-id ID` options open an encrypted warehouse.
 */
export function registerKeys(program: Command, io: CliIO): void {
  program
    .option('--key-file <file>', 'encrypt the warehouse at rest with this local key file (env FLOE_KEY_FILE)')
    .option('--kms-key-id <id>', 'encrypt the warehouse at rest with this AWS KMS key (env FLOE_KMS_KEY_ID)');
  const keys = program.command('keys').description('key-encryption keys for encrypted warehouses');
  keys
    .command('create')
    .description('create a local key file (never overwrites one)')
    .argument('<file>', 'where to write the key')
    .action(async (file: string) => {
      const fingerprint = await createKeyFile(file);
      io.out(`created ${file} (fingerprint ${fingerprint}); keep it safe: files encrypted with it cannot be read without it\n`);
    });
}

/** The warehouse encryption the global options (or FLOE_KEY_FILE / FLOE_KMS_KEY_ID) ask for. */
export function encryptionFrom(g: GlobalOptions): EncryptionOptions | undefined {
  const o = g as GlobalOptions & { keyFile?: string; kmsKeyId?: string; region?: string };
  const keyFile = o.keyFile ?? process.env['FLOE_KEY_FILE'];
  const kmsKeyId = o.kmsKeyId ?? process.env['FLOE_KMS_KEY_ID'];
  if (keyFile) return { keyFile };
  if (kmsKeyId) return { kmsKeyId, ...(o.region ? { region: o.region } : {}) };
  return undefined;
}
