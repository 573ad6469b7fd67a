import { ValidationError } from '../errors.js';
import type { FileIO } from '../io/file-io.js';
import { newTableMetadata, withMetadataLog } from '../spec/metadata.js';
import { checkRequirements } from '../spec/requirements.js';
import type { FormatVersion, TableIdentifier, TableMetadata, TableRequirement, TableUpdate } from '../spec/types.js';
import { applyUpdates } from '../spec/updates.js';
import type { CreateTableOptions, LoadedTable } from './catalog.js';
import { parseMetadataVersion, writeMetadataFile } from './metadata-files.js';

/**
 * The steps every catalog shares around its own pointer swap: build a new table's first metadata,
 * check requirements and write the next metadata file, and tidy up after a won swap.
 */

/** `ns1.ns2.table`, as messages name a table. */
export function label(id: TableIdentifier): string {
  return [...id.namespace, id.name].join('.');
}

/** A new table's first metadata at `location`; `format-version` (1 or 2, default 2) comes from the properties. */
export function firstMetadata(options: CreateTableOptions, location: string): TableMetadata {
  const properties = { ...(options.properties ?? {}) };
  const fv = properties['format-version'];
  if (fv !== undefined && fv !== '1' && fv !== '2') throw new ValidationError(`format-version must be 1 or 2, not '${fv}'`);
  return newTableMetadata({
    schema: options.schema,
    ...(options.partitionSpec ? { spec: options.partitionSpec } : {}),
    ...(options.sortOrder ? { sortOrder: options.sortOrder } : {}),
    location,
    properties,
    formatVersion: (fv ? Number(fv) : 2) as FormatVersion,
  });
}

/** Writes a new table's first metadata file (version 0) and returns the loaded table it describes. */
export async function writeFirstMetadata(io: FileIO, id: TableIdentifier, options: CreateTableOptions, location: string): Promise<LoadedTable> {
  const metadata = firstMetadata(options, location);
  const metadataLocation = await writeMetadataFile(io, location, metadata, 0);
  return { identifier: id, metadataLocation, metadata };
}

/**
 * Checks `requirements` against the current metadata (CommitFailedError when one fails), applies
 * `updates`, records the current file in the metadata log and writes the next metadata file
 * (`<version + 1>-<uuid>.metadata.json`). Nothing references the new file until the caller swaps.
 */
export async function stageCommit(
  io: FileIO,
  current: LoadedTable,
  requirements: TableRequirement[],
  updates: TableUpdate[],
): Promise<LoadedTable> {
  checkRequirements(current.metadata, requirements);
  let next = applyUpdates(current.metadata, updates);
  next = withMetadataLog(next, { location: current.metadataLocation, timestampMs: current.metadata['last-updated-ms'] });
  const version = (parseMetadataVersion(current.metadataLocation) ?? current.metadata['metadata-log'].length) + 1;
  const metadataLocation = await writeMetadataFile(io, next.location, next, version);
  return { identifier: current.identifier, metadataLocation, metadata: next };
}

/**
 * After a won swap: with `write.metadata.delete-after-commit.enabled`, deletes the metadata files
 * that fell out of the log (spec: table properties, metadata.previous-versions-max).
 */
export async function afterCommit(io: FileIO, previous: TableMetadata, next: TableMetadata): Promise<void> {
  if (next.properties['write.metadata.delete-after-commit.enabled'] !== 'true') return;
  const kept = new Set(next['metadata-log'].map((e) => e['metadata-file']));
  for (const old of previous['metadata-log']) {
    if (!kept.has(old['metadata-file'])) await io.delete(old['metadata-file']).catch(() => undefined);
  }
}

/** Deletes a file written for a commit that definitely did not land (best effort). */
export async function discard(io: FileIO, location: string): Promise<void> {
  await io.delete(location).catch(() => undefined);
}
