// Spark's KinesisInputDStreamBuilderSuite, case by case, on the builder alone (no servers,
// a StreamingContext over a context whose jobs fail: nothing runs): "should raise an
// exception if the StreamingContext / the stream name / the checkpoint app name is missing",
// "should propagate required values", "should propagate default values" and "should
// propagate custom non-auth values" (also with AtTimestamp). The settings are read from the
// built stream's receiver, as Spark's test reads the stream's private[kinesis] fields.
// Spark's defaults, typed in from KinesisInputDStream's object (never from Sluice): endpoint
// https://kinesis.us-east-1.amazonaws.com, region us-east-1, LATEST, the batch interval as
// checkpoint interval, the default credentials (none given), storage level MEMORY_AND_DISK_2.
// The CloudWatch metrics settings are refused unless MetricsLevel.NONE (nothing is sent);
// "old Api should throw UnsupportedOperationException with AT_TIMESTAMP": the deprecated
// initialPositionInStream takes LATEST and TRIM_HORIZON and refuses anything else.
// Spark's guide's own forms (docs/streaming-kinesis-integration.md) as written: new
// KinesisInitialPositions.*(), .storageLevel(StorageLevel.MEMORY_AND_DISK_2), .metricsLevel,
// SparkAWSCredentials.builder().basicCredentials(...).build().
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RDDOperationScope, SluiceContext, SluiceError, StorageLevel, StreamingContext, type DStream } from '@sluice/core';
import { InitialPositionInStream, KinesisInitialPositions, KinesisInputDStream, KinesisUtils, MetricsLevel, SparkAWSCredentials, type KinesisReceiver } from '../src/index.js';
import type { KinesisReaderConfig } from '../src/kinesis-reader-config.js';

const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
const BATCH_MS = 1000;
const ssc = new StreamingContext(sc, BATCH_MS);
const streamName = 'a-very-nice-kinesis-stream-name';
const checkpointAppName = 'a-very-nice-kcl-app-name';
const baseBuilder = () => KinesisInputDStream.builder();
const builder = () => baseBuilder().streamingContext(ssc).streamName(streamName).checkpointAppName(checkpointAppName);

/** The settings the built stream's receiver reads with (Spark's test reads the stream's fields). */
function configOf(stream: DStream<unknown>): KinesisReaderConfig {
  return (stream as unknown as { receiver: KinesisReceiver<unknown> }).receiver.config;
}

const badArgument = (what: RegExp) => (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_BAD_ARGUMENT' && what.test(err.message);

test('should raise an exception if the StreamingContext, the stream name or the checkpoint app name is missing', () => {
  assert.throws(() => baseBuilder().streamName(streamName).checkpointAppName(checkpointAppName).build(), badArgument(/streamingContext is not set: call \.streamingContext\(ssc\)/));
  assert.throws(() => baseBuilder().streamingContext(ssc).checkpointAppName(checkpointAppName).build(), badArgument(/streamName is not set: call \.streamName\(/));
  assert.throws(() => baseBuilder().streamingContext(ssc).streamName(streamName).build(), badArgument(/checkpointAppName is not set: call \.checkpointAppName\(/));
});

test("should propagate required values and Spark's default values", () => {
  const c = configOf(builder().build());
  assert.equal(c.streamName, streamName);
  assert.equal(c.checkpointAppName, checkpointAppName);
  assert.equal(c.endpointUrl, 'https://kinesis.us-east-1.amazonaws.com', 'DEFAULT_KINESIS_ENDPOINT_URL');
  assert.equal(c.regionName, 'us-east-1', 'DEFAULT_KINESIS_REGION_NAME');
  assert.deepEqual(c.initialPosition, { kind: 'LATEST' }, 'DEFAULT_INITIAL_POSITION');
  assert.equal(c.checkpointIntervalMs, BATCH_MS, 'checkpointInterval == batchDuration');
  assert.equal(c.credentials, undefined, 'DefaultCredentials: the AWS default chain on each worker');
  assert.equal(receiverOf(builder().build()).storageLevel, StorageLevel.MEMORY_AND_DISK_2, 'DEFAULT_STORAGE_LEVEL');
});

function receiverOf(stream: DStream<unknown>): KinesisReceiver<unknown> {
  return (stream as unknown as { receiver: KinesisReceiver<unknown> }).receiver;
}

test("Spark's guide as written: new KinesisInitialPositions.*(), storageLevel, metricsLevel(NONE) with dimensions, SparkAWSCredentials", () => {
  const at = new Date(Date.UTC(2026, 11, 5, 14, 30, 0, 250));
  const guide = (initial: InstanceType<(typeof KinesisInitialPositions)[keyof typeof KinesisInitialPositions]>) =>
    KinesisInputDStream.builder()
      .streamingContext(ssc)
      .endpointUrl('https://kinesis.us-west-2.amazonaws.com')
      .regionName('us-west-2')
      .streamName(streamName)
      .initialPosition(initial)
      .checkpointAppName(checkpointAppName)
      .checkpointInterval(2000)
      .storageLevel(StorageLevel.MEMORY_ONLY)
      .metricsLevel(MetricsLevel.NONE)
      .metricsEnabledDimensions(new Set(['Operation', 'ShardId']))
      .kinesisCredentials(SparkAWSCredentials.builder().basicCredentials('AKID', 'SECRET').build())
      .buildWithMessageHandler((r) => r.partitionKey);
  const expected: [InstanceType<(typeof KinesisInitialPositions)[keyof typeof KinesisInitialPositions]>, unknown][] = [
    [new KinesisInitialPositions.Latest(), { kind: 'LATEST' }],
    [new KinesisInitialPositions.TrimHorizon(), { kind: 'TRIM_HORIZON' }],
    [new KinesisInitialPositions.AtTimestamp(at), { kind: 'AT_TIMESTAMP', timestampMs: Date.UTC(2026, 11, 5, 14, 30, 0, 250) }],
  ];
  for (const [initial, kind] of expected) {
    const s = guide(initial);
    const c = configOf(s);
    assert.deepEqual(c.initialPosition, kind, initial.getPosition());
    assert.deepEqual([c.regionName, c.checkpointIntervalMs, c.credentials], ['us-west-2', 2000, { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }]);
    assert.equal(receiverOf(s).storageLevel, StorageLevel.MEMORY_ONLY);
  }
  assert.equal(new KinesisInitialPositions.AtTimestamp(at).getTimestamp(), at);
  // SparkAWSCredentials.builder().build() with nothing given is Spark's DefaultCredentials: the default chain.
  assert.equal(configOf(builder().kinesisCredentials(SparkAWSCredentials.builder().build()).build()).credentials, undefined);
});

test('what Sluice cannot honour is refused naming the setting and the fix: CloudWatch metrics, DynamoDB and CloudWatch credentials, STS, a bad storage level', () => {
  for (const level of [MetricsLevel.SUMMARY, MetricsLevel.DETAILED]) {
    assert.throws(() => builder().metricsLevel(level), badArgument(new RegExp(`metricsLevel "${level}" is not valid: Sluice sends no CloudWatch metrics.*remove \\.metricsLevel`)));
  }
  // Dimensions without metricsLevel(NONE) ask for metrics at Spark's default level, DETAILED.
  assert.throws(() => builder().metricsEnabledDimensions(['Operation']).build(), badArgument(/metricsEnabledDimensions \["Operation"\] is not valid: .*metricsLevel\(MetricsLevel\.NONE\)/));
  assert.throws(() => builder().dynamoDBCredentials(undefined), badArgument(/dynamoDBCredentials cannot be honoured: Sluice uses no DynamoDB.*remove \.dynamoDBCredentials/));
  assert.throws(() => builder().cloudWatchCredentials(undefined), badArgument(/cloudWatchCredentials cannot be honoured.*remove \.cloudWatchCredentials/));
  assert.throws(() => SparkAWSCredentials.builder().stsCredentials('arn:aws:iam::1:role/r', 's'), badArgument(/stsCredentials\('arn:aws:iam::1:role\/r'\) cannot be honoured.*remove \.stsCredentials/));
  assert.throws(() => builder().storageLevel('MEMORY' as never), badArgument(/storageLevel "MEMORY" is not valid: give StorageLevel\.MEMORY_AND_DISK_2/));
  assert.throws(() => builder().initialPosition({ position: 'LATEST' } as never), badArgument(/KinesisInitialPositions\.Latest\(\)/));
});

test('should propagate custom non-auth values (TrimHorizon, then AtTimestamp a day back) and credentials', () => {
  const custom = () =>
    builder()
      .endpointUrl('https://kinesis.us-west-2.amazonaws.com')
      .regionName('us-west-2')
      .checkpointAppName('a-very-nice-kinesis-app')
      .checkpointInterval(30_000)
      .kinesisCredentials({ accessKeyId: 'AKID', secretAccessKey: 'SECRET' });
  const c = configOf(custom().initialPosition('TRIM_HORIZON').build());
  assert.deepEqual(
    [c.endpointUrl, c.regionName, c.initialPosition, c.checkpointAppName, c.checkpointIntervalMs, c.credentials],
    ['https://kinesis.us-west-2.amazonaws.com', 'us-west-2', { kind: 'TRIM_HORIZON' }, 'a-very-nice-kinesis-app', 30_000, { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }],
  );
  const dayBack = new Date(Date.now() - 24 * 3600 * 1000);
  const t = configOf(custom().initialPosition({ atTimestamp: dayBack }).build());
  assert.deepEqual(t.initialPosition, { kind: 'AT_TIMESTAMP', timestampMs: dayBack.getTime() }, "AtTimestamp's timestamp kept exactly");
  assert.deepEqual([t.endpointUrl, t.regionName, t.checkpointAppName, t.checkpointIntervalMs], ['https://kinesis.us-west-2.amazonaws.com', 'us-west-2', 'a-very-nice-kinesis-app', 30_000]);
  // The region follows the endpoint when none is given (Spark asks for both; its default region is us-east-1's).
  assert.equal(configOf(builder().endpointUrl('https://kinesis.eu-west-1.amazonaws.com').build()).regionName, 'eu-west-1');
  // ...and the region given wins over it (a local endpoint such as kinesalite's names none).
  assert.equal(configOf(builder().endpointUrl('http://127.0.0.1:4567').regionName('us-west-2').build()).regionName, 'us-west-2');
});

test("the built stream's base scope is Spark's named scope, 'kinesis stream [n]' (KinesisInputDStream.Builder.build's ssc.withNamedScope(\"kinesis stream\"))", () => {
  const a = builder().build();
  const b = builder().build();
  for (const s of [a, b]) {
    const scope = RDDOperationScope.fromJson(s.baseScope!);
    assert.equal(scope.name, `kinesis stream [${s.id}]`);
    assert.equal(scope.parent, undefined);
  }
});

test("KinesisUtils.createStream, Spark's older forms: storage level, then a message handler and/or the AWS keys; a timestamp is refused (Spark's old API throws on AT_TIMESTAMP)", () => {
  const ep = 'https://kinesis.eu-west-1.amazonaws.com';
  const bytes = KinesisUtils.createStream(ssc, 'old-app', 'old-stream', ep, 'eu-west-1', InitialPositionInStream.TRIM_HORIZON, 4000, StorageLevel.MEMORY_AND_DISK_2);
  const c = configOf(bytes);
  assert.deepEqual(
    [c.checkpointAppName, c.streamName, c.endpointUrl, c.regionName, c.initialPosition, c.checkpointIntervalMs, c.credentials, receiverOf(bytes).messageHandler, receiverOf(bytes).storageLevel],
    ['old-app', 'old-stream', ep, 'eu-west-1', { kind: 'TRIM_HORIZON' }, 4000, undefined, undefined, StorageLevel.MEMORY_AND_DISK_2],
  );
  const keyed = configOf(KinesisUtils.createStream(ssc, 'old-app', 'old-stream', ep, 'eu-west-1', InitialPositionInStream.LATEST, 4000, StorageLevel.MEMORY_ONLY, 'AKID', 'SECRET'));
  assert.deepEqual([keyed.initialPosition, keyed.credentials], [{ kind: 'LATEST' }, { accessKeyId: 'AKID', secretAccessKey: 'SECRET' }]);
  const handler = (r: { partitionKey: string }) => r.partitionKey;
  const mapped = KinesisUtils.createStream(ssc, 'old-app', 'old-stream', ep, 'eu-west-1', InitialPositionInStream.LATEST, 4000, StorageLevel.MEMORY_ONLY, handler, 'AKID', 'SECRET');
  assert.equal(receiverOf(mapped).messageHandler, handler);
  assert.deepEqual(configOf(mapped).credentials, { accessKeyId: 'AKID', secretAccessKey: 'SECRET' });
  assert.equal(receiverOf(KinesisUtils.createStream(ssc, 'old-app', 'old-stream', ep, 'eu-west-1', InitialPositionInStream.LATEST, 4000, StorageLevel.MEMORY_ONLY, handler)).messageHandler, handler);
  assert.throws(
    () => KinesisUtils.createStream(ssc, 'old-app', 'old-stream', ep, 'eu-west-1', { atTimestamp: new Date() } as never, 4000, StorageLevel.MEMORY_ONLY),
    badArgument(/initialPositionInStream .* is not valid: give InitialPositionInStream\.LATEST or InitialPositionInStream\.TRIM_HORIZON; for a timestamp use .*AtTimestamp/),
  );
  assert.throws(() => (KinesisUtils.createStream as (...a: unknown[]) => unknown)(ssc, 'a', 's', ep, 'eu-west-1', 'LATEST', 4000, 'MEMORY_ONLY', 'AKID'), badArgument(/1 arguments after storageLevel are not valid: give none, or awsAccessKeyId and awsSecretKey/));
});

test('old Api should throw with AT_TIMESTAMP: initialPositionInStream takes LATEST and TRIM_HORIZON only', () => {
  assert.deepEqual(configOf(builder().initialPositionInStream(InitialPositionInStream.TRIM_HORIZON).build()).initialPosition, { kind: 'TRIM_HORIZON' });
  assert.deepEqual(configOf(builder().initialPositionInStream(InitialPositionInStream.LATEST).build()).initialPosition, { kind: 'LATEST' });
  for (const p of ['AT_TIMESTAMP', { atTimestamp: new Date() }, new KinesisInitialPositions.AtTimestamp(new Date())]) {
    assert.throws(() => builder().initialPositionInStream(p as never), badArgument(/initialPositionInStream .* is not valid: give InitialPositionInStream\.LATEST or InitialPositionInStream\.TRIM_HORIZON; for a timestamp use \.initialPosition\(new KinesisInitialPositions\.AtTimestamp\(date\)\)/));
  }
});

test("kinesisCredentials: a key Sluice does not know (Spark's awsSecretKey, an STS setting, a misspelling) is refused naming it, Sluice's key and the keys", () => {
  const keys = 'accessKeyId, secretAccessKey, sessionToken';
  const where = 'KinesisInputDStream.builder().kinesisCredentials(credentials)';
  const refused = (given: object, message: string): void =>
    assert.throws(() => builder().kinesisCredentials(given as never), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  refused({ accessKeyId: 'AKIA', awsSecretKey: 'x' }, `${where}: unknown option 'awsSecretKey' (Spark's setting; in Sluice: secretAccessKey); the options are ${keys}`);
  refused({ accessKeyId: 'AKIA', secretAccessKey: 'x', sesionToken: 't' }, `${where}: unknown option 'sesionToken'; the options are ${keys}`);
  refused(
    { accessKeyId: 'AKIA', secretAccessKey: 'x', roleArn: 'arn:aws:iam::1:role/r' },
    `${where}: unknown option 'roleArn' (Spark's setting; in Sluice: SparkAWSCredentials' stsCredentials, which Sluice refuses: give the workers a role through the SDK's default chain (kinesisCredentials(undefined))); the options are ${keys}`,
  );
  // The known keys are taken.
  builder().kinesisCredentials({ accessKeyId: 'AKIA', secretAccessKey: 'x', sessionToken: 't' }).build();
});

test("PySpark's test_kinesis_stream_api: createStream(ssc, app, stream, endpoint, region, LATEST, interval, metricsLevel, storageLevel[, key, secret]), MetricsLevel.NONE honoured, PySpark's DETAILED refused as the builder's metricsLevel refuses it", () => {
  const ep = 'https://kinesis.us-west-2.amazonaws.com';
  // PySpark's checkpointInterval 2 is seconds; Sluice's are milliseconds.
  const plain = KinesisUtils.createStream(ssc, 'myAppNam', 'mySparkStream', ep, 'us-west-2', InitialPositionInStream.LATEST, 2000, MetricsLevel.NONE, StorageLevel.MEMORY_AND_DISK_2);
  const c = configOf(plain);
  assert.deepEqual(
    [c.checkpointAppName, c.streamName, c.endpointUrl, c.regionName, c.initialPosition, c.checkpointIntervalMs, c.credentials, receiverOf(plain).storageLevel],
    ['myAppNam', 'mySparkStream', ep, 'us-west-2', { kind: 'LATEST' }, 2000, undefined, StorageLevel.MEMORY_AND_DISK_2],
  );
  const keyed = KinesisUtils.createStream(ssc, 'myAppNam', 'mySparkStream', ep, 'us-west-2', InitialPositionInStream.LATEST, 2000, MetricsLevel.NONE, 'MEMORY_ONLY', 'awsAccessKey', 'awsSecretKey');
  assert.deepEqual([configOf(keyed).credentials, receiverOf(keyed).storageLevel], [{ accessKeyId: 'awsAccessKey', secretAccessKey: 'awsSecretKey' }, StorageLevel.MEMORY_ONLY]);
  // 'NONE' is also a storage level's name: alone there it is Scala's form's storage level, as before.
  assert.equal(receiverOf(KinesisUtils.createStream(ssc, 'a', 's', ep, 'us-west-2', InitialPositionInStream.LATEST, 2000, 'NONE')).storageLevel, StorageLevel.NONE, "Scala's form: a lone 'NONE' is the storage level");
  // DETAILED or SUMMARY with no storage level after it is PySpark's form too (its default storage level, MEMORY_AND_DISK_2, the builder's).
  for (const level of [MetricsLevel.DETAILED, MetricsLevel.SUMMARY]) {
    assert.throws(
      () => KinesisUtils.createStream(ssc, 'myAppNam', 'mySparkStream', ep, 'us-west-2', InitialPositionInStream.LATEST, 2000, level, StorageLevel.MEMORY_AND_DISK_2),
      badArgument(/metricsLevel.*Sluice sends no CloudWatch metrics, so only MetricsLevel\.NONE can be honoured/),
      level,
    );
  }
  assert.throws(() => KinesisUtils.createStream(ssc, 'a', 's', ep, 'us-west-2', InitialPositionInStream.LATEST, 2000, MetricsLevel.DETAILED), badArgument(/Sluice sends no CloudWatch metrics/));
  assert.equal(receiverOf(KinesisUtils.createStream(ssc, 'a', 's', ep, 'us-west-2', InitialPositionInStream.LATEST, 2000, MetricsLevel.NONE, 'MEMORY_ONLY_2')).storageLevel, StorageLevel.MEMORY_ONLY_2);
});
