import type { QueryExecution } from '@aws-sdk/client-athena';
import {
  AccessDeniedError,
  AlreadyExistsError,
  CommitFailedError,
  FloeError,
  IoError,
  LimitExceededError,
  NotFoundError,
  SqlParseError,
  UnsupportedError,
  ValidationError,
  errorMessage,
} from '../errors.js';

/**
 * Athena failures as floe's typed errors. A failed query carries `StateChangeReason` (Trino's
 * error name first, e.g. `TABLE_NOT_FOUND: line 1:15: …`) and `AthenaError` (category 1 system,
 * 2 user, 3 other; ErrorType per Athena's error catalog). API calls fail with SDK exceptions
 * named by `name` (`InvalidRequestException` with `AthenaErrorCode`, `TooManyRequestsException`,
 * `ThrottlingException`, `AccessDeniedException`, …).
 */
export function queryFailure(qe: QueryExecution, what: string): FloeError {
  const reason = qe.Status?.StateChangeReason ?? qe.Status?.AthenaError?.ErrorMessage ?? 'no reason given';
  const msg = `Athena query ${qe.QueryExecutionId ?? ''} failed: ${oneLine(reason)} (${what})`;
  return classify(reason, msg, qe.Status?.AthenaError?.ErrorCategory);
}

function classify(reason: string, msg: string, category?: number): FloeError {
  const r = reason.toUpperCase();
  if (/SYNTAX_ERROR|MISMATCHED INPUT|EXTRANEOUS INPUT|NO VIABLE ALTERNATIVE|LINE \d+:\d+: (MISSING|UNEXPECTED)/.test(r)) return new SqlParseError(msg);
  if (/ACCESS ?DENIED|PERMISSION_DENIED|NOT AUTHORIZED|INSUFFICIENT (LAKE FORMATION )?PERMISSION/.test(r)) return new AccessDeniedError(msg);
  if (/TABLE_NOT_FOUND|SCHEMA_NOT_FOUND|CATALOG_NOT_FOUND|ENTITYNOTFOUND|DOES NOT EXIST|IS NOT FOUND|NOSUCHBUCKET|NOSUCHKEY/.test(r)) return new NotFoundError(msg);
  if (/ALREADY_EXISTS|ALREADY EXISTS/.test(r)) return new AlreadyExistsError(msg);
  if (/ICEBERG_COMMIT_ERROR|COMMITFAILED|CONCURRENTMODIFICATION/.test(r)) return new CommitFailedError(msg);
  if (/NOT_SUPPORTED|NOT SUPPORTED|UNSUPPORTED/.test(r)) return new UnsupportedError(msg);
  // Athena's 100-partitions-per-write limit (HIVE_TOO_MANY_OPEN_PARTITIONS).
  if (/TOO_MANY_OPEN_PARTITIONS|OPEN WRITERS FOR PARTITIONS/.test(r)) return new LimitExceededError(`${msg}; floe can split the write: --chunk-partitions`);
  if (/EXCEEDED_|EXCEEDED THE|LIMIT EXCEEDED|EXHAUSTED RESOURCES|TOO MANY/.test(r)) return new LimitExceededError(msg);
  if (/COLUMN_NOT_FOUND|TYPE_MISMATCH|INVALID_|FUNCTION_NOT_FOUND|NOT_NULL|CONSTRAINT/.test(r)) return new ValidationError(msg);
  // Category 2 is the user's query; anything else is the service's side.
  return category === 2 ? new ValidationError(msg) : new IoError(msg);
}

/** An SDK exception from an Athena (or Glue/STS) API call as a floe error naming the call. */
export function apiFailure(err: unknown, call: string, resource: string): FloeError {
  if (err instanceof FloeError) return err;
  const e = err as { name?: string; AthenaErrorCode?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? 'Error';
  const msg = `${call} on ${resource} failed: ${name}: ${oneLine(errorMessage(err))}`;
  switch (name) {
    case 'AccessDeniedException':
    case 'AccessDenied':
    case 'UnrecognizedClientException':
    case 'ExpiredTokenException':
    case 'InvalidClientTokenId':
      return new AccessDeniedError(msg, { cause: err });
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return new LimitExceededError(`${msg} (request rate exceeded; retry later)`, { cause: err });
    case 'ResourceNotFoundException':
    case 'EntityNotFoundException':
      return new NotFoundError(msg, { cause: err });
    case 'InvalidRequestException':
      return classify(`${e?.AthenaErrorCode ?? ''} ${errorMessage(err)}`, msg, 2);
    default:
      return e?.$metadata?.httpStatusCode === 403 ? new AccessDeniedError(msg, { cause: err }) : new IoError(msg, { cause: err });
  }
}

/** Throttling is worth waiting out while polling (the query itself is unaffected). */
export function isThrottling(err: unknown): boolean {
  const name = (err as { name?: string } | undefined)?.name;
  return name === 'ThrottlingException' || name === 'TooManyRequestsException';
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
