import type { ShippedFunction } from '../closure/shipped-function.js';
import { SluiceError } from '../errors.js';
import { DirectInputRDD, type DirectReader, type DirectSource } from '../rdd/direct-input-rdd.js';
import { javaStringHashCode, type DirectPlacement } from '../rdd/direct-placement.js';
import type { StreamingContext } from '../streaming/streaming-context.js';
import { InputDStream } from './input-dstreams.js';
import { maxRecordsPerPartition } from '../streaming/rate/max-records-per-partition.js';

/** What DirectInputDStream's `checkpointData()` returns (plain JSON). */
interface DirectInputCheckpoint {
  readonly kind: 'directInput';
  /** The ranges of every batch the stream remembers. */
  readonly batches: [number, unknown[]][];
  /** The subclass's position in its source (`positionData()`). */
  readonly position: unknown;
}

/**
 * The extension point for direct inputs (Spark's DirectKafkaInputDStream pattern): no
 * receiver; at each batch time the driver fixes the exact ranges the batch reads (plain
 * JSON, e.g. offset ranges), and tasks read each range on a worker with a shipped reader.
 * A batch is a pure function of its ranges, so a failed task re-reads the same range and
 * a batch recovered from a metadata checkpoint reads exactly what the first run read.
 *
 * A subclass gives:
 *  - `nextRanges(time)` (driver): the ranges of the batch at `time`; called once per
 *    batch time, in batch order, not for a batch restored from a checkpoint;
 *  - `reader` (worker): reads one range; shipped with its captured values, so it may
 *    use only plain data and the connector's module-level code;
 *  - optionally `localityKey(range)`: ranges with the same key prefer the same worker,
 *    the one the key's hash (Java's String.hashCode) picks among the workers taking tasks,
 *    as Spark's KafkaRDD places a topic-partition (its cached client is used again while
 *    the workers stay the same; a worker that joins takes its share at the next batch), or
 *    `preferredPlacement(range)` for a hash and hosts of its own (DirectPlacement);
 *    `recordsIn(range)` for batch input counts,
 *    `positionData()`/`restorePosition()` for what recovery needs beyond the ranges, and
 *    `createRDD` to return an RDD subclass that exposes the ranges under its own name.
 *
 * Threading: the driver program's thread (prepareBatch and compute run in batch order).
 */
export abstract class DirectInputDStream<T, R> extends InputDStream<T> {
  /** Ranges of each batch, kept as long as the stream remembers that batch's RDD. */
  private readonly batches = new Map<number, readonly R[]>();
  private shipped: ShippedFunction | undefined;

  constructor(
    ssc: StreamingContext,
    readonly name: string,
  ) {
    super(ssc);
  }

  /**
   * Whether backpressure estimates a rate for this input: a subclass that bounds its
   * batches with `maxRecordsPerRange` returns true (DirectKafkaInputDStream does); others
   * get no estimate (Spark's DirectKafkaInputDStream has a rate controller, other direct
   * inputs do not).
   */
  override get rateControlled(): boolean {
    return false;
  }

  override get inputName(): string {
    return this.name;
  }

  /**
   * Backpressure's rate for this input (records/s over all its ranges): the last estimate,
   * else the initial rate; undefined with backpressure off or no rate yet. `nextRanges`
   * bounds the batch with it (see `maxRecordsPerRange`).
   */
  protected latestRate(): number | undefined {
    return this.ssc.latestRate(this.id);
  }

  /**
   * How many records each range of the next batch may hold, given how many records wait
   * in each (`lags`, in the order of the ranges), as Spark's maxMessagesPerPartition: with
   * a backpressure rate, each range's share of it by lag, capped at `maxRatePerRange`
   * (records/s; one for all, or one per range in the order of `lags`); else
   * `maxRatePerRange`; times the batch interval, at least one record. Undefined: no bound
   * (a range whose rate is 0 beside limited ones takes one record a batch, as Spark's).
   */
  protected maxRecordsPerRange(lags: readonly number[], maxRatePerRange?: number | readonly number[]): number[] | undefined {
    const rate = this.latestRate();
    return maxRecordsPerPartition(lags, this.ssc.batchIntervalMs, { ...(rate === undefined ? {} : { rate }), ...(maxRatePerRange === undefined ? {} : { maxRatePerPartition: maxRatePerRange }) });
  }

  /** Driver side: the ranges of the batch at `time`. */
  protected abstract nextRanges(time: number): Promise<readonly R[]>;

  /** Worker side: reads one range. */
  protected abstract readonly reader: DirectReader<R, T>;

  /** Ranges with the same key prefer the same worker (the key's hash picks it among the workers taking tasks); null: no preference. */
  protected localityKey(_range: R): string | null {
    return null;
  }

  /** Where a range would rather be read: by default its `localityKey`'s Java String.hashCode, on any host. */
  protected preferredPlacement(range: R): DirectPlacement | null {
    const key = this.localityKey(range);
    return key === null ? null : { hash: javaStringHashCode(key) };
  }

  /** Records in a range, when the range says (counted as the batch's input records). */
  protected recordsIn(_range: R): number {
    return 0;
  }

  /** What recovery needs besides the batches' ranges (the position after the last batch). */
  protected positionData(): unknown {
    return null;
  }

  /** Called on recovery with `positionData()`'s value and the restored batches' ranges. */
  protected restorePosition(_position: unknown, _batches: ReadonlyMap<number, readonly R[]>): void {}

  /** The RDD of one batch; a subclass may return a subclass of DirectInputRDD. */
  protected createRDD(ranges: readonly R[], source: DirectSource): DirectInputRDD<T, R> {
    return new DirectInputRDD<T, R>(this.ssc.sc, ranges, source);
  }

  /** The ranges of the batch at `time`, if the stream still remembers it. */
  rangesAt(time: number): readonly R[] | undefined {
    return this.batches.get(time);
  }

  override async prepareBatch(time: number): Promise<void> {
    // A batch restored from a checkpoint reads exactly the ranges it had the first time.
    if (this.batches.has(time)) return;
    this.batches.set(time, await this.nextRanges(time));
  }

  override recordsAt(time: number): number {
    return (this.batches.get(time) ?? []).reduce((n, r) => n + this.recordsIn(r), 0);
  }

  /**
   * Every batch runs only once a metadata checkpoint records its ranges: a recovery from an
   * older checkpoint makes that batch time again from the position it recorded up to the
   * source's end then (Kafka's latest offsets), so a batch that ran unrecorded would run again
   * with other ranges, and an output that skips a batch time it committed (saveToPostgres's
   * markers) would leave out the records between the two ends. An empty batch too: made again,
   * it may take records.
   */
  override inputMustBeRecorded(time: number): boolean {
    return this.batches.has(time);
  }

  override inputMayNeedRecord(): boolean {
    return true;
  }

  /**
   * The batch's RDD. A subclass may override it to return undefined for a batch it has
   * no RDD for (Spark's InputDStream.compute returning None): map, filter, reduceByKey
   * and the like then have none either, outputs skip the batch, updateStateByKey keeps
   * its state, windows leave the batch out.
   */
  protected compute(time: number): DirectInputRDD<T, R> | undefined {
    const ranges = this.batches.get(time) ?? [];
    this.shipped ??= this.ssc.sc.ship(this.reader as Function, `${this.name} reader`);
    const placements = ranges.map((r) => this.preferredPlacement(r));
    return this.createRDD(ranges, { reader: this.shipped, placements: placements.some((p) => p !== null) ? placements : undefined });
  }

  override clearOldRDDs(time: number) {
    const dropped = super.clearOldRDDs(time);
    const keep = Math.max(this.rememberMs, this.slideDuration);
    for (const t of this.batches.keys()) if (t <= time - keep) this.batches.delete(t);
    return dropped;
  }

  override checkpointData(): DirectInputCheckpoint {
    return { kind: 'directInput', batches: [...this.batches].map(([t, rs]) => [t, [...rs]]), position: this.positionData() };
  }

  override restoreCheckpointData(data: unknown): void {
    const d = data as Partial<DirectInputCheckpoint> | null;
    if (!d || d.kind !== 'directInput' || !Array.isArray(d.batches)) {
      throw new SluiceError('SLUICE_CHECKPOINT', `${this.name}: the checkpoint holds no direct-input ranges for stream ${this.id} (got ${JSON.stringify(data)?.slice(0, 200)}); start from an empty checkpoint directory`);
    }
    this.batches.clear();
    for (const [t, rs] of d.batches) this.batches.set(t, rs as R[]);
    this.restorePosition(d.position ?? null, this.batches);
  }
}
