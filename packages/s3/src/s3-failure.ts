import { SluiceError, type ErrorCode } from '@sluice/core';

/** What a failed S3 call was about, for its message. */
export interface S3CallContext {
  /** 'write', 'read', 'list', 'delete', 'check'. */
  readonly op: string;
  readonly bucket: string;
  /** The endpoint, as a message shows it. */
  readonly endpoint: string;
  /** The object or prefix (`s3://bucket/key`) the call was about. */
  readonly target: string;
  /** What failed, opening the message (default `checkpoint <op>`), e.g. '@sluice/s3 saveAsTextFile'. */
  readonly subject?: string;
  /** What the user fixes if the bucket is missing (default 'the checkpoint location'). */
  readonly location?: string;
  /** Default SLUICE_CHECKPOINT. */
  readonly code?: ErrorCode;
  /** S3Options.socketTimeoutMs of the client, named when an attempt hung. */
  readonly socketTimeoutMs?: number;
}

interface AwsErrorShape {
  readonly name?: string;
  readonly code?: string;
  readonly message?: string;
  readonly $metadata?: { readonly httpStatusCode?: number };
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const DENIED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'Forbidden', 'ExpiredToken', 'InvalidToken']);

/** HTTP statuses of a server that may answer the same call later (S3's InternalError, ServiceUnavailable/SlowDown, a gateway's). */
const PASSING_STATUS = new Set([500, 502, 503, 504]);
const THROTTLED = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'InternalError', 'ServiceUnavailable']);

/**
 * Whether a failed S3 call failed for a reason that passes, so the same call may succeed
 * later: the endpoint unreachable or its connection reset (a server restarting), a
 * timeout, an HTTP 5xx, throttling. Not: a missing bucket or key, refused credentials, a
 * wrong region, a host name that does not resolve (ENOTFOUND: a typo, as S3A fails fast).
 */
export function isPassingS3Failure(err: unknown): boolean {
  const e = (err ?? {}) as AwsErrorShape;
  const name = e.name ?? '';
  if (e.code === 'ENOTFOUND' || name === 'ENOTFOUND') return false;
  if ((e.code !== undefined && NETWORK_CODES.has(e.code)) || NETWORK_CODES.has(name) || name === 'TimeoutError') return true;
  const status = e.$metadata?.httpStatusCode;
  return (status !== undefined && PASSING_STATUS.has(status)) || THROTTLED.has(name);
}

/**
 * A SLUICE_CHECKPOINT error for a failed S3 call that names the bucket, the endpoint and
 * the fix: a missing bucket, refused credentials, an unreachable endpoint, or (otherwise)
 * the server's own error name and message.
 */
export function s3Failure(ctx: S3CallContext, err: unknown): SluiceError {
  const e = (err ?? {}) as AwsErrorShape;
  const name = e.name ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const detail = `${name}${status !== undefined ? ` (HTTP ${status})` : ''}: ${e.message ?? String(err)}`;
  const where = `bucket '${ctx.bucket}' at endpoint ${ctx.endpoint}`;
  const what = `${ctx.subject ?? `checkpoint ${ctx.op}`} of ${ctx.target} failed`;
  let message: string;
  if (name === 'NoSuchBucket' || (name === 'NotFound' && ctx.op === 'check')) {
    message = `${what}: ${where} does not exist (${detail}); create the bucket (for example \`aws s3 mb s3://${ctx.bucket}\`) or fix ${ctx.location ?? 'the checkpoint location'}`;
  } else if (DENIED.has(name) || status === 403) {
    message = `${what}: access to ${where} was refused (${detail}); check the credentials every host uses (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or configureS3({ credentials })) and the bucket's policy`;
  } else if (name === 'CredentialsProviderError') {
    message = `${what}: no S3 credentials were found for ${where} (${detail}); set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) on every host, or call configureS3({ credentials })`;
  } else if (name === 'PermanentRedirect' || name === 'AuthorizationHeaderMalformed' || status === 301) {
    message = `${what}: ${where} is in another region (${detail}); set AWS_REGION (or configureS3({ region })) to the bucket's region`;
  } else if (name === 'TimeoutError' && /of inactivity/.test(e.message ?? '')) {
    // The SDK's socket timeout: connected, then nothing came back (a hung or overloaded server).
    message = `${what}: the S3 endpoint ${ctx.endpoint} for bucket '${ctx.bucket}' accepted the connection but did not answer within ${ctx.socketTimeoutMs !== undefined ? `${ctx.socketTimeoutMs} ms` : 'the socket timeout'} in any attempt (${e.message ?? ''}); check that the server is up and not hung, or raise configureS3({ socketTimeoutMs })`;
  } else if ((e.code !== undefined && NETWORK_CODES.has(e.code)) || NETWORK_CODES.has(name) || name === 'TimeoutError') {
    message = `${what}: cannot reach the S3 endpoint ${ctx.endpoint} for bucket '${ctx.bucket}' (${e.code ?? name}: ${e.message ?? ''}); check AWS_ENDPOINT_URL (or configureS3({ endpoint })) and that the server is up`;
  } else {
    message = `${what} at ${where}: ${detail}`;
  }
  return new SluiceError(ctx.code ?? 'SLUICE_CHECKPOINT', message, { cause: err });
}
