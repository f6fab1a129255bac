// Spark's KinesisInputDStreamBuilderSuite, case by case, on the builder alone (no servers,
// a StreamingContext over a context whose jobs fail: nothing runs): "should raise an
// exception if the StreamingContext / the stream name / the checkpoint app name is missing",
// "should propagate required values", "should propagate default values" and "should
// propagate custom non-auth values" (also with AtTimestamp). The settings are read from the
// built stream's receiver, as Spark's test reads the stream's private[kinesis] fields.
// Spark's defaults, typed in from KinesisInputDStream's object (never from Sluice): endpoint
// https://kinesis.us-east-1.amazonaws.com, region us-east-1, LATEST, the batch interval as
// checkpoint interval, the default credentials (none given). Storage level and the
// CloudWatch metrics settings have no counterpart (README Kinesis); "old Api should throw
// with AT_TIMESTAMP" neither: there is no initialPositionInStream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RDDOperationScope, SluiceContext, SluiceError, StreamingContext, type DStream } from '@sluice/core';
import { KinesisInputDStream, type KinesisReceiver } from '../src/index.js';
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
