import { SluiceError, refuseUnknownOptions } from '@sluice/core';

/** How the S3 client of `s3://` checkpoint locations connects. */
export interface S3Options {
  /**
   * Endpoint of an S3-compatible server (MinIO, Ceph, s3rver, ...), e.g.
   * `http://10.0.0.5:9000`. Default: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then AWS S3.
   */
  readonly endpoint?: string | undefined;
  /** Default: `AWS_REGION`, then `AWS_DEFAULT_REGION`, then the SDK's config file; `us-east-1` with a custom endpoint. */
  readonly region?: string | undefined;
  /**
   * Address buckets as `endpoint/bucket/key` rather than `bucket.endpoint/key`. Default:
   * `SLUICE_S3_FORCE_PATH_STYLE` (true/false), else true with a custom endpoint (what
   * S3-compatible servers expect), false on AWS.
   */
  readonly forcePathStyle?: boolean | undefined;
  /** Default: the SDK's chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, AWS_PROFILE, instance roles). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string } | undefined;
  /** Attempts per request, retries with backoff included (default 3, as the SDK). */
  readonly maxAttempts?: number | undefined;
  /** Milliseconds to wait for a TCP connection to the endpoint (default 5000). */
  readonly connectionTimeoutMs?: number | undefined;
  /**
   * Milliseconds an attempt of a call may go without the endpoint sending or taking a byte
   * before it is given up as hung (a TimeoutError, which passes: the SDK's next attempt,
   * then retryTimeoutMs). Default 20000: S3 answers in well under a second, a busy
   * S3-compatible server in a few; a hung endpoint then fails a call after about
   * maxAttempts x 20 s (one minute, as checkpointWriteTimeout bounds a metadata write).
   * Hadoop's S3A waits 200 s (fs.s3a.connection.timeout), long for batches of seconds. 0: no bound.
   */
  readonly socketTimeoutMs?: number | undefined;
  /**
   * How long a checkpoint read, write, listing or delete, and a text-file call (a save's
   * listings, part PUTs, copies and deletes; sc.textFile's listing and reads), keeps trying again
   * (pauses of 200 ms doubling to 2 s) after the SDK's own attempts failed for a reason
   * that passes — the endpoint unreachable or resetting connections, a timeout, an HTTP
   * 5xx, throttling — as Hadoop's S3A retries connectivity failures (fs.s3a.retry.limit
   * 7, fs.s3a.retry.interval 500 ms), so that an S3 server restarting or a network blip
   * of a few seconds does not fail a checkpoint or a save (default 10000; 0: the SDK's attempts only).
   */
  readonly retryTimeoutMs?: number | undefined;
  /**
   * Text files: a part larger than this is uploaded as a multipart upload in pieces of this
   * many bytes, as its records are computed (default 8 MiB; S3's minimum piece is 5 MiB).
   */
  readonly multipartPartSize?: number | undefined;
}

/** S3's smallest piece of a multipart upload (but the last). */
export const MIN_MULTIPART_PART_SIZE = 5 * 1024 * 1024;
export const DEFAULT_MULTIPART_PART_SIZE = 8 * 1024 * 1024;
/** How long a checkpoint call keeps trying again after a failure that passes (S3Options.retryTimeoutMs). */
export const DEFAULT_RETRY_TIMEOUT_MS = 10_000;
/** How long an attempt may go without a byte from or to the endpoint (S3Options.socketTimeoutMs). */
export const DEFAULT_SOCKET_TIMEOUT_MS = 20_000;

/** Options with the environment applied: what a client is built from. */
export interface ResolvedS3Options {
  /** Undefined: AWS S3 itself. */
  readonly endpoint: string | undefined;
  readonly region: string | undefined;
  readonly forcePathStyle: boolean;
  readonly credentials: S3Options['credentials'];
  readonly maxAttempts: number;
  readonly connectionTimeoutMs: number;
  /** 0: no bound. */
  readonly socketTimeoutMs: number;
  readonly retryTimeoutMs: number;
  readonly multipartPartSize: number;
}

// S3Options' keys, spelt out so the compiler says when the interface gains one.
const OPTION_KEYS: Record<keyof S3Options, true> = {
  endpoint: true,
  region: true,
  forcePathStyle: true,
  credentials: true,
  maxAttempts: true,
  connectionTimeoutMs: true,
  socketTimeoutMs: true,
  retryTimeoutMs: true,
  multipartPartSize: true,
};

const CREDENTIALS = "{ credentials: { accessKeyId, secretAccessKey } } (or the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY variables)";
/** Hadoop's S3A settings (as Spark takes them, with or without spark.hadoop.) a user may give as options, and the option each is here. */
const S3A_NAMES: Readonly<Record<string, string>> = {
  'fs.s3a.endpoint': '{ endpoint: N }',
  'fs.s3a.endpoint.region': '{ region: N }',
  'fs.s3a.path.style.access': '{ forcePathStyle: N }',
  'fs.s3a.access.key': CREDENTIALS,
  'fs.s3a.secret.key': CREDENTIALS,
  'fs.s3a.session.token': CREDENTIALS,
  'fs.s3a.attempts.maximum': '{ maxAttempts: N }',
  'fs.s3a.connection.establish.timeout': '{ connectionTimeoutMs: N }',
  'fs.s3a.connection.timeout': '{ socketTimeoutMs: N }',
  'fs.s3a.multipart.size': '{ multipartPartSize: N } (bytes)',
};
const SPARK_NAMES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(S3A_NAMES).flatMap(([k, v]) => [[k, v], [`spark.hadoop.${k}`, v]]));

/** `options` over the environment `env` (the AWS SDK's variables, as every host sets them). */
export function resolveS3Options(options: S3Options, env: NodeJS.ProcessEnv = process.env): ResolvedS3Options {
  // A key the client does not know would be taken and ignored (a misspelt option, Hadoop's fs.s3a.endpoint).
  refuseUnknownOptions(options, OPTION_KEYS, 'configureS3(options)', SPARK_NAMES);
  const endpoint = checkEndpoint(
    options.endpoint !== undefined ? ['configureS3({ endpoint })', options.endpoint] : nonEmpty(env.AWS_ENDPOINT_URL_S3) !== undefined ? ['AWS_ENDPOINT_URL_S3', nonEmpty(env.AWS_ENDPOINT_URL_S3)!] : ['AWS_ENDPOINT_URL', nonEmpty(env.AWS_ENDPOINT_URL)],
  );
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint !== undefined ? 'us-east-1' : undefined);
  const envPathStyle = nonEmpty(env.SLUICE_S3_FORCE_PATH_STYLE);
  const forcePathStyle = options.forcePathStyle ?? (envPathStyle !== undefined ? envPathStyle.toLowerCase() === 'true' : endpoint !== undefined);
  const keyId = nonEmpty(env.AWS_ACCESS_KEY_ID);
  const secret = nonEmpty(env.AWS_SECRET_ACCESS_KEY);
  const token = nonEmpty(env.AWS_SESSION_TOKEN);
  const envCredentials = keyId !== undefined && secret !== undefined ? { accessKeyId: keyId, secretAccessKey: secret, ...(token !== undefined ? { sessionToken: token } : {}) } : undefined;
  return {
    endpoint,
    region,
    forcePathStyle,
    // Otherwise undefined: the SDK's own chain (AWS_PROFILE, ~/.aws, container and instance roles).
    credentials: options.credentials ?? envCredentials,
    maxAttempts: options.maxAttempts ?? 3,
    connectionTimeoutMs: options.connectionTimeoutMs ?? 5000,
    socketTimeoutMs: options.socketTimeoutMs ?? DEFAULT_SOCKET_TIMEOUT_MS,
    retryTimeoutMs: options.retryTimeoutMs ?? DEFAULT_RETRY_TIMEOUT_MS,
    multipartPartSize: checkPartSize(options.multipartPartSize ?? DEFAULT_MULTIPART_PART_SIZE),
  };
}

/**
 * The endpoint if it is an http(s) URL. Another form (`127.0.0.1:4568` without its scheme,
 * `localhost`, `s3://host`) is refused naming where it came from: the SDK's own words for it
 * were 'TypeError: Invalid URL' at the first call, or a scheme taken for a host.
 */
function checkEndpoint([source, value]: readonly [string, string | undefined]): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return value;
  const bare = /^[\w.-]+(:\d+)?(\/.*)?$/.test(value) ? `; perhaps 'http://${value}'` : '';
  throw new SluiceError(
    'SLUICE_BAD_ARGUMENT',
    `@sluice/s3: ${source}: got ${JSON.stringify(value)}, which is not an http(s) URL; give the endpoint with its scheme and port, e.g. 'http://127.0.0.1:4568' (an S3-compatible server) or 'https://s3.eu-west-1.amazonaws.com'${bare}`,
  );
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function checkPartSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < MIN_MULTIPART_PART_SIZE) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `@sluice/s3: configureS3({ multipartPartSize: ${String(n)} }): a multipart piece must be a whole number of bytes >= ${MIN_MULTIPART_PART_SIZE} (5 MiB, S3's minimum)`);
  }
  return n;
}
