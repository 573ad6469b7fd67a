import { describe, expect, it } from 'vitest';
import { AlreadyExistsError, CommitFailedError, CorruptMetadataError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { Catalog } from '../../src/catalog/catalog.js';
import type { FileIO } from '../../src/io/file-io.js';
import type { Schema } from '../../src/spec/types.js';

export const SCHEMA: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };

export interface CatalogFixture {
  catalog: Catalog;
  io: FileIO;
  /** A second catalog object over the same store (another process, in effect). */
  other: () => Catalog;
}

/** The Catalog contract, run against every implementation. */
export function catalogContract(name: string, make: () => Promise<CatalogFixture>): void {
  describe(`Catalog contract: ${name}`, () => {
    it('manages nested namespaces and their properties', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['a'], { owner: 'me' });
      await catalog.createNamespace(['a', 'b']);
      await catalog.createNamespace(['c']);
      await expect(catalog.createNamespace(['a'])).rejects.toThrow(AlreadyExistsError);
      expect(await catalog.listNamespaces()).toEqual([['a'], ['c']]);
      expect(await catalog.listNamespaces(['a'])).toEqual([['a', 'b']]);
      expect(await catalog.loadNamespaceProperties(['a'])).toEqual({ owner: 'me' });
      await catalog.updateNamespaceProperties(['a'], { team: 'x' }, ['owner']);
      expect(await catalog.loadNamespaceProperties(['a'])).toEqual({ team: 'x' });
      await expect(catalog.dropNamespace(['a'])).rejects.toThrow(/not empty/);
      await catalog.dropNamespace(['a', 'b']);
      await catalog.dropNamespace(['a']);
      expect(await catalog.namespaceExists(['a'])).toBe(false);
      await expect(catalog.dropNamespace(['zz'])).rejects.toThrow(NotFoundError);
    });

    it('creates, loads, lists, renames and drops tables', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['db']);
      await catalog.createNamespace(['other']);
      const t = await catalog.createTable({ namespace: ['db'], name: 't' }, { schema: SCHEMA, properties: { k: 'v' } });
      expect(t.metadata.properties.k).toBe('v');
      expect(t.metadata['format-version']).toBe(2);
      await expect(catalog.createTable({ namespace: ['db'], name: 't' }, { schema: SCHEMA })).rejects.toThrow(AlreadyExistsError);
      await expect(catalog.createTable({ namespace: ['nope'], name: 't' }, { schema: SCHEMA })).rejects.toThrow(NotFoundError);
      expect((await catalog.loadTable({ namespace: ['db'], name: 't' })).metadataLocation).toBe(t.metadataLocation);
      expect(await catalog.listTables(['db'])).toEqual([{ namespace: ['db'], name: 't' }]);
      await catalog.renameTable({ namespace: ['db'], name: 't' }, { namespace: ['other'], name: 'u' });
      expect(await catalog.tableExists({ namespace: ['db'], name: 't' })).toBe(false);
      expect(await catalog.tableExists({ namespace: ['other'], name: 'u' })).toBe(true);
      await catalog.registerTable({ namespace: ['db'], name: 'again' }, t.metadataLocation);
      expect((await catalog.loadTable({ namespace: ['db'], name: 'again' })).metadata['table-uuid']).toBe(t.metadata['table-uuid']);
      await catalog.dropTable({ namespace: ['db'], name: 'again' });
      await expect(catalog.loadTable({ namespace: ['db'], name: 'again' })).rejects.toThrow(/db\.again does not exist/);
      await expect(catalog.dropTable({ namespace: ['db'], name: 'again' })).rejects.toThrow(NotFoundError);
    });

    it('commits updates through a new metadata file and refuses stale requirements', async () => {
      const { catalog, io } = await make();
      await catalog.createNamespace(['db']);
      const id = { namespace: ['db'], name: 't' };
      const t0 = await catalog.createTable(id, { schema: SCHEMA });
      const t1 = await catalog.commitTable(id, [{ type: 'assert-table-uuid', uuid: t0.metadata['table-uuid'] }], [{ action: 'set-properties', updates: { a: '1' } }]);
      expect(t1.metadataLocation).not.toBe(t0.metadataLocation);
      expect(t1.metadata['metadata-log'].map((e) => e['metadata-file'])).toEqual([t0.metadataLocation]);
      expect(await io.stat(t1.metadataLocation)).not.toBeNull();
      await expect(
        catalog.commitTable(id, [{ type: 'assert-current-schema-id', 'current-schema-id': 5 }], [{ action: 'set-properties', updates: { a: '2' } }]),
      ).rejects.toThrow(CommitFailedError);
      expect((await catalog.loadTable(id)).metadata.properties.a).toBe('1');
    });

    it('lets exactly one of two racing commits from the same base win', async () => {
      const { catalog, other } = await make();
      await catalog.createNamespace(['db']);
      const id = { namespace: ['db'], name: 't' };
      await catalog.createTable(id, { schema: SCHEMA });
      const second = other();
      const results = await Promise.allSettled(
        [catalog, second].map((c, i) => c.commitTable(id, [{ type: 'assert-last-assigned-field-id', 'last-assigned-field-id': 1 }], [{ action: 'set-properties', updates: { w: String(i) } }])),
      );
      // Both may pass the requirement (nothing else changed); the guarded swap decides.
      const ok = results.filter((r) => r.status === 'fulfilled');
      expect(ok.length).toBeGreaterThanOrEqual(1);
      const loaded = await catalog.loadTable(id);
      expect(['0', '1']).toContain(loaded.metadata.properties.w);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(CommitFailedError);
      await second.close();
    });

    it('rejects hostile names and reports corrupt metadata', async () => {
      const { catalog, io } = await make();
      await catalog.createNamespace(['db']);
      for (const bad of ['', '..', 'a/b', 'a.b', 'x\u0000y', 'a\\b']) {
        await expect(catalog.createTable({ namespace: ['db'], name: bad }, { schema: SCHEMA })).rejects.toThrow(ValidationError);
      }
      await expect(catalog.createNamespace(['../../etc'])).rejects.toThrow(ValidationError);
      const id = { namespace: ['db'], name: 't' };
      const t = await catalog.createTable(id, { schema: SCHEMA });
      await io.write(t.metadataLocation, new Uint8Array(Buffer.from('{"format-version": 2, "oops"')));
      await expect(catalog.loadTable(id)).rejects.toThrow(CorruptMetadataError);
      await expect(catalog.loadTable(id)).rejects.toThrow(/metadata file .*\.metadata\.json/);
    });
  });
}
