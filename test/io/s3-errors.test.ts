import { Readable } from 'node:stream';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { AccessDeniedError, IoError, NotFoundError, ValidationError } from '../../src/errors.js';
import { s3OptionsFromEnv } from '../../src/io/s3-env.js';
import { S3FileIO, type S3FileIOOptions } from '../../src/io/s3.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const cacheDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'floe-s3-mock-'));
  dirs.push(d);
  return d;
};
const creds = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/**
 * A client whose HTTP layer answers every request with one fixed response in S3's documented wire
 * format, so errors go through the SDK's real deserializer (error code from the XML body or the
 * status of a body-less HEAD, headers kept on `$response`).
 */
function answering(statusCode: number, body: string, headers: Record<string, string> = {}): { io: S3FileIO; sent: { method: string; path: string }[] } {
  const sent: { method: string; path: string }[] = [];
  const client = new S3Client({
    region: 'us-east-1',
    credentials: creds,
    maxAttempts: 1,
    requestHandler: {
      handle: async (req: { method: string; path: string }) => {
        sent.push({ method: req.method, path: req.path });
        const withBody = req.method !== 'HEAD' && body !== '';
        return {
          response: {
            statusCode,
            headers: { ...(withBody ? { 'content-type': 'application/xml' } : {}), 'x-amz-request-id': 'REQ1', ...headers },
            body: Readable.from(withBody ? [Buffer.from(body)] : []),
          },
        };
      },
    },
  });
  return { io: new S3FileIO({ client, region: 'us-east-1', cacheDir: cacheDir() }), sent };
}

const xmlError = (code: string, message: string, extra = '') =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>REQ1</RequestId><HostId>host</HostId></Error>`;

describe('S3 errors from S3 wire responses', () => {
  it('maps NoSuchBucket and NoSuchKey to NotFoundError naming the resource', async () => {
    await expect(answering(404, xmlError('NoSuchBucket', 'The specified bucket does not exist', '<BucketName>lake</BucketName>')).io.read('s3://lake/k.parquet')).rejects.toThrow(
      new NotFoundError('bucket lake not found'),
    );
    await expect(answering(404, xmlError('NoSuchKey', 'The specified key does not exist.')).io.read('s3://lake/k.parquet')).rejects.toThrow(
      new NotFoundError('file s3://lake/k.parquet does not exist'),
    );
    expect(await answering(404, '').io.stat('s3://lake/k.parquet')).toBeNull();
    await expect(answering(404, '').io.checkBucket('s3://lake/wh')).rejects.toThrow(new NotFoundError('bucket lake not found'));
  });

  it('maps AccessDenied to AccessDeniedError naming the operation, object and IAM action', async () => {
    const denied = xmlError('AccessDenied', 'Access Denied');
    await expect(answering(403, denied).io.read('s3://lake/t/data/a.parquet')).rejects.toThrow(
      new AccessDeniedError('access denied to read s3://lake/t/data/a.parquet (needs s3:GetObject on arn:aws:s3:::lake/t/data/a.parquet)'),
    );
    await expect(answering(403, denied).io.write('s3://lake/t/m.json', new Uint8Array(1))).rejects.toThrow(
      new AccessDeniedError(
        'access denied to write s3://lake/t/m.json (needs s3:PutObject on arn:aws:s3:::lake/t/m.json); if the bucket requires SSE-KMS, set FLOE_S3_SSE_KMS_KEY_ID (s3.sseKms)',
      ),
    );
    await expect(answering(403, denied).io.delete('s3://lake/t/m.json')).rejects.toThrow(/needs s3:DeleteObject/);
    const listing = async () => {
      for await (const f of answering(403, denied).io.list('s3://lake/t')) void f;
    };
    await expect(listing()).rejects.toThrow(/access denied to list s3:\/\/lake\/t\/ \(needs s3:ListBucket on arn:aws:s3:::lake\)/);
    // A HEAD has no body: the 403 status alone says it.
    await expect(answering(403, '').io.stat('s3://lake/x')).rejects.toThrow(AccessDeniedError);
    // S3's own explanation is kept when it says more than "Access Denied" (e.g. a KMS key policy).
    await expect(answering(403, xmlError('AccessDenied', 'User is not authorized to perform kms:GenerateDataKey')).io.write('s3://lake/x', new Uint8Array(1))).rejects.toThrow(
      /kms:GenerateDataKey/,
    );
  });

  it('says when credentials are expired or wrong', async () => {
    await expect(answering(400, xmlError('ExpiredToken', 'The provided token has expired.')).io.read('s3://lake/k')).rejects.toThrow(
      new AccessDeniedError('the AWS session token has expired (ExpiredToken): cannot read s3://lake/k; refresh or fix the credentials and retry'),
    );
    await expect(answering(403, xmlError('SignatureDoesNotMatch', 'The request signature we calculated does not match')).io.read('s3://lake/k')).rejects.toThrow(
      /secret access key does not match/,
    );
    await expect(answering(403, xmlError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist')).io.read('s3://lake/k')).rejects.toThrow(
      /access key id is not known/,
    );
  });

  it('names the bucket region on a wrong-region request', async () => {
    const redirect = xmlError('PermanentRedirect', 'The bucket you are attempting to access must be addressed using the specified endpoint.', '<Endpoint>lake.s3.eu-central-1.amazonaws.com</Endpoint><Bucket>lake</Bucket>');
    await expect(answering(301, redirect, { 'x-amz-bucket-region': 'eu-central-1' }).io.read('s3://lake/k')).rejects.toThrow(
      new ValidationError('bucket lake is in region eu-central-1, not us-east-1: set AWS_REGION=eu-central-1 (or the s3 region option)'),
    );
    // HEAD requests get a bare 301 with the region header.
    await expect(answering(301, '', { 'x-amz-bucket-region': 'ap-south-1' }).io.checkBucket('s3://lake')).rejects.toThrow(/in region ap-south-1, not us-east-1/);
    const malformed = xmlError('AuthorizationHeaderMalformed', "The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-west-3'", '<Region>eu-west-3</Region>');
    await expect(answering(400, malformed).io.read('s3://lake/k')).rejects.toThrow(/bucket lake is in region eu-west-3, not us-east-1/);
    // Without a region in the answer the message still says what to fix.
    await expect(answering(301, xmlError('PermanentRedirect', 'redirect')).io.read('s3://lake/k')).rejects.toThrow(/not in region us-east-1.*AWS_REGION/);
  });

  it('maps other failures to IoError naming the object', async () => {
    await expect(answering(500, xmlError('InternalError', 'We encountered an internal error.')).io.read('s3://lake/k')).rejects.toThrow(
      new IoError('cannot read s3://lake/k: InternalError: We encountered an internal error.'),
    );
    await expect(answering(503, xmlError('SlowDown', 'Please reduce your request rate.')).io.read('s3://lake/k')).rejects.toThrow(/throttled/);
  });

  it('returns false from writeIfAbsent on 412 PreconditionFailed and 409 ConditionalRequestConflict only', async () => {
    const pre = answering(412, xmlError('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-None-Match</Condition>'));
    expect(await pre.io.writeIfAbsent('s3://lake/m/00001.metadata.json', new Uint8Array(3))).toBe(false);
    expect(pre.sent).toEqual([{ method: 'PUT', path: '/m/00001.metadata.json' }]);
    expect(await answering(409, xmlError('ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress')).io.writeIfAbsent('s3://lake/m/x', new Uint8Array(3))).toBe(false);
    await expect(answering(403, xmlError('AccessDenied', 'Access Denied')).io.writeIfAbsent('s3://lake/m/x', new Uint8Array(3))).rejects.toThrow(AccessDeniedError);
  });

  it('explains missing credentials from the default provider chain', async () => {
    const client = new S3Client({
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    const io = new S3FileIO({ client, cacheDir: cacheDir() });
    await expect(io.read('s3://lake/k')).rejects.toThrow(/no AWS credentials found to read s3:\/\/lake\/k.*AWS_PROFILE/);
  });
});

describe('S3 request shapes (aws-sdk-client-mock)', () => {
  const mocked = (options: S3FileIOOptions = {}) => {
    const client = new S3Client({ region: 'eu-west-1', credentials: creds });
    const mock = mockClient(client);
    return { mock, io: new S3FileIO({ client, cacheDir: cacheDir(), partSizeBytes: 5 * 1024 * 1024, ...options }) };
  };
  const kms = { keyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc', bucketKeyEnabled: true };

  it('sends SSE-KMS headers and If-None-Match: * on single-part writes', async () => {
    const { mock, io } = mocked({ sseKms: kms });
    mock.on(PutObjectCommand).resolves({ ETag: '"e1"' });
    await io.write('s3://lake/t/a.json', new Uint8Array([1, 2]));
    expect(await io.writeIfAbsent('s3a://lake/t/b.json', new Uint8Array([3]))).toBe(true);
    const calls = mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(calls.map(({ Body: _b, ...rest }) => rest)).toEqual([
      { Bucket: 'lake', Key: 't/a.json', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kms.keyId, BucketKeyEnabled: true },
      { Bucket: 'lake', Key: 't/b.json', IfNoneMatch: '*', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: kms.keyId, BucketKeyEnabled: true },
    ]);
  });

  it('sends no encryption headers when SSE-KMS is not configured, and aws:kms alone for the AWS-managed key', async () => {
    const plain = mocked();
    plain.mock.on(PutObjectCommand).resolves({});
    await plain.io.write('s3://lake/x', new Uint8Array(1));
    expect(plain.mock.commandCalls(PutObjectCommand)[0]!.args[0].input.ServerSideEncryption).toBeUndefined();
    const managed = mocked({ sseKms: {} });
    managed.mock.on(PutObjectCommand).resolves({});
    await managed.io.write('s3://lake/x', new Uint8Array(1));
    const input = managed.mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect([input.ServerSideEncryption, input.SSEKMSKeyId]).toEqual(['aws:kms', undefined]);
  });

  it('encrypts multipart uploads at creation and makes their completion conditional for writeIfAbsent', async () => {
    const { mock, io } = mocked({ sseKms: kms });
    mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'U1' });
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"m-3"' });
    expect(await io.writeIfAbsent('s3://lake/t/big.parquet', new Uint8Array(11 * 1024 * 1024))).toBe(true);
    const create = mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input;
    expect([create.Bucket, create.Key, create.ServerSideEncryption, create.SSEKMSKeyId, create.BucketKeyEnabled]).toEqual(['lake', 't/big.parquet', 'aws:kms', kms.keyId, true]);
    expect(mock.commandCalls(UploadPartCommand).map((c) => [c.args[0].input.PartNumber, c.args[0].input.UploadId])).toEqual([
      [1, 'U1'],
      [2, 'U1'],
      [3, 'U1'],
    ]);
    const complete = mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input;
    expect([complete.UploadId, complete.IfNoneMatch, complete.MultipartUpload?.Parts?.length]).toEqual(['U1', '*', 3]);
    mock.on(CompleteMultipartUploadCommand).rejects(
      new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 }, message: 'pre-condition' }),
    );
    expect(await io.writeIfAbsent('s3://lake/t/big.parquet', new Uint8Array(11 * 1024 * 1024))).toBe(false);
  });

  it('asks for inclusive byte ranges and a bucket check with HeadBucket', async () => {
    const { mock, io } = mocked();
    mock.on(GetObjectCommand).resolves({ ContentRange: 'bytes 100-109/1000', Body: { transformToByteArray: async () => new Uint8Array(10) } as never });
    mock.on(HeadBucketCommand).resolves({});
    expect((await io.readRange('s3://lake/f.parquet', 100, 10)).length).toBe(10);
    expect(mock.commandCalls(GetObjectCommand)[0]!.args[0].input).toEqual({ Bucket: 'lake', Key: 'f.parquet', Range: 'bytes=100-109' });
    await io.checkBucket('s3://lake/wh');
    expect(mock.commandCalls(HeadBucketCommand)[0]!.args[0].input).toEqual({ Bucket: 'lake' });
  });

  it('configures the SDK client from options: retries, endpoint, path style, region', async () => {
    const io = new S3FileIO({ region: 'eu-north-1', endpoint: 'http://127.0.0.1:9', forcePathStyle: true, maxAttempts: 7, credentials: creds, cacheDir: cacheDir() });
    expect(await io.client.config.region()).toBe('eu-north-1');
    expect(await io.client.config.maxAttempts()).toBe(7);
    expect(io.client.config.forcePathStyle).toBe(true);
    const ep = await io.client.config.endpoint!();
    expect([ep.hostname, ep.port]).toEqual(['127.0.0.1', 9]);
    await io.close();
    const withEndpoint = new S3FileIO({ endpoint: 'http://127.0.0.1:9', cacheDir: cacheDir() });
    expect(await withEndpoint.client.config.region()).toBe('us-east-1');
    await withEndpoint.close();
  });
});

describe('S3 settings from the environment', () => {
  it('reads region, endpoint, path style, SSE-KMS and tuning, and refuses bad values', () => {
    expect(
      s3OptionsFromEnv({
        AWS_REGION: 'eu-west-1',
        AWS_ENDPOINT_URL_S3: 'http://minio:9000',
        FLOE_S3_FORCE_PATH_STYLE: 'true',
        FLOE_S3_SSE_KMS_KEY_ID: 'alias/lake',
        FLOE_S3_BUCKET_KEY_ENABLED: '1',
        FLOE_S3_MAX_ATTEMPTS: '8',
        FLOE_S3_PART_SIZE_MIB: '16',
        FLOE_S3_CACHE_MAX_BYTES: '1000000',
      }),
    ).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      sseKms: { keyId: 'alias/lake', bucketKeyEnabled: true },
      maxAttempts: 8,
      partSizeBytes: 16 * 1024 * 1024,
      cacheMaxBytes: 1000000,
    });
    expect(s3OptionsFromEnv({ FLOE_S3_ENDPOINT: 'http://a', AWS_ENDPOINT_URL_S3: 'http://b' }).endpoint).toBe('http://a');
    expect(s3OptionsFromEnv({})).toEqual({});
    expect(() => s3OptionsFromEnv({ FLOE_S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/FLOE_S3_FORCE_PATH_STYLE must be true or false/);
    expect(() => s3OptionsFromEnv({ FLOE_S3_MAX_ATTEMPTS: 'many' })).toThrow(ValidationError);
  });
});
