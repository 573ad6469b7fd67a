import { describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/catalog.js';
import { AlreadyExistsError, CommitFailedError, CorruptMetadataError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { FileIO } from '../../src/io/file-io.js';
import type { Schema, TableIdentifier } from '../../src/spec/types.js';

export const SCHEMA: Schema = { type: 'struct', 'schema-id': 0, fields: [{ id: 1, name: 'id', required: true, type: 'long' }] };

export interface CatalogFixture {
  catalog: Catalog;
  /** The storage the catalog writes its metadata files to. */
  io: FileIO;
  /** A second catalog object over the same store (another process, in effect), on the same io. */
  other: () => Catalog;
}

/**
 * Builds a fresh, empty catalog. When `wrap` is given, every metadata write of both catalogs must
 * go through `wrap(io)`: the race test uses it to hold commits at a barrier.
 */
export type MakeCatalog = (wrap?: (io: FileIO) => FileIO) => Promise<CatalogFixture>;

/** A FileIO whose metadata-file writeIfAbsent calls wait until `parties` of them have arrived. */
function barrierIo(io: FileIO, parties: number): { io: FileIO; arm: () => void } {
  let armed = false;
  let arrived = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const wrapped: FileIO = {
    read: (p) => io.read(p),
    write: (p, d) => io.write(p, d),
    writeIfAbsent: async (p, d) => {
      if (armed && p.endsWith('.metadata.json')) {
        arrived += 1;
        if (arrived >= parties) release();
        await gate;
      }
      return io.writeIfAbsent(p, d);
    },
    stat: (p) => io.stat(p),
    delete: (p) => io.delete(p),
    list: (p) => io.list(p),
    localPath: (p) => io.localPath(p),
  };
  return { io: wrapped, arm: () => (armed = true) };
}

async function metadataFiles(io: FileIO, tableLocation: string): Promise<string[]> {
  const out: string[] = [];
  for await (const f of io.list(`${tableLocation}/metadata`)) if (f.path.endsWith('.metadata.json')) out.push(f.path);
  return out.sort();
}

const id = (name: string, ...namespace: string[]): TableIdentifier => ({ namespace: namespace.length ? namespace : ['db'], name });

/** What a catalog can hold beyond the common ground. */
export interface CatalogTraits {
  /** Namespaces inside namespaces (JDBC catalogs); Glue has one level. */
  nestedNamespaces: boolean;
  /** Names beyond lowercase ASCII letters, digits and `_` (Glue and Athena refuse them). */
  unicodeNames: boolean;
}

/** The Catalog contract, run against every implementation. */
export function catalogContract(name: string, make: MakeCatalog, traits: CatalogTraits = { nestedNamespaces: true, unicodeNames: true }): void {
  describe(`Catalog contract: ${name}`, () => {
    it('manages namespaces and their properties', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['a'], { owner: 'me' });
      await catalog.createNamespace(['c']);
      await expect(catalog.createNamespace(['a'])).rejects.toThrow(AlreadyExistsError);
      expect(await catalog.listNamespaces()).toEqual([['a'], ['c']]);
      expect(await catalog.listNamespaces(['c'])).toEqual([]);
      await expect(catalog.listNamespaces(['zz'])).rejects.toThrow(NotFoundError);
      expect(await catalog.namespaceExists(['a'])).toBe(true);
      expect(await catalog.namespaceExists(['x'])).toBe(false);
      expect(await catalog.loadNamespaceProperties(['a'])).toEqual({ owner: 'me' });
      expect(await catalog.loadNamespaceProperties(['c'])).toEqual({});
      await catalog.updateNamespaceProperties(['a'], { team: 'x', owner: 'you' }, []);
      expect(await catalog.loadNamespaceProperties(['a'])).toEqual({ owner: 'you', team: 'x' });
      await catalog.updateNamespaceProperties(['a'], {}, ['owner', 'never-set']);
      expect(await catalog.loadNamespaceProperties(['a'])).toEqual({ team: 'x' });
      await expect(catalog.loadNamespaceProperties(['zz'])).rejects.toThrow(NotFoundError);
      await expect(catalog.updateNamespaceProperties(['zz'], { a: '1' }, [])).rejects.toThrow(NotFoundError);
      await catalog.dropNamespace(['a']);
      expect(await catalog.namespaceExists(['a'])).toBe(false);
      expect(await catalog.listNamespaces()).toEqual([['c']]);
      await expect(catalog.dropNamespace(['zz'])).rejects.toThrow(NotFoundError);
    });

    if (traits.nestedNamespaces) {
      it('nests namespaces', async () => {
        const { catalog } = await make();
        await catalog.createNamespace(['a']);
        await catalog.createNamespace(['a', 'b']);
        await catalog.createNamespace(['a', 'b', 'c']);
        await catalog.createNamespace(['c']);
        expect(await catalog.listNamespaces()).toEqual([['a'], ['c']]);
        expect(await catalog.listNamespaces(['a'])).toEqual([['a', 'b']]);
        expect(await catalog.listNamespaces(['a', 'b'])).toEqual([['a', 'b', 'c']]);
        expect(await catalog.namespaceExists(['a', 'b'])).toBe(true);
        expect(await catalog.namespaceExists(['a', 'x'])).toBe(false);
        expect(await catalog.loadNamespaceProperties(['a', 'b'])).toEqual({});
        await expect(catalog.dropNamespace(['a'])).rejects.toThrow(ValidationError);
        await expect(catalog.dropNamespace(['a'])).rejects.toThrow(/not empty/);
        await catalog.dropNamespace(['a', 'b', 'c']);
        await catalog.dropNamespace(['a', 'b']);
        await catalog.dropNamespace(['a']);
        expect(await catalog.listNamespaces()).toEqual([['c']]);
      });
    } else {
      it('refuses nested namespaces', async () => {
        const { catalog } = await make();
        await catalog.createNamespace(['a']);
        await expect(catalog.createNamespace(['a', 'b'])).rejects.toThrow(ValidationError);
        await expect(catalog.namespaceExists(['a', 'b'])).rejects.toThrow(/one level/);
        await expect(catalog.createTable(id('t', 'a', 'b'), { schema: SCHEMA })).rejects.toThrow(ValidationError);
        expect(await catalog.listNamespaces()).toEqual([['a']]);
      });
    }

    it('refuses to drop a namespace that holds tables', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['db']);
      await catalog.createTable(id('t'), { schema: SCHEMA });
      await expect(catalog.dropNamespace(['db'])).rejects.toThrow(/not empty/);
      await catalog.dropTable(id('t'));
      await catalog.dropNamespace(['db']);
    });

    it('creates, loads, lists, renames and drops tables', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['db']);
      await catalog.createNamespace(['other']);
      const t = await catalog.createTable(id('t'), { schema: SCHEMA, properties: { k: 'v' } });
      expect(t.metadata.properties.k).toBe('v');
      expect(t.metadata['format-version']).toBe(2);
      expect(t.metadata['metadata-log']).toEqual([]);
      await expect(catalog.createTable(id('t'), { schema: SCHEMA })).rejects.toThrow(AlreadyExistsError);
      await expect(catalog.createTable(id('t', 'nope'), { schema: SCHEMA })).rejects.toThrow(NotFoundError);
      const loaded = await catalog.loadTable(id('t'));
      expect(loaded.metadataLocation).toBe(t.metadataLocation);
      expect(loaded.metadata['table-uuid']).toBe(t.metadata['table-uuid']);
      await catalog.createTable(id('s'), { schema: SCHEMA });
      expect(await catalog.listTables(['db'])).toEqual([id('s'), id('t')]);
      expect(await catalog.listTables(['other'])).toEqual([]);
      await expect(catalog.listTables(['nope'])).rejects.toThrow(NotFoundError);

      await expect(catalog.renameTable(id('t'), id('u', 'nope'))).rejects.toThrow(NotFoundError);
      await expect(catalog.renameTable(id('t'), id('s'))).rejects.toThrow(AlreadyExistsError);
      await expect(catalog.renameTable(id('gone'), id('x'))).rejects.toThrow(NotFoundError);
      await catalog.renameTable(id('t'), id('u', 'other'));
      expect(await catalog.tableExists(id('t'))).toBe(false);
      expect(await catalog.tableExists(id('u', 'other'))).toBe(true);
      expect((await catalog.loadTable(id('u', 'other'))).metadataLocation).toBe(t.metadataLocation);

      await catalog.dropTable(id('s'));
      await expect(catalog.loadTable(id('s'))).rejects.toThrow(NotFoundError);
      await expect(catalog.loadTable(id('s'))).rejects.toThrow(/db\.s does not exist/);
      await expect(catalog.dropTable(id('s'))).rejects.toThrow(NotFoundError);
    });

    it('registers a table from an existing metadata file', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['db']);
      const t = await catalog.createTable(id('t'), { schema: SCHEMA });
      const again = await catalog.registerTable(id('again'), t.metadataLocation);
      expect(again.metadata['table-uuid']).toBe(t.metadata['table-uuid']);
      expect((await catalog.loadTable(id('again'))).metadataLocation).toBe(t.metadataLocation);
      await expect(catalog.registerTable(id('again'), t.metadataLocation)).rejects.toThrow(AlreadyExistsError);
      await expect(catalog.registerTable(id('t'), t.metadataLocation)).rejects.toThrow(AlreadyExistsError);
      await expect(catalog.registerTable(id('x', 'nope'), t.metadataLocation)).rejects.toThrow(NotFoundError);
      const missing = t.metadataLocation.replace(/[^/]+$/, '00009-missing.metadata.json');
      await expect(catalog.registerTable(id('missing'), missing)).rejects.toThrow(NotFoundError);
      expect(await catalog.tableExists(id('missing'))).toBe(false);
      await catalog.dropTable(id('again'));
      expect(await catalog.tableExists(id('t'))).toBe(true);
    });

    it('commits updates through a new metadata file and refuses stale requirements', async () => {
      const { catalog, io } = await make();
      await catalog.createNamespace(['db']);
      const t0 = await catalog.createTable(id('t'), { schema: SCHEMA });
      const uuid = t0.metadata['table-uuid'];
      const t1 = await catalog.commitTable(id('t'), [{ type: 'assert-table-uuid', uuid }], [{ action: 'set-properties', updates: { a: '1' } }]);
      expect(t1.metadataLocation).not.toBe(t0.metadataLocation);
      expect(t1.metadata.properties.a).toBe('1');
      expect(t1.metadata['metadata-log'].map((e) => e['metadata-file'])).toEqual([t0.metadataLocation]);
      expect(await io.stat(t1.metadataLocation)).not.toBeNull();
      expect(await io.stat(t0.metadataLocation)).not.toBeNull();
      const reloaded = await catalog.loadTable(id('t'));
      expect(reloaded.metadataLocation).toBe(t1.metadataLocation);
      expect(reloaded.metadata.properties.a).toBe('1');

      const t2 = await catalog.commitTable(id('t'), [], [{ action: 'remove-properties', removals: ['a'] }]);
      expect(t2.metadata.properties.a).toBeUndefined();
      expect(t2.metadata['metadata-log'].map((e) => e['metadata-file'])).toEqual([t0.metadataLocation, t1.metadataLocation]);

      const stale = [
        { type: 'assert-current-schema-id', 'current-schema-id': 5 } as const,
        { type: 'assert-table-uuid', uuid: '00000000-0000-0000-0000-000000000000' } as const,
      ];
      for (const requirement of stale) {
        await expect(catalog.commitTable(id('t'), [requirement], [{ action: 'set-properties', updates: { a: '2' } }])).rejects.toThrow(CommitFailedError);
      }
      const after = await catalog.loadTable(id('t'));
      expect(after.metadataLocation).toBe(t2.metadataLocation);
      expect(after.metadata.properties.a).toBeUndefined();
      expect(await metadataFiles(io, t0.metadata.location)).toHaveLength(3);
      await expect(catalog.commitTable(id('gone'), [], [])).rejects.toThrow(NotFoundError);
    });

    it('lets exactly one of two commits from the same base win', async () => {
      let barrier: ReturnType<typeof barrierIo> | undefined;
      const { catalog, other, io } = await make((inner) => (barrier = barrierIo(inner, 2)).io);
      await catalog.createNamespace(['db']);
      const t0 = await catalog.createTable(id('t'), { schema: SCHEMA });
      const second = other();
      try {
        // Both commits load version 0 and pass their requirement before either swaps.
        barrier?.arm();
        const results = await Promise.allSettled(
          [catalog, second].map((c, i) =>
            c.commitTable(id('t'), [{ type: 'assert-table-uuid', uuid: t0.metadata['table-uuid'] }], [{ action: 'set-properties', updates: { w: String(i) } }]),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r) => r.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect((lost[0] as PromiseRejectedResult).reason).toBeInstanceOf(CommitFailedError);
        const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<Catalog['commitTable']>>>).value;
        const loaded = await second.loadTable(id('t'));
        expect(loaded.metadataLocation).toBe(winner.metadataLocation);
        expect(loaded.metadata.properties.w).toBe(winner.metadata.properties.w);
        // The loser's metadata file was never referenced and is gone.
        expect(await metadataFiles(io, t0.metadata.location)).toEqual([t0.metadataLocation, winner.metadataLocation].sort());
      } finally {
        await second.close();
      }
    });

    it('lets one of two concurrent creators of the same table win', async () => {
      const { catalog, other } = await make();
      const second = other();
      try {
        await catalog.createNamespace(['db']);
        const results = await Promise.allSettled([catalog, second].map((c) => c.createTable(id('t'), { schema: SCHEMA })));
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyExistsError);
      } finally {
        await second.close();
      }
    });

    it('serialises many commits from several catalog objects with no lost update', async () => {
      const { catalog, other, io } = await make();
      await catalog.createNamespace(['db']);
      await catalog.createTable(id('t'), { schema: SCHEMA });
      const writers = [catalog, other(), other()];
      let committed = 0;
      try {
        await Promise.all(
          writers.map(async (c, w) => {
            for (let i = 0; i < 5; i++) {
              for (;;) {
                try {
                  await c.commitTable(id('t'), [], [{ action: 'set-properties', updates: { [`w${w}-${i}`]: 'x' } }]);
                  committed++;
                  break;
                } catch (e) {
                  if (!(e instanceof CommitFailedError)) throw e;
                }
              }
            }
          }),
        );
      } finally {
        for (const c of writers.slice(1)) await c.close();
      }
      const final = await catalog.loadTable(id('t'));
      expect(committed).toBe(15);
      expect(Object.keys(final.metadata.properties).filter((k) => k.startsWith('w'))).toHaveLength(15);
      expect(final.metadata['metadata-log']).toHaveLength(15);
      // Every lost race removed its file: one per acknowledged commit plus the first.
      expect(await metadataFiles(io, final.metadata.location)).toHaveLength(16);
    });

    it('rejects hostile names', async () => {
      const { catalog } = await make();
      await catalog.createNamespace(['db']);
      const bad = ['', '.', '..', 'a/b', 'a.b', 'x\u0000y', 'a\\b', 'tab\tname', 'nl\n', 'x'.repeat(256)];
      for (const name of bad) {
        await expect(catalog.createTable(id(name), { schema: SCHEMA }), JSON.stringify(name)).rejects.toThrow(ValidationError);
        await expect(catalog.createNamespace([name]), JSON.stringify(name)).rejects.toThrow(ValidationError);
      }
      await expect(catalog.createNamespace([])).rejects.toThrow(ValidationError);
      await expect(catalog.createNamespace(['../../etc'])).rejects.toThrow(ValidationError);
      await expect(catalog.createTable(id('t', '..', 'x'), { schema: SCHEMA })).rejects.toThrow(ValidationError);
      await expect(catalog.loadTable(id('../../etc/passwd'))).rejects.toThrow(ValidationError);
      await expect(catalog.createTable(id('a/b'), { schema: SCHEMA })).rejects.toThrow(/a\/b/);
      expect(await catalog.listTables(['db'])).toEqual([]);
      if (traits.unicodeNames) {
        // Ordinary non-ASCII names are fine.
        await catalog.createTable(id('café_2024-ü'), { schema: SCHEMA });
        expect(await catalog.tableExists(id('café_2024-ü'))).toBe(true);
      } else {
        await expect(catalog.createTable(id('café_2024-ü'), { schema: SCHEMA })).rejects.toThrow(ValidationError);
        await expect(catalog.createTable(id('Upper'), { schema: SCHEMA })).rejects.toThrow(ValidationError);
        await catalog.createTable(id('sales_2024'), { schema: SCHEMA });
        expect(await catalog.tableExists(id('sales_2024'))).toBe(true);
      }
    });

    it('reports corrupt and missing metadata files', async () => {
      const { catalog, io } = await make();
      await catalog.createNamespace(['db']);
      const t = await catalog.createTable(id('t'), { schema: SCHEMA });
      await io.write(t.metadataLocation, new Uint8Array(Buffer.from('{"format-version": 2, "oops"')));
      await expect(catalog.loadTable(id('t'))).rejects.toThrow(CorruptMetadataError);
      await expect(catalog.loadTable(id('t'))).rejects.toThrow(/metadata file .*\.metadata\.json/);
      await io.write(t.metadataLocation, new Uint8Array(Buffer.from('{"format-version": 2}')));
      await expect(catalog.loadTable(id('t'))).rejects.toThrow(CorruptMetadataError);
      await expect(catalog.commitTable(id('t'), [], [{ action: 'set-properties', updates: { a: '1' } }])).rejects.toThrow(CorruptMetadataError);
      await expect(catalog.registerTable(id('r'), t.metadataLocation)).rejects.toThrow(CorruptMetadataError);
      await io.delete(t.metadataLocation);
      await expect(catalog.loadTable(id('t'))).rejects.toThrow(NotFoundError);
      // A table whose metadata is gone can still be dropped.
      await catalog.dropTable(id('t'), { purge: true });
      expect(await catalog.tableExists(id('t'))).toBe(false);
    });
  });
}
