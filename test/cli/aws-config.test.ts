import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAwsConfig } from '../../src/cloud/aws-config.js';
import { INFRA, loadDir } from '../infra/hcl.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-aws-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

// The shape `terraform output -json` prints for the complete example's `floe` output.
const OUTPUT = {
  floe: {
    sensitive: false,
    type: ['object', {}],
    value: {
      region: 'eu-west-1',
      warehouse_buckets: { raw: 'acme-lake-raw', curated: 'acme-lake-curated', analytics: 'acme-lake-analytics' },
      results_bucket: 'acme-lake-athena-results',
      glue_catalog_id: '123456789012',
      glue_databases: { raw: 'acme_lake_raw', curated: 'acme_lake_curated', analytics: 'acme_lake_analytics' },
      athena_workgroups: { analysts: 'acme-lake-analysts' },
      kms_key_arns: { data: 'arn:aws:kms:eu-west-1:123456789012:key/abc' },
      role_arns: { analyst: 'arn:aws:iam::123456789012:role/acme-lake-analyst' },
      alerts_topic_arn: 'arn:aws:sns:eu-west-1:123456789012:acme-lake-cost-alerts',
    },
  },
};

function floe(...args: string[]): Promise<CliRun> {
  return runFloe(...args);
}

describe('Terraform outputs → floe', () => {
  it('reads `terraform output -json` of the complete example', async () => {
    const file = join(dir, 'floe-aws.json');
    await writeFile(file, JSON.stringify(OUTPUT));
    const r = await floe('--format', 'json', 'aws-config', file);
    expect(r.err).toBe('');
    const rows = JSON.parse(r.out) as { setting: string; value: string }[];
    expect(rows).toContainEqual({ setting: 'warehouse.raw', value: 's3://acme-lake-raw/' });
    expect(rows).toContainEqual({ setting: 'glue.analytics', value: 'acme_lake_analytics' });
    expect(rows).toContainEqual({ setting: 'athena.workgroup.analysts', value: 'acme-lake-analysts' });
    expect(parseAwsConfig(JSON.stringify(OUTPUT.floe.value)).region).toBe('eu-west-1');
  });

  it('names what is wrong with a bad file', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ floe: { value: { region: 'mars-1', warehouse_buckets: {}, glue_databases: {} } } }));
    const r = await floe('aws-config', bad);
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/'region' value 'mars-1' is not valid/);
    expect((await floe('aws-config', join(dir, 'missing.json'))).code).toBe(4);
  });

  it('matches the keys the complete example outputs', async () => {
    const tf = await loadDir(join(INFRA, 'examples', 'complete'));
    const value = tf.output.floe![0]!.value as Record<string, unknown>;
    expect(Object.keys(value).sort()).toEqual(Object.keys(OUTPUT.floe.value).sort());
  });
});
