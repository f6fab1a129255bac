import type { StreamingContext } from '@sluice/core';
import { DirectKafkaInputDStream } from './direct-kafka-input-dstream.js';
import type { DirectStreamOptions } from './kafka-params.js';

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
};
