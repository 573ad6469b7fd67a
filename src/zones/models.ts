import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parseStatement } from '../sql/parser.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { parseModelFile, type ModelConfig } from './model-config.js';

/** Namespace of the analytics zone: model `m` materialises as `analytics.m`. */
export const ANALYTICS_NAMESPACE = 'analytics';

/** One SQL model: `<models>/<name>.sql`, a header and a SELECT, materialised as `analytics.<name>`. */
export interface Model {
  name: string;
  file: string;
  /** `analytics.<name>`. */
  target: string;
  config: ModelConfig;
  /** The SELECT, without header or trailing `;`. */
  body: string;
  /** Tables the SELECT reads (`ns.t`), other models' targets included, the model's own excluded. */
  reads: string[];
  /** Names of the models among `reads`. */
  dependsOn: string[];
}

const MODEL_NAME = /^[a-z_][a-z0-9_]*$/;

/**
 * The table a name in a model's SQL refers to: `ns.t` as written, a bare `t` in the analytics
 * namespace (so models name each other by model name), a `catalog.ns.t` without the catalog.
 */
export function resolveName(parts: string[]): string {
  if (parts.length === 1) return `${ANALYTICS_NAMESPACE}.${parts[0]!}`;
  return (parts.length >= 3 ? parts.slice(1) : parts).join('.');
}

/** Parses one model's text; `reads` come from the parser's reference scanner (CTEs excluded). */
export function parseModel(name: string, text: string, file = `${name}.sql`): Omit<Model, 'dependsOn'> {
  if (!MODEL_NAME.test(name)) throw new ValidationError(`${file}: a model name must be a lower-case SQL identifier ([a-z_][a-z0-9_]*), not '${name}'`);
  const { config, body } = parseModelFile(text, file);
  let stmt;
  try {
    stmt = parseStatement(body);
  } catch (err) {
    throw new ValidationError(`${file}: ${(err as Error).message}`, { cause: err });
  }
  if (stmt.kind !== 'query') throw new ValidationError(`${file}: a model's body must be one SELECT query, not a ${stmt.kind} statement`);
  const target = `${ANALYTICS_NAMESPACE}.${name}`;
  const reads = new Set<string>();
  for (const ref of stmt.query.refs) {
    if (ref.cte) continue;
    const label = resolveName(ref.name);
    if (label !== target) reads.add(label);
  }
  return { name, file, target, config, body, reads: [...reads].sort() };
}

/** Loads every `*.sql` of a folder as a model and links models that read each other. */
export async function loadModels(dir: string): Promise<Model[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`models folder ${dir} does not exist`);
    throw err;
  }
  const parsed: Omit<Model, 'dependsOn'>[] = [];
  for (const f of names) parsed.push(parseModel(basename(f, '.sql'), await readFile(join(dir, f), 'utf8'), f));
  return linkModels(parsed);
}

/** Fills `dependsOn`: a model depends on every model whose target it reads. */
export function linkModels(models: Omit<Model, 'dependsOn'>[]): Model[] {
  const byTarget = new Map(models.map((m) => [m.target, m.name]));
  return models.map((m) => ({ ...m, dependsOn: m.reads.flatMap((r) => (byTarget.has(r) ? [byTarget.get(r)!] : [])) }));
}

/**
 * Models in dependency order (upstream first; ties alphabetical so runs are repeatable).
 * A cycle is a ValidationError naming it, e.g. `a → b → a`.
 */
export function orderModels(models: Model[]): Model[] {
  const byName = new Map(models.map((m) => [m.name, m]));
  const state = new Map<string, 'visiting' | 'done'>();
  const out: Model[] = [];
  const stack: string[] = [];
  const visit = (name: string): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      throw new ValidationError(`models form a cycle: ${cycle.join(' → ')}`);
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of [...byName.get(name)!.dependsOn].sort()) if (byName.has(d)) visit(d);
    stack.pop();
    state.set(name, 'done');
    out.push(byName.get(name)!);
  };
  for (const m of [...models].sort((a, b) => a.name.localeCompare(b.name))) visit(m.name);
  return out;
}

/**
 * The models a selection names, in dependency order. As dbt: `m` is just that model, `+m` adds
 * everything upstream of it, `m+` everything downstream, `+m+` both; no selection is every model.
 */
export function selectModels(models: Model[], selection: string[]): Model[] {
  const ordered = orderModels(models);
  if (selection.length === 0) return ordered;
  const byName = new Map(models.map((m) => [m.name, m]));
  const chosen = new Set<string>();
  const walk = (start: string, next: (m: Model) => string[]): void => {
    const todo = [start];
    while (todo.length > 0) {
      const n = todo.pop()!;
      for (const x of next(byName.get(n)!)) {
        if (!chosen.has(x)) {
          chosen.add(x);
          todo.push(x);
        }
      }
    }
  };
  const downstream = (m: Model): string[] => models.filter((x) => x.dependsOn.includes(m.name)).map((x) => x.name);
  for (const spec of selection) {
    const up = spec.startsWith('+');
    const down = spec.endsWith('+') && spec.length > 1;
    const name = spec.slice(up ? 1 : 0, down ? -1 : undefined).toLowerCase();
    if (!byName.has(name)) {
      throw new NotFoundError(`no model named '${name}' (models: ${models.map((m) => m.name).sort().join(', ') || 'none'})`);
    }
    chosen.add(name);
    if (up) walk(name, (m) => m.dependsOn);
    if (down) walk(name, downstream);
  }
  return ordered.filter((m) => chosen.has(m.name));
}
