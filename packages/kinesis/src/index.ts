/**
 * @sluice/kinesis — Amazon Kinesis input for Sluice, as Spark's KinesisInputDStream.
 *
 * @example
 *   import { StreamingContext, type SluiceContext } from '@sluice/core';
 *   import { KinesisInputDStream } from '@sluice/kinesis';
 *
 *   export default async function (sc: SluiceContext) {
 *     const ssc = new StreamingContext(sc, 1000);
 *     ssc.checkpoint('/checkpoints/wordcount');   // shard checkpoints live here
 *     const builder = () => KinesisInputDStream.builder()
 *       .streamingContext(ssc).streamName('words')
 *       .endpointUrl('https://kinesis.eu-west-1.amazonaws.com').regionName('eu-west-1')
 *       .initialPosition('TRIM_HORIZON').checkpointAppName('wordcount').checkpointInterval(5000);
 *     // One receiver per shard (4 shards): they share the shards and spread over the workers.
 *     const lines = ssc.union([0, 1, 2, 3].map(() => builder().buildWithMessageHandler((r) => r.data.toString('utf8'))));
 *     lines.flatMap((l) => l.split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b).print();
 *     ssc.start();
 *     await ssc.awaitTermination();
 *   }
 */
export { KinesisInputDStream, KinesisInputDStreamBuilder, MetricsLevel, type KinesisMetricsLevel } from './kinesis-input-dstream.js';
export { KinesisReceiver } from './kinesis-receiver.js';
export { KinesisRecord } from './kinesis-record.js';
export { SparkAWSCredentials, SparkAWSCredentialsBuilder, type KinesisCredentials } from './kinesis-credentials.js';
export { KinesisInitialPositions, type KinesisInitialPosition } from './initial-position.js';
export { KinesisUtils, InitialPositionInStream } from './kinesis-utils.js';
