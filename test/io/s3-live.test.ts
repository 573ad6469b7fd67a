import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openWarehouse } from '../../src/index.js';
import { s3OptionsFromEnv } from '../../src/io/s3-env.js';
import { S3FileIO } from '../../src/io/s3.js';
import { q } from '../helpers/warehouse.js';
import { fileIoContract } from './contract.js';

/**
 * Live tests against real Amazon S3: only with FLOE_AWS_IT=1 and FLOE_AWS_IT_BUCKET=<bucket>, using
 * the SDK's default credential chain and the S3 settings of the environment (AWS_REGION, FLOE_S3_*).
 * Everything is written under `floe-it/<uuid>/` and deleted afterwards.
 */
const bucket = process.env['FLOE_AWS_IT_BUCKET'];
const enabled = process.env['FLOE_AWS_IT'] === '1' && !!bucket;
if (!enabled) console.log('skipping live S3 tests: set FLOE_AWS_IT=1 and FLOE_AWS_IT_BUCKET=<bucket> (AWS credentials from the default chain) to run them');

const run = `floe-it/${randomUUID()}`;
const dirs: string[] = [];
const ios: S3FileIO[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-s3-live-'));
  dirs.push(d);
  return d;
};
const liveIo = () => {
  const io = new S3FileIO({ ...s3OptionsFromEnv(), cacheDir: fresh() });
  ios.push(io);
  return io;
};

afterAll(async () => {
  if (enabled) {
    const io = liveIo();
    for await (const f of io.list(`s3://${bucket}/${run}`)) await io.delete(f.path);
  }
  await Promise.all(ios.map((io) => io.close()));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe.skipIf(!enabled)('live Amazon S3 (FLOE_AWS_IT=1)', () => {
  fileIoContract('live S3', async () => ({ io: liveIo(), base: `s3://${bucket}/${run}/${randomUUID()}` }));

  it('runs a warehouse on the bucket', async () => {
    const wh = await openWarehouse({ warehouse: `s3://${bucket}/${run}/wh`, catalogPath: join(fresh(), 'catalog.db'), s3: { ...s3OptionsFromEnv(), cacheDir: fresh() } });
    try {
      await wh.sql('CREATE NAMESPACE it');
      await wh.sql(`CREATE TABLE it.t (id INT, v STRING) TBLPROPERTIES ('write.delete.mode' = 'merge-on-read')`);
      await wh.sql(`INSERT INTO it.t VALUES (1, 'a'), (2, 'b'), (3, 'c')`);
      await wh.sql('DELETE FROM it.t WHERE id = 2');
      expect(await q(wh, 'SELECT id FROM it.t ORDER BY id')).toEqual([[1], [3]]);
    } finally {
      await wh.close();
    }
  });
});
