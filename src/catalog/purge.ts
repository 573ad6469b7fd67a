import { FloeError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { readManifest } from '../manifest/manifest.js';
import { readManifestList } from '../manifest/manifest-list.js';
import type { TableMetadata } from '../spec/types.js';
import { statisticsPath } from '../spec/updates.js';
import type { MetadataCache } from './metadata-cache.js';

/**
 * The metadata a purge plans from, or undefined when it cannot be read (missing or corrupt):
 * the table is then still dropped and only its metadata file is deleted, as Java's catalogs skip
 * the purge they cannot plan.
 */
export async function metadataForPurge(cache: MetadataCache, location: string): Promise<TableMetadata | undefined> {
  return cache.read(location).catch((e: unknown) => {
    if (e instanceof FloeError) return undefined;
    throw e;
  });
}

/** After a drop with purge: every referenced file when the metadata was readable, else the metadata file alone. */
export async function purgeDropped(io: FileIO, metadataLocation: string, metadata: TableMetadata | undefined): Promise<void> {
  if (metadata) await purgeFiles(io, metadataLocation, metadata);
  else await io.delete(metadataLocation).catch(() => undefined);
  // The table's folders go too when nothing is left in them (files floe does not know stay).
  if (metadata) await io.removeEmptyFolders?.(metadata.location).catch(() => undefined);
}

/**
 * Deletes every file the table's metadata references: data and delete files of every live
 * manifest, manifests, manifest lists, statistics files, and the metadata files in the log.
 * Unreadable manifests are skipped (what is known is still deleted); deletions are best effort.
 */
export async function purgeFiles(io: FileIO, metadataLocation: string, metadata: TableMetadata): Promise<void> {
  const files = new Set<string>();
  const manifests = new Set<string>();
  for (const s of metadata.snapshots) {
    try {
      if (s['manifest-list']) {
        files.add(s['manifest-list']);
        for (const m of readManifestList(await io.read(s['manifest-list']))) manifests.add(m.manifest_path);
      } else for (const m of s.manifests ?? []) manifests.add(m);
    } catch (e) {
      if (!(e instanceof FloeError)) throw e;
    }
  }
  for (const m of manifests) {
    files.add(m);
    try {
      const { entries } = readManifest(await io.read(m));
      for (const e of entries) files.add(e.data_file.file_path);
    } catch (e) {
      if (!(e instanceof FloeError)) throw e;
    }
  }
  for (const key of ['statistics', 'partition-statistics'] as const) {
    for (const st of metadata[key] ?? []) {
      const path = statisticsPath(st);
      if (path !== undefined) files.add(path);
    }
  }
  for (const e of metadata['metadata-log']) files.add(e['metadata-file']);
  files.add(metadataLocation);
  const all = [...files];
  // Bounded parallelism: a large table has many thousands of files.
  for (let i = 0; i < all.length; i += 64) {
    await Promise.all(all.slice(i, i + 64).map((f) => io.delete(f).catch(() => undefined)));
  }
}
