import { SluiceError } from '@sluice/core';

/** `s3://bucket/key` taken apart. */
export interface S3Location {
  /** 's3' or 's3a'. */
  readonly scheme: string;
  readonly bucket: string;
  /** The key (or key prefix) without leading or trailing '/': '' for the bucket's root. */
  readonly key: string;
}

/** S3's rule for bucket names (3 to 63 lower-case letters, digits, '.' and '-', starting and ending alphanumeric). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parse an `s3://bucket/key` (or `s3a://`) location for `operation` (named in the
 * message); `needsKey`: the bucket's root is refused (an output directory needs a name).
 * A malformed location is a SLUICE_BAD_ARGUMENT naming @sluice/s3, the location and the fix.
 */
export function parseS3Location(location: string, operation: string, needsKey: boolean): S3Location {
  const m = /^(s3a?):\/\/([^/]*)(?:\/(.*))?$/i.exec(location);
  const bucket = m?.[2] ?? '';
  const key = (m?.[3] ?? '').replace(/^\/+|\/+$/g, '');
  const fail = (why: string): never => {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `@sluice/s3: ${operation}('${location}'): ${why}; write s3://bucket/path (for example s3://my-bucket/out/words)`);
  };
  if (!m) fail('not an s3:// URL');
  if (bucket === '') fail('the URL names no bucket');
  if (!BUCKET.test(bucket)) fail(`'${bucket}' is not an S3 bucket name (3 to 63 lower-case letters, digits, '.' and '-')`);
  if (key.split('/').some((s) => s === '.' || s === '..') || /\/\//.test(key)) fail(`the key '${key}' has an empty, '.' or '..' segment`);
  if (needsKey && key === '') fail(`an output directory needs a key under the bucket, not the bucket's root`);
  return { scheme: m![1].toLowerCase(), bucket, key };
}
