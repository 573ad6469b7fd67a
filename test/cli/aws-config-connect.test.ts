import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { GlueClient } from '@aws-sdk/client-glue';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lakehouseConnection, parseAwsConfig } from '../../src/cloud/aws-config.js';
import { FakeGlue } from '../catalog/glue-fake.js';
import { athenaColumn, fakeAthena } from '../helpers/fake-athena.js';
import { S3RVER_CREDENTIALS, s3CliEnv, setEnv, startS3Server, type S3TestServer } from '../helpers/s3-server.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

// `terraform output -json > floe-aws.json`, then `floe --aws-config floe-aws.json …` (issue 7):
// the outputs of infra/examples/complete (the shape test/cli/aws-config.test.ts checks against
// the Terraform source), with S3 on s3rver and Glue behind the SDK mock, databases made as the
// glue-catalog module makes them (LocationUri = the zone bucket).
const VALUE = {
  region: 'eu-west-1',
  warehouse_buckets: { raw: 'acme-lake-raw', curated: 'acme-lake-curated', analytics: 'acme-lake-analytics' },
  results_bucket: 'acme-lake-athena-results',
  glue_catalog_id: '123456789012',
  glue_databases: { raw: 'acme_lake_raw', curated: 'acme_lake_curated', analytics: 'acme_lake_analytics' },
  athena_workgroups: { analysts: 'acme-lake-analysts', pipelines: 'acme-lake-pipelines' },
  kms_key_arns: { data: 'arn:aws:kms:eu-west-1:123456789012:key/data-key', results: 'arn:aws:kms:eu-west-1:123456789012:key/results-key' },
  role_arns: { analyst: 'arn:aws:iam::123456789012:role/acme-lake-analyst' },
  alerts_topic_arn: 'arn:aws:sns:eu-west-1:123456789012:acme-lake-cost-alerts',
};
const OUTPUT = { floe: { sensitive: false, type: ['object', {}], value: VALUE } };

let dir: string;
let file: string;
let server: S3TestServer;
let s3: S3Client;
let glue: FakeGlue;
let stub: AwsClientStub<GlueClient>;
let restoreEnv: () => void = () => undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-aws-connect-'));
  file = join(dir, 'floe-aws.json');
  await writeFile(file, JSON.stringify(OUTPUT));
  server = await startS3Server(Object.values(VALUE.warehouse_buckets));
  s3 = new S3Client({ endpoint: server.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: S3RVER_CREDENTIALS });
  // Only what a user's shell would add: where S3 is (s3rver) and credentials. No AWS_REGION.
  restoreEnv = setEnv({
    ...s3CliEnv(server, join(dir, 'cache')),
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    FLOE_WAREHOUSE: undefined,
    FLOE_CATALOG: undefined,
    FLOE_S3_SSE_KMS_KEY_ID: undefined,
  });
  glue = new FakeGlue();
  stub = glue.attach(GlueClient);
  for (const [zone, db] of Object.entries(VALUE.glue_databases)) {
    glue.createDatabase({ Name: db, LocationUri: `s3://${VALUE.warehouse_buckets[zone as keyof typeof VALUE.warehouse_buckets]}/` });
  }
});
afterAll(async () => {
  stub.restore();
  s3.destroy();
  await server.close();
  restoreEnv();
  await rm(dir, { recursive: true, force: true });
});

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--format', 'json', ...args);
}

async function keys(bucket: string): Promise<string[]> {
  const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (page.Contents ?? []).map((o) => o.Key!).sort();
}

describe('floe --aws-config floe-aws.json', () => {
  it('derives the connection of a zone from the Terraform outputs', () => {
    const cfg = parseAwsConfig(JSON.stringify(OUTPUT));
    expect(lakehouseConnection(cfg, 'curated')).toEqual({
      zone: 'curated',
      region: 'eu-west-1',
      warehouse: 's3://acme-lake-curated/',
      catalog: 'glue://?region=eu-west-1&catalog-id=123456789012',
      database: 'acme_lake_curated',
      sseKmsKeyId: 'arn:aws:kms:eu-west-1:123456789012:key/data-key',
      athenaWorkgroups: VALUE.athena_workgroups,
    });
    expect(() => lakehouseConnection(cfg, 'gold')).toThrow(/no zone 'gold' \(zones: raw, curated, analytics\)/);
  });

  it('writes tables to the zone bucket under SSE-KMS and registers them in the account’s Glue catalog', async () => {
    glue.calls.length = 0;
    server.requests.length = 0;
    const r = await floe('--aws-config', file, 'sql', 'CREATE TABLE acme_lake_curated.orders (id BIGINT, v STRING); INSERT INTO acme_lake_curated.orders VALUES (1, \'a\'), (2, \'b\')');
    expect([r.code, r.err]).toEqual([0, '']);
    const entry = glue.table('acme_lake_curated', 'orders');
    expect(entry.Parameters?.['table_type']).toBe('ICEBERG');
    expect(entry.Parameters?.['metadata_location']).toMatch(/^s3:\/\/acme-lake-curated\/orders\/metadata\//);
    // Every Glue request names the account's catalog.
    expect(glue.calls.length).toBeGreaterThan(0);
    expect(glue.calls.every((c) => (c.input as { CatalogId?: string }).CatalogId === '123456789012')).toBe(true);
    const objects = await keys('acme-lake-curated');
    expect(objects.some((k) => k.startsWith('orders/data/'))).toBe(true);
    expect(await keys('acme-lake-raw')).toEqual([]);
    // The buckets deny PUTs without SSE-KMS under the data key: every write carries it.
    const puts = server.requests.filter((q) => q.method === 'PUT' || (q.method === 'POST' && q.url.includes('uploads')));
    expect(puts.length).toBeGreaterThan(0);
    for (const p of puts.filter((q) => q.method === 'PUT' && !q.url.includes('partNumber'))) {
      expect(p.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(p.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(VALUE.kms_key_arns.data);
    }
    const read = await floe('--aws-config', file, 'sql', 'SELECT v FROM acme_lake_curated.orders ORDER BY id');
    expect([read.code, read.err]).toEqual([0, '']);
    expect(JSON.parse(read.out)).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('uses another zone with --zone, and lets command-line options win over the file', async () => {
    const r = await floe('--aws-config', file, '--zone', 'raw', 'sql', 'CREATE TABLE acme_lake_raw.events (id INT); INSERT INTO acme_lake_raw.events VALUES (7)');
    expect([r.code, r.err]).toEqual([0, '']);
    expect((await keys('acme-lake-raw')).some((k) => k.startsWith('events/data/'))).toBe(true);
    const bad = await floe('--aws-config', file, '--zone', 'gold', 'tables');
    expect(bad.code).toBe(3);
    expect(bad.err).toBe("floe: the AWS config has no zone 'gold' (zones: raw, curated, analytics)\n");
    // An explicit --sse-kms-key-id replaces the file's key.
    server.requests.length = 0;
    const own = await floe('--aws-config', file, '--sse-kms-key-id', 'alias/other', 'sql', 'INSERT INTO acme_lake_curated.orders VALUES (3, \'c\')');
    expect([own.code, own.err]).toEqual([0, '']);
    const put = server.requests.find((q) => q.method === 'PUT');
    expect(put?.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe('alias/other');
    expect((await floe('--zone', 'raw', 'tables')).err).toMatch(/--zone needs --aws-config/);
  });

  it('runs Athena in the workgroup named by its short name, in the zone database and region', async () => {
    const athena = fakeAthena(() => ({ columns: [athenaColumn('n', 'bigint')], rows: [['2']] }));
    try {
      const r = await floe('--aws-config', file, '--engine', 'athena', '--workgroup', 'analysts', 'sql', 'SELECT count(*) AS n FROM orders');
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toEqual([{ n: 2 }]);
      const call = athena.mock.commandCalls(StartQueryExecutionCommand)[0]!;
      expect(call.args[0].input.WorkGroup).toBe('acme-lake-analysts');
      expect(call.args[0].input.QueryExecutionContext?.Database).toBe('acme_lake_curated');
      const client = call.thisValue as { config: { region: () => Promise<string> } };
      expect(await client.config.region()).toBe('eu-west-1');
      const missing = await floe('--aws-config', file, '--engine', 'athena', 'sql', 'SELECT 1');
      expect(missing.code).toBe(3);
      expect(missing.err).toBe('floe: --engine athena needs --workgroup: the AWS config has analysts (acme-lake-analysts), pipelines (acme-lake-pipelines)\n');
    } finally {
      athena.mock.restore();
    }
  });
});
