import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configDirs, formatProblems, INFRA, loadDir, strings, type TfDir } from './hcl.js';

const { modules, examples } = configDirs();
const MODULES = ['kms', 's3-lakehouse', 'glue-catalog', 'iam', 'athena', 'budgets', 'lakeformation'];

/** References a configuration makes that it does not declare. */
async function wiringProblems(tf: TfDir): Promise<string[]> {
  const problems: string[] = [];
  const locals = new Set(tf.locals.flatMap((l) => Object.keys(l)));
  const text = strings({ r: tf.resource, d: tf.data, o: tf.output, m: tf.module, l: tf.locals, v: tf.variable }).join('\n');
  for (const [, name] of text.matchAll(/\bvar\.(\w+)/g)) if (!tf.variable[name!]) problems.push(`var.${name} is not declared`);
  for (const [, name] of text.matchAll(/\blocal\.(\w+)/g)) if (!locals.has(name!)) problems.push(`local.${name} is not declared`);
  for (const [, type, name] of text.matchAll(/\bdata\.(aws_\w+)\.(\w+)/g)) if (!tf.data[type!]?.[name!]) problems.push(`data.${type}.${name} is not declared`);
  for (const [, pre, type, name] of text.matchAll(/(^|[^.\w])(aws_\w+)\.(\w+)/g)) {
    void pre;
    if (!tf.resource[type!]?.[name!]) problems.push(`${type}.${name} is not declared`);
  }
  for (const [name, blocks] of Object.entries(tf.module)) {
    const b = blocks[0]!;
    const dir = resolve(tf.dir, String(b.source));
    if (!existsSync(dir)) {
      problems.push(`module ${name}: source ${String(b.source)} does not exist`);
      continue;
    }
    const inner = await loadDir(dir);
    const passed = Object.keys(b).filter((k) => !['source', 'version', 'providers', 'depends_on', 'count', 'for_each'].includes(k));
    for (const k of passed) if (!inner.variable[k]) problems.push(`module ${name}: input ${k} is not a variable of ${String(b.source)}`);
    for (const [v, defs] of Object.entries(inner.variable)) if (!('default' in defs[0]!) && !passed.includes(v)) problems.push(`module ${name}: required input ${v} is missing`);
    for (const [, out] of text.matchAll(new RegExp(`\\bmodule\\.${name}\\.(\\w+)`, 'g'))) if (!inner.output[out!]) problems.push(`module.${name}.${out} is not an output of ${String(b.source)}`);
  }
  for (const [name, defs] of Object.entries(tf.variable)) {
    const d = defs[0]!;
    if (typeof d.description !== 'string' || d.description.length < 10) problems.push(`variable ${name} needs a description`);
    if (typeof d.type !== 'string') problems.push(`variable ${name} needs a type`);
    else if (/\bany\b/.test(d.type)) problems.push(`variable ${name} is typed any`);
  }
  for (const [name, defs] of Object.entries(tf.output)) if (typeof defs[0]!.description !== 'string') problems.push(`output ${name} needs a description`);
  return problems;
}

describe('infra layout and wiring', () => {
  it('has every module the lakehouse needs, each with main/variables/outputs/versions and a README', () => {
    for (const m of MODULES) {
      for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) expect(existsSync(`${INFRA}/modules/${m}/${f}`), `${m}/${f}`).toBe(true);
    }
    expect(examples.map((e) => e.slice(e.lastIndexOf('/') + 1)).sort()).toEqual(['complete', 'minimal']);
  });

  for (const dir of [...modules, ...examples]) {
    const label = dir.slice(dir.indexOf('infra/'));
    it(`${label}: references resolve, inputs and outputs match, variables are typed and documented`, async () => {
      expect(await wiringProblems(await loadDir(dir))).toEqual([]);
    });
    if (dir.includes('/modules/')) {
      it(`${label}: README documents every input and output`, async () => {
        const tf = await loadDir(dir);
        const readme = readFileSync(`${dir}/README.md`, 'utf8');
        const missing = [...Object.keys(tf.variable), ...Object.keys(tf.output)].filter((n) => !readme.includes(`| \`${n}\` |`));
        expect(missing).toEqual([]);
      });
    }
    it(`${label}: is laid out as terraform fmt does, with pinned versions`, async () => {
      const tf = await loadDir(dir);
      const problems = Object.entries(tf.files).flatMap(([f, text]) => formatProblems(text).map((p) => `${f}: ${p}`));
      expect(problems).toEqual([]);
      expect(tf.files['versions.tf']).toMatch(/required_version\s*=\s*">= 1\.6\.0, < 2\.0\.0"/);
      expect(tf.files['versions.tf']).toMatch(/version\s*=\s*"~> 6\.25"/);
    });
  }

  it('catches what it claims to catch', async () => {
    const bad: TfDir = {
      dir: INFRA,
      files: {},
      resource: { aws_s3_bucket: { b: [{ bucket: '${var.nope}', tags: '${local.missing}' }] } },
      data: {},
      variable: { x: [{ type: '${any}' }] },
      output: { o: [{ value: '${aws_s3_bucket.c.id}' }] },
      module: {},
      locals: [],
    };
    expect(await wiringProblems(bad)).toEqual([
      'var.nope is not declared',
      'local.missing is not declared',
      'aws_s3_bucket.c is not declared',
      'variable x needs a description',
      'variable x is typed any',
      'output o needs a description',
    ]);
    expect(formatProblems('a = 1\nbbb = 2\n')).toEqual([`line 1: '=' at column 3, terraform fmt puts it at 5`]);
    expect(formatProblems('a   = 1\nbbb = 2\n')).toEqual([]);
  });

  it('passes terraform fmt when a terraform binary is present', () => {
    let bin: string | null = null;
    for (const b of ['terraform', 'tofu']) {
      try {
        execFileSync(b, ['version'], { stdio: 'ignore' });
        bin = b;
        break;
      } catch {
        // not installed
      }
    }
    if (!bin) {
      console.log('skipping terraform fmt -check: no terraform or tofu binary on this machine (validate needs providers from the network too)');
      return;
    }
    execFileSync(bin, ['fmt', '-check', '-recursive', INFRA], { stdio: 'pipe' });
    // validate needs the AWS provider, which only `terraform init` can fetch (from the network).
    const work = mkdtempSync(join(tmpdir(), 'floe-tf-'));
    try {
      cpSync(INFRA, work, { recursive: true });
      const example = join(work, 'examples', 'complete');
      try {
        execFileSync(bin, ['init', '-backend=false', '-input=false'], { cwd: example, stdio: 'pipe', timeout: 60_000 });
      } catch {
        console.log('skipping terraform validate: the AWS provider cannot be installed here (terraform init needs the registry)');
        return;
      }
      execFileSync(bin, ['validate'], { cwd: example, stdio: 'pipe' });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('architecture diagram', () => {
  it('names every module and zone the example deploys', async () => {
    const doc = readFileSync(join(INFRA, '..', 'docs', 'architecture.md'), 'utf8');
    expect(doc).toContain('```mermaid');
    for (const m of MODULES) expect(doc, m).toContain(`module: ${m}`);
    const example = await loadDir(join(INFRA, 'examples', 'complete'));
    const used = Object.values(example.module).map((b) => String(b[0]!.source).split('/').pop());
    expect(used.sort()).toEqual([...MODULES].sort());
    for (const zone of ['raw', 'curated', 'analytics', 'athena-results', 'access-logs']) expect(doc, zone).toContain(zone);
  });
});
