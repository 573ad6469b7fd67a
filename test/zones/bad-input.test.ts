import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { q, useWarehouse } from '../helpers/warehouse.js';
import { parseContract } from '../../src/zones/contract.js';
import { curate } from '../../src/zones/curate.js';
import { ingest } from '../../src/zones/raw.js';
import { ingestText, ordersContract } from './helpers.js';

const ctx = useWarehouse();
const HEAD = 'id,status,amount,ordered_at\n';

const eventsContract = (over: Record<string, unknown> = {}) =>
  parseContract({
    dataset: 'events',
    columns: [
      { name: 'id', type: 'long', nullable: false },
      { name: 'kind', type: 'string' },
      { name: 'n', type: 'int' },
    ],
    keys: ['id'],
    ...over,
  });

describe('bad input', () => {
  it('malformed CSV lines and invalid UTF-8 are quarantined with their line numbers', async () => {
    const { wh } = ctx;
    const body = Buffer.concat([
      Buffer.from(`${HEAD}1,new,1.00,2026-01-01 00:00:00\n2,new\n3,new,1.00,2026-01-01 00:00:00,extra\n`),
      Buffer.from('4,n'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('w,1.00,2026-01-01 00:00:00\n5,paid,2.00,2026-01-01 00:00:00\n'),
    ]);
    await ingestText(wh, 'orders', 'bad.csv', body);
    const [r] = await curate(wh, ordersContract());
    expect(r).toMatchObject({ status: 'curated', rowsIn: 5, rowsCurated: 2, rowsQuarantined: 3 });
    expect(await q(wh, 'SELECT order_id FROM curated.orders ORDER BY 1')).toEqual([[1], [5]]);
    const bad = await q(wh, 'SELECT line, rule, reason, raw_row FROM curated.orders__quarantine ORDER BY line');
    expect(bad.map((b) => [b[0], b[1]])).toEqual([
      [3, 'malformed'],
      [4, 'malformed'],
      [5, 'encoding'],
    ]);
    expect(String(bad[0]![2])).toMatch(/Expected Number of Columns: 4 Found: 2/);
    expect(String(bad[2]![2])).toMatch(/not utf-8 encoded/);
    expect(bad[0]![3]).toBe('2,new');
  });

  it('malformed NDJSON lines and non-object lines are quarantined; gzip is read natively', async () => {
    const { wh } = ctx;
    const lines = ['{"id":1,"kind":"a","n":1}', '{"id":2,"kind":', '[1,2]', '{"id":3,"kind":"c","n":"many"}', '{"id":4,"kind":"d","n":4}'];
    await ingestText(wh, 'events', 'e.ndjson.gz', gzipSync(Buffer.from(`${lines.join('\n')}\n`)));
    const [r] = await curate(wh, eventsContract());
    expect(r).toMatchObject({ status: 'curated', rowsCurated: 2, rowsQuarantined: 3 });
    expect(await q(wh, 'SELECT id, kind, n FROM curated.events ORDER BY id')).toEqual([
      [1, 'a', 1],
      [4, 'd', 4],
    ]);
    expect(await q(wh, 'SELECT row_number, rule, reason, raw_row FROM curated.events__quarantine ORDER BY row_number')).toEqual([
      [2, 'malformed', 'malformed JSON', '{"id":2,"kind":'],
      [3, 'malformed', 'not a JSON object', '[1,2]'],
      [4, 'type(n)', "column 'n': 'many' is not a valid int", '{"id":3,"kind":"c","n":"many"}'],
    ]);
  });

  it('reads zstd-compressed CSV and JSON arrays', async (t) => {
    const { wh } = ctx;
    let zst: Buffer;
    try {
      zst = execFileSync('zstd', ['-q', '-c'], { input: `${HEAD}1,new,1.00,2026-01-01 00:00:00\n` });
    } catch {
      console.log('skipping the zstd case: the zstd tool is absent');
      t.skip();
      return;
    }
    await ingestText(wh, 'orders', 'a.csv.zst', zst);
    expect((await curate(wh, ordersContract()))[0]).toMatchObject({ status: 'curated', rowsCurated: 1 });
    await ingestText(wh, 'events', 'arr.json', '[{"id":1,"kind":"a"},{"id":2,"kind":"b","n":2}]');
    expect((await curate(wh, eventsContract()))[0]).toMatchObject({ status: 'curated', rowsCurated: 2 });
    expect(await q(wh, 'SELECT id, n FROM curated.events ORDER BY id')).toEqual([
      [1, null],
      [2, 2],
    ]);
  });

  it('duplicate keys in a batch are quarantined under the unique rule, or reject the batch', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'dup.csv', `${HEAD}1,new,1.00,2026-01-01 00:00:00\n2,new,1.00,2026-01-01 00:00:00\n1,paid,2.00,2026-01-01 00:00:00\n`);
    await curate(wh, ordersContract());
    expect(await q(wh, 'SELECT order_id FROM curated.orders')).toEqual([[2]]);
    expect(await q(wh, 'SELECT row_number, rule, reason FROM curated.orders__quarantine ORDER BY 1')).toEqual([
      [1, 'unique(order_id)', 'key (order_id) = (1) appears 2 times in the batch'],
      [3, 'unique(order_id)', 'key (order_id) = (1) appears 2 times in the batch'],
    ]);
  });

  it('onInvalid: reject fails the whole batch with row-level reasons and commits nothing', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'dup.csv', `${HEAD}1,new,1.00,2026-01-01 00:00:00\n1,paid,2.00,2026-01-01 00:00:00\n2,new,x,2026-01-01 00:00:00\n`);
    const [r] = await curate(wh, ordersContract({ onInvalid: 'reject' }));
    expect(r!.status).toBe('rejected');
    expect(r!.message).toMatch(/3 invalid row\(s\) \(contract onInvalid: reject\); row 1: unique\(order_id\): key \(order_id\) = \(1\) appears 2 times.*row 3: type\(amount\)/);
    expect(await q(wh, 'SELECT count(*) FROM curated.orders')).toEqual([[0]]);
    expect(await q(wh, 'SELECT count(*) FROM curated.orders__quarantine')).toEqual([[0]]);
    // A rejected batch stays pending, and blocks later batches until the contract changes.
    await ingestText(wh, 'orders', 'ok.csv', `${HEAD}9,new,1.00,2026-01-01 00:00:00\n`);
    const again = await curate(wh, ordersContract({ onInvalid: 'reject' }));
    expect(again.map((x) => x.status)).toEqual(['rejected']);
    const relaxed = await curate(wh, ordersContract());
    expect(relaxed.map((x) => x.status)).toEqual(['curated', 'curated']);
    expect(await q(wh, 'SELECT order_id FROM curated.orders ORDER BY 1')).toEqual([[9]]);
  });

  it('a header-only CSV is a batch of zero rows; an unreadable file rejects its batch', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'head.csv', HEAD);
    expect((await curate(wh, ordersContract()))[0]).toMatchObject({ status: 'curated', rowsIn: 0, rowsCurated: 0 });
    expect((await wh.loadTable('curated.orders')).properties['floe.curated.raw-log-position']).toBe('1');
    await ingestText(wh, 'events', 'broken.json', '[{"id":1,"kind":"a"},{"id":2');
    const [r] = await curate(wh, eventsContract());
    expect(r!.status).toBe('rejected');
    expect(r!.message).toMatch(/^raw batch [0-9a-f]{12} \(.*broken\.json\) rejected: .*JSON/);
    expect(await wh.catalog.tableExists({ namespace: ['curated'], name: 'events' })).toBe(true);
    expect(await q(wh, 'SELECT count(*) FROM curated.events')).toEqual([[0]]);
  });

  it('text that DuckDB would round is a type failure, not a silently changed value', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'events', 'r.csv', 'id,kind,n\n1,a,1.5\n2,b, 7 \n3.5,c,1\n4,d,1e3\n');
    await curate(wh, eventsContract());
    expect(await q(wh, 'SELECT id, n FROM curated.events ORDER BY id')).toEqual([[2, 7], [4, 1000]]);
    expect(await q(wh, 'SELECT row_number, rule FROM curated.events__quarantine ORDER BY 1')).toEqual([
      [1, 'type(n)'],
      [3, 'type(id)'],
    ]);
    await ingestText(wh, 'orders', 'o.csv', `${HEAD}1,new,1.234,2026-01-01 00:00:00\n2,new,-.5,2026-01-01 00:00:00\n`);
    await curate(wh, ordersContract({ checks: [] }));
    expect(await q(wh, 'SELECT order_id, amount FROM curated.orders')).toEqual([[2, '-0.50']]);
  });

  it('strict parsing keeps the text of a value that does not convert, and widens decimals past the staging precision', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 't.csv', `${HEAD}1,new, 1.5e0 ,2026-01-01 00:00:00\n2,new,1.005,2026-01-01 00:00:00\n`);
    await curate(wh, ordersContract({ checks: [] }));
    expect(await q(wh, 'SELECT order_id, amount FROM curated.orders')).toEqual([[1, '1.50']]);
    expect(await q(wh, 'SELECT row_number, reason, raw_row FROM curated.orders__quarantine')).toEqual([
      [2, "column 'amount': '1.005' is not a valid decimal(10, 2)", '{"id":"2","status":"new","amount":"1.005","ordered_at":"2026-01-01 00:00:00"}'],
    ]);
    // 17 integer digits: wider than decimal(10, 2) and than the 15 digits strict staging reads.
    await ingestText(wh, 'orders', 'w.csv', `${HEAD}3,new,12345678901234567.25,2026-01-01 00:00:00\n`);
    const [r] = await curate(wh, ordersContract({ checks: [], drift: 'evolve' }));
    expect(r!.message).toMatch(/column 'amount' widened decimal\(10, 2\) → decimal\(19, 2\)/);
    expect(await q(wh, 'SELECT amount FROM curated.orders WHERE order_id = 3')).toEqual([['12345678901234567.25']]);
  });

  it('a source without a required column rejects the batch', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'orders', 'noid.csv', 'status,amount\nnew,1.00\n');
    const [r] = await curate(wh, ordersContract());
    expect(r!.status).toBe('rejected');
    expect(r!.message).toMatch(/no source column for required column\(s\) 'order_id'/);
  });
});

describe('schema drift', () => {
  it('reject: a new source column or a wider type fails the batch with a report', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'events', 'a.csv', 'id,kind,n,extra\n1,a,1,x\n2,b,3000000000,y\n');
    const [r] = await curate(wh, eventsContract({ drift: 'reject' }));
    expect(r!.status).toBe('rejected');
    expect(r!.message).toMatch(/schema drift \(contract drift: reject\): new source column 'extra' \(string\); column 'n' widened int → long/);
    expect(await q(wh, 'SELECT count(*) FROM curated.events')).toEqual([[0]]);
  });

  it('evolve: adds new columns and widens types in the same commit as the rows', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'events', 'a.csv', 'id,kind,n\n1,a,1\n');
    await curate(wh, eventsContract({ drift: 'evolve' }));
    const before = (await wh.loadTable('curated.events')).metadata.snapshots.length;
    await ingestText(wh, 'events', 'b.csv', 'id,kind,n,score,seen\n2,b,3000000000,1.5,2026-01-01\n');
    const [r] = await curate(wh, eventsContract({ drift: 'evolve' }));
    expect(r!.message).toMatch(/evolved: new source column 'score' \(double\); new source column 'seen' \(date\); column 'n' widened int → long/);
    const t = await wh.loadTable('curated.events');
    expect(t.metadata.snapshots.length).toBe(before + 1);
    expect(t.schema().fields.map((f) => [f.name, f.type])).toEqual([
      ['id', 'long'],
      ['kind', 'string'],
      ['n', 'long'],
      ['score', 'double'],
      ['seen', 'date'],
    ]);
    expect(await q(wh, 'SELECT id, n, score, seen FROM curated.events ORDER BY id')).toEqual([
      [1, 1, null, null],
      [2, 3000000000, 1.5, '2026-01-01'],
    ]);
  });
});

describe('fast CSV parsing', () => {
  it("lets DuckDB's reader convert columns: unconvertible values reject their line under the column's type rule", async () => {
    const { wh } = ctx;
    const fast = (over: Record<string, unknown> = {}) =>
      ordersContract({ source: { csv: { parse: 'fast' } }, checks: [{ rule: 'range', column: 'amount', min: 0 }], ...over });
    await ingestText(wh, 'orders', 'f.csv', `${HEAD}1,new,1.00,2026-01-01 00:00:00\nx,new,1.00,2026-01-01 00:00:00\n3,new,-1.00,2026-01-01 00:00:00\n4,new,2.00,never\n5,new\n`);
    const [r] = await curate(wh, fast());
    expect(r).toMatchObject({ status: 'curated', rowsIn: 5, rowsCurated: 1, rowsQuarantined: 4 });
    expect(await q(wh, 'SELECT line, row_number, rule FROM curated.orders__quarantine ORDER BY rule')).toEqual([
      [6, null, 'malformed'],
      [null, 2, 'range(amount)'],
      [3, null, 'type(order_id)'],
      [5, null, 'type(ordered_at)'],
    ]);
  });

  it('widens from the parsed values on evolve', async () => {
    const { wh } = ctx;
    await ingestText(wh, 'events', 'w.csv', 'id,kind,n\n1,a,1\n2,b,3000000000\n');
    const [r] = await curate(wh, eventsContract({ drift: 'evolve', source: { csv: { parse: 'fast' } } }));
    expect(r!.message).toMatch(/column 'n' widened int → long/);
    expect(await q(wh, 'SELECT id, n FROM curated.events ORDER BY id')).toEqual([
      [1, 1],
      [2, 3000000000],
    ]);
  });
});

describe('parquet sources', () => {
  it('reads typed columns, widens int → long on evolve, and numbers rows by file position', async () => {
    const { wh } = ctx;
    const file = join(wh.root, '..', `${Date.now()}-p.parquet`);
    await wh.engine.run(`COPY (SELECT range::BIGINT AS id, 'k' || range AS kind, (range * 1000000000)::BIGINT AS n FROM range(1, 4)) TO '${file}' (FORMAT parquet)`);
    await ingest({ root: wh.root, io: wh.io }, [file], { dataset: 'events' });
    const [rejected] = await curate(wh, eventsContract({ drift: 'reject' }));
    expect(rejected!.message).toMatch(/column 'n' widened int → long/);
    const [r] = await curate(wh, eventsContract({ drift: 'evolve', checks: [{ rule: 'range', column: 'n', max: 2000000000 }] }));
    expect(r).toMatchObject({ status: 'curated', rowsCurated: 2, rowsQuarantined: 1 });
    expect((await wh.loadTable('curated.events')).schema().fields.find((f) => f.name === 'n')!.type).toBe('long');
    expect(await q(wh, 'SELECT row_number, rule, raw_row FROM curated.events__quarantine')).toEqual([[3, 'range(n)', '{"id":3,"kind":"k3","n":3000000000}']]);
  });
});

describe('upsert', () => {
  it('replaces rows by key across batches (equality deletes)', async () => {
    const { wh } = ctx;
    const c = ordersContract({ mode: 'upsert', checks: [] });
    await ingestText(wh, 'orders', 'a.csv', `${HEAD}1,new,1.00,2026-01-01 00:00:00\n2,new,2.00,2026-01-01 00:00:00\n`);
    await ingestText(wh, 'orders', 'b.csv', `${HEAD}2,paid,2.50,2026-01-02 00:00:00\n3,new,3.00,2026-01-02 00:00:00\n`);
    const r = await curate(wh, c);
    expect(r.map((x) => x.status)).toEqual(['curated', 'curated']);
    expect(await q(wh, 'SELECT order_id, status, amount FROM curated.orders ORDER BY 1')).toEqual([
      [1, 'new', '1.00'],
      [2, 'paid', '2.50'],
      [3, 'new', '3.00'],
    ]);
  });
});
