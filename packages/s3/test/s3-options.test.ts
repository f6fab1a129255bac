// How an s3:// store connects: options given to configureS3 over the AWS SDK's variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configureS3 } from '../src/index.js';
import { resolveS3Options } from '../src/s3-options.js';

test('the endpoint, region, path style and credentials come from the AWS_* variables, options over them', () => {
  assert.deepEqual(resolveS3Options({}, {}), { endpoint: undefined, region: undefined, forcePathStyle: false, credentials: undefined, maxAttempts: 3, connectionTimeoutMs: 5000, socketTimeoutMs: 20_000, retryTimeoutMs: 10_000, multipartPartSize: 8 * 1024 * 1024 });
  const env = { AWS_ENDPOINT_URL: 'http://10.0.0.5:9000', AWS_ACCESS_KEY_ID: 'id', AWS_SECRET_ACCESS_KEY: 'secret', AWS_DEFAULT_REGION: 'eu-west-1' };
  assert.deepEqual(resolveS3Options({}, env), {
    endpoint: 'http://10.0.0.5:9000',
    region: 'eu-west-1',
    forcePathStyle: true, // a custom endpoint: what S3-compatible servers expect
    credentials: { accessKeyId: 'id', secretAccessKey: 'secret' },
    maxAttempts: 3,
    connectionTimeoutMs: 5000,
    socketTimeoutMs: 20_000,
    retryTimeoutMs: 10_000,
    multipartPartSize: 8 * 1024 * 1024,
  });
  // The S3-specific endpoint variable wins over the general one; AWS_REGION over AWS_DEFAULT_REGION.
  const specific = resolveS3Options({}, { ...env, AWS_ENDPOINT_URL_S3: 'http://s3.local:9000', AWS_REGION: 'us-west-2', AWS_SESSION_TOKEN: 'tok', SLUICE_S3_FORCE_PATH_STYLE: 'false' });
  assert.equal(specific.endpoint, 'http://s3.local:9000');
  assert.equal(specific.region, 'us-west-2');
  assert.equal(specific.forcePathStyle, false);
  assert.deepEqual(specific.credentials, { accessKeyId: 'id', secretAccessKey: 'secret', sessionToken: 'tok' });
  // A custom endpoint without a region gets us-east-1 (the SDK needs one; such servers ignore it).
  assert.equal(resolveS3Options({}, { AWS_ENDPOINT_URL: 'http://x:1' }).region, 'us-east-1');
  // Only a key id, no secret: the SDK's own chain (profiles, roles) decides.
  assert.equal(resolveS3Options({}, { AWS_ACCESS_KEY_ID: 'id' }).credentials, undefined);
  // Options given in the job file win.
  const given = resolveS3Options({ endpoint: 'http://y:2', region: 'ap-south-1', forcePathStyle: false, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }, env);
  assert.deepEqual([given.endpoint, given.region, given.forcePathStyle, given.credentials?.accessKeyId, given.maxAttempts], ['http://y:2', 'ap-south-1', false, 'a', 1]);
});

test("a multipart piece below S3's 5 MiB minimum is refused, naming the option", () => {
  assert.equal(resolveS3Options({ multipartPartSize: 5 * 1024 * 1024 }, {}).multipartPartSize, 5 * 1024 * 1024);
  assert.throws(() => resolveS3Options({ multipartPartSize: 1024 }, {}), (e: unknown) => (e as { code?: string }).code === 'SLUICE_BAD_ARGUMENT' && /multipartPartSize: 1024.*>= 5242880/.test((e as Error).message));
});

test("an option configureS3 does not know (a misspelt one, Hadoop's fs.s3a.* as Spark takes it) is refused at the call, naming it, Sluice's option and the options", () => {
  const options = 'endpoint, region, forcePathStyle, credentials, maxAttempts, connectionTimeoutMs, socketTimeoutMs, retryTimeoutMs, multipartPartSize';
  const refused = (call: () => unknown, message: string): void =>
    assert.throws(call, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  refused(() => configureS3({ pathStyle: true } as object), `configureS3(options): unknown option 'pathStyle'; the options are ${options}`);
  refused(
    () => configureS3({ 'spark.hadoop.fs.s3a.endpoint': 'http://127.0.0.1:9000' } as object),
    `configureS3(options): unknown option 'spark.hadoop.fs.s3a.endpoint' (Spark's setting; in Sluice: { endpoint: 'http://127.0.0.1:9000' }); the options are ${options}`,
  );
  refused(() => configureS3({ 'fs.s3a.attempts.maximum': 5 } as object), `configureS3(options): unknown option 'fs.s3a.attempts.maximum' (Spark's setting; in Sluice: { maxAttempts: 5 }); the options are ${options}`);
  // Every option is taken.
  configureS3({ endpoint: 'http://127.0.0.1:9000', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1, connectionTimeoutMs: 100, socketTimeoutMs: 100, retryTimeoutMs: 0, multipartPartSize: 5 * 1024 * 1024 });
  configureS3({});
});
