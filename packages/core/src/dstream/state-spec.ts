import { resolvePartitioner, type Partitioner } from '../rdd/partitioner.js';
import { RDD } from '../rdd/rdd.js';
import { SluiceError } from '../errors.js';
import { toMillis, type Duration } from '../streaming/duration.js';
import type { StateHandle } from './state-handle.js';

/**
 * What mapWithState does, as Spark's StateSpec:
 *   StateSpec.function((key, value, state) => ...).initialState(rdd).numPartitions(4).timeout('30s')
 * `value` is undefined only on the call made for a key that timed out.
 */
export class StateSpec<K, V, S, M> {
  /** @internal */ initial: RDD<[K, S]> | undefined;
  /** @internal */ partitions: number | undefined;
  /** @internal Set by numPartitions() or partitioner(), the later call winning (as Spark's). */
  statePartitioner: Partitioner | undefined;
  /** @internal */ timeoutMs: number | undefined;

  private constructor(
    /** The mapping function (with `withTime`, it takes the batch time first). */
    readonly fn: (key: K, value: V | undefined, state: StateHandle<S>) => M,
    /** @internal fn takes the batch time first. */ readonly withTime: boolean,
  ) {}

  static function<K, V, S, M>(fn: (key: K, value: V | undefined, state: StateHandle<S>) => M): StateSpec<K, V, S, M>;
  /**
   * Spark's form with the batch time: `fn(time, key, value, state)`, with
   * `{ withBatchTime: true }`; a result of undefined maps to nothing (Spark's None).
   */
  static function<K, V, S, M>(fn: (time: number, key: K, value: V | undefined, state: StateHandle<S>) => M | undefined, options: { withBatchTime: true }): StateSpec<K, V, S, M>;
  static function<K, V, S, M>(fn: Function, options: { withBatchTime?: boolean } = {}): StateSpec<K, V, S, M> {
    // As Spark's StateSpecImpl (require(function != null)): refused here, not at the first batch.
    if (typeof fn !== 'function') {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StateSpec.function: expected the mapping function (key, value, state) => mapped, got ${fn === null ? 'null' : typeof fn}`);
    }
    return new StateSpec(fn as (key: K, value: V | undefined, state: StateHandle<S>) => M, options.withBatchTime === true);
  }

  initialState(rdd: RDD<[K, S]>): this {
    if (!(rdd instanceof RDD)) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `StateSpec.initialState: expected an RDD of [key, state] pairs (sc.parallelize([[k, s], ...])), got ${rdd === null ? 'null' : Array.isArray(rdd) ? 'an array' : typeof rdd}`);
    }
    this.initial = rdd;
    return this;
  }

  /** State in `n` hash partitions (default: the context's default parallelism). */
  numPartitions(n: number): this {
    this.statePartitioner = resolvePartitioner(n, () => ({ kind: 'hash', numPartitions: n }), 'StateSpec.numPartitions');
    this.partitions = n;
    return this;
  }

  /** State placed by `partitioner` (HashPartitioner.of(n), CustomPartitioner.of(n, getPartition)), as Spark's StateSpec.partitioner. */
  partitioner(partitioner: Partitioner): this {
    this.statePartitioner = resolvePartitioner(partitioner, () => partitioner, 'StateSpec.partitioner');
    this.partitions = partitioner.numPartitions;
    return this;
  }

  /**
   * A key with no value for longer than `idle` times out: the function is called for it once
   * more (value undefined, `state.isTimingOut()` true) and its state goes. As Spark's, idle keys
   * are looked for only at the batches whose state is checkpointed (every 10 batches by
   * default; `mapWithState(spec).checkpoint(interval)` changes it), so a key goes at the first
   * such batch after it has been idle longer than `idle`, and one that gets a value before
   * then keeps its state.
   */
  timeout(idle: Duration): this {
    this.timeoutMs = toMillis(idle, 'StateSpec.timeout');
    return this;
  }
}
