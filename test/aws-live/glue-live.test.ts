import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetTableCommand, GlueClient } from '@aws-sdk/client-glue';
import { afterAll, describe, expect, it } from 'vitest';
import { GlueCatalog } from '../../src/catalog/glue.js';
import { CommitFailedError } from '../../src/errors.js';
import { openWarehouse } from '../../src/index.js';
import { s3OptionsFromEnv } from '../../src/io/s3-env.js';
import { S3FileIO } from '../../src/io/s3.js';
import { q } from '../helpers/warehouse.js';

/**
 * Live checks of the Glue catalog against real AWS: only with FLOE_AWS_IT=1 and
 * FLOE_AWS_IT_BUCKET=<bucket> (credentials from the default chain, AWS_REGION or FLOE_AWS_REGION,
 * S3 settings from FLOE_S3_*, e.g. FLOE_S3_SSE_KMS_KEY_ID for the infra/ buckets). The test makes
 * its own Glue database `floe_it_<random>` (glue:CreateDatabase/DeleteDatabase) unless
 * FLOE_AWS_GLUE_DATABASE names an existing one, writes under `s3://<bucket>/floe-it/<uuid>/`, and
 * deletes both afterwards.
 */
const bucket = process.env['FLOE_AWS_IT_BUCKET'];
const region = process.env['FLOE_AWS_REGION'] ?? process.env['AWS_REGION'] ?? process.env['AWS_DEFAULT_REGION'];
const enabled = process.env['FLOE_AWS_IT'] === '1' && !!bucket;
if (!enabled) console.log('skipping live Glue tests: set FLOE_AWS_IT=1 and FLOE_AWS_IT_BUCKET=<bucket> (AWS credentials from the default chain) to run them');

const givenDatabase = process.env['FLOE_AWS_GLUE_DATABASE'];
const database = givenDatabase ?? `floe_it_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
const run = `floe-it/${randomUUID()}`;
const warehouse = `s3://${bucket}/${run}`;
const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-glue-live-'));
  dirs.push(d);
  return d;
};
const s3 = () => ({ ...s3OptionsFromEnv(), ...(region ? { region } : {}), cacheDir: fresh() });
const catalogUri = `glue${region ? `://?region=${region}` : ''}`;

afterAll(async () => {
  if (enabled) {
    const io = new S3FileIO(s3());
    const catalog = new GlueCatalog({ warehouse, io, ...(region ? { region } : {}) });
    try {
      for (const t of await catalog.listTables([database]).catch(() => [])) await catalog.dropTable(t, { purge: true }).catch(() => undefined);
      if (!givenDatabase) await catalog.dropNamespace([database]).catch(() => undefined);
      for await (const f of io.list(warehouse)) await io.delete(f.path);
    } finally {
      await catalog.close();
      await io.close();
    }
  }
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe.skipIf(!enabled)('live AWS Glue Data Catalog (FLOE_AWS_IT=1)', () => {
  it('creates, writes, reads, renames and drops an Iceberg table registered as Athena reads it', async () => {
    const wh = await openWarehouse({ warehouse, catalog: catalogUri, s3: s3() });
    try {
      if (!givenDatabase) await wh.sql(`CREATE NAMESPACE ${database}`);
      await wh.sql(`CREATE TABLE ${database}.orders (id BIGINT, region STRING) PARTITIONED BY (region)`);
      await wh.sql(`INSERT INTO ${database}.orders VALUES (1, 'eu'), (2, 'us'), (3, 'eu')`);
      await wh.sql(`DELETE FROM ${database}.orders WHERE id = 2`);
      expect(await q(wh, `SELECT id FROM ${database}.orders ORDER BY id`)).toEqual([[1], [3]]);
      const glue = new GlueClient(region ? { region } : {});
      try {
        const t = (await glue.send(new GetTableCommand({ DatabaseName: database, Name: 'orders' }))).Table!;
        expect(t.Parameters?.['table_type']).toBe('ICEBERG');
        expect(t.Parameters?.['metadata_location']).toBe((await wh.loadTable(`${database}.orders`)).metadataLocation);
        expect(t.StorageDescriptor?.Columns?.map((c) => c.Name)).toEqual(['id', 'region']);
      } finally {
        glue.destroy();
      }
      await wh.sql(`ALTER TABLE ${database}.orders RENAME TO ${database}.orders2`);
      expect(await q(wh, `SELECT count(*) FROM ${database}.orders2`)).toEqual([[2]]);
      await wh.sql(`DROP TABLE ${database}.orders2 PURGE`);
      expect(await wh.catalog.tableExists({ namespace: [database], name: 'orders2' })).toBe(false);
    } finally {
      await wh.close();
    }
  });

  it('detects a concurrent commit through Glue and never overwrites it', async () => {
    const a = await openWarehouse({ warehouse, catalog: catalogUri, s3: s3() });
    const b = await openWarehouse({ warehouse, catalog: catalogUri, s3: s3() });
    try {
      if (!givenDatabase && !(await a.catalog.namespaceExists([database]))) await a.sql(`CREATE NAMESPACE ${database}`);
      await a.sql(`CREATE TABLE ${database}.race (id INT)`);
      const stale = await a.loadTable(`${database}.race`);
      await b.sql(`INSERT INTO ${database}.race VALUES (1)`);
      // A commit based on the stale metadata is refused by the catalog, not applied over b's.
      const err = await a.catalog
        .commitTable(stale.identifier, [{ type: 'assert-ref-snapshot-id', ref: 'main', 'snapshot-id': null }], [{ action: 'set-properties', updates: { x: '1' } }])
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CommitFailedError);
      // Through SQL the writer retries on top of the other commit.
      await a.sql(`INSERT INTO ${database}.race VALUES (2)`);
      expect(await q(b, `SELECT id FROM ${database}.race ORDER BY id`)).toEqual([[1], [2]]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
