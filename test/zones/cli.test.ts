import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFloe, type CliRun } from '../helpers/cli.js';

let dir: string;
const examples = resolve(__dirname, '../../examples/zones');
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'floe-zones-cli-'));
  await cp(examples, join(dir, 'in'), { recursive: true });
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

function floe(...args: string[]): Promise<CliRun> {
  return runFloe('--warehouse', join(dir, 'wh'), '--format', 'json', ...args);
}

describe('floe ingest / curate / status (the README walk-through)', () => {
  it('ingests the example CSV, curates it with the example contract and reports status', async () => {
    const csv = join(dir, 'in', 'orders-2026-01-01.csv');
    const ing = await floe('ingest', csv, '--into', 'raw/orders');
    expect(ing.err).toBe('');
    const rows = JSON.parse(ing.out) as { source: string; status: string }[];
    expect(rows.map((r) => r.status)).toEqual(['ingested', '1 ingested, 0 already ingested, 0 rejected']);
    const again = JSON.parse((await floe('ingest', csv, '--into', 'raw/orders')).out) as { status: string; message: string }[];
    expect(again[0]!.status).toBe('already-ingested');
    expect(again[0]!.message).toMatch(/^already ingested [0-9a-f]{64} at \d{4}-/);

    const before = JSON.parse((await floe('status')).out) as Record<string, Record<string, unknown>[]>;
    expect(before['raw and curated']).toEqual([
      expect.objectContaining({ dataset: 'orders', raw_batches: 1, curated_table: null, pending_batches: 1 }),
    ]);

    const cur = await floe('curate', 'orders', '--contract', join(dir, 'in', 'orders.contract.yaml'));
    expect(cur.err).toBe('');
    const summary = JSON.parse(cur.out) as Record<string, unknown>[];
    expect(summary[summary.length - 1]).toMatchObject({ batch: 'total', rows_in: 8, rows_curated: 2, rows_quarantined: 6 });
    const q = JSON.parse((await floe('sql', 'SELECT rule, count(*) AS n FROM curated.orders__quarantine GROUP BY rule ORDER BY rule')).out);
    expect(q).toEqual([
      { rule: 'enum(status)', n: 1 },
      { rule: 'malformed', n: 1 },
      { rule: 'range(amount)', n: 1 },
      { rule: 'regex(customer)', n: 1 },
      { rule: 'unique(order_id)', n: 2 },
    ]);
    const after = JSON.parse((await floe('status')).out) as Record<string, Record<string, unknown>[]>;
    expect(after['raw and curated']![0]).toMatchObject({ dataset: 'orders', curated_table: 'curated.orders', curated_rows: 2, pending_batches: 0, quarantined_rows: 6 });

    // Later runs reuse the stored contract.
    await writeFile(join(dir, 'in', 'more.csv'), 'id,customer,status,amount,ordered_at\n9,C0009,new,1.00,2026-01-02 08:00:00\n');
    await floe('ingest', join(dir, 'in', 'more.csv'), '--into', 'raw/orders');
    const next = JSON.parse((await floe('curate', 'orders')).out) as Record<string, unknown>[];
    expect(next[0]).toMatchObject({ position: 1, status: 'curated', rows_curated: 1 });
    const parts = JSON.parse((await floe('sql', 'SELECT count(*) AS n FROM curated."orders$partitions"')).out);
    expect(parts).toEqual([{ n: 2 }]);
  });

  it('exits 3 naming the first rejected file, after ingesting the others', async () => {
    await writeFile(join(dir, 'in', 'empty.csv'), '');
    const r = await floe('ingest', join(dir, 'in', 'empty.csv'), join(dir, 'in', 'orders.contract.yaml'), '--into', 'raw/other');
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/^floe: 2 of 2 file\(s\) rejected; first: .*empty\.csv: empty file/);
    const bad = await floe('curate', 'nope');
    expect(bad.code).toBe(4);
    expect(bad.err).toMatch(/dataset nope has no contract yet: pass --contract FILE/);
    const badInto = await floe('ingest', join(dir, 'in'), '--into', 'curated/x');
    expect(badInto.code).toBe(3);
    expect(badInto.err).toMatch(/--into must be raw\/<dataset>/);
  });
});
