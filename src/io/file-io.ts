/**
 * FileIO: the only way floe touches storage. Paths are URIs as stored in metadata
 * (`file:///abs`, `/abs`, `s3://bucket/key`, …); each implementation says which it serves.
 */
export interface FileInfo {
  /** The path as the implementation lists it (canonical form of its scheme). */
  path: string;
  size: number;
  /** Last modification time, ms since epoch. */
  mtimeMs: number;
}

export interface FileIO {
  /** Reads a whole file; throws NotFoundError when it does not exist. */
  read(path: string): Promise<Uint8Array>;
  /** Creates or replaces a file. Local implementations write to a temp name and rename. */
  write(path: string, data: Uint8Array): Promise<void>;
  /** Creates a file only if absent; returns false (writing nothing) when it already exists. */
  writeIfAbsent(path: string, data: Uint8Array): Promise<boolean>;
  /** Size and mtime, or null when the file does not exist. */
  stat(path: string): Promise<FileInfo | null>;
  /** Deletes a file; deleting a missing file is not an error. */
  delete(path: string): Promise<void>;
  /** Every file under a prefix (recursively). */
  list(prefix: string): AsyncIterable<FileInfo>;
  /**
   * A path on this machine's file system holding the file's bytes, so that DuckDB can read it
   * directly. Local storage returns the file itself; remote storage downloads to a cache.
   */
  localPath(path: string): Promise<string>;
  /**
   * Up to `length` bytes from `offset` (fewer at the end of the file, none past it); throws
   * NotFoundError when the file does not exist.
   */
  readRange?(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** Local folder where new files for `path` should be staged before `commitLocal` publishes them. */
  stagingPath?(path: string): string;
  /** Publishes a staged local file at `path` (an upload for remote storage); the local file is consumed. */
  commitLocal?(localFile: string, path: string): Promise<void>;
  /** Releases connections and other resources. */
  close?(): Promise<void>;
  /**
   * Streams `chunks` into a new file only if `path` is absent; returns false when it exists.
   * Nothing becomes visible at `path` unless every chunk was written: when the iterable throws,
   * the partial upload is discarded (local: temp file + link; S3: If-None-Match, abort on error).
   */
  writeStreamIfAbsent?(path: string, chunks: AsyncIterable<Uint8Array>): Promise<boolean>;
  /**
   * Removes the folders under `prefix` (and `prefix` itself) that hold no file, deepest first;
   * a folder with any file in it, at any depth, stays. For storage with real folders (local).
   */
  removeEmptyFolders?(prefix: string): Promise<void>;
  /** Appends bytes to a file (created when missing) in one write; for append-only logs. */
  append?(path: string, data: Uint8Array): Promise<void>;
}
