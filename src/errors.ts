/**
 * One error root for everything floe throws on purpose. Each class carries a stable `code`
 * that the CLI maps to an exit status and the REST server maps to the Iceberg REST error model.
 */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'COMMIT_FAILED'
  | 'COMMIT_STATE_UNKNOWN'
  | 'ACCESS_DENIED'
  | 'LIMIT_EXCEEDED'
  | 'SQL_PARSE'
  | 'CORRUPT_METADATA'
  | 'UNSUPPORTED'
  | 'IO'
  | 'CANCELLED';

export class FloeError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad input: wrong types, unknown columns, illegal schema changes, bad paths. */
export class ValidationError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('VALIDATION', message, options);
  }
}

export class NotFoundError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

export class AlreadyExistsError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ALREADY_EXISTS', message, options);
  }
}

/** The commit was rejected and nothing it wrote became visible; safe to clean up and retry. */
export class CommitFailedError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('COMMIT_FAILED', message, options);
  }
}

/** The commit may or may not have landed: never delete files written for it. */
export class CommitStateUnknownError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('COMMIT_STATE_UNKNOWN', message, options);
  }
}

export class AccessDeniedError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ACCESS_DENIED', message, options);
  }
}

export class LimitExceededError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('LIMIT_EXCEEDED', message, options);
  }
}

/** Malformed SQL, with the position where parsing stopped when known. */
export class SqlParseError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SQL_PARSE', message, options);
  }
}

/** Metadata or manifest content that does not follow the Iceberg spec. */
export class CorruptMetadataError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CORRUPT_METADATA', message, options);
  }
}

export class UnsupportedError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNSUPPORTED', message, options);
  }
}

/** A storage operation failed (missing file, permission, disk). */
export class IoError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('IO', message, options);
  }
}

/** The user stopped the operation (Ctrl-C); a remote query was asked to stop. */
export class CancelledError extends FloeError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CANCELLED', message, options);
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
