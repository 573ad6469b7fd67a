// A separate OS process compacting one table, SIGKILLed at a named step (argv) or after a delay
// (argv, ms): the kill-safety test checks the table afterwards. Prints the result when it finishes.
import { openWarehouse, rewriteDataFiles } from '../../dist/src/index.js';

const [dir, name, killAt, killAfterMs] = process.argv.slice(2);
const wh = await openWarehouse({ warehouse: dir, engine: { threads: 1 } });
const table = await wh.loadTable(name);
if (killAfterMs !== undefined && killAfterMs !== '') setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(killAfterMs));
// Each line on stdout is the last point reached, so the test can tell where the kill landed.
const started = Date.now();
process.stdout.write('start\n');
const r = await rewriteDataFiles(table, {
  engine: wh.engine,
  targetFileSizeBytes: 4096,
  onProgress: (done, total) => process.stdout.write(`progress ${done}/${total}\n`),
  onStep: (step) => {
    process.stdout.write(`${step}\n`);
    if (step === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write(`done ${Date.now() - started} ${r.rewrittenDataFiles}\n`);
await wh.close();
