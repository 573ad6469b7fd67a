import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/sqlite.js';
import { ValidationError } from '../../src/errors.js';
import { LocalFileIO } from '../../src/io/local.js';
import { pythonWith } from '../helpers/python.js';
import { catalogContract, SCHEMA } from './contract.js';

const dirs: string[] = [];
const open: SqliteCatalog[] = [];
afterAll(async () => {
  for (const c of open) await c.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
function fresh(): { warehouse: string; catalog: SqliteCatalog; io: LocalFileIO } {
  const warehouse = mkdtempSync(join(tmpdir(), 'floe-cat-'));
  dirs.push(warehouse);
  const io = new LocalFileIO();
  const catalog = new SqliteCatalog({ warehouse, io });
  open.push(catalog);
  return { warehouse, catalog, io };
}

catalogContract('sqlite', async () => {
  const { warehouse, catalog, io } = fresh();
  return {
    catalog,
    io,
    other: () => {
      const c = new SqliteCatalog({ warehouse, io });
      open.push(c);
      return c;
    },
  };
});

describe('sqlite catalog specifics', () => {
  it('stores tables in the Iceberg JDBC catalog layout', async () => {
    const { warehouse, catalog } = fresh();
    await catalog.createNamespace(['sales', 'eu']);
    const t = await catalog.createTable({ namespace: ['sales', 'eu'], name: 'orders' }, { schema: SCHEMA });
    expect(t.metadata.location).toBe(join(warehouse, 'sales.eu.db/orders'));
    expect(t.metadataLocation).toMatch(/\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
    const db = new Database(join(warehouse, 'catalog.db'), { readonly: true });
    const row = db.prepare('SELECT * FROM iceberg_tables').get() as Record<string, unknown>;
    expect(row).toEqual({ catalog_name: 'floe', table_namespace: 'sales.eu', table_name: 'orders', metadata_location: t.metadataLocation, previous_metadata_location: null, iceberg_type: 'TABLE' });
    const ns = db.prepare('SELECT namespace, property_key, property_value FROM iceberg_namespace_properties').all();
    expect(ns).toEqual([{ namespace: 'sales.eu', property_key: 'exists', property_value: 'true' }]);
    db.close();
  });

  it('keeps tables inside the warehouse and honours format-version', async () => {
    const { warehouse, catalog } = fresh();
    await catalog.createNamespace(['db']);
    await expect(catalog.createTable({ namespace: ['db'], name: 't' }, { schema: SCHEMA, location: '/tmp/elsewhere' })).rejects.toThrow(/outside the warehouse/);
    await expect(catalog.createTable({ namespace: ['db'], name: 't' }, { schema: SCHEMA, location: `${warehouse}/../x` })).rejects.toThrow(ValidationError);
    const v1 = await catalog.createTable({ namespace: ['db'], name: 'v1' }, { schema: SCHEMA, properties: { 'format-version': '1' } });
    expect(v1.metadata['format-version']).toBe(1);
    expect(v1.metadata.properties['format-version']).toBeUndefined();
  });

  it('purges referenced files on drop with purge', async () => {
    const { catalog } = fresh();
    await catalog.createNamespace(['db']);
    const id = { namespace: ['db'], name: 't' };
    const t0 = await catalog.createTable(id, { schema: SCHEMA });
    const t1 = await catalog.commitTable(id, [], [{ action: 'set-properties', updates: { a: '1' } }]);
    await catalog.dropTable(id, { purge: true });
    expect(existsSync(t0.metadataLocation)).toBe(false);
    expect(existsSync(t1.metadataLocation)).toBe(false);
  });

  it('is readable by PyIceberg when it is installed', async () => {
    const python = pythonWith('pyiceberg.catalog.sql');
    if (!python) {
      console.log('skipping PyIceberg check: pyiceberg is not installed for any python3 on this machine');
      return;
    }
    const { warehouse, catalog } = fresh();
    await catalog.createNamespace(['db']);
    await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: SCHEMA });
    const out = execFileSync(python, ['-c', `
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog('floe', uri='sqlite:///${warehouse}/catalog.db', warehouse='file://${warehouse}')
print(c.load_table('db.t').schema().fields[0].name)`], { encoding: 'utf8' });
    expect(out.trim()).toBe('id');
  });
});
