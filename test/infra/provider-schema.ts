import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';

/**
 * The pinned AWS provider's schema, read from the bindings `@cdktf/provider-aws` generates from
 * it: each resource's `synthesizeAttributes()` lists its arguments, and each nested block has a
 * `…ToTerraform(struct)` function listing its own.
 */
export interface SchemaNode {
  /** Argument or block name → its nested schema (null for a plain argument). */
  children: Map<string, SchemaNode | null>;
}

const require = createRequire(import.meta.url);
const LIB = join(dirname(require.resolve('@cdktf/provider-aws/package.json')), 'lib');

export function providerVersion(): string {
  const js = readFileSync(join(LIB, 's3-bucket', 'index.js'), 'utf8');
  return /providerVersion: '([^']+)'/.exec(js)?.[1] ?? 'unknown';
}

const cache = new Map<string, SchemaNode | null>();

/** Schema of `aws_x` (resource) or `data.aws_x` (data source); null when the provider has no such type. */
export function schemaOf(kind: 'resource' | 'data', type: string): SchemaNode | null {
  const key = `${kind}:${type}`;
  if (cache.has(key)) return cache.get(key)!;
  const dir = join(LIB, `${kind === 'data' ? 'data-aws-' : ''}${type.replace(/^aws_/, '').replace(/_/g, '-')}`);
  let node: SchemaNode | null = null;
  const file = join(dir, 'index.js');
  if (existsSync(file)) {
    const js = readFileSync(file, 'utf8');
    if (js.includes(`tfResourceType = "${type}"`)) node = parseBindings(js);
  }
  cache.set(key, node);
  return node;
}

function parseBindings(js: string): SchemaNode {
  const bodies = new Map<string, string>();
  const fnRe = /function (\w+ToTerraform)\(struct\) \{[\s\S]*?\n {4}return \{\n([\s\S]*?)\n {4}\};\n\}/g;
  for (let m = fnRe.exec(js); m; m = fnRe.exec(js)) bodies.set(m[1]!, m[2]!);
  const synth = /synthesizeAttributes\(\) \{\n\s*return \{\n([\s\S]*?)\n\s*\};/.exec(js);
  const build = (body: string, depth: number): SchemaNode => {
    const children = new Map<string, SchemaNode | null>();
    for (const line of body.split('\n')) {
      const m = /^\s*(\w+): (.*),$/.exec(line);
      if (!m) continue;
      const nested = /(?<!cdktf\.)\b([a-z]\w*ToTerraform)\b/.exec(m[2]!);
      const inner = nested ? bodies.get(nested[1]!) : undefined;
      children.set(m[1]!, inner !== undefined && depth < 12 ? build(inner, depth + 1) : null);
    }
    return { children };
  };
  return build(synth?.[1] ?? '', 0);
}

const META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);

/** Arguments and blocks of a parsed block that the schema does not know, as dotted paths. */
export function unknownArguments(body: Record<string, unknown>, node: SchemaNode, path = '', top = true): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    if (top && META.has(key)) continue;
    if (key === 'dynamic') {
      for (const [block, defs] of Object.entries(value as Record<string, Record<string, unknown>[]>)) {
        const child = node.children.get(block);
        if (!child) {
          out.push(`${path}${block} (dynamic block)`);
          continue;
        }
        for (const d of defs) for (const c of (d.content as Record<string, unknown>[] | undefined) ?? []) out.push(...unknownArguments(c, child, `${path}${block}.`, false));
      }
      continue;
    }
    if (!node.children.has(key)) {
      out.push(`${path}${key}`);
      continue;
    }
    const child = node.children.get(key);
    if (child && Array.isArray(value)) {
      for (const item of value) if (item && typeof item === 'object' && !Array.isArray(item)) out.push(...unknownArguments(item as Record<string, unknown>, child, `${path}${key}.`, false));
    }
  }
  return out;
}
