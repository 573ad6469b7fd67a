import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GlueClient } from '@aws-sdk/client-glue';
import { afterAll, describe, expect, it } from 'vitest';
import { GlueCatalog } from '../../src/catalog/glue.js';
import { CommitFailedError, CommitStateUnknownError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';
import { LocalFileIO } from '../../src/io/local.js';
import { catalogContract, SCHEMA } from './contract.js';
import { FakeGlue } from './glue-fake.js';

const dirs: string[] = [];
const clients: GlueClient[] = [];
afterAll(() => {
  for (const c of clients) c.destroy();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

/** A Glue catalog over an in-memory Glue (SDK-level mock) and a local warehouse folder. */
function fresh(wrap?: (io: FileIO) => FileIO): { glue: FakeGlue; client: GlueClient; io: FileIO; warehouse: string; catalog: GlueCatalog; other: () => GlueCatalog } {
  const warehouse = mkdtempSync(join(tmpdir(), 'floe-glue-'));
  dirs.push(warehouse);
  const io = wrap ? wrap(new LocalFileIO()) : new LocalFileIO();
  const client = new GlueClient({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  clients.push(client);
  const glue = new FakeGlue();
  glue.attach(client);
  const other = () => new GlueCatalog({ warehouse, io, client });
  return { glue, client, io, warehouse, catalog: other(), other };
}

catalogContract(
  'glue',
  async (wrap) => {
    const { catalog, io, other } = fresh(wrap);
    return { catalog, io, other };
  },
  { nestedNamespaces: false, unicodeNames: false },
);

const T = { namespace: ['db'], name: 't' };

describe('glue catalog: the Glue entries Athena and Spark read', () => {
  it('creates an EXTERNAL_TABLE with the Iceberg parameters and Hive-typed columns', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db'], { comment: 'sales data', owner: 'ops' });
    expect(glue.databases.get('db')).toMatchObject({ Name: 'db', Description: 'sales data', Parameters: { owner: 'ops' } });
    const schema = {
      type: 'struct' as const,
      'schema-id': 0,
      fields: [
        { id: 1, name: 'id', required: true, type: 'long' as const },
        { id: 2, name: 'price', required: false, type: 'decimal(10, 2)' as const },
        { id: 3, name: 'at', required: false, type: 'timestamptz' as const },
        { id: 4, name: 'tags', required: false, type: { type: 'list' as const, 'element-id': 5, element: 'string' as const, 'element-required': false } },
        { id: 6, name: 'attrs', required: false, type: { type: 'map' as const, 'key-id': 7, key: 'string' as const, 'value-id': 8, value: 'int' as const, 'value-required': false } },
        { id: 9, name: 'pt', required: false, type: { type: 'struct' as const, fields: [{ id: 10, name: 'x', required: false, type: 'double' as const }] } },
        { id: 11, name: 'u', required: false, type: 'uuid' as const, doc: 'the key' },
      ],
    };
    const t = await catalog.createTable(T, { schema, properties: { comment: 'orders' } });
    const entry = glue.tables.get('db')!.get('t')!;
    expect(entry.TableType).toBe('EXTERNAL_TABLE');
    expect(entry.Description).toBe('orders');
    expect(entry.Parameters).toEqual({ table_type: 'ICEBERG', metadata_location: t.metadataLocation });
    expect(entry.StorageDescriptor?.Location).toBe(t.metadata.location);
    expect(entry.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Type])).toEqual([
      ['id', 'bigint'],
      ['price', 'decimal(10,2)'],
      ['at', 'timestamp'],
      ['tags', 'array<string>'],
      ['attrs', 'map<string,int>'],
      ['pt', 'struct<x:double>'],
      ['u', 'string'],
    ]);
    expect(entry.StorageDescriptor?.Columns?.[0]?.Parameters).toEqual({ 'iceberg.field.id': '1', 'iceberg.field.optional': 'false', 'iceberg.field.current': 'true' });
    expect(entry.StorageDescriptor?.Columns?.[6]?.Comment).toBe('the key');

    const t1 = await catalog.commitTable(T, [], [{ action: 'add-schema', schema: { ...SCHEMA, 'schema-id': 1, fields: [{ id: 1, name: 'id', required: true, type: 'long' }, { id: 12, name: 'note', required: false, type: 'string' }] } }, { action: 'set-current-schema', 'schema-id': -1 }]);
    const after = glue.tables.get('db')!.get('t')!;
    expect(after.Parameters).toEqual({ table_type: 'ICEBERG', metadata_location: t1.metadataLocation, previous_metadata_location: t.metadataLocation });
    expect(after.VersionId).toBe('2');
    // Columns of the current schema first; dropped ones stay, marked not current.
    expect(after.StorageDescriptor?.Columns?.map((c) => [c.Name, c.Parameters?.['iceberg.field.current']])).toEqual([
      ['id', 'true'],
      ['note', 'true'],
      ['price', 'false'],
      ['at', 'false'],
      ['tags', 'false'],
      ['attrs', 'false'],
      ['pt', 'false'],
      ['u', 'false'],
    ]);
    const update = glue.calls.find((c) => c.command === 'UpdateTable')!.input as { VersionId?: string; SkipArchive?: boolean };
    expect(update.VersionId).toBe('1');
    expect(update.SkipArchive).toBe(true);
  });

  it('puts tables under the database LocationUri when it has one, else under the warehouse', async () => {
    const { catalog, warehouse } = fresh();
    await catalog.createNamespace(['db']);
    await catalog.createNamespace(['placed'], { location: `${warehouse}/elsewhere/placed` });
    expect(await catalog.loadNamespaceProperties(['placed'])).toEqual({ location: `${warehouse}/elsewhere/placed` });
    expect((await catalog.createTable(T, { schema: SCHEMA })).metadata.location).toBe(`${warehouse}/db.db/t`);
    expect((await catalog.createTable({ namespace: ['placed'], name: 't' }, { schema: SCHEMA })).metadata.location).toBe(`${warehouse}/elsewhere/placed/t`);
  });

  it('lists only Iceberg tables, across pages', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db']);
    for (const n of ['e', 'a', 'c', 'b', 'd']) await catalog.createTable({ namespace: ['db'], name: n }, { schema: SCHEMA });
    glue.createTable('db', { Name: 'hive_csv', TableType: 'EXTERNAL_TABLE', Parameters: { classification: 'csv' } });
    for (const n of ['x', 'y', 'z']) await catalog.createNamespace([n]);
    glue.calls.length = 0;
    expect((await catalog.listTables(['db'])).map((t) => t.name)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(glue.calls.filter((c) => c.command === 'GetTables').length).toBe(3);
    expect(await catalog.listNamespaces()).toEqual([['db'], ['x'], ['y'], ['z']]);
    expect(glue.calls.filter((c) => c.command === 'GetDatabases').length).toBe(2);
  });
});

describe('glue catalog: bad input', () => {
  it('refuses a Glue table that is not Iceberg, naming it', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db']);
    glue.createTable('db', { Name: 'clicks', TableType: 'EXTERNAL_TABLE', Parameters: { classification: 'parquet' } });
    const clicks = { namespace: ['db'], name: 'clicks' };
    await expect(catalog.loadTable(clicks)).rejects.toThrow(ValidationError);
    await expect(catalog.loadTable(clicks)).rejects.toThrow(/^db\.clicks is not an Iceberg table/);
    await expect(catalog.commitTable(clicks, [], [])).rejects.toThrow(/db\.clicks is not an Iceberg table/);
    await expect(catalog.dropTable(clicks)).rejects.toThrow(/not an Iceberg table/);
    await expect(catalog.renameTable(clicks, T)).rejects.toThrow(/not an Iceberg table/);
    expect(await catalog.tableExists(clicks)).toBe(false);
    expect(glue.tables.get('db')!.has('clicks')).toBe(true);
    // A name taken by a Hive table cannot be created over.
    await expect(catalog.createTable(clicks, { schema: SCHEMA })).rejects.toThrow(/already exists/);
  });

  it('refuses the commit when metadata_location changed underneath, naming it, and keeps the other writer’s commit', async () => {
    const { glue, catalog, io } = fresh();
    await catalog.createNamespace(['db']);
    const t0 = await catalog.createTable(T, { schema: SCHEMA });
    // Someone else (Athena, Spark) commits after floe loaded the table and before it swaps.
    let loads = 0;
    glue.before = (command) => {
      if (command === 'GetTable' && ++loads === 2) {
        const t = glue.table('db', 't');
        t.Parameters = { ...t.Parameters, metadata_location: 's3://elsewhere/00001-theirs.metadata.json' };
        t.VersionId = String(Number(t.VersionId) + 1);
      }
    };
    const err = await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommitFailedError);
    expect(String(err)).toMatch(/db\.t .*metadata_location changed underneath .*00001-theirs\.metadata\.json/);
    expect(glue.table('db', 't').Parameters?.['metadata_location']).toBe('s3://elsewhere/00001-theirs.metadata.json');
    expect(glue.calls.some((c) => c.command === 'UpdateTable')).toBe(false);
    // The file written for the lost commit is gone; the base file stays.
    const files: string[] = [];
    for await (const f of io.list(`${t0.metadata.location}/metadata`)) files.push(f.path);
    expect(files).toEqual([t0.metadataLocation]);
  });

  it('turns a concurrent Glue update between the check and the swap into CommitFailedError (VersionId guard)', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db']);
    await catalog.createTable(T, { schema: SCHEMA });
    glue.before = (command) => {
      // Athena bumps the table version (e.g. its own commit) right before floe's UpdateTable lands.
      if (command === 'UpdateTable') {
        const t = glue.table('db', 't');
        t.VersionId = String(Number(t.VersionId) + 1);
        glue.before = () => undefined;
      }
    };
    await expect(catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }])).rejects.toThrow(/Glue detected a concurrent update/);
    expect((await catalog.loadTable(T)).metadata.properties['a']).toBeUndefined();
    expect((await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }])).metadata.properties['a']).toBe('1');
  });

  it('rolls a rename back when the old entry cannot be deleted', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db']);
    await catalog.createTable(T, { schema: SCHEMA });
    glue.before = (command, input) => {
      if (command === 'DeleteTable' && (input as { Name?: string }).Name === 't') throw Object.assign(new Error('User is not authorized to perform: glue:DeleteTable'), { name: 'AccessDeniedException', $fault: 'client' });
    };
    await expect(catalog.renameTable(T, { namespace: ['db'], name: 'u' })).rejects.toThrow(/access denied to Glue table db\.t \(DeleteTable\)/);
    glue.before = () => undefined;
    expect(await catalog.listTables(['db'])).toEqual([T]);
  });

  it('refuses names Glue and Athena cannot hold', async () => {
    const { catalog } = fresh();
    await expect(catalog.createNamespace(['Sales'])).rejects.toThrow(/lowercase letters, digits and underscores/);
    await expect(catalog.createNamespace(['a-b'])).rejects.toThrow(ValidationError);
    await expect(catalog.loadTable({ namespace: ['nope'], name: 't' })).rejects.toThrow(NotFoundError);
  });
});

describe('glue catalog: unclear answers and purge', () => {
  const serverFault = () => Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalServiceException', $fault: 'server' });

  it('keeps the new file and reports an unknown outcome when UpdateTable fails without a clear answer', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db']);
    const t0 = await catalog.createTable(T, { schema: SCHEMA });
    glue.before = (command) => {
      if (command === 'UpdateTable') throw serverFault();
    };
    await expect(catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }])).rejects.toThrow(CommitStateUnknownError);
    glue.before = () => undefined;
    expect(readdirSync(join(t0.metadata.location, 'metadata'))).toHaveLength(2);
    expect((await catalog.loadTable(T)).metadataLocation).toBe(t0.metadataLocation);
  });

  it('counts the commit as done when Glue applied the update but the answer was lost', async () => {
    const { glue, catalog } = fresh();
    await catalog.createNamespace(['db']);
    await catalog.createTable(T, { schema: SCHEMA });
    glue.before = (command, input) => {
      if (command === 'UpdateTable') {
        glue.before = () => undefined;
        glue.updateTable(input as Parameters<FakeGlue['updateTable']>[0]);
        throw serverFault();
      }
    };
    const t1 = await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }]);
    expect((await catalog.loadTable(T)).metadataLocation).toBe(t1.metadataLocation);
    expect(t1.metadata.properties['a']).toBe('1');
  });

  it('drops with purge through the FileIO, and keeps files without purge', async () => {
    const { catalog, io } = fresh();
    await catalog.createNamespace(['db']);
    const t0 = await catalog.createTable(T, { schema: SCHEMA });
    const t1 = await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }]);
    await catalog.dropTable(T, { purge: true });
    expect(await catalog.tableExists(T)).toBe(false);
    expect(await io.stat(t0.metadataLocation)).toBeNull();
    expect(await io.stat(t1.metadataLocation)).toBeNull();
    const kept = await catalog.createTable({ namespace: ['db'], name: 'k' }, { schema: SCHEMA });
    await catalog.dropTable(kept.identifier);
    expect(await io.stat(kept.metadataLocation)).not.toBeNull();
  });
});

describe('catalog URIs', () => {
  it('opens Glue from glue://?region=…&catalog-id=… and refuses unknown schemes without echoing secrets', async () => {
    const { openCatalog } = await import('../../src/catalog/open.js');
    const io = new LocalFileIO();
    const glue = await openCatalog('glue://?region=eu-west-1&catalog-id=123456789012', { warehouse: tmpdir(), io });
    expect(glue).toBeInstanceOf(GlueCatalog);
    await glue.close();
    const err = await openCatalog('mysql://root:hunter2@db/lake', { warehouse: tmpdir(), io }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(String(err)).toMatch(/unknown catalog 'mysql:\/\/…@db\/lake'/);
    expect(String(err)).not.toContain('hunter2');
  });
});
