import { DirectInputRDD, type RDD } from '@sluice/core';

/** The records [fromOffset, untilOffset) of one topic-partition, as one batch reads them. */
export interface OffsetRange {
  readonly topic: string;
  readonly partition: number;
  readonly fromOffset: number;
  /** Exclusive: the offset the next batch starts at. */
  readonly untilOffset: number;
}

/** Records in a range. */
export function rangeCount(r: OffsetRange): number {
  return r.untilOffset - r.fromOffset;
}

/** Spark's HasOffsetRanges: an RDD read from Kafka by a direct stream. */
export interface HasOffsetRanges {
  offsetRanges(): readonly OffsetRange[];
}

/** The RDD of one batch of a direct Kafka stream: one partition per offset range. */
export class KafkaRDD<T> extends DirectInputRDD<T, OffsetRange> implements HasOffsetRanges {
  offsetRanges(): readonly OffsetRange[] {
    return this.ranges();
  }
}

/** Whether `rdd` is a batch of a direct Kafka stream (the RDD foreachRDD gets from it). */
export function hasOffsetRanges<T>(rdd: RDD<T>): rdd is RDD<T> & HasOffsetRanges {
  return typeof (rdd as Partial<HasOffsetRanges>).offsetRanges === 'function';
}
