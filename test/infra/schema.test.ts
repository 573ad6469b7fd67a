import { describe, expect, it } from 'vitest';
import { configDirs, loadDir } from './hcl.js';
import { providerVersion, schemaOf, unknownArguments } from './provider-schema.js';

const { modules, examples } = configDirs();

describe('every resource, data source, argument and block exists in the pinned AWS provider', () => {
  it('reads the provider schema from the bindings', () => {
    expect(providerVersion()).toMatch(/^6\./);
    const versioning = schemaOf('resource', 'aws_s3_bucket_versioning')!;
    expect([...versioning.children.keys()]).toContain('versioning_configuration');
    expect([...versioning.children.get('versioning_configuration')!.children.keys()]).toContain('status');
    expect(schemaOf('resource', 'aws_s3_bucket_versionin')).toBeNull();
    expect(unknownArguments({ bucket: 'x', versioning_configuration: [{ statuz: 'Enabled' }] }, versioning)).toEqual(['versioning_configuration.statuz']);
  });

  for (const dir of [...modules, ...examples]) {
    it(dir.slice(dir.indexOf('infra/')), async () => {
      const tf = await loadDir(dir);
      const problems: string[] = [];
      for (const kind of ['resource', 'data'] as const) {
        for (const [type, byName] of Object.entries(tf[kind])) {
          const node = schemaOf(kind, type);
          if (!node) {
            problems.push(`${kind} type ${type} does not exist in the provider`);
            continue;
          }
          for (const [name, blocks] of Object.entries(byName)) {
            for (const b of blocks) for (const u of unknownArguments(b, node)) problems.push(`${type}.${name}: unknown argument or block '${u}'`);
          }
        }
      }
      expect(problems).toEqual([]);
    });
  }
});
