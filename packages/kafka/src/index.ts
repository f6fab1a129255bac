/**
 * @sluice/kafka: Kafka in and out for Sluice, as Spark's spark-streaming-kafka-0-10.
 *
 *   import { StreamingContext, type SluiceContext } from '@sluice/core';
 *   import { KafkaUtils, hasOffsetRanges, saveToKafka, valueString } from '@sluice/kafka';
 *
 *   export default async function (sc: SluiceContext) {
 *     const ssc = new StreamingContext(sc, '2s');
 *     const stream = KafkaUtils.createDirectStream(ssc, { brokers: ['localhost:9092'], topics: ['lines'], groupId: 'wordcount' });
 *     const counts = stream.flatMap((r) => (valueString(r) ?? '').split(' ')).map((w) => [w, 1] as [string, number]).reduceByKey((a, b) => a + b);
 *     saveToKafka(counts, 'counts', ([w, n]) => ({ key: w, value: String(n) }), { brokers: ['localhost:9092'] });
 *     stream.foreachRDD(async (rdd) => {
 *       if (hasOffsetRanges(rdd)) await stream.commitAsync(rdd.offsetRanges());
 *     });
 *     ssc.start();
 *     await ssc.awaitTermination();
 *   }
 *
 * The client underneath is @platformatic/kafka (chosen by measurement: see the README).
 */
export { KafkaUtils } from './kafka-utils.js';
export { DirectKafkaInputDStream, type CanCommitOffsets, type OffsetCommitCallback } from './direct-kafka-input-dstream.js';
export { KafkaRDD, OffsetRange, hasOffsetRanges, type HasOffsetRanges } from './offset-range.js';
export { ByteArrayDeserializer, ConsumerStrategies, LocationStrategies, TopicPartition, type ConsumerStrategy, type KafkaParams, type LocationStrategy, type PartitionHosts, type PartitionOffsets } from './spark-strategies.js';
export { valueString, keyString, valueJson, valueStrings, decodeRecords, isValidUtf8, type DecodeRecordsOptions, type KafkaRecord, type ValueStringsOptions } from './kafka-record.js';
export { saveToKafka, type KafkaSinkRecord, type SaveToKafkaOptions } from './kafka-sink.js';
export { saveToKafkaTransactionally, type RangeProcessor, type TransactionalBatchResult, type TransactionalKafkaOptions } from './kafka-transactional-sink.js';
export type { DirectStreamOptions, KafkaConnection, KafkaSasl, KafkaSsl, StartingOffsets } from './kafka-params.js';
