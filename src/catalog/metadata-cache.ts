import type { FileIO } from '../io/file-io.js';
import type { TableMetadata } from '../spec/types.js';
import { readMetadataFile } from './metadata-files.js';

/**
 * Parsed metadata by location, reused only while the file's size and mtime are unchanged, so a
 * file rewritten in place is read again. Holds at most `limit` entries (oldest dropped first).
 */
export class MetadataCache {
  private readonly parsed = new Map<string, { metadata: TableMetadata; size: number; mtimeMs: number }>();

  constructor(
    private readonly io: FileIO,
    private readonly limit = 64,
  ) {}

  async read(location: string): Promise<TableMetadata> {
    const hit = this.parsed.get(location);
    if (hit) {
      const st = await this.io.stat(location);
      if (st && st.size === hit.size && st.mtimeMs === hit.mtimeMs) return hit.metadata;
    }
    const metadata = await readMetadataFile(this.io, location);
    await this.remember(location, metadata);
    return metadata;
  }

  async remember(location: string, metadata: TableMetadata): Promise<void> {
    const st = await this.io.stat(location);
    if (!st) return;
    this.parsed.set(location, { metadata, size: st.size, mtimeMs: st.mtimeMs });
    if (this.parsed.size > this.limit) this.parsed.delete(this.parsed.keys().next().value as string);
  }

  forget(location: string): void {
    this.parsed.delete(location);
  }
}
