import { concatParts } from '../util/concat-parts.js';
import { FutureAction } from './future-action.js';
import type { RDD } from './rdd.js';
import { takePartitionsToTry } from './take-scan.js';

/**
 * Spark's AsyncRDDActions: actions that return a FutureAction, a Promise-like value with
 * `cancel()`. Mixed into RDD (see rdd.ts).
 */
export class AsyncRDDActions<T> {
  /** The elements, as collect(), cancellable. */
  collectAsync(this: RDD<T>): FutureAction<T[]> {
    return new FutureAction(async (signal, jobStarted) => concatParts((await this.context.runAction(this, { kind: 'collect' }, undefined, undefined, signal, jobStarted)) as T[][]));
  }

  /** The number of elements, as count(), cancellable. */
  countAsync(this: RDD<T>): FutureAction<number> {
    return new FutureAction(async (signal, jobStarted) => ((await this.context.runAction(this, { kind: 'count' }, undefined, undefined, signal, jobStarted)) as number[]).reduce((a, b) => a + b, 0));
  }

  /** The first `n` elements, as take(n) (partitions read in rounds, a job each, as take's: takePartitionsToTry), cancellable between and during its jobs. */
  takeAsync(this: RDD<T>, n: number): FutureAction<T[]> {
    return new FutureAction(async (signal, jobStarted) => {
      const out: T[] = [];
      let next = 0;
      while (out.length < n && next < this.numPartitions) {
        const count = Math.min(takePartitionsToTry(next, out.length, n - out.length), this.numPartitions - next);
        const parts = Array.from({ length: count }, (_, i) => next + i);
        const got = (await this.context.runAction(this, { kind: 'take', n: n - out.length }, parts, undefined, signal, jobStarted)) as T[][];
        for (const g of got) for (const x of g) if (out.length < n) out.push(x);
        next += parts.length;
      }
      return out;
    });
  }

  /** Runs `f` on each element on the workers, as foreach(f), cancellable. */
  foreachAsync(this: RDD<T>, f: (t: T) => void | Promise<void>): FutureAction<void> {
    const fn = this.ship(f, 'foreachAsync');
    return new FutureAction(async (signal, jobStarted) => {
      await this.context.runAction(this, { kind: 'foreach', fn }, undefined, undefined, signal, jobStarted);
    });
  }

  /** Runs `f` on each partition's iterator on the workers, as foreachPartition(f), cancellable. */
  foreachPartitionAsync(this: RDD<T>, f: (it: IterableIterator<T>) => void | Promise<void>): FutureAction<void> {
    const fn = this.ship(f, 'foreachPartitionAsync');
    return new FutureAction(async (signal, jobStarted) => {
      await this.context.runAction(this, { kind: 'foreachPartition', fn }, undefined, undefined, signal, jobStarted);
    });
  }
}
