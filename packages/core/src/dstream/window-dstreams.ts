import { SluiceError } from '../errors.js';
import type { Partitioner } from '../rdd/partitioner.js';
import { StorageLevel, type SparkStorageLevel } from '../rdd/storage-level.js';
import type { RDD } from '../rdd/rdd.js';
import { toMillis, type Duration } from '../streaming/duration.js';
import { DStream, derivedStreams } from './dstream.js';
import { checkMultiple } from './window-args.js';

/**
 * A stream over a sliding window of its parent: the window's length and slide, checked
 * to be multiples of the parent's slide; the parent's RDDs are kept (persisted), since
 * several windows read each of them.
 */
abstract class WindowOverDStream<P, T> extends DStream<T> {
  readonly windowMs: number;
  protected readonly slideMs: number;

  constructor(
    protected readonly parent: DStream<P>,
    windowDuration: Duration,
    slideDuration: Duration,
  ) {
    super(parent.ssc);
    this.windowMs = toMillis(windowDuration, 'window length');
    this.slideMs = toMillis(slideDuration, 'window slide');
    checkMultiple(this.windowMs, parent as DStream<unknown>, 'window length');
    checkMultiple(this.slideMs, parent as DStream<unknown>, 'window slide');
    if (parent.storageLevel === StorageLevel.NONE) parent.persist(StorageLevel.MEMORY_ONLY);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  get slideDuration(): number {
    return this.slideMs;
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return { op: this.constructor.name, params: { windowMs: this.windowMs, slideMs: this.slideMs, ...this.extraParams() } };
  }

  protected extraParams(): Record<string, unknown> {
    return {};
  }

  /** The window at t reads the parent's batches in (t - window, t]. */
  override inputLostIn(fromExclusive: number, toInclusive: number): boolean {
    return this.parent.inputLostIn(fromExclusive - this.windowMs, toInclusive);
  }
}

/** Every RDD of the parent within the last `windowDuration`, as one RDD, every `slideDuration`. */
export class WindowedDStream<T> extends WindowOverDStream<T, T> {
  /**
   * As Spark's WindowedDStream.persist: the parent is persisted at `level`, not the window,
   * whose RDDs are unions sharing the parent's RDDs (caching them would keep a copy of each
   * batch for every window it falls in).
   */
  override persist(level: StorageLevel | SparkStorageLevel = StorageLevel.MEMORY_ONLY): this {
    this.parent.persist(level);
    return this;
  }

  protected override parentRememberMs(): number {
    return this.rememberMs + this.windowMs;
  }

  protected compute(time: number): RDD<T> {
    const rdds = this.parent.rddsIn(time - this.windowMs, time);
    return rdds.length > 0 ? this.ssc.sc.union(rdds) : this.ssc.sc.emptyRDD<T>();
  }
}

/**
 * reduceByKeyAndWindow with an inverse function, as Spark's ReducedWindowedDStream: the
 * window at t is the window at t - slide, minus the batches that left (inverse reduce),
 * plus the batches that entered. Each window RDD depends on the previous one, so the
 * stream is checkpointed periodically to keep lineage short.
 */
export class ReducedWindowedDStream<K, V> extends WindowOverDStream<[K, V], [K, V]> {
  override readonly mustCheckpoint = true;

  constructor(
    parent: DStream<[K, V]>,
    private readonly reduceFunc: (a: V, b: V) => V,
    private readonly invFunc: (a: V, b: V) => V,
    private readonly filterFunc: ((kv: [K, V]) => boolean) | undefined,
    windowDuration: Duration,
    slideDuration: Duration,
    private readonly partitioner: Partitioner,
    /** What the graph fingerprint records of the partitioning given. */
    private readonly partitionParams: Record<string, unknown>,
  ) {
    super(parent, windowDuration, slideDuration);
    this.persist('MEMORY_ONLY');
  }

  protected override parentRememberMs(): number {
    return this.rememberMs + this.windowMs + this.slideMs;
  }

  /** As Spark's: the per-batch reductions the windows are made from are kept at `level` too. */
  override persist(level: StorageLevel | SparkStorageLevel = StorageLevel.MEMORY_ONLY): this {
    super.persist(level);
    this.parent.persist(level);
    return this;
  }

  protected override extraParams(): Record<string, unknown> {
    return { ...this.partitionParams, filter: this.filterFunc !== undefined };
  }

  override rememberAtLeast(ms: number): void {
    // The previous window's RDD is read to make the next one.
    super.rememberAtLeast(Math.max(ms, this.slideMs * 2));
  }

  protected compute(time: number): RDD<[K, V]> {
    const sc = this.ssc.sc;
    // A batch leaving the window that was restored without input it had (a receiver's
    // blocks lost with the write-ahead log off) cannot be inverse-reduced out: what it added
    // to the previous window (restored from its checkpoint) is not what it computes to now,
    // and the difference would stay in every later window. Such a window is reduced afresh
    // from the batches in it, as they compute now; the next ones go on from it. (Spark's
    // ReducedWindowedDStream subtracts the emptied batch and keeps its records for good.)
    const afresh = this.parent.inputLostIn(time - this.slideMs - this.windowMs, time - this.windowMs);
    const olds = afresh ? [] : this.parent.rddsIn(time - this.slideMs - this.windowMs, time - this.windowMs);
    const news = this.parent.rddsIn(afresh ? time - this.windowMs : time - this.slideMs, time);
    const prev = afresh ? sc.emptyRDD<[K, V]>() : (this.getOrCompute(time - this.slideMs) ?? sc.emptyRDD<[K, V]>());
    const cogrouped = sc.cogroupInternal([prev, ...olds, ...news] as RDD<[unknown, unknown]>[], this.partitioner);
    return cogrouped.narrow<[K, V]>(
      {
        kind: 'reduceWindow',
        reduce: sc.ship(this.reduceFunc, 'dstream.reduceByKeyAndWindow'),
        inv: sc.ship(this.invFunc, 'dstream.reduceByKeyAndWindow'),
        filter: this.filterFunc ? sc.ship(this.filterFunc, 'dstream.reduceByKeyAndWindow') : undefined,
        numOld: olds.length,
      },
      true,
    );
  }
}

derivedStreams.Windowed = WindowedDStream;
derivedStreams.ReducedWindowed = ReducedWindowedDStream;
