import type { Command } from 'commander';
import { lakehouseConnection, loadAwsConfig } from '../cloud/aws-config.js';
import { ValidationError } from '../errors.js';

/**
 * `floe --aws-config floe-aws.json [--zone curated] …` (or `FLOE_AWS_CONFIG`): points every command
 * at the lakehouse the Terraform modules made (issue 7: `terraform output -json > floe-aws.json`):
 * the zone bucket as `s3://` warehouse, the Glue catalog in its region and account, the SSE-KMS
 * data key for S3 writes, the zone's Glue database for Athena, and Athena workgroups by short name
 * (`--workgroup analysts`). Options given on the command line win over the file.
 */
export function registerAwsOptions(program: Command, env: NodeJS.ProcessEnv = process.env): void {
  program
    .option('--aws-config <file>', 'use the lakehouse of `terraform output -json` (env FLOE_AWS_CONFIG): S3 warehouse, Glue catalog, region, KMS key, workgroups')
    .option('--zone <zone>', 'lakehouse zone with --aws-config: raw | curated | analytics (env FLOE_AWS_ZONE, default curated)')
    .option('--sse-kms-key-id <key>', 'SSE-KMS key id or ARN for S3 writes (env FLOE_S3_SSE_KMS_KEY_ID)');
  program.hook('preAction', async () => {
    const o = program.opts<{ awsConfig?: string; zone?: string; workgroup?: string }>();
    const file = o.awsConfig ?? env['FLOE_AWS_CONFIG'];
    if (!file) {
      if (o.zone !== undefined) throw new ValidationError('--zone needs --aws-config FILE (or FLOE_AWS_CONFIG)');
      return;
    }
    const c = lakehouseConnection(await loadAwsConfig(file, env), o.zone ?? env['FLOE_AWS_ZONE'] ?? 'curated');
    const fill = (key: string, value: string | undefined): void => {
      if (value !== undefined && program.getOptionValueSource(key) !== 'cli') program.setOptionValueWithSource(key, value, 'config');
    };
    fill('warehouse', c.warehouse);
    fill('catalog', c.catalog);
    fill('region', c.region);
    fill('sseKmsKeyId', c.sseKmsKeyId);
    fill('database', c.database);
    // Workgroups by the short names of the Terraform module (analysts, pipelines).
    if (o.workgroup !== undefined && c.athenaWorkgroups[o.workgroup]) program.setOptionValueWithSource('workgroup', c.athenaWorkgroups[o.workgroup], 'config');
    const names = Object.values(c.athenaWorkgroups);
    if (o.workgroup === undefined && names.length === 1) fill('workgroup', names[0]);
    if (o.workgroup === undefined && names.length > 1 && program.opts<{ engine?: string }>().engine === 'athena') {
      const choices = Object.entries(c.athenaWorkgroups).map(([k, w]) => `${k} (${w})`).join(', ');
      throw new ValidationError(`--engine athena needs --workgroup: the AWS config has ${choices}`);
    }
  });
}
