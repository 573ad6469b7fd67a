import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteCatalog } from '../../src/catalog/sqlite.js';
import { CommitFailedError, ValidationError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';
import { LocalFileIO } from '../../src/io/local.js';
import { manifestFileFor, writeManifest } from '../../src/manifest/manifest.js';
import { writeManifestList } from '../../src/manifest/manifest-list.js';
import { EntryStatus, FileContent, ManifestContent, type ManifestEntry } from '../../src/manifest/types.js';
import { pythonWith } from '../helpers/python.js';
import { catalogContract, SCHEMA } from './contract.js';

const dirs: string[] = [];
const open: SqliteCatalog[] = [];
afterAll(async () => {
  for (const c of open) await c.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'floe-cat-'));
  dirs.push(d);
  return d;
}
function catalogAt(warehouse: string, io: FileIO, extra: Partial<ConstructorParameters<typeof SqliteCatalog>[0]> = {}): SqliteCatalog {
  const c = new SqliteCatalog({ warehouse, io, ...extra });
  open.push(c);
  return c;
}
function fresh(): { warehouse: string; catalog: SqliteCatalog; io: LocalFileIO } {
  const warehouse = tempDir();
  const io = new LocalFileIO();
  return { warehouse, catalog: catalogAt(warehouse, io), io };
}
const db = ['db'];
const T = { namespace: db, name: 't' };

catalogContract('sqlite', async (wrap) => {
  const warehouse = tempDir();
  const io = wrap ? wrap(new LocalFileIO()) : new LocalFileIO();
  return { catalog: catalogAt(warehouse, io), io, other: () => catalogAt(warehouse, io) };
});

describe('sqlite catalog: JDBC layout', () => {
  it('creates exactly the Iceberg JDBC catalog tables', () => {
    const { warehouse } = fresh();
    const conn = new Database(join(warehouse, 'catalog.db'), { readonly: true });
    const columns = (table: string) =>
      (conn.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; pk: number }[]).map((c) => [c.name, c.type, c.notnull, c.pk]);
    expect(columns('iceberg_tables')).toEqual([
      ['catalog_name', 'VARCHAR(255)', 1, 1],
      ['table_namespace', 'VARCHAR(255)', 1, 2],
      ['table_name', 'VARCHAR(255)', 1, 3],
      ['metadata_location', 'VARCHAR(1000)', 0, 0],
      ['previous_metadata_location', 'VARCHAR(1000)', 0, 0],
      ['iceberg_type', 'VARCHAR(5)', 0, 0],
    ]);
    expect(columns('iceberg_namespace_properties')).toEqual([
      ['catalog_name', 'VARCHAR(255)', 1, 1],
      ['namespace', 'VARCHAR(255)', 1, 2],
      ['property_key', 'VARCHAR(255)', 1, 3],
      ['property_value', 'VARCHAR(1000)', 0, 0],
    ]);
    expect(conn.pragma('journal_mode', { simple: true })).toBe('wal');
    conn.close();
  });

  it('stores rows as PyIceberg and JdbcCatalog do', async () => {
    const { warehouse, catalog } = fresh();
    await catalog.createNamespace(['sales', 'eu'], { owner: 'ops' });
    const t = await catalog.createTable({ namespace: ['sales', 'eu'], name: 'orders' }, { schema: SCHEMA });
    expect(t.metadata.location).toBe(join(warehouse, 'sales.eu.db/orders'));
    expect(t.metadataLocation).toMatch(/\/sales\.eu\.db\/orders\/metadata\/00000-[0-9a-f-]{36}\.metadata\.json$/);
    const t1 = await catalog.commitTable(t.identifier, [], [{ action: 'set-properties', updates: { a: '1' } }]);
    expect(t1.metadataLocation).toMatch(/\/metadata\/00001-[0-9a-f-]{36}\.metadata\.json$/);
    const conn = new Database(join(warehouse, 'catalog.db'), { readonly: true });
    expect(conn.prepare('SELECT * FROM iceberg_tables').all()).toEqual([
      {
        catalog_name: 'floe',
        table_namespace: 'sales.eu',
        table_name: 'orders',
        metadata_location: t1.metadataLocation,
        previous_metadata_location: t.metadataLocation,
        iceberg_type: 'TABLE',
      },
    ]);
    expect(conn.prepare('SELECT * FROM iceberg_namespace_properties ORDER BY property_key').all()).toEqual([
      { catalog_name: 'floe', namespace: 'sales.eu', property_key: 'exists', property_value: 'true' },
      { catalog_name: 'floe', namespace: 'sales.eu', property_key: 'owner', property_value: 'ops' },
    ]);
    conn.close();
  });

  it('keeps catalogs with different names apart in one database', async () => {
    const { warehouse, catalog, io } = fresh();
    const second = catalogAt(warehouse, io, { catalogName: 'second' });
    await catalog.createNamespace(db);
    await catalog.createTable(T, { schema: SCHEMA });
    expect(await second.namespaceExists(db)).toBe(false);
    await second.createNamespace(db);
    expect(await second.tableExists(T)).toBe(false);
    expect(await second.listTables(db)).toEqual([]);
  });

  it('reads tables and namespaces written by other JDBC clients', async () => {
    const { warehouse, catalog, io } = fresh();
    await catalog.createNamespace(db);
    const t = await catalog.createTable(T, { schema: SCHEMA });
    // Java's V0 schema leaves iceberg_type NULL; a namespace may exist only through its tables.
    const conn = new Database(join(warehouse, 'catalog.db'));
    conn.prepare(`INSERT INTO iceberg_tables VALUES ('floe', 'legacy.ns', 'old', ?, NULL, NULL)`).run(t.metadataLocation);
    conn.close();
    const other = catalogAt(warehouse, io);
    expect(await other.namespaceExists(['legacy', 'ns'])).toBe(true);
    expect(await other.listNamespaces()).toEqual([['db'], ['legacy']]);
    expect(await other.listTables(['legacy', 'ns'])).toEqual([{ namespace: ['legacy', 'ns'], name: 'old' }]);
    expect((await other.loadTable({ namespace: ['legacy', 'ns'], name: 'old' })).metadata['table-uuid']).toBe(t.metadata['table-uuid']);
  });

  it('is readable by PyIceberg when it is installed', async () => {
    const python = pythonWith('pyiceberg.catalog.sql');
    if (!python) {
      console.log('skipping PyIceberg check: pyiceberg is not installed for any python3 on this machine');
      return;
    }
    const { warehouse, catalog } = fresh();
    await catalog.createNamespace(db);
    await catalog.createTable(T, { schema: SCHEMA });
    const out = execFileSync(
      python,
      [
        '-c',
        `
from pyiceberg.catalog.sql import SqlCatalog
c = SqlCatalog('floe', uri='sqlite:///${warehouse}/catalog.db', warehouse='file://${warehouse}')
print(c.list_namespaces(), c.load_table('db.t').schema().fields[0].name)`,
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim()).toBe("[('db',)] id");
  });
});

describe('sqlite catalog: locations and properties', () => {
  it('keeps tables inside the warehouse', async () => {
    const { warehouse, catalog } = fresh();
    await catalog.createNamespace(db);
    await expect(catalog.createTable(T, { schema: SCHEMA, location: '/tmp/elsewhere' })).rejects.toThrow(/outside the warehouse/);
    await expect(catalog.createTable(T, { schema: SCHEMA, location: `${warehouse}/../x` })).rejects.toThrow(ValidationError);
    await expect(catalog.createTable(T, { schema: SCHEMA, location: `${warehouse}x/t` })).rejects.toThrow(ValidationError);
    await expect(catalog.createTable(T, { schema: SCHEMA, location: 's3://bucket/t' })).rejects.toThrow(ValidationError);
    await expect(catalog.createTable(T, { schema: SCHEMA, location: 'relative/t' })).rejects.toThrow(ValidationError);
    expect(await catalog.tableExists(T)).toBe(false);
    const t = await catalog.createTable(T, { schema: SCHEMA, location: `file://${warehouse}/custom%20dir/t/` });
    expect(t.metadata.location).toBe(`${warehouse}/custom dir/t`);
    expect(existsSync(t.metadataLocation)).toBe(true);
  });

  it('accepts a relative or file: warehouse', async () => {
    const dir = tempDir();
    const io = new LocalFileIO();
    const rel = catalogAt(relative(process.cwd(), dir), io);
    await rel.createNamespace(db);
    expect((await rel.createTable(T, { schema: SCHEMA })).metadata.location).toBe(`${dir}/db.db/t`);
    const uri = catalogAt(`file://${dir}`, io);
    expect((await uri.loadTable(T)).metadata.location).toBe(`${dir}/db.db/t`);
  });

  it('honours format-version and removes it from the properties', async () => {
    const { catalog } = fresh();
    await catalog.createNamespace(db);
    const v1 = await catalog.createTable({ namespace: db, name: 'v1' }, { schema: SCHEMA, properties: { 'format-version': '1', k: 'v' } });
    expect(v1.metadata['format-version']).toBe(1);
    expect(v1.metadata.properties).toEqual({ k: 'v' });
    expect((await catalog.loadTable(v1.identifier)).metadata['format-version']).toBe(1);
    await expect(catalog.createTable(T, { schema: SCHEMA, properties: { 'format-version': '7' } })).rejects.toThrow(ValidationError);
  });

  it('writes gzip metadata when asked and reads it back', async () => {
    const { catalog } = fresh();
    await catalog.createNamespace(db);
    await catalog.createTable(T, { schema: SCHEMA });
    const t1 = await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { 'write.metadata.compression-codec': 'gzip' } }]);
    expect(t1.metadataLocation).toMatch(/\/00001-[0-9a-f-]{36}\.gz\.metadata\.json$/);
    const t2 = await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }]);
    expect(t2.metadataLocation).toMatch(/\/00002-[0-9a-f-]{36}\.gz\.metadata\.json$/);
    expect((await catalogAt(t1.metadata.location.replace(/\/db\.db\/t$/, ''), new LocalFileIO()).loadTable(T)).metadata.properties.a).toBe('1');
  });

  it('deletes metadata files that fall out of the log when delete-after-commit is on', async () => {
    const { catalog } = fresh();
    await catalog.createNamespace(db);
    const t0 = await catalog.createTable(T, {
      schema: SCHEMA,
      properties: { 'write.metadata.delete-after-commit.enabled': 'true', 'write.metadata.previous-versions-max': '2' },
    });
    const locations = [t0.metadataLocation];
    for (let i = 1; i <= 4; i++) locations.push((await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { i: String(i) } }])).metadataLocation);
    const current = await catalog.loadTable(T);
    expect(current.metadata['metadata-log'].map((e) => e['metadata-file'])).toEqual(locations.slice(2, 4));
    expect(locations.map((l) => existsSync(l))).toEqual([false, false, true, true, true]);
  });

  it('keeps old metadata files by default', async () => {
    const { catalog } = fresh();
    await catalog.createNamespace(db);
    const t0 = await catalog.createTable(T, { schema: SCHEMA, properties: { 'write.metadata.previous-versions-max': '1' } });
    await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { i: '1' } }]);
    await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { i: '2' } }]);
    expect(existsSync(t0.metadataLocation)).toBe(true);
  });
});

describe('sqlite catalog: concurrency', () => {
  it('turns a busy database into a retryable CommitFailedError and cleans up', async () => {
    const { warehouse, catalog, io } = fresh();
    await catalog.createNamespace(db);
    const t0 = await catalog.createTable(T, { schema: SCHEMA });
    const impatient = catalogAt(warehouse, io, { busyTimeoutMs: 20 });
    const locker = new Database(join(warehouse, 'catalog.db'));
    locker.exec('BEGIN IMMEDIATE');
    try {
      await expect(impatient.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }])).rejects.toThrow(CommitFailedError);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    expect(readdirSync(join(t0.metadata.location, 'metadata'))).toHaveLength(1);
    expect((await impatient.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }])).metadata.properties.a).toBe('1');
  });
});

describe('sqlite catalog: drop with purge', () => {
  it('deletes data, delete files, manifests, manifest lists and metadata, nothing else', async () => {
    const { catalog, io } = fresh();
    await catalog.createNamespace(db);
    const t0 = await catalog.createTable(T, { schema: SCHEMA });
    const loc = t0.metadata.location;
    const spec = t0.metadata['partition-specs'][0]!;
    const dataPath = `${loc}/data/a.parquet`;
    const deletePath = `${loc}/data/a-deletes.parquet`;
    const orphan = `${loc}/data/orphan.parquet`;
    for (const p of [dataPath, deletePath, orphan]) await io.write(p, Uint8Array.of(1, 2, 3));
    const entry = (path: string, content: FileContent): ManifestEntry => ({
      status: EntryStatus.Added,
      snapshot_id: 1n,
      sequence_number: 1,
      file_sequence_number: 1,
      data_file: { content, file_path: path, file_format: 'PARQUET', partition: {}, record_count: 1, file_size_in_bytes: 3 },
    });
    const manifests = [];
    for (const [name, content, e] of [
      ['m-data.avro', ManifestContent.Data, entry(dataPath, FileContent.Data)],
      ['m-deletes.avro', ManifestContent.Deletes, entry(deletePath, FileContent.PositionDeletes)],
    ] as const) {
      const bytes = writeManifest({ schema: SCHEMA, spec, formatVersion: 2, content, snapshotId: 1n, entries: [e] });
      const path = `${loc}/metadata/${name}`;
      await io.write(path, bytes);
      manifests.push(manifestFileFor({ path, length: bytes.length, spec, schema: SCHEMA, content, sequenceNumber: 1, snapshotId: 1n, entries: [e] }));
    }
    const listPath = `${loc}/metadata/snap-1.avro`;
    await io.write(listPath, writeManifestList(manifests, { snapshotId: 1n, sequenceNumber: 1, formatVersion: 2 }));
    const t1 = await catalog.commitTable(
      T,
      [],
      [
        {
          action: 'add-snapshot',
          snapshot: { 'snapshot-id': 1n, 'sequence-number': 1, 'timestamp-ms': Date.now(), 'manifest-list': listPath, summary: { operation: 'append' }, 'schema-id': 0 },
        },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1n },
      ],
    );
    await catalog.dropTable(T, { purge: true });
    expect(await catalog.tableExists(T)).toBe(false);
    for (const p of [t0.metadataLocation, t1.metadataLocation, listPath, ...manifests.map((m) => m.manifest_path), dataPath, deletePath]) {
      expect(existsSync(p), p).toBe(false);
    }
    expect(existsSync(orphan)).toBe(true);
    // Emptied folders go (metadata/), a folder holding a file floe does not know stays (data/).
    expect(existsSync(`${loc}/metadata`)).toBe(false);
    expect(existsSync(`${loc}/data`)).toBe(true);
    await io.delete(orphan);
    await catalog.createTable(T, { schema: SCHEMA, location: loc });
    await catalog.dropTable(T, { purge: true });
    expect(existsSync(loc)).toBe(false);
  });

  it('keeps every file when dropping without purge', async () => {
    const { catalog } = fresh();
    await catalog.createNamespace(db);
    const t0 = await catalog.createTable(T, { schema: SCHEMA });
    await catalog.dropTable(T);
    expect(existsSync(t0.metadataLocation)).toBe(true);
  });
});
