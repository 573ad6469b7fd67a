import { AccessDeniedError, FloeError, IoError, NotFoundError, ValidationError } from '../errors.js';
import type { S3Location } from './s3-uri.js';

/** What floe was doing when S3 refused: named in the message, with the IAM action it needs. */
export type S3Operation = 'read' | 'write' | 'stat' | 'delete' | 'list' | 'check';

/** spec: IAM actions of the S3 API (HeadObject and ranged GETs need s3:GetObject). */
const IAM_ACTION: Record<S3Operation, string> = {
  read: 's3:GetObject',
  write: 's3:PutObject',
  stat: 's3:GetObject',
  delete: 's3:DeleteObject',
  list: 's3:ListBucket',
  check: 's3:ListBucket',
};

/** S3 error codes that mean the request's credentials, not its permissions, are at fault. */
const CREDENTIAL_ERRORS: Record<string, string> = {
  ExpiredToken: 'the AWS session token has expired',
  ExpiredTokenException: 'the AWS session token has expired',
  TokenRefreshRequired: 'the AWS session token must be refreshed',
  RequestExpired: 'the AWS credentials have expired',
  InvalidToken: 'the AWS session token is malformed or invalid',
  InvalidAccessKeyId: 'the AWS access key id is not known to S3',
  SignatureDoesNotMatch: 'the AWS secret access key does not match the access key id',
};

/** The fields of an AWS SDK v3 error that the mapping reads (ServiceException and client-side errors). */
interface SdkErrorLike {
  name?: string;
  message?: string;
  code?: string;
  Code?: string;
  Region?: string;
  $metadata?: { httpStatusCode?: number; attempts?: number };
  $response?: { statusCode?: number; headers?: Record<string, string | undefined> };
}

export interface S3ErrorContext {
  op: S3Operation;
  loc: Pick<S3Location, 'bucket' | 'key'> & { scheme?: S3Location['scheme'] };
  /** The region the client signed for, when known. */
  region?: string;
  /** Whether writes carried SSE-KMS headers (a bucket policy may deny PUTs without them). */
  sseKms?: boolean;
}

/** The S3 status code of an SDK error, if it came from a response. */
export function s3Status(e: unknown): number | undefined {
  const err = e as SdkErrorLike | undefined;
  return err?.$metadata?.httpStatusCode ?? err?.$response?.statusCode;
}

export function s3ErrorName(e: unknown): string {
  const err = e as SdkErrorLike | undefined;
  return err?.Code ?? err?.name ?? '';
}

/**
 * Maps an AWS SDK error to floe's typed errors with one line naming the resource: missing bucket or
 * key → NotFoundError; AccessDenied → AccessDeniedError naming the operation and the IAM action;
 * bad or expired credentials → AccessDeniedError saying so; a bucket in another region → ValidationError
 * naming the bucket's region when S3 reported it; everything else → IoError.
 */
export function s3Error(e: unknown, ctx: S3ErrorContext): Error {
  if (e instanceof FloeError) return e;
  const err = (e ?? {}) as SdkErrorLike;
  const name = s3ErrorName(e);
  const status = s3Status(e);
  const message = err.message ?? String(e);
  const { bucket, key } = ctx.loc;
  const scheme = ctx.loc.scheme ?? 's3';
  const uri = key ? `${scheme}://${bucket}/${key}` : `${scheme}://${bucket}`;
  const opts = { cause: e };

  if (name === 'NoSuchBucket') return new NotFoundError(`bucket ${bucket} not found`, opts);
  if (name === 'NoSuchKey' || (status === 404 && (ctx.op === 'read' || ctx.op === 'stat' || ctx.op === 'delete'))) {
    return new NotFoundError(`file ${uri} does not exist`, opts);
  }
  if (status === 404 && (ctx.op === 'check' || ctx.op === 'list')) return new NotFoundError(`bucket ${bucket} not found`, opts);

  const bucketRegion = err.$response?.headers?.['x-amz-bucket-region'] ?? err.Region;
  const regionRelated =
    name === 'PermanentRedirect' ||
    name === 'IllegalLocationConstraintException' ||
    status === 301 ||
    (name === 'AuthorizationHeaderMalformed' && (err.Region !== undefined || /region/i.test(message)));
  if (regionRelated) {
    const configured = ctx.region ? `, not ${ctx.region}` : '';
    return bucketRegion
      ? new ValidationError(`bucket ${bucket} is in region ${bucketRegion}${configured}: set AWS_REGION=${bucketRegion} (or the s3 region option)`, opts)
      : new ValidationError(`bucket ${bucket} is not in region ${ctx.region ?? '(unset)'} (S3 answered ${name || status}): set AWS_REGION to the bucket's region`, opts);
  }

  const credential = CREDENTIAL_ERRORS[name];
  if (credential) return new AccessDeniedError(`${credential} (${name}): cannot ${ctx.op} ${uri}; refresh or fix the credentials and retry`, opts);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new AccessDeniedError(
      `no AWS credentials found to ${ctx.op} ${uri}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, log in with aws sso login, or run with an instance role`,
      opts,
    );
  }
  if (name === 'AccessDenied' || status === 403) {
    const resource = ctx.op === 'list' || ctx.op === 'check' || !key ? `arn:aws:s3:::${bucket}` : `arn:aws:s3:::${bucket}/${key}`;
    const detail = message && !/^(access denied|forbidden|unknownerror|403)$/i.test(message.trim()) ? `: ${message}` : '';
    const hint = ctx.op === 'write' && ctx.sseKms === false ? '; if the bucket requires SSE-KMS, set FLOE_S3_SSE_KMS_KEY_ID (s3.sseKms)' : '';
    return new AccessDeniedError(`access denied to ${ctx.op} ${uri} (needs ${IAM_ACTION[ctx.op]} on ${resource})${detail}${hint}`, opts);
  }
  if (name.startsWith('KMS.')) return new AccessDeniedError(`SSE-KMS refused to ${ctx.op} ${uri} (${name}): ${message}`, opts);
  if (/region is missing/i.test(message)) {
    return new ValidationError(`no AWS region configured for ${uri}: set AWS_REGION or the s3 region option`, opts);
  }
  if (name === 'SlowDown' || name === 'ThrottlingException' || status === 503) {
    const attempts = err.$metadata?.attempts;
    return new IoError(`S3 throttled the request to ${ctx.op} ${uri} (${name || status})${attempts ? ` after ${attempts} attempt(s)` : ''}`, opts);
  }
  const netCode = err.code;
  if (netCode && /^(ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET|EAI_AGAIN|EHOSTUNREACH)$/.test(netCode)) {
    return new IoError(`cannot reach S3 to ${ctx.op} ${uri}: ${netCode}`, opts);
  }
  return new IoError(`cannot ${ctx.op} ${uri}: ${name ? `${name}: ` : ''}${message}`, opts);
}
