import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDirs, stack } from './hcl.js';
import { RULES } from './policy.js';

const FIXTURES = join(__dirname, 'fixtures');
const fixtureFor = (id: string) => id.replace(/\//g, '_').replace(/_CKV_AWS_/g, '_');

describe('security and cost controls (one rule per control, checkov ids where they exist)', () => {
  for (const example of configDirs().examples) {
    it(`${example.slice(example.indexOf('infra/'))} passes every rule`, async () => {
      const { placed } = await stack(example);
      expect(placed.length).toBeGreaterThan(10);
      const failures = RULES.flatMap((r) => r.check(placed).map((v) => `${r.id}: ${v}`));
      expect(failures).toEqual([]);
    });
  }

  for (const rule of RULES) {
    it(`${rule.id} (${rule.title}) fails on its bad fixture`, async () => {
      const dir = join(FIXTURES, fixtureFor(rule.id));
      const { placed } = await stack(dir);
      expect(rule.check(placed).length).toBeGreaterThan(0);
    });
  }

  it('has a negative fixture for every rule and no stray fixture', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(RULES.map((r) => fixtureFor(r.id)).sort());
  });
});
