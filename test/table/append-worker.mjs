// A separate OS process appending one row per commit; prints how many commits were acknowledged.
import { openWarehouse } from '../../dist/src/index.js';

const [dir, worker, count, catalog] = process.argv.slice(2);
// An optional catalog URI (e.g. postgres://…) shared by the writers instead of the folder's SQLite file.
const wh = await openWarehouse({ warehouse: dir, engine: { threads: 1 }, ...(catalog ? { catalog } : {}) });
let acked = 0;
let failed = 0;
for (let i = 0; i < Number(count); i++) {
  try {
    await wh.sql(`INSERT INTO db.t VALUES (${Number(worker)}, ${i})`);
    acked++;
  } catch (err) {
    if (err && err.code === 'COMMIT_FAILED') failed++;
    else throw err;
  }
}
await wh.close();
process.stdout.write(JSON.stringify({ acked, failed }));
