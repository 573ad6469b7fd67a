import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from '@cdktn/hcl2json';

/** A parsed Terraform configuration folder: every .tf file merged as hcl2json shapes them. */
export interface TfDir {
  dir: string;
  files: Record<string, string>;
  resource: Record<string, Record<string, Block[]>>;
  data: Record<string, Record<string, Block[]>>;
  variable: Record<string, Block[]>;
  output: Record<string, Block[]>;
  module: Record<string, Block[]>;
  locals: Block[];
}

export type Block = Record<string, unknown>;

export const INFRA = resolve(__dirname, '../../infra');

export async function loadDir(dir: string): Promise<TfDir> {
  const out: TfDir = { dir, files: {}, resource: {}, data: {}, variable: {}, output: {}, module: {}, locals: [] };
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.tf')).sort()) {
    const text = readFileSync(join(dir, name), 'utf8');
    out.files[name] = text;
    const json = (await parse(name, text)) as Record<string, unknown>;
    for (const [kind, value] of Object.entries(json)) {
      if (kind === 'resource' || kind === 'data') {
        for (const [type, byName] of Object.entries(value as Record<string, Record<string, Block[]>>)) {
          out[kind][type] = { ...(out[kind][type] ?? {}), ...byName };
        }
      } else if (kind === 'variable' || kind === 'output' || kind === 'module') {
        Object.assign(out[kind], value as Record<string, Block[]>);
      } else if (kind === 'locals') {
        out.locals.push(...(value as Block[]));
      }
    }
  }
  return out;
}

/** Every module folder and example folder under infra/. */
export function configDirs(): { modules: string[]; examples: string[] } {
  const list = (p: string) => (existsSync(p) ? readdirSync(p).map((n) => join(p, n)) : []);
  return { modules: list(join(INFRA, 'modules')), examples: list(join(INFRA, 'examples')) };
}

/** All strings inside a parsed value (expressions appear as `${…}` strings). */
export function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

/** A resource or data block of a stack, with where it came from. */
export interface Placed {
  kind: 'resource' | 'data';
  type: string;
  name: string;
  body: Block;
  dir: string;
}

/** Resources and data blocks of a configuration and every local module it calls, recursively. */
export async function stack(dir: string, seen = new Set<string>()): Promise<{ placed: Placed[]; dirs: TfDir[] }> {
  const tf = await loadDir(dir);
  const placed: Placed[] = [];
  const dirs = [tf];
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(tf[kind])) {
      for (const [name, blocks] of Object.entries(byName)) for (const body of blocks) placed.push({ kind, type, name, body, dir });
    }
  }
  for (const blocks of Object.values(tf.module)) {
    const source = String(blocks[0]?.source ?? '');
    if (!source.startsWith('.')) continue;
    const sub = resolve(dir, source);
    if (seen.has(sub)) continue;
    seen.add(sub);
    const inner = await stack(sub, seen);
    placed.push(...inner.placed);
    dirs.push(...inner.dirs);
  }
  return { placed, dirs };
}

/**
 * terraform fmt's layout rules that matter for review: two-space indentation, no tabs or trailing
 * blanks, one final newline, and `=` aligned across a run of consecutive one-line attributes.
 */
export function formatProblems(text: string): string[] {
  const problems: string[] = [];
  const lines = text.split('\n');
  if (!text.endsWith('\n') || text.endsWith('\n\n')) problems.push('file must end with exactly one newline');
  let run: { line: number; indent: number; eq: number; key: number }[] = [];
  const flush = (): void => {
    if (run.length > 0) {
      const want = Math.max(...run.map((r) => r.key)) + 1;
      for (const r of run) if (r.eq !== want) problems.push(`line ${r.line}: '=' at column ${r.eq + 1}, terraform fmt puts it at ${want + 1}`);
    }
    run = [];
  };
  let depth = 0;
  lines.forEach((line, i) => {
    const n = i + 1;
    if (line.includes('\t')) problems.push(`line ${n}: tab`);
    if (/\s+$/.test(line)) problems.push(`line ${n}: trailing whitespace`);
    const indent = line.length - line.trimStart().length;
    if (line.trim() && indent % 2 !== 0) problems.push(`line ${n}: indentation is not a multiple of two`);
    const m = /^(\s*)([A-Za-z0-9_"().\-[\]]+?)(\s*)=(?!=|>)\s*(.*)$/.exec(line);
    const opens = m ? /[[{(]\s*$/.test(m[4]!) || m[4]!.startsWith('<<') : false;
    if (m && depth === 0 && !opens && !line.trim().startsWith('#')) {
      if (run.length > 0 && run[0]!.indent !== indent) flush();
      run.push({ line: n, indent, eq: m[1]!.length + m[2]!.length + m[3]!.length, key: m[1]!.length + m[2]!.length });
    } else {
      flush();
      if (m && opens && m[3] !== ' ') problems.push(`line ${n}: one space before '=' of a multi-line value`);
    }
    // Track multi-line expressions so their inner lines do not count as attributes of this level.
    if (m && opens && !/\{\s*$/.test(m[4]!)) depth += 1;
    else if (depth > 0 && /^\s*[\])]/.test(line)) depth -= 1;
  });
  flush();
  return problems;
}
