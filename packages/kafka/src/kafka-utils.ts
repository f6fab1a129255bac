import { SluiceError, type SluiceContext, type StreamingContext } from '@sluice/core';
import { DirectKafkaInputDStream } from './direct-kafka-input-dstream.js';
import { connectionParams, type DirectStreamOptions, type KafkaConnection } from './kafka-params.js';
import type { KafkaRecord } from './kafka-record.js';
import { KafkaRDD, type OffsetRange } from './offset-range.js';
import { kafkaPlacement } from './kafka-placement.js';
import { readOffsetRange } from './read-offset-range.js';
import { connectionOfParams, isLocationStrategy, type ConsumerStrategy, type KafkaParams, type LocationStrategy } from './spark-strategies.js';

/** Spark's KafkaUtils (spark-streaming-kafka-0-10), the direct approach. */
export abstract class KafkaUtils {
  /**
   * A DStream of the records of `topics` (or of every topic matching `topicPattern`),
   * read in exact offset ranges fixed by the driver per batch. Its RDDs are KafkaRDDs
   * (`rdd.offsetRanges()`); commit them with `stream.commitAsync(ranges)` once the
   * batch's output succeeded.
   */
  static createDirectStream(ssc: StreamingContext, options: DirectStreamOptions): DirectKafkaInputDStream;
  /** Spark's form: `createDirectStream(ssc, LocationStrategies.PreferConsistent, ConsumerStrategies.Subscribe(topics, kafkaParams))`. */
  static createDirectStream(ssc: StreamingContext, locationStrategy: LocationStrategy, consumerStrategy: ConsumerStrategy): DirectKafkaInputDStream;
  static createDirectStream(ssc: StreamingContext, optionsOrLocation: DirectStreamOptions | LocationStrategy, consumerStrategy?: ConsumerStrategy): DirectKafkaInputDStream {
    if (!isLocationStrategy(optionsOrLocation)) return new DirectKafkaInputDStream(ssc, optionsOrLocation);
    if (consumerStrategy?.kind !== 'ConsumerStrategy') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createDirectStream(ssc, ${optionsOrLocation.name}, ...): the third argument is ${consumerStrategy === undefined ? 'missing' : 'not a ConsumerStrategy'}; give ConsumerStrategies.Subscribe(topics, kafkaParams), SubscribePattern(pattern, kafkaParams) or Assign(topicPartitions, kafkaParams)`);
    }
    return new DirectKafkaInputDStream(ssc, consumerStrategy.options, optionsOrLocation);
  }

  /**
   * An RDD of exactly the records in `ranges` (Spark's KafkaUtils.createRDD), one
   * partition per range, read by tasks with their worker's cached consumer: a batch job
   * over given offsets, or a replay of offsets stored elsewhere (e.g. with the results).
   */
  static createRDD(sc: SluiceContext, options: KafkaConnection, ranges: readonly OffsetRange[]): KafkaRDD<KafkaRecord>;
  /** Spark's form: `createRDD(sc, kafkaParams, offsetRanges, LocationStrategies.PreferConsistent)`. */
  static createRDD(sc: SluiceContext, kafkaParams: KafkaParams | ReadonlyMap<string, unknown>, ranges: readonly OffsetRange[], locationStrategy?: LocationStrategy): KafkaRDD<KafkaRecord>;
  static createRDD(sc: SluiceContext, options: KafkaConnection | KafkaParams | ReadonlyMap<string, unknown>, ranges: readonly OffsetRange[], locationStrategy?: LocationStrategy): KafkaRDD<KafkaRecord> {
    if (locationStrategy !== undefined && !isLocationStrategy(locationStrategy)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createRDD: the fourth argument is not a LocationStrategy; give LocationStrategies.PreferConsistent (or PreferFixed(hostMap)) or leave it out`);
    }
    if (locationStrategy?.name === 'PreferBrokers') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', "KafkaUtils.createRDD: LocationStrategies.PreferBrokers needs a stream's consumer to look up the leaders (as in Spark); give LocationStrategies.PreferConsistent");
    }
    const given = options instanceof Map || 'bootstrap.servers' in options ? (({ groupId: _g, autoOffsetReset: _r, ...c }) => c)(connectionOfParams('KafkaUtils.createRDD', options)) : (options as KafkaConnection);
    const conn = connectionParams('KafkaUtils.createRDD', given);
    for (const r of ranges) {
      if (typeof r.topic !== 'string' || !Number.isSafeInteger(r.partition) || !Number.isSafeInteger(r.fromOffset) || !Number.isSafeInteger(r.untilOffset) || r.fromOffset < 0 || r.untilOffset < r.fromOffset) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createRDD: offset range ${JSON.stringify(r)}; give { topic, partition, fromOffset, untilOffset } with 0 <= fromOffset <= untilOffset`);
      }
    }
    const reader = sc.ship((range: OffsetRange) => readOffsetRange(conn, range), 'KafkaUtils.createRDD reader');
    const plain = ranges.map((r) => ({ topic: r.topic, partition: r.partition, fromOffset: r.fromOffset, untilOffset: r.untilOffset }));
    return new KafkaRDD<KafkaRecord>(sc, plain, { reader, placements: plain.map((r) => kafkaPlacement(r.topic, r.partition, locationStrategy?.hostMap)) });
  }
}
