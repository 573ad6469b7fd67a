import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { PostgresCatalog } from '../../src/catalog/postgres.js';
import { AlreadyExistsError, CommitFailedError, CommitStateUnknownError, IoError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';
import { LocalFileIO } from '../../src/io/local.js';
import { startPostgres } from '../helpers/postgres.js';
import { catalogContract, SCHEMA } from './contract.js';
import { runFloe, type CliRun } from '../helpers/cli.js';

const server = await startPostgres();
const dirs: string[] = [];
const open: PostgresCatalog[] = [];
afterAll(async () => {
  for (const c of open) await c.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  if (typeof server !== 'string') server.stop();
});

if (typeof server === 'string') {
  describe('postgres catalog', () => {
    it('needs a local PostgreSQL server', () => {
      console.log(`skipping the Postgres catalog tests: ${server}`);
    });
  });
} else {
  const url = server.url;
  let n = 0;
  /** A fresh catalog: its own catalog_name in the shared server, its own warehouse folder. */
  const fresh = async (io: FileIO = new LocalFileIO(), name = `c${++n}`) => {
    const warehouse = mkdtempSync(join(tmpdir(), 'floe-pgcat-'));
    dirs.push(warehouse);
    const at = async () => {
      const c = await PostgresCatalog.connect({ url, warehouse, io, catalogName: name, maxConnections: 4 });
      open.push(c);
      return c;
    };
    return { warehouse, io, name, catalog: await at(), at };
  };
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const c = new pg.Client(url);
    await c.connect();
    try {
      return (await c.query<T>(sql, params)).rows;
    } finally {
      await c.end();
    }
  };
  const T = { namespace: ['db'], name: 't' };

  catalogContract('postgres', async (wrap) => {
    const { catalog, io, warehouse, name } = await fresh(wrap ? wrap(new LocalFileIO()) : undefined);
    // A second catalog object over the same rows (another machine, in effect), connecting lazily.
    const other = () => {
      const c = new PostgresCatalog({ url, warehouse, io, catalogName: name, maxConnections: 2 });
      open.push(c);
      return c;
    };
    return { catalog, io, other };
  });

  describe('postgres catalog: from the command line', () => {
    it('runs floe --catalog postgres://… against the server, not a SQLite file', async () => {
      const warehouse = mkdtempSync(join(tmpdir(), 'floe-pgcli-'));
      dirs.push(warehouse);
      const cli = (...args: string[]): Promise<CliRun> => runFloe('--warehouse', warehouse, '--catalog', url, '--format', 'json', ...args);
      expect((await cli('sql', 'CREATE NAMESPACE clidb; CREATE TABLE clidb.t (id INT); INSERT INTO clidb.t VALUES (1), (2)')).code).toBe(0);
      const r = await cli('sql', 'SELECT count(*) AS n FROM clidb.t');
      expect([r.code, r.err]).toEqual([0, '']);
      expect(JSON.parse(r.out)).toEqual([{ n: 2 }]);
      expect(await query(`SELECT table_name FROM iceberg_tables WHERE catalog_name = 'floe' AND table_namespace = 'clidb'`)).toEqual([{ table_name: 't' }]);
      expect(readdirSync(warehouse)).not.toContain('catalog.db');
      const bad = await cli('sql', 'SELECT * FROM clidb.missing');
      expect(bad.code).not.toBe(0);
    });
  });

  describe('postgres catalog: JDBC layout', () => {
    it('creates exactly the Iceberg JDBC catalog tables', async () => {
      await fresh();
      const cols = await query<{ table_name: string; column_name: string; data_type: string; len: number | null; is_nullable: string }>(
        `SELECT table_name, column_name, data_type, character_maximum_length AS len, is_nullable FROM information_schema.columns
         WHERE table_name IN ('iceberg_tables', 'iceberg_namespace_properties') ORDER BY table_name, ordinal_position`,
      );
      expect(cols.map((c) => [c.table_name, c.column_name, c.data_type, c.len, c.is_nullable])).toEqual([
        ['iceberg_namespace_properties', 'catalog_name', 'character varying', 255, 'NO'],
        ['iceberg_namespace_properties', 'namespace', 'character varying', 255, 'NO'],
        ['iceberg_namespace_properties', 'property_key', 'character varying', 255, 'NO'],
        ['iceberg_namespace_properties', 'property_value', 'character varying', 1000, 'YES'],
        ['iceberg_tables', 'catalog_name', 'character varying', 255, 'NO'],
        ['iceberg_tables', 'table_namespace', 'character varying', 255, 'NO'],
        ['iceberg_tables', 'table_name', 'character varying', 255, 'NO'],
        ['iceberg_tables', 'metadata_location', 'character varying', 1000, 'YES'],
        ['iceberg_tables', 'previous_metadata_location', 'character varying', 1000, 'YES'],
        ['iceberg_tables', 'iceberg_type', 'character varying', 5, 'YES'],
      ]);
    });

    it('stores rows as JdbcCatalog does and keeps catalog names apart', async () => {
      const { catalog, name, warehouse, io } = await fresh();
      await catalog.createNamespace(['sales', 'eu'], { owner: 'ops' });
      const t = await catalog.createTable({ namespace: ['sales', 'eu'], name: 'orders' }, { schema: SCHEMA });
      expect(t.metadata.location).toBe(`${warehouse}/sales.eu.db/orders`);
      const t1 = await catalog.commitTable(t.identifier, [], [{ action: 'set-properties', updates: { a: '1' } }]);
      expect(await query('SELECT * FROM iceberg_tables WHERE catalog_name = $1', [name])).toEqual([
        { catalog_name: name, table_namespace: 'sales.eu', table_name: 'orders', metadata_location: t1.metadataLocation, previous_metadata_location: t.metadataLocation, iceberg_type: 'TABLE' },
      ]);
      expect(await query('SELECT * FROM iceberg_namespace_properties WHERE catalog_name = $1 ORDER BY property_key', [name])).toEqual([
        { catalog_name: name, namespace: 'sales.eu', property_key: 'exists', property_value: 'true' },
        { catalog_name: name, namespace: 'sales.eu', property_key: 'owner', property_value: 'ops' },
      ]);
      const second = await PostgresCatalog.connect({ url, warehouse, io, catalogName: `${name}_second` });
      open.push(second);
      expect(await second.listNamespaces()).toEqual([]);
    });
  });

  describe('postgres catalog: commits', () => {
    it('lets one of two concurrent creators of the same namespace win', async () => {
      const { catalog, at } = await fresh();
      const other = await at();
      const ns = await Promise.allSettled([catalog, other].map((c) => c.createNamespace(['db'])));
      expect(ns.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((ns.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyExistsError);
    });

    /**
     * Starts a commit whose UPDATE waits on the server behind a row lock held by another session,
     * does `interrupt(pid)` to that backend, and returns the commit's error and the table's first state.
     */
    const interruptedCommit = async (interrupt: string) => {
      const { catalog, name } = await fresh();
      await catalog.createNamespace(['db']);
      const t0 = await catalog.createTable(T, { schema: SCHEMA });
      const locker = new pg.Client(url);
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM iceberg_tables WHERE catalog_name = $1 FOR UPDATE`, [name]);
      try {
        const commit = catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '1' } }]).catch((e: unknown) => e);
        for (;;) {
          const [blocked] = await query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'UPDATE iceberg_tables SET metadata_location%'`,
          );
          if (blocked) {
            await query(`SELECT ${interrupt}($1)`, [blocked.pid]);
            break;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        return { err: await commit, catalog, t0, files: () => readdirSync(join(t0.metadata.location, 'metadata')) };
      } finally {
        await locker.query('ROLLBACK');
        await locker.end();
      }
    };

    it('is CommitStateUnknownError, keeping the new file, when the connection dies after the UPDATE was sent', async () => {
      const { err, catalog, t0, files } = await interruptedCommit('pg_terminate_backend');
      expect(err).toBeInstanceOf(CommitStateUnknownError);
      expect(String(err)).toMatch(/commit to db\.t has an unknown outcome/);
      // Nothing was deleted: the unreferenced file stays next to the current one.
      expect(files()).toHaveLength(2);
      expect((await catalog.loadTable(T)).metadataLocation).toBe(t0.metadataLocation);
      // The pool replaced the dead connection.
      expect((await catalog.commitTable(T, [], [{ action: 'set-properties', updates: { a: '2' } }])).metadata.properties['a']).toBe('2');
    });

    it('is CommitFailedError, deleting the new file, when the server refuses the UPDATE', async () => {
      // Cancelling the statement is a server answer (57014): the autocommit UPDATE rolled back.
      const { err, files } = await interruptedCommit('pg_cancel_backend');
      expect(err).toBeInstanceOf(CommitFailedError);
      expect(String(err)).toMatch(/refused the update \(57014/);
      expect(files()).toHaveLength(1);
    });

    it('works for a writer with row privileges only, once the tables exist', async () => {
      const { catalog, warehouse, io, name } = await fresh();
      await catalog.createNamespace(['db']);
      await catalog.createTable(T, { schema: SCHEMA });
      // PostgreSQL 15 lets no one but the owner create in schema public: the writer cannot run DDL.
      await query(`DROP ROLE IF EXISTS floe_writer`);
      await query(`CREATE ROLE floe_writer LOGIN`);
      await query(`GRANT SELECT, INSERT, UPDATE, DELETE ON iceberg_tables, iceberg_namespace_properties TO floe_writer`);
      const writer = await PostgresCatalog.connect({ url: url.replace('//floe@', '//floe_writer@'), warehouse, io, catalogName: name });
      open.push(writer);
      expect((await writer.commitTable(T, [], [{ action: 'set-properties', updates: { by: 'writer' } }])).metadata.properties['by']).toBe('writer');
      await expect(query(`SET ROLE floe_writer; CREATE TABLE not_allowed (x int)`)).rejects.toThrow(/permission denied/);
    });

    it('names the server it cannot reach', async () => {
      const dead = url.replace(/:(\d+)\//, ':1/');
      const err = await PostgresCatalog.connect({ url: dead, warehouse: tmpdir(), io: new LocalFileIO() }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(IoError);
      expect(String(err)).toMatch(/cannot reach the Postgres catalog postgres:\/\/floe@127\.0\.0\.1:1\/postgres/);
    });
  });
}
