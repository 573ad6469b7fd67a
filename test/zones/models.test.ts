import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../src/errors.js';
import { parseModelFile } from '../../src/zones/model-config.js';
import { linkModels, loadModels, orderModels, parseModel, selectModels, type Model } from '../../src/zones/models.js';
import { TWO_MODELS, writeModels } from './models-dir.js';

function models(texts: Record<string, string>): Model[] {
  return linkModels(Object.entries(texts).map(([n, t]) => parseModel(n, t)));
}

describe('model files', () => {
  it('reads the header from a leading block comment or --- front matter, with defaults', () => {
    const a = parseModelFile('/*\nmaterialized: merge\nunique_key: [a, b]\nchecks:\n  - not_null: a\n  - SELECT 1 WHERE false\n*/\nSELECT 1 AS a, 2 AS b;\n', 'a.sql');
    expect(a.config).toMatchObject({ materialized: 'merge', uniqueKey: ['a', 'b'], partitionedBy: [], sortedBy: [], onSourceChange: 'fail' });
    expect(a.config.checks).toEqual([{ kind: 'not_null', columns: ['a'] }, { kind: 'sql', sql: 'SELECT 1 WHERE false' }]);
    expect(a.body).toBe('SELECT 1 AS a, 2 AS b');
    const b = parseModelFile('---\npartitioned_by: day(ts)\nincremental_sources: [Curated.Orders]\n---\nSELECT 1', 'b.sql');
    expect(b.config).toMatchObject({ materialized: 'table', partitionedBy: ['day(ts)'], incrementalSources: ['curated.orders'] });
    expect(parseModelFile('SELECT 1', 'c.sql').config.materialized).toBe('table');
  });

  it('rejects bad headers with the file and the field named', () => {
    expect(() => parseModelFile('/* materialized: merge */ SELECT 1', 'm.sql')).toThrow(/^m\.sql: model header unique_key: materialized: merge needs unique_key$/);
    expect(() => parseModelFile('/* materialized: view */ SELECT 1', 'm.sql')).toThrow(/m\.sql: model header materialized: /);
    expect(() => parseModelFile('/* colour: red */ SELECT 1', 'm.sql')).toThrow(ValidationError);
    expect(() => parseModelFile('/* checks: [{unique: a, sql: x}] */ SELECT 1', 'm.sql')).toThrow(/checks/);
    expect(() => parseModelFile('/* [unclosed */ SELECT 1', 'm.sql')).toThrow(/not valid YAML/);
    expect(() => parseModelFile('/* materialized: table */', 'm.sql')).toThrow(/no SELECT/);
    expect(() => parseModel('m', 'DELETE FROM curated.x')).toThrow(/must be one SELECT query, not a delete statement/);
    expect(() => parseModel('Bad-Name', 'SELECT 1')).toThrow(/lower-case SQL identifier/);
  });

  it('finds the tables a model reads with the query reference scanner', () => {
    const m = parseModel(
      'm',
      `WITH recent AS (SELECT * FROM curated.orders WHERE ts > now() - INTERVAL 1 DAY)
       SELECT r.id, c.name FROM recent r JOIN curated.customers c ON c.id = r.customer
       WHERE r.id IN (SELECT id FROM other_model) AND r.id NOT IN (SELECT id FROM analytics.m)`,
    );
    // CTE names are not tables; bare names are models in the analytics namespace; the model's own table is not a dependency.
    expect(m.reads).toEqual(['analytics.other_model', 'curated.customers', 'curated.orders']);
  });
});

describe('dependency order', () => {
  it('orders upstream first and repeatably', () => {
    const ms = models({
      z_report: 'SELECT * FROM a_base JOIN mid USING (id)',
      mid: 'SELECT * FROM a_base',
      a_base: 'SELECT * FROM curated.orders',
      lone: 'SELECT 1 AS x',
    });
    expect(orderModels(ms).map((m) => m.name)).toEqual(['a_base', 'lone', 'mid', 'z_report']);
    expect(ms.find((m) => m.name === 'z_report')!.dependsOn).toEqual(['a_base', 'mid']);
  });

  it('names the cycle', () => {
    const ms = models({ a: 'SELECT * FROM c', b: 'SELECT * FROM a', c: 'SELECT * FROM b', d: 'SELECT * FROM a' });
    expect(() => orderModels(ms)).toThrow(ValidationError);
    expect(() => orderModels(ms)).toThrow('models form a cycle: a → c → b → a');
  });

  it('selects models as dbt does: name, +upstream, downstream+', () => {
    const ms = models({ a: 'SELECT * FROM curated.x', b: 'SELECT * FROM a', c: 'SELECT * FROM b', d: 'SELECT * FROM curated.y' });
    const names = (sel: string[]): string[] => selectModels(ms, sel).map((m) => m.name);
    expect(names([])).toEqual(['a', 'b', 'c', 'd']);
    expect(names(['c'])).toEqual(['c']);
    expect(names(['+c'])).toEqual(['a', 'b', 'c']);
    expect(names(['b+'])).toEqual(['b', 'c']);
    expect(names(['+b+', 'd'])).toEqual(['a', 'b', 'c', 'd']);
    expect(() => names(['nope'])).toThrow(NotFoundError);
    expect(() => names(['nope'])).toThrow("no model named 'nope' (models: a, b, c, d)");
  });

  it('loads a models folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'floe-models-'));
    try {
      const folder = await writeModels(dir, TWO_MODELS);
      const loaded = orderModels(await loadModels(folder));
      expect(loaded.map((m) => [m.name, m.target, m.dependsOn])).toEqual([
        ['orders_clean', 'analytics.orders_clean', []],
        ['customer_totals', 'analytics.customer_totals', ['orders_clean']],
      ]);
      await expect(loadModels(join(dir, 'missing'))).rejects.toThrow(/models folder .* does not exist/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
