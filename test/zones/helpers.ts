import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Warehouse } from '../../src/warehouse.js';
import { parseContract, type Contract } from '../../src/zones/contract.js';
import { curate, type BatchResult } from '../../src/zones/curate.js';
import { ingest, type IngestOutcome } from '../../src/zones/raw.js';

/** Writes `body` as `name` in the warehouse's scratch folder and ingests it into raw/<dataset>. */
export async function ingestText(wh: Warehouse, dataset: string, name: string, body: string | Uint8Array): Promise<IngestOutcome> {
  const path = join(wh.root, '..', `${Date.now()}-${Math.random().toString(36).slice(2)}-${name}`);
  await writeFile(path, body);
  const [out] = await ingest({ root: wh.root, io: wh.io }, [path], { dataset });
  return out!;
}

export const ordersContract = (over: Record<string, unknown> = {}): Contract =>
  parseContract({
    dataset: 'orders',
    columns: [
      { name: 'order_id', type: 'long', nullable: false, source: 'id' },
      { name: 'status', type: 'string' },
      { name: 'amount', type: 'decimal(10, 2)' },
      { name: 'ordered_at', type: 'timestamp' },
    ],
    keys: ['order_id'],
    checks: [
      { rule: 'range', column: 'amount', min: 0, max: 1000 },
      { rule: 'enum', column: 'status', values: ['new', 'paid', 'shipped'] },
      { rule: 'unique' },
    ],
    ...over,
  });

export async function curateAll(wh: Warehouse, contract: Contract): Promise<BatchResult[]> {
  return curate(wh, contract, {});
}
