import { describe, expect, it } from 'vitest';
import { WarehouseLocations } from '../../src/catalog/locations.js';
import { ValidationError } from '../../src/errors.js';

describe('warehouse locations', () => {
  it('places tables of an s3:// warehouse under it and keeps them on the same storage', () => {
    const w = new WarehouseLocations('s3://lake/warehouse/');
    expect(w.local).toBe(false);
    expect(w.defaultTableLocation(['sales'], 'orders')).toBe('s3://lake/warehouse/sales.db/orders');
    expect(w.tableLocation('s3://lake/warehouse/custom/t/')).toBe('s3://lake/warehouse/custom/t');
    expect(() => w.tableLocation('s3://other-bucket/t')).toThrow(/outside the warehouse/);
    expect(() => w.tableLocation('s3://lake/warehouse/../escape')).toThrow(/outside the warehouse/);
    expect(() => w.tableLocation('/local/t')).toThrow(ValidationError);
    expect(() => w.tableLocation('gs://lake/warehouse/t')).toThrow(/not on this warehouse's storage/);
  });

  it("takes Hadoop's s3a:// and s3n:// spellings of the same bucket, keeping the spelling given", () => {
    const w = new WarehouseLocations('s3://lake/warehouse');
    expect(w.tableLocation('s3a://lake/warehouse/sales.db/t')).toBe('s3a://lake/warehouse/sales.db/t');
    expect(w.tableLocation('S3N://lake/warehouse/t/')).toBe('S3N://lake/warehouse/t');
    expect(() => w.tableLocation('s3a://other/warehouse/t')).toThrow(/outside the warehouse/);
    expect(new WarehouseLocations('s3a://lake/w').tableLocation('s3://lake/w/t')).toBe('s3://lake/w/t');
  });

  it('lets an unconfined catalog (Glue database LocationUri) place tables anywhere on the same storage', () => {
    const w = new WarehouseLocations('s3://lake/warehouse', false);
    expect(w.tableLocation('s3://other-bucket/t')).toBe('s3://other-bucket/t');
    expect(() => w.tableLocation('file:///t')).toThrow(ValidationError);
  });

  it('resolves a local warehouse to absolute paths inside it', () => {
    const w = new WarehouseLocations('file:///srv/lake');
    expect(w.local).toBe(true);
    expect(w.defaultTableLocation(['a', 'b'], 't')).toBe('/srv/lake/a.b.db/t');
    expect(w.tableLocation('file:///srv/lake/x%20y/t/')).toBe('/srv/lake/x y/t');
    expect(() => w.tableLocation('/srv/lakehouse/t')).toThrow(/outside the warehouse/);
    expect(() => w.tableLocation('s3://lake/t')).toThrow(ValidationError);
  });
});
