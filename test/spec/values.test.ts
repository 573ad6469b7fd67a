import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PrimitiveTypeName } from '../../src/spec/types.js';
import { coerceValue, compareValues, formatValue, fromBinary, fromJsonValue, toBinary, toJsonValue } from '../../src/spec/values.js';

describe('binary single-value serialisation (spec appendix D)', () => {
  it('encodes the documented forms', () => {
    expect([...toBinary('int', 1)]).toEqual([1, 0, 0, 0]);
    expect([...toBinary('long', -1n)]).toEqual([255, 255, 255, 255, 255, 255, 255, 255]);
    expect([...toBinary('boolean', true)]).toEqual([1]);
    expect([...toBinary('decimal(9, 2)', 1420n)]).toEqual([0x05, 0x8c]);
    expect([...toBinary('decimal(9, 2)', -1n)]).toEqual([0xff]);
    expect([...toBinary('decimal(9, 2)', 128n)]).toEqual([0x00, 0x80]);
    expect(Buffer.from(toBinary('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7')).toString('hex')).toBe('f79c3e09677c4bbda4793f349cb785e7');
    expect(Buffer.from(toBinary('string', 'ä')).toString('hex')).toBe('c3a4');
  });
  it('reads narrower widths written before a promotion', () => {
    expect(fromBinary('long', toBinary('int', -7))).toBe(-7n);
    expect(fromBinary('double', toBinary('float', 1.5))).toBe(1.5);
  });
  it('round-trips random values', () => {
    const cases: [PrimitiveTypeName, fc.Arbitrary<unknown>][] = [
      ['int', fc.integer()],
      ['long', fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })],
      ['double', fc.double({ noNaN: true })],
      ['string', fc.string()],
      ['decimal(38, 4)', fc.bigInt({ min: -(10n ** 37n), max: 10n ** 37n })],
      ['date', fc.integer({ min: -700000, max: 2000000 })],
      ['timestamp', fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n })],
    ];
    for (const [type, arb] of cases) {
      fc.assert(fc.property(arb, (v) => compareValues(type, fromBinary(type, toBinary(type, v)), v) === 0 || Object.is(v, -0)));
    }
  });
});

describe('JSON and text forms', () => {
  it('uses the spec JSON forms', () => {
    expect(toJsonValue('decimal(9, 2)', 1420n)).toBe('14.20');
    expect(toJsonValue('date', 17486)).toBe('2017-11-16');
    expect(toJsonValue('timestamp', coerceValue('timestamp', '2017-11-16 22:31:08.000001'))).toBe('2017-11-16T22:31:08.000001');
    expect(toJsonValue('timestamptz', coerceValue('timestamptz', '2017-11-16T14:31:08-08:00'))).toBe('2017-11-16T22:31:08.000000+00:00');
    expect(toJsonValue('binary', Uint8Array.of(1, 255))).toBe('01FF');
    expect(fromJsonValue('decimal(9, 2)', '14.2')).toBe(1420n);
    expect(fromJsonValue('fixed[2]', '01FF')).toEqual(Uint8Array.of(1, 255));
  });
  it('formats values DuckDB can cast back', () => {
    expect(formatValue('decimal(5, 3)', -5n)).toBe('-0.005');
    expect(formatValue('timestamp', -1n)).toBe('1969-12-31 23:59:59.999999');
    expect(formatValue('time', 3_600_000_001n)).toBe('01:00:00.000001');
  });
  it('rejects inexact or malformed input with a clear error', () => {
    expect(() => coerceValue('int', 3.5)).toThrow(/cannot convert 3.5 to int/);
    expect(() => coerceValue('int', 2 ** 31)).toThrow(/to int/);
    expect(() => coerceValue('date', '2023-02-30')).toThrow(/to date/);
    expect(() => coerceValue('decimal(9, 2)', '1.234')).toThrow(/decimal/);
    expect(() => coerceValue('uuid', 'nope')).toThrow(/uuid/);
  });
  it('orders strings by UTF-8 bytes', () => {
    expect(compareValues('string', '\uffff', '😀')).toBeLessThan(0);
  });
});
