import { AccessDeniedError, AlreadyExistsError, CommitFailedError, FloeError, IoError, NotFoundError, ValidationError, errorMessage } from '../errors.js';

/** The error name of an AWS SDK v3 service exception (or credential provider error). */
export function awsErrorName(e: unknown): string {
  return typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string' ? (e as { name: string }).name : '';
}

const EXPIRED = new Set(['ExpiredTokenException', 'ExpiredToken', 'RequestExpired', 'TokenRefreshRequired']);
const BAD_CREDENTIALS = new Set(['UnrecognizedClientException', 'InvalidClientTokenId', 'InvalidSignatureException', 'IncompleteSignature']);
const DENIED = new Set(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation']);

/**
 * One floe error for a failed Glue call on `resource` (e.g. `table db.t`), with a one-line message
 * naming it. Throttling reaches here only after the SDK's own retries with backoff are spent.
 */
export function glueError(e: unknown, action: string, resource: string): Error {
  if (e instanceof FloeError) return e;
  const name = awsErrorName(e);
  const detail = errorMessage(e).split('\n')[0];
  if (DENIED.has(name)) return new AccessDeniedError(`access denied to Glue ${resource} (${action}): ${detail}`, { cause: e });
  if (EXPIRED.has(name)) {
    return new AccessDeniedError(`the AWS credentials have expired (${name}) while calling Glue ${action} on ${resource}: refresh them (aws sso login, new session token)`, { cause: e });
  }
  if (BAD_CREDENTIALS.has(name)) return new AccessDeniedError(`the AWS credentials were rejected by Glue (${name}) calling ${action} on ${resource}: ${detail}`, { cause: e });
  if (name === 'CredentialsProviderError') {
    return new AccessDeniedError(`no AWS credentials for Glue ${action} on ${resource} (env, profile, SSO or instance role): ${detail}`, { cause: e });
  }
  switch (name) {
    case 'EntityNotFoundException':
      return new NotFoundError(`${resource} does not exist in Glue`, { cause: e });
    case 'AlreadyExistsException':
      return new AlreadyExistsError(`${resource} already exists in Glue`, { cause: e });
    case 'ConcurrentModificationException':
      return new CommitFailedError(`${action} on Glue ${resource} failed: Glue detected a concurrent update (${detail})`, { cause: e });
    case 'InvalidInputException':
    case 'ValidationException':
      return new ValidationError(`Glue refused ${action} on ${resource}: ${detail}`, { cause: e });
    case 'ThrottlingException':
    case 'ResourceNumberLimitExceededException':
      return new IoError(`Glue ${action} on ${resource} kept being throttled after retries (${name}): ${detail}`, { cause: e });
    default:
      return new IoError(`Glue ${action} on ${resource} failed${name ? ` (${name})` : ''}: ${detail}`, { cause: e });
  }
}

/** Whether a failed Glue write definitely changed nothing (Glue rejected the request). */
export function definitelyRejected(e: unknown): boolean {
  const name = awsErrorName(e);
  if (DENIED.has(name) || EXPIRED.has(name) || BAD_CREDENTIALS.has(name) || name === 'CredentialsProviderError') return true;
  const fault = (e as { $fault?: unknown }).$fault;
  // A 4xx answer is a refusal; 5xx, time-outs and dropped connections leave the outcome open.
  return fault === 'client';
}
