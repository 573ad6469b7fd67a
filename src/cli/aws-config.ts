import type { Command } from 'commander';
import { loadAwsConfig } from '../cloud/aws-config.js';
import { formatOf, type CliIO, type GlobalOptions } from './context.js';
import { render } from './output.js';

/** `floe aws-config [FILE]`: checks a Terraform `floe` output and shows what floe would connect to. */
export function registerAwsConfig(program: Command, io: CliIO, globals: () => GlobalOptions): void {
  program
    .command('aws-config')
    .description('check the connection settings from `terraform output -json` (infra/examples/complete)')
    .argument('[file]', 'the JSON file (default: $FLOE_AWS_CONFIG)')
    .action(async (file: string | undefined) => {
      const cfg = await loadAwsConfig(file);
      const rows: [string, string][] = [['region', cfg.region]];
      for (const [zone, b] of Object.entries(cfg.warehouseBuckets)) rows.push([`warehouse.${zone}`, `s3://${b}/`]);
      if (cfg.resultsBucket) rows.push(['athena.results', `s3://${cfg.resultsBucket}/`]);
      for (const [zone, d] of Object.entries(cfg.glueDatabases)) rows.push([`glue.${zone}`, d]);
      for (const [k, w] of Object.entries(cfg.athenaWorkgroups)) rows.push([`athena.workgroup.${k}`, w]);
      for (const [k, a] of Object.entries(cfg.kmsKeyArns)) rows.push([`kms.${k}`, a]);
      for (const [k, a] of Object.entries(cfg.roleArns)) rows.push([`role.${k}`, a]);
      io.out(`${render(formatOf(globals(), io), [{ name: 'setting', type: 'VARCHAR' }, { name: 'value', type: 'VARCHAR' }], rows)}\n`);
    });
}
