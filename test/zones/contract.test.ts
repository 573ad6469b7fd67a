import { describe, expect, it } from 'vitest';
import { parseContract, parseContractText } from '../../src/zones/contract.js';

const base = {
  dataset: 'orders',
  columns: [
    { name: 'id', type: 'long', nullable: false },
    { name: 'ts', type: 'timestamptz' },
    { name: 'amount', type: 'decimal(10,2)' },
  ],
};

describe('dataset contracts', () => {
  it('fills defaults and reads partition and sort terms with the SQL syntax', () => {
    const c = parseContract({ ...base, keys: ['id'], partitioning: ['day(ts)', 'bucket(8, id)'], sortOrder: ['ts DESC NULLS FIRST'] });
    expect(c.drift).toBe('reject');
    expect(c.mode).toBe('append');
    expect(c.onInvalid).toBe('quarantine');
    expect(c.source.csv).toEqual({ delimiter: ',', header: true, encoding: 'utf-8', quote: '"', parse: 'strict' });
    expect(c.columns.map((x) => [x.name, x.icebergType, x.nullable, x.sourceName])).toEqual([
      ['id', 'long', false, 'id'],
      ['ts', 'timestamptz', true, 'ts'],
      ['amount', 'decimal(10, 2)', true, 'amount'],
    ]);
    expect(c.partitioning).toEqual([
      { transform: 'day', column: 'ts' },
      { transform: 'bucket', column: 'id', param: 8 },
    ]);
    expect(c.sortOrder).toEqual([{ term: { transform: 'identity', column: 'ts' }, direction: 'desc', nullOrder: 'nulls-first' }]);
  });

  it('names the bad key in every error', () => {
    const bad = (doc: Record<string, unknown>): string => {
      try {
        parseContract({ ...base, ...doc });
      } catch (e) {
        return (e as Error).message;
      }
      throw new Error('expected the contract to be rejected');
    };
    expect(bad({ columns: [{ name: 'id', type: 'integer' }] })).toMatch(/columns\[0\]\.type: unknown Iceberg type 'integer'/);
    expect(bad({ columns: [{ name: 'id', type: 'long', nulable: true }] })).toMatch(/columns\[0\]: Unrecognized key: "nulable"/);
    expect(bad({ drift: 'sometimes' })).toMatch(/drift: Invalid option: expected one of "evolve"\|"reject"/);
    expect(bad({ keys: ['ts'] })).toMatch(/keys\[0\]: key column 'ts' must be nullable: false/);
    expect(bad({ keys: ['nope'] })).toMatch(/keys\[0\]: unknown column 'nope' \(columns are id, ts, amount\)/);
    expect(bad({ partitioning: ['day(ts'] })).toMatch(/partitioning\[0\]: cannot read 'day\(ts'/);
    expect(bad({ partitioning: ['month(other)'] })).toMatch(/partitioning\[0\]: unknown column 'other'/);
    expect(bad({ checks: [{ rule: 'range', column: 'ts', min: 0 }] })).toMatch(/checks\[0\]: a range check needs a numeric column, and 'ts' is timestamptz/);
    expect(bad({ checks: [{ rule: 'range', column: 'amount', min: 5, max: 1 }] })).toMatch(/checks\[0\]: min 5 is above max 1/);
    expect(bad({ checks: [{ rule: 'regex', column: 'id', pattern: '(' }] })).toMatch(/checks\[0\]\.pattern: /);
    expect(bad({ checks: [{ rule: 'maybe', column: 'id' }] })).toMatch(/checks\[0\]\.rule: /);
    expect(bad({ checks: [{ rule: 'unique' }] })).toMatch(/checks\[0\]: a unique check needs columns or the contract's keys/);
    expect(bad({ mode: 'upsert' })).toMatch(/mode: upsert needs keys/);
    expect(bad({ mode: 'upsert', keys: ['id'], partitioning: ['day(ts)'] })).toMatch(/partitioning\[0\]: an upsert table can only be partitioned by its keys/);
    expect(bad({ dataset: 'my-orders' })).toMatch(/dataset: must be a plain identifier/);
    expect(bad({ columns: [{ name: 'id', type: 'long' }, { name: 'ID', type: 'string' }] })).toMatch(/columns\[1\]\.name: column 'ID' is defined twice/);
  });

  it('reads YAML and JSON, and says which when the text is broken', () => {
    const yaml = 'dataset: d\ncolumns:\n  - { name: a, type: string }\n';
    expect(parseContractText(yaml, 'd.yaml').columns[0]!.name).toBe('a');
    expect(parseContractText(JSON.stringify({ dataset: 'd', columns: [{ name: 'a', type: 'int' }] }), 'd.json').columns[0]!.icebergType).toBe('int');
    expect(() => parseContractText('{"dataset": ', 'd.json')).toThrow(/d\.json is not valid JSON/);
    expect(() => parseContractText('dataset: [', 'd.yaml')).toThrow(/d\.yaml is not valid YAML/);
  });
});
