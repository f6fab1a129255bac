import { SluiceError, type SluiceContext, type StreamingContext } from '@sluice/core';
import { DirectKafkaInputDStream } from './direct-kafka-input-dstream.js';
import { connectionParams, type DirectStreamOptions, type KafkaConnection } from './kafka-params.js';
import type { KafkaRecord } from './kafka-record.js';
import { KafkaRDD, type OffsetRange } from './offset-range.js';
import { readOffsetRange } from './read-offset-range.js';

/** Spark's KafkaUtils (spark-streaming-kafka-0-10), the direct approach. */
export const KafkaUtils = {
  /**
   * A DStream of the records of `topics` (or of every topic matching `topicPattern`),
   * read in exact offset ranges fixed by the driver per batch. Its RDDs are KafkaRDDs
   * (`rdd.offsetRanges()`); commit them with `stream.commitAsync(ranges)` once the
   * batch's output succeeded.
   */
  createDirectStream(ssc: StreamingContext, options: DirectStreamOptions): DirectKafkaInputDStream {
    return new DirectKafkaInputDStream(ssc, options);
  },

  /**
   * An RDD of exactly the records in `ranges` (Spark's KafkaUtils.createRDD), one
   * partition per range, read by tasks with their worker's cached consumer: a batch job
   * over given offsets, or a replay of offsets stored elsewhere (e.g. with the results).
   */
  createRDD(sc: SluiceContext, options: KafkaConnection, ranges: readonly OffsetRange[]): KafkaRDD<KafkaRecord> {
    const conn = connectionParams('KafkaUtils.createRDD', options);
    for (const r of ranges) {
      if (typeof r.topic !== 'string' || !Number.isSafeInteger(r.partition) || !Number.isSafeInteger(r.fromOffset) || !Number.isSafeInteger(r.untilOffset) || r.fromOffset < 0 || r.untilOffset < r.fromOffset) {
        throw new SluiceError('SLUICE_BAD_ARGUMENT', `KafkaUtils.createRDD: offset range ${JSON.stringify(r)}; give { topic, partition, fromOffset, untilOffset } with 0 <= fromOffset <= untilOffset`);
      }
    }
    const reader = sc.ship((range: OffsetRange) => readOffsetRange(conn, range), 'KafkaUtils.createRDD reader');
    const plain = ranges.map((r) => ({ topic: r.topic, partition: r.partition, fromOffset: r.fromOffset, untilOffset: r.untilOffset }));
    return new KafkaRDD<KafkaRecord>(sc, plain, { reader, localityKeys: plain.map((r) => `${r.topic}-${r.partition}`) });
  },
};
