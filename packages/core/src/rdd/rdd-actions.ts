import { SluiceError } from '../errors.js';
import { compareKeys, keyId, type KeyId } from './key.js';
import type { RDD } from './rdd.js';

/**
 * RDD's actions (Spark's RDD.scala): each runs a job on the cluster and returns a Promise of
 * its result on the driver. Mixed into RDD (see rdd.ts), so `rdd.count()` is one of them.
 */
export class RDDActions<T> {
  async collect(this: RDD<T>): Promise<T[]> {
    const parts = (await this.context.runAction(this, { kind: 'collect' })) as T[][];
    return parts.flat(1) as T[];
  }

  async count(this: RDD<T>): Promise<number> {
    const parts = (await this.context.runAction(this, { kind: 'count' })) as number[];
    return parts.reduce((a, b) => a + b, 0);
  }

  async first(this: RDD<T>): Promise<T> {
    const got = await this.take(1);
    if (got.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.first() on an empty RDD (rdd ${this.id}${this.name ? ` '${this.name}'` : ''})`);
    return got[0];
  }

  /** The first n elements, scanning partitions in order and stopping once it has n (as Spark does). */
  async take(this: RDD<T>, n: number): Promise<T[]> {
    const out: T[] = [];
    let next = 0;
    let batch = 1;
    while (out.length < n && next < this.numPartitions) {
      const parts = Array.from({ length: Math.min(batch, this.numPartitions - next) }, (_, i) => next + i);
      const got = (await this.context.runAction(this, { kind: 'take', n: n - out.length }, parts)) as T[][];
      for (const g of got) for (const x of g) if (out.length < n) out.push(x);
      next += parts.length;
      batch *= 4;
    }
    return out;
  }

  async top(this: RDD<T>, n: number, compare?: (a: T, b: T) => number): Promise<T[]> {
    return ordered(this, n, false, compare, 'top');
  }

  async takeOrdered(this: RDD<T>, n: number, compare?: (a: T, b: T) => number): Promise<T[]> {
    return ordered(this, n, true, compare, 'takeOrdered');
  }

  async reduce(this: RDD<T>, f: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.context.runAction(this, { kind: 'reduce', fn: this.ship(f, 'reduce') })) as { empty: boolean; value: T }[];
    const nonEmpty = parts.filter((p) => !p.empty);
    if (nonEmpty.length === 0) throw new SluiceError('SLUICE_BAD_ARGUMENT', `rdd.reduce() on an empty RDD (rdd ${this.id}): use fold() with a zero value`);
    return nonEmpty.map((p) => p.value).reduce(f);
  }

  async fold(this: RDD<T>, zero: T, f: (a: T, b: T) => T): Promise<T> {
    const parts = (await this.context.runAction(this, { kind: 'fold', zero, fn: this.ship(f, 'fold') })) as T[];
    return parts.reduce(f, zero);
  }

  async aggregate<U>(this: RDD<T>, zero: U, seqOp: (acc: U, t: T) => U, combOp: (a: U, b: U) => U): Promise<U> {
    const parts = (await this.context.runAction(this, { kind: 'aggregate', zero, seqOp: this.ship(seqOp, 'aggregate') })) as U[];
    return parts.reduce(combOp, zero);
  }

  async foreach(this: RDD<T>, f: (t: T) => void | Promise<void>): Promise<void> {
    await this.context.runAction(this, { kind: 'foreach', fn: this.ship(f, 'foreach') });
  }

  async foreachPartition(this: RDD<T>, f: (it: IterableIterator<T>) => void | Promise<void>): Promise<void> {
    await this.context.runAction(this, { kind: 'foreachPartition', fn: this.ship(f, 'foreachPartition') });
  }

  async countByValue(this: RDD<T>): Promise<Map<T, number>> {
    const parts = (await this.context.runAction(this, { kind: 'countByValue' })) as [T, number][][];
    return mergeCounts(parts);
  }


  /** true when the RDD has no element (Spark's isEmpty: no partition, or take(1) finds none). */
  async isEmpty(this: RDD<T>): Promise<boolean> {
    return this.numPartitions === 0 || (await this.take(1)).length === 0;
  }


  /**
   * Writes one `part-NNNNN` text file per partition (String(record) per line) under `dir`,
   * then `_SUCCESS`. `dir` may be a location of a registered file system
   * (`s3://bucket/path` with `import '@sluice/s3'`).
   */
  async saveAsTextFile(this: RDD<T>, dir: string): Promise<void> {
    await this.context.saveAsTextFile(this as RDD<unknown>, dir);
  }

  /**
   * Writes one `part-NNNNN` file per partition under `dir` holding its records encoded
   * with the record codec (Spark uses Java serialization; see codec/object-file.ts), read
   * back with `sc.objectFile(dir)`. Atomic, as saveAsTextFile; an existing `dir` is an error.
   */
  async saveAsObjectFile(this: RDD<T>, dir: string): Promise<void> {
    await this.context.saveAsObjectFile(this as RDD<unknown>, dir);
  }

}

async function ordered<T>(rdd: RDD<T>, n: number, ascending: boolean, compare: ((a: T, b: T) => number) | undefined, op: string): Promise<T[]> {
  const shipped = compare ? rdd.ship(compare, op) : undefined;
  const parts = (await rdd.context.runAction(rdd, { kind: 'top', n, ascending, compare: shipped })) as T[][];
  const cmp = compare ?? (compareKeys as (a: T, b: T) => number);
  const all = parts.flat(1) as T[];
  all.sort(ascending ? cmp : (a, b) => cmp(b, a));
  return all.slice(0, n);
}

/** Sums per-partition counts; keys are compared by value, so equal tuple keys from different partitions merge. */
export function mergeCounts<T>(parts: [T, number][][]): Map<T, number> {
  const byId = new Map<KeyId, [T, number]>();
  for (const p of parts) {
    for (const [k, c] of p) {
      const id = keyId(k);
      const e = byId.get(id);
      if (e) e[1] += c;
      else byId.set(id, [k, c]);
    }
  }
  return new Map(byId.values());
}
