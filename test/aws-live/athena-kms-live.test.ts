import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { describe, expect, it } from 'vitest';
import { AthenaRunner } from '../../src/engine/athena.js';
import { SqlParseError } from '../../src/errors.js';
import { openWarehouse } from '../../src/warehouse.js';

/**
 * Live checks against real AWS, only with FLOE_AWS_IT=1 and credentials in the standard
 * provider chain. FLOE_AWS_ATHENA_WORKGROUP names the workgroup (FLOE_AWS_REGION the region);
 * FLOE_AWS_KMS_KEY_ID a KMS key the caller may GenerateDataKey/Decrypt with.
 */
const live = process.env['FLOE_AWS_IT'] === '1';
const workgroup = process.env['FLOE_AWS_ATHENA_WORKGROUP'];
const kmsKeyId = process.env['FLOE_AWS_KMS_KEY_ID'];
const region = process.env['FLOE_AWS_REGION'];
if (!live) console.log('skipping live Athena/KMS tests: set FLOE_AWS_IT=1 (with AWS credentials) to run them');
else {
  if (!workgroup) console.log('skipping live Athena tests: FLOE_AWS_ATHENA_WORKGROUP is not set');
  if (!kmsKeyId) console.log('skipping live KMS tests: FLOE_AWS_KMS_KEY_ID is not set');
}

describe.skipIf(!live || !workgroup)('Athena (live)', () => {
  const runner = (): AthenaRunner => new AthenaRunner({ client: new AthenaClient(region ? { region } : {}), workgroup: workgroup! });

  it('runs a SELECT and reports what it scanned', async () => {
    const r = await runner().query("SELECT 1 AS n, CAST(2 AS BIGINT) AS b, DECIMAL '1.50' AS d, DATE '2026-01-02' AS day, TIMESTAMP '2026-01-01 10:00:00.500' AS ts");
    expect(r.rows).toEqual([[1, 2n, '1.50', '2026-01-02', '2026-01-01T10:00:00.5']]);
    expect(r.stats.billedBytes).toBeGreaterThanOrEqual(10 * 2 ** 20);
  });

  it('maps a syntax error', async () => {
    await expect(runner().query('SELECT FORM nothing')).rejects.toBeInstanceOf(SqlParseError);
  });
});

describe.skipIf(!live || !kmsKeyId)('KMS envelope encryption (live)', () => {
  it('round-trips an encrypted warehouse through KMS', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floe-kms-live-'));
    try {
      const wh = await openWarehouse({ warehouse: dir, encryption: { kmsKeyId: kmsKeyId!, ...(region ? { region } : {}) } });
      await wh.sql('CREATE NAMESPACE n; CREATE TABLE n.t (a INT); INSERT INTO n.t VALUES (1), (2)');
      expect((await wh.sql('SELECT sum(a) FROM n.t')).rows).toEqual([[2n + 1n]]);
      await wh.close();
      const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.parquet'));
      for (const f of files) expect((await readFile(join(dir, f))).subarray(0, 8).toString('latin1')).toBe('FLOEENC1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
