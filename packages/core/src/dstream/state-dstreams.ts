import type { MapWithStateEntry } from '../rdd/plan.js';
import { HashPartitioner, type Partitioner } from '../rdd/partitioner.js';
import type { RDD } from '../rdd/rdd.js';
import type { Duration } from '../streaming/duration.js';
import { DStream, derivedStreams, type UpdateStateForm, type UpdateStateFunction } from './dstream.js';
import type { StateSpec } from './state-spec.js';

/**
 * A stream whose RDD at t is built from its own RDD at t - slide and its parent's batch
 * at t: it must be checkpointed, its RDDs stay cached, and the previous one is remembered.
 */
abstract class StatefulDStream<P, T> extends DStream<T> {
  override readonly mustCheckpoint = true;

  constructor(protected readonly parent: DStream<P>) {
    super(parent.ssc);
    this.persist('MEMORY_ONLY');
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.parent as DStream<unknown>];
  }

  get slideDuration(): number {
    return this.parent.slideDuration;
  }

  override rememberAtLeast(ms: number): void {
    super.rememberAtLeast(Math.max(ms, this.slideDuration * 2));
  }
}

/**
 * updateStateByKey, as Spark's StateDStream: the state at t is the state at t - slide
 * cogrouped with the batch at t, through the update function. State RDDs stay cached
 * and hash-partitioned, so the next batch joins them without moving the state; they are
 * checkpointed periodically, which cuts their lineage.
 */
export class StateDStream<K, V, S> extends StatefulDStream<[K, V], [K, S]> {
  constructor(
    parent: DStream<[K, V]>,
    private readonly update: UpdateStateFunction<K, V, S>,
    private readonly partitioner: Partitioner,
    private readonly initialRDD: RDD<[K, S]> | undefined,
    private readonly form: UpdateStateForm = 'values',
    /**
     * The state RDDs keep the partitioner, so the next batch's cogroup reads them in place
     * (Spark's rememberPartitioner). False for an iterator function that changes keys:
     * the state is then shuffled by key again each batch.
     */
    private readonly rememberPartitioner = true,
  ) {
    super(parent);
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    return {
      op: 'StateDStream',
      params: { initialRDD: this.initialRDD !== undefined, ...(this.form === 'values' ? {} : { form: this.form }), ...(this.rememberPartitioner ? {} : { rememberPartitioner: false }) },
    };
  }

  /**
   * As Spark's StateDStream.compute: a batch for which the parent has no RDD re-applies
   * the update function to every key's state with no new values (Spark's "re-apply the
   * update function to the old state RDD"), in place, without a shuffle; with no state
   * yet either it gives no RDD. A batch with an RDD (even empty) cogroups it with the state.
   */
  protected compute(time: number): RDD<[K, S]> | undefined {
    const sc = this.ssc.sc;
    const previous = this.getOrCompute(time - this.slideDuration);
    const parentRDD = this.parent.getOrCompute(time);
    const op = { kind: 'updateState', fn: sc.ship(this.update, 'dstream.updateStateByKey'), form: this.form, batchTime: time } as const;
    if (!parentRDD) {
      // Each state as a cogrouped record with no values: [key, [[state], []]].
      return previous?.mapValues(stateWithNoValues as (s: S) => [S[], V[]]).narrow<[K, S]>(op, this.rememberPartitioner);
    }
    const prev = previous ?? this.initialRDD ?? sc.emptyRDD<[K, S]>();
    const cogrouped = sc.cogroupInternal([prev, parentRDD] as RDD<[unknown, unknown]>[], this.partitioner);
    return cogrouped.narrow<[K, S]>(op, this.rememberPartitioner);
  }
}

/** The per-key entries behind mapWithState: state, last update time, and what this batch mapped. */
class MapWithStateEntriesDStream<K, V, S, M> extends StatefulDStream<[K, V], [K, MapWithStateEntry]> {
  private readonly partitioner: Partitioner;

  constructor(
    parent: DStream<[K, V]>,
    private readonly spec: StateSpec<K, V, S, M>,
  ) {
    super(parent);
    this.partitioner = spec.statePartitioner ?? HashPartitioner.of(parent.ssc.sc.defaultParallelism);
  }

  /** Every 10 batches, as Spark's InternalMapWithStateDStream (DEFAULT_CHECKPOINT_DURATION_MULTIPLIER). */
  override defaultCheckpointInterval(): number {
    return 10 * this.slideDuration;
  }

  override fingerprint(): { readonly op: string; readonly params: Record<string, unknown> } {
    const custom = this.spec.statePartitioner !== undefined && this.spec.statePartitioner.kind !== 'hash';
    return {
      op: 'MapWithStateEntriesDStream',
      params: { timeoutMs: this.spec.timeoutMs, numPartitions: this.spec.partitions, initialState: this.spec.initial !== undefined, ...(custom ? { partitioner: this.spec.statePartitioner?.kind } : {}) },
    };
  }

  protected compute(time: number): RDD<[K, MapWithStateEntry]> {
    const sc = this.ssc.sc;
    const batch = this.parent.getOrCompute(time) ?? sc.emptyRDD<[K, V]>();
    let prev = this.getOrCompute(time - this.slideDuration) as RDD<[unknown, unknown]> | undefined;
    if (!prev) {
      // Initial states count as updated at the first batch, as in Spark (createFromPairRDD(initial, partitioner, validTime)).
      prev = this.spec.initial
        ? (this.spec.initial as RDD<[unknown, unknown]>).mapValues((s) => ({ exists: true, state: s, updatedAt: time, mapped: [] }))
        : sc.emptyRDD<[unknown, unknown]>();
    }
    const cogrouped = sc.cogroupInternal([prev, batch as RDD<[unknown, unknown]>], this.partitioner);
    return cogrouped.narrow<[K, MapWithStateEntry]>(
      // As Spark's MapWithStateRDD: idle keys time out only at a batch whose state RDD is
      // checkpointed (its full scan), so every 10 batches by default, each batch with
      // mapWithState(...).checkpoint(batchInterval); a key idle longer than the timeout that
      // gets a value before then keeps its state.
      { kind: 'mapWithState', fn: sc.ship(this.spec.fn, 'dstream.mapWithState'), timeoutMs: this.spec.timeoutMs, batchTime: time, withTime: this.spec.withTime, timeoutScan: this.isCheckpointTime(time) },
      true,
    );
  }
}

/** The stream of what a mapWithState function returned; `stateSnapshots()` gives [key, state] per batch. */
export class MapWithStateDStream<K, V, S, M> extends DStream<M> {
  private readonly entries: MapWithStateEntriesDStream<K, V, S, M>;

  constructor(parent: DStream<[K, V]>, spec: StateSpec<K, V, S, M>) {
    super(parent.ssc);
    this.entries = new MapWithStateEntriesDStream(parent, spec);
  }

  get dependencies(): readonly DStream<unknown>[] {
    return [this.entries as DStream<unknown>];
  }

  get slideDuration(): number {
    return this.entries.slideDuration;
  }

  protected compute(time: number): RDD<M> | undefined {
    return this.entries.getOrCompute(time)?.flatMap((kv) => kv[1].mapped as M[]);
  }

  /**
   * Checkpoint the state every `interval` (a multiple of the slide), as Spark's
   * MapWithStateDStream.checkpoint: the state's RDDs are what a checkpoint cuts the
   * lineage of; the mapped records are recomputed from them.
   */
  override checkpoint(interval: Duration): this {
    this.entries.checkpoint(interval);
    return this;
  }

  /** Every key's state after each batch. */
  stateSnapshots(): DStream<[K, S]> {
    return this.entries.transform((rdd) => rdd.filter((kv) => kv[1].exists).map((kv) => [kv[0], kv[1].state as S] as [K, S]));
  }
}

/** Shipped by StateDStream for a batch with no RDD (self-contained): a state as cogroup gives it, with no new values. */
function stateWithNoValues(s: unknown): [unknown[], unknown[]] {
  return [[s], []];
}

derivedStreams.State = StateDStream;
derivedStreams.MapWithState = MapWithStateDStream;
