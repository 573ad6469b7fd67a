import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';
import { parseContract } from '../../src/zones/contract.js';
import { curate } from '../../src/zones/curate.js';
import { ingestText } from './helpers.js';

const ctx = useWarehouse();

const HEAD = 'id,n,amount,price,big,day,kind\n';

/** One contract for two datasets: `one` may take the single pass, `staged` is curated with `singlePass: false`. */
const contract = (dataset: string, _staged: boolean, parse: 'strict' | 'fast' = 'strict', drift: 'reject' | 'evolve' = 'reject') =>
  parseContract({
    dataset,
    drift,
    source: { csv: { parse } },
    columns: [
      { name: 'id', type: 'long', nullable: false },
      { name: 'n', type: 'int' },
      { name: 'amount', type: 'decimal(10, 2)' },
      { name: 'price', type: 'double' },
      { name: 'big', type: 'decimal(20, 4)' },
      { name: 'day', type: 'date' },
      { name: 'kind', type: 'string' },
    ],
    checks: [
      { rule: 'range', column: 'amount', min: 0, max: 1000 },
      { rule: 'enum', column: 'kind', values: ['a', 'b'] },
      { rule: 'unique', columns: ['id', 'kind'] },
    ],
  });

const CLEAN = `${HEAD}1,1.0,1.230,2.5,12345678901234.5,2026-01-01,a\n2, 7 ,.5,1e-3,-1,2026-02-28,b\n3,1e3,1e2,-0,0.0001,2024-02-29,a\n4,,,,,,\n`;

/** Batches, and whether the single pass curates them (failing rows staged on their own) or the whole batch is staged (a key twice). */
const BATCHES: [string, string, 'single-pass' | 'staged'][] = [
  ['clean', CLEAN, 'single-pass'],
  ['a malformed line', `${CLEAN}5,1\n6,2,3.00,1,1,2026-01-01,b\n`, 'single-pass'],
  ['an int written 1.5', `${CLEAN}5,1.5,1,1,1,2026-01-01,a\n`, 'single-pass'],
  ['a decimal with a digit too many', `${CLEAN}5,1,1.234,1,1,2026-01-01,a\n`, 'single-pass'],
  ['a wide decimal with a digit too many', `${CLEAN}5,1,1,1,1.00001,2026-01-01,a\n`, 'single-pass'],
  ['text in a decimal', `${CLEAN}5,1,abc,1,1,2026-01-01,a\n`, 'single-pass'],
  ['NaN in an int', `${CLEAN}5,nan,1,1,1,2026-01-01,a\n`, 'single-pass'],
  ['a bad date', `${CLEAN}5,1,1,1,1,2026-02-30,a\n`, 'single-pass'],
  ['a failed range check', `${CLEAN}5,1,1000.01,1,1,2026-01-01,a\n`, 'single-pass'],
  ['a failed enum check', `${CLEAN}5,1,1,1,1,2026-01-01,c\n`, 'single-pass'],
  ['an empty required key', `${CLEAN},1,1,1,1,2026-01-01,a\n`, 'single-pass'],
  ['a duplicate key', `${CLEAN}5,1,1,1,1,2026-01-01,a\n5,2,2,2,2,2026-01-02,a\n`, 'staged'],
  ['the same id with another kind', `${CLEAN}5,1,1,1,1,2026-01-01,a\n5,2,2,2,2,2026-01-02,b\n`, 'single-pass'],
];

describe('curation in one pass', () => {
  for (const parse of ['strict', 'fast'] as const) {
    it(`${parse} parsing: curates each batch as the staged path does, failing rows and all`, async () => {
      const { wh } = ctx;
      const paths: string[] = [];
      for (const [label, body] of BATCHES) {
        await ingestText(wh, 'one', `${label}.csv`, body);
        await ingestText(wh, 'staged', `${label}.csv`, body);
        const [a] = await curate(wh, contract('one', false, parse));
        const [b] = await curate(wh, contract('staged', true, parse), { singlePass: false });
        expect(b!.path, label).toBe('staged');
        expect(a!.status, `${label}: ${a!.message}`).toBe('curated');
        const { sha256: _a, ms: _am, path: pathA, ...countsA } = a!;
        const { sha256: _b, ms: _bm, path: _pathB, ...countsB } = b!;
        expect(countsA, label).toEqual(countsB);
        paths.push(`${label}: ${pathA}`);
        const rows = (t: string) => q(wh, `SELECT * FROM curated.${t} ORDER BY ALL`);
        expect(await rows('one'), label).toEqual(await rows('staged'));
        const bad = (t: string) => q(wh, `SELECT line, row_number, rule, reason, raw_row FROM curated.${t}__quarantine ORDER BY ALL`);
        expect(await bad('one'), label).toEqual(await bad('staged'));
      }
      expect(paths).toEqual(BATCHES.map(([label, , path]) => `${label}: ${path}`));
    });
  }

  it('keeps exact values: text that reads exactly is taken, rounding is refused', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'one', 'c.csv', CLEAN);
    const [r] = await curate(wh, contract('one', false));
    expect(r).toMatchObject({ path: 'single-pass', rowsIn: 4, rowsCurated: 4, rowsQuarantined: 0 });
    expect(await q(wh, 'SELECT id, n, amount, big, day FROM curated.one ORDER BY id')).toEqual([
      [1, 1, '1.23', '12345678901234.5000', '2026-01-01'],
      [2, 7, '0.50', '-1.0000', '2026-02-28'],
      [3, 1000, '100.00', '0.0001', '2024-02-29'],
      [4, null, null, null, null],
    ]);
    await ingestText(wh, 'one', 'r.csv', `${HEAD}5,1.5,1.234,1,1,2026-01-01,a\n6,2,1.00,1,1,2026-01-01,a\n`);
    const [s] = await curate(wh, contract('one', false));
    expect(s).toMatchObject({ path: 'single-pass', rowsCurated: 1, rowsQuarantined: 1 });
    expect(await q(wh, 'SELECT row_number, rule, reason, raw_row FROM curated.one__quarantine')).toEqual([
      [1, 'type(n)', "column 'n': '1.5' is not a valid int", '{"id":"5","n":"1.5","amount":"1.234","price":"1.0","big":"1.0000","day":"2026-01-01","kind":"a"}'],
    ]);
  });

  it('a value wider than its column leaves the single pass; the staged path finds the drift', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'one', 'w.csv', `${CLEAN}5,3000000000,1,1,1,2026-01-01,a\n`);
    const [r] = await curate(wh, contract('one', false));
    expect(r).toMatchObject({ status: 'rejected' });
    expect(r!.message).toMatch(/schema drift .*column 'n' widened int → long/);
    expect(await q(wh, 'SELECT count(*) FROM curated.one')).toEqual([[0]]);
    const [e] = await curate(wh, contract('one', false, 'strict', 'evolve'));
    expect(e).toMatchObject({ status: 'curated', path: 'staged', rowsCurated: 5 });
    expect(await q(wh, 'SELECT n FROM curated.one WHERE id = 5')).toEqual([[3000000000]]);
    await ingestText(wh, 'one', 'c.csv', CLEAN.replace('1,1.0,', '7,1.0,'));
    const [c] = await curate(wh, contract('one', false));
    expect(c).toMatchObject({ status: 'curated', path: 'single-pass', rowsCurated: 4 });
  });
});
