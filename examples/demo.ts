/**
 * The demo behind `npm start`: builds a small partitioned warehouse on local files with the
 * embedded SQLite catalog, writes, deletes, queries and travels in time, printing what it did.
 */
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { openWarehouse, type StatementResult } from '../src/index.js';
import { renderTable } from '../src/cli/output.js';

const dir = resolve(process.env['FLOE_DEMO_WAREHOUSE'] ?? './warehouse-demo');

function show(title: string, r: StatementResult): void {
  console.log(`\n── ${title}`);
  if (r.columns.length > 0) console.log(renderTable(r.columns, r.rows));
  if (r.message) console.log(r.message);
  for (const s of r.scans) {
    console.log(
      `   scan of ${s.table}: ${s.metrics.dataFilesSelected} of ${s.metrics.dataFilesTotal} data files read after pruning (${s.metrics.manifestsScanned}/${s.metrics.manifestsTotal} manifests)`,
    );
  }
}

async function main(): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  const wh = await openWarehouse({ warehouse: dir });
  try {
    console.log(`floe demo — warehouse at ${dir}`);
    show('create a namespace', await wh.sql('CREATE NAMESPACE shop'));
    show(
      'create a table partitioned by day and by a bucket of the customer id (hidden partitioning)',
      await wh.sql(`CREATE TABLE shop.orders (
          order_id BIGINT NOT NULL,
          customer_id INT,
          amount DECIMAL(10, 2),
          status STRING,
          ordered_at TIMESTAMPTZ
        ) PARTITIONED BY (day(ordered_at), bucket(4, customer_id))`),
    );
    show(
      'insert 10,000 generated orders over 10 days',
      await wh.sql(`INSERT INTO shop.orders
          SELECT i, (i * 7919) % 500, ((i * 37) % 20000) / 100.0,
                 CASE WHEN i % 10 = 0 THEN 'cancelled' ELSE 'paid' END,
                 TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_minutes(i)
          FROM range(10000) t(i)`),
    );
    const first = (await wh.loadTable('shop.orders')).currentSnapshot()!['snapshot-id'];
    show(
      'revenue per day (aggregate over the whole table)',
      await wh.sql(`SELECT CAST(ordered_at AS DATE) AS day, count(*) AS orders, sum(amount) AS revenue
                    FROM shop.orders GROUP BY 1 ORDER BY 1`),
    );
    show(
      'one day and one customer: partition pruning skips the other files before reading any',
      await wh.sql(`SELECT count(*) AS orders, sum(amount) AS revenue FROM shop.orders
                    WHERE ordered_at >= TIMESTAMPTZ '2026-11-03 00:00:00+00'
                      AND ordered_at < TIMESTAMPTZ '2026-11-04 00:00:00+00' AND customer_id = 42`),
    );
    show('delete the cancelled orders', await wh.sql(`DELETE FROM shop.orders WHERE status = 'cancelled'`));
    show('append a late order', await wh.sql(`INSERT INTO shop.orders VALUES (10000, 42, 99.50, 'paid', TIMESTAMPTZ '2026-11-07 12:00:00+00')`));
    show('rows now', await wh.sql('SELECT status, count(*) AS n FROM shop.orders GROUP BY 1 ORDER BY 1'));
    show(
      `time travel to the first snapshot (${first})`,
      await wh.sql(`SELECT status, count(*) AS n FROM shop.orders FOR VERSION AS OF ${first} GROUP BY 1 ORDER BY 1`),
    );
    show(
      'the table\'s history (metadata table)',
      await wh.sql(`SELECT snapshot_id, operation, summary['added-records'] AS added, summary['deleted-records'] AS deleted, summary['total-records'] AS total
                    FROM shop."orders$snapshots" ORDER BY committed_at`),
    );
    show('partitions (metadata table)', await wh.sql(`SELECT partition, record_count, file_count FROM shop."orders$partitions" ORDER BY partition LIMIT 8`));
    console.log(`\nDone. Explore it with: npx floe --warehouse ${dir} sql "SELECT * FROM shop.orders LIMIT 5"`);
  } finally {
    await wh.close();
  }
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
