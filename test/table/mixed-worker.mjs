// A separate OS process mixing balance transfers (UPDATE), ledger appends (INSERT) and touch
// counters (MERGE) on shared tables; prints what was acknowledged.
import { openWarehouse } from '../../dist/src/index.js';

const [dir, worker, count, accounts] = process.argv.slice(2);
const wh = await openWarehouse({ warehouse: dir, engine: { threads: 1 } });
const done = { transfers: 0, appends: 0, merges: 0, failed: 0 };
let seed = Number(worker) * 7919 + 17;
const rand = (n) => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};
for (let i = 0; i < Number(count); i++) {
  const a = rand(Number(accounts));
  const b = (a + 1 + rand(Number(accounts) - 1)) % Number(accounts);
  try {
    switch (i % 3) {
      case 0:
        await wh.sql(`UPDATE db.accounts SET balance = balance + CASE WHEN id = ${a} THEN -5 ELSE 5 END WHERE id IN (${a}, ${b})`);
        done.transfers++;
        break;
      case 1:
        await wh.sql(`INSERT INTO db.ledger VALUES (${Number(worker)}, ${i})`);
        done.appends++;
        break;
      default:
        await wh.sql(`MERGE INTO db.accounts t USING (SELECT ${a} AS id) s ON t.id = s.id WHEN MATCHED THEN UPDATE SET touches = touches + 1`);
        done.merges++;
    }
  } catch (err) {
    if (err && err.code === 'COMMIT_FAILED') done.failed++;
    else throw err;
  }
}
await wh.close();
process.stdout.write(JSON.stringify(done));
