import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `name.sql` files into `<dir>/models` (a model folder for a test) and returns its path. */
export async function writeModels(dir: string, models: Record<string, string>): Promise<string> {
  const folder = join(dir, 'models');
  await mkdir(folder, { recursive: true });
  for (const [name, text] of Object.entries(models)) await writeFile(join(folder, `${name}.sql`), text);
  return folder;
}

/** The curated source most tests read: orders with a customer and an amount. */
export const CREATE_ORDERS = `CREATE NAMESPACE IF NOT EXISTS curated;
CREATE TABLE curated.orders (id BIGINT, customer STRING, amount DECIMAL(10,2), ts TIMESTAMP)`;

/** An incremental model over curated.orders and a table model over it. */
export const TWO_MODELS = {
  orders_clean: `/*
materialized: incremental
checks:
  - not_null: id
*/
SELECT id, customer, amount, ts FROM curated.orders WHERE amount IS NOT NULL`,
  customer_totals: `---
materialized: table
checks:
  - unique: customer
  - name: positive_totals
    sql: SELECT * FROM analytics.customer_totals WHERE total <= 0
---
-- depends on orders_clean by its model name
SELECT customer, sum(amount) AS total, count(*) AS orders
FROM orders_clean
GROUP BY customer`,
};
