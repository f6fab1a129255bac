import { DirectInputRDD, StorageLevel, type DirectSource, type RDD, type SluiceContext } from '@sluice/core';
import { partitionKey } from './kafka-placement.js';

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

/**
 * The RDD of one batch of a direct Kafka stream (or of KafkaUtils.createRDD): one partition
 * per offset range, each read by a task with its worker's cached consumer.
 *
 * take(n) (and first(), isEmpty(), which take 1) reads only the offsets it needs, as Spark's
 * KafkaRDD.take: the first n offsets from the first range on, split over the ranges in
 * order, read by one job. Offsets are not all records (a compacted topic's gaps,
 * transaction markers, aborted transactions' records: Sluice reads over them, where Spark
 * without allowNonConsecutiveOffsets fails on them), so when they gave fewer than n records
 * it reads on from where that job stopped, 4 times as many offsets as records are still
 * missing each time (Spark's spark.rdd.limit.scaleUpFactor); a persisted one takes from its
 * cache, as any RDD (reading a range whole the first time). count() and countApprox()
 * read every record, unlike Spark's, which count offsets: with read_committed a range's
 * offsets are more than its records wherever a transaction wrote (its marker, its aborted
 * records), and a count is exact.
 */
export class KafkaRDD<T> extends DirectInputRDD<T, OffsetRange> implements HasOffsetRanges {
  private readonly source: DirectSource;

  constructor(sc: SluiceContext, ranges: readonly OffsetRange[], source: DirectSource) {
    super(sc, ranges, source);
    this.source = source;
  }

  offsetRanges(): readonly OffsetRange[] {
    return this.ranges();
  }

  override async take(n: number): Promise<T[]> {
    // Not a whole number (refused) or none wanted: as every RDD's take. A persisted RDD's too:
    // it reads through its cache (and fills it), as Spark's take on the RDD itself does.
    if (!Number.isSafeInteger(n) || n <= 0 || this.getStorageLevel() !== StorageLevel.NONE) return super.take(n);
    const ranges = this.ranges();
    // The reads prefer what the ranges' partitions prefer.
    const placementOf = new Map(ranges.map((r, i) => [partitionKey(r.topic, r.partition), this.source.placements?.[i] ?? null]));
    const out: T[] = [];
    let at = 0;
    let from = ranges[0]?.fromOffset ?? 0;
    let scale = 1;
    while (out.length < n && at < ranges.length) {
      // The next `want` offsets from where the last read stopped, over the ranges in order.
      let want = (n - out.length) * scale;
      const next: OffsetRange[] = [];
      while (want > 0 && at < ranges.length) {
        const r = ranges[at]!;
        const until = Math.min(r.untilOffset, from + want);
        if (until > from) {
          next.push({ topic: r.topic, partition: r.partition, fromOffset: from, untilOffset: until });
          want -= until - from;
        }
        if (until >= r.untilOffset) {
          at++;
          from = ranges[at]?.fromOffset ?? 0;
        } else {
          from = until;
        }
      }
      if (next.length === 0) break;
      const placements = next.map((r) => placementOf.get(partitionKey(r.topic, r.partition)) ?? null);
      const part = new KafkaRDD<T>(this.context, next, { reader: this.source.reader, placements: placements.some((p) => p !== null) ? placements : undefined });
      for (const x of await part.collect()) if (out.length < n) out.push(x);
      scale *= 4;
    }
    return out;
  }
}

/** Whether `rdd` is a batch of a direct Kafka stream (the RDD foreachRDD gets from it). */
export function hasOffsetRanges<T>(rdd: RDD<T>): rdd is RDD<T> & HasOffsetRanges {
  return typeof (rdd as Partial<HasOffsetRanges>).offsetRanges === 'function';
}

function makeOffsetRange(topic: string, partition: number, fromOffset: number, untilOffset: number): OffsetRange {
  return { topic, partition, fromOffset, untilOffset };
}

/**
 * Spark's OffsetRange(topic, partition, fromOffset, untilOffset) and OffsetRange.create(...)
 * (the Java form): a plain range, [fromOffset, untilOffset). createRDD checks it.
 */
export const OffsetRange = Object.assign(makeOffsetRange, { create: makeOffsetRange });
