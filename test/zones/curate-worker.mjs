// A separate OS process curating a dataset, SIGKILLed at a named step of a batch (argv
// `step@position`) or after a delay (argv, ms): the kill-safety test checks the tables afterwards.
// Each line on stdout is the last point reached, so the test can tell where the kill landed.
import { openWarehouse } from '../../dist/src/index.js';
import { loadContract } from '../../dist/src/zones/contract.js';
import { curate } from '../../dist/src/zones/curate.js';

const [dir, contractPath, killAt, killAfterMs] = process.argv.slice(2);
const wh = await openWarehouse({ warehouse: dir, engine: { threads: 1 } });
const contract = await loadContract(contractPath);
// The delay counts from here, where curation starts (modules and the warehouse are loaded).
const started = Date.now();
process.stdout.write('start\n');
if (killAfterMs !== undefined && killAfterMs !== '') setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(killAfterMs));
const results = await curate(wh, contract, {
  onStep: (step, position) => {
    process.stdout.write(`${step}@${position}\n`);
    if (`${step}@${position}` === killAt) process.kill(process.pid, 'SIGKILL');
  },
});
process.stdout.write(`done ${Date.now() - started} ${results.map((r) => r.status).join(',')}\n`);
await wh.close();
