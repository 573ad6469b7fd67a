/** The README's library example, runnable: `node dist/examples/library.js [warehouse-dir]`. */
import { openWarehouse } from '../src/index.js';

export async function libraryExample(warehouse: string): Promise<{ rows: Record<string, unknown>[]; files: number }> {
  const wh = await openWarehouse({ warehouse });
  try {
    await wh.sql('CREATE NAMESPACE IF NOT EXISTS demo');
    await wh.sql('CREATE TABLE demo.events (id BIGINT, kind STRING, at TIMESTAMP) PARTITIONED BY (day(at))');
    const table = await wh.appendRows('demo.events', [
      { id: 1, kind: 'click', at: '2026-01-01T10:00:00' },
      { id: 2, kind: 'view', at: '2026-01-02T11:00:00' },
    ]);
    const rows = await wh.rows('SELECT kind, count(*) AS n FROM demo.events GROUP BY kind ORDER BY kind');
    const plan = await table.planScan({ filter: { op: 'eq', column: 'kind', value: 'click' } });
    await table.newTransaction().setProperties({ owner: 'analytics' }).commit();
    return { rows, files: plan.tasks.length };
  } finally {
    await wh.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await libraryExample(process.argv[2] ?? './warehouse-example');
  console.log(result.rows);
}
