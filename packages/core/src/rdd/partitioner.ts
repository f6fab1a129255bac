import { captureClosure } from '../closure/capture-closure.js';
import type { ShippedFunction } from '../closure/shipped-function.js';
import { SluiceError } from '../errors.js';
import { compareKeys, hashKey, nonNegativeMod, stableStringify } from './key.js';

/**
 * How pair records are spread over reduce partitions. Plain data, so it travels in
 * task payloads: a hash partitioner, a range partitioner with sorted upper bounds
 * (found by sampling the keys, as Spark's RangePartitioner does), or a custom one whose
 * `getPartition(key)` is a shipped function (a subclass of Spark's Partitioner).
 */
export type Partitioner =
  | { readonly kind: 'hash'; readonly numPartitions: number }
  | { readonly kind: 'range'; readonly numPartitions: number; readonly bounds: readonly unknown[]; readonly ascending: boolean }
  | { readonly kind: 'custom'; readonly numPartitions: number; readonly getPartition: ShippedFunction };

/**
 * Where a keyed operator puts its keys, as Spark's overloads take them: a partition count,
 * a Partitioner, or `{ numPartitions }` / `{ partitioner }`.
 */
export type PartitionArg = number | Partitioner | { readonly numPartitions?: number | undefined; readonly partitioner?: Partitioner | undefined };

export class HashPartitioner {
  declare readonly kind: 'hash';
  declare readonly numPartitions: number;

  /**
   * Spark's `new HashPartitioner(numPartitions)`: the same plain partitioner as
   * `HashPartitioner.of(numPartitions)` (not an instance of this class: a partitioner is data).
   */
  constructor(numPartitions: number) {
    checkPartitions(numPartitions, 'new HashPartitioner');
    return { kind: 'hash', numPartitions } as HashPartitioner;
  }

  static of(numPartitions: number): Partitioner {
    checkPartitions(numPartitions, 'HashPartitioner.of');
    return { kind: 'hash', numPartitions };
  }
}

export class RangePartitioner {
  /** Bounds are filled in by the scheduler from a sample of the keys before the job runs. */
  static of(numPartitions: number, ascending = true): Partitioner {
    checkPartitions(numPartitions, 'RangePartitioner.of');
    return { kind: 'range', numPartitions, bounds: [], ascending };
  }
}

/**
 * A partitioner of your own, as a subclass of Spark's Partitioner: `getPartition(key)`
 * returns the partition, a whole number in [0, numPartitions). It is shipped to the workers
 * with what it captures, as operator functions are. Two custom partitioners are equal (no
 * shuffle between RDDs placed by them) when their functions have the same source and
 * captured values, as Spark's `equals` of a partitioner decides.
 *
 * @example
 *   const byRegion = CustomPartitioner.of(3, (key: string) => (key.startsWith('eu-') ? 0 : key.startsWith('us-') ? 1 : 2));
 *   pairs.reduceByKey((a, b) => a + b, { partitioner: byRegion });
 */
export class CustomPartitioner {
  static of<K>(numPartitions: number, getPartition: (key: K) => number): Partitioner {
    checkPartitions(numPartitions, 'CustomPartitioner.of');
    if (typeof getPartition !== 'function') throw new SluiceError('SLUICE_BAD_ARGUMENT', `CustomPartitioner.of: getPartition must be a function (key) => partition, got ${typeof getPartition}`);
    const shipped = captureClosure(getPartition, 'CustomPartitioner.of');
    ownFunctions.set(shipped, getPartition);
    return { kind: 'custom', numPartitions, getPartition: shipped };
  }
}

/**
 * PySpark's `partitionFunc` (rdd.partitionBy(numPartitions, partitionFunc), and the same last
 * argument of groupByKey, reduceByKey, combineByKey, foldByKey, aggregateByKey and groupBy):
 * a function of the key whose result, modulo `numPartitions` (Python's `%`, never negative),
 * is the key's partition, as PySpark's partitionBy puts `buckets[partitionFunc(k) % numPartitions]`.
 * Made a CustomPartitioner; a result that is no whole number fails the task naming the key.
 * `numPartitions` undefined: `defaultCount()` (PySpark's _defaultReducePartitions).
 */
export function partitionFuncPartitioner(partitions: PartitionArg | undefined, partitionFunc: unknown, defaultCount: () => number, operator: string): Partitioner {
  if (typeof partitionFunc !== 'function') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: the argument after the partition count is PySpark's partitionFunc, a function (key) => number, got ${partitionFunc === null ? 'null' : typeof partitionFunc}`);
  }
  if (partitions !== undefined && typeof partitions !== 'number') {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${operator}: PySpark's partitionFunc goes with a partition count (numPartitions), not a Partitioner or options object; give the count, or a CustomPartitioner.of(n, getPartition) alone`,
    );
  }
  const n = partitions ?? defaultCount();
  if (n === 0 && partitions === undefined) return NO_PARTITIONS;
  checkPartitions(n, operator);
  const userPartitionFunc = partitionFunc as (key: unknown) => number;
  return CustomPartitioner.of(n, (key: unknown) => {
    const h = userPartitionFunc(key);
    return ((h % n) + n) % n;
  });
}

/** Each custom partitioner's function as the program that made it holds it, for the driver's own use (lookup). */
const ownFunctions = new WeakMap<ShippedFunction, Function>();

/**
 * `key -> partition` for `p` where the driver program can run it: a hash or range partitioner,
 * or a custom one it made itself (CustomPartitioner.of, not one revived from a checkpoint).
 * The partition is checked as on a worker (partitionFunction). Undefined otherwise.
 */
export function driverPartitionFunction(p: Partitioner): ((key: unknown) => number) | undefined {
  if (p.kind !== 'custom') return partitionFunction(p);
  const own = ownFunctions.get(p.getPartition);
  return own === undefined ? undefined : partitionFunction(p, () => own);
}

/**
 * The partitioner a keyed operator uses: from `arg` (see PartitionArg), else `fallback()`.
 * A RangePartitioner without bounds (RangePartitioner.of) only works where Sluice samples
 * the keys (sortByKey, partitionBy), so here it is refused.
 */
export function resolvePartitioner(arg: PartitionArg | undefined, fallback: () => Partitioner, operator: string): Partitioner {
  let p: Partitioner | undefined;
  if (arg === undefined) return fallback();
  if (typeof arg === 'number') p = checkedHash(arg, operator);
  else if (typeof arg === 'object' && arg !== null && 'kind' in arg) p = arg;
  else if (arg instanceof RangePartitioner || arg instanceof CustomPartitioner) {
    // `new RangePartitioner(...)` / `new CustomPartitioner(...)` (Spark's forms) make an empty object here: refused, not taken for no argument.
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: got an instance of ${arg.constructor.name}, not a Partitioner; use ${arg.constructor.name}.of(...) (HashPartitioner.of(n), RangePartitioner.of(n), CustomPartitioner.of(n, getPartition))`);
  } else if (typeof arg === 'object' && arg !== null) {
    const { numPartitions, partitioner } = arg;
    if (partitioner !== undefined && numPartitions !== undefined && numPartitions !== partitioner.numPartitions) {
      throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: give numPartitions or a partitioner, not both (numPartitions ${numPartitions}, partitioner of ${partitioner.numPartitions})`);
    }
    p = partitioner ?? (numPartitions === undefined ? undefined : checkedHash(numPartitions, operator));
    if (p === undefined) return fallback();
  } else {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: expected a partition count, a Partitioner or { numPartitions } / { partitioner }, got ${String(arg)}`);
  }
  if (p.kind !== 'hash' && p.kind !== 'range' && p.kind !== 'custom') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: not a Partitioner: ${JSON.stringify(p)}; use HashPartitioner.of(n) or CustomPartitioner.of(n, getPartition)`);
  }
  // The partitioner of an RDD with no partitions (NO_PARTITIONS) may be passed on, as Spark's.
  if (!(p.kind === 'hash' && p.numPartitions === 0)) checkPartitions(p.numPartitions, operator, "its partitioner's numPartitions");
  if (p.kind === 'range' && p.bounds.length === 0 && p.numPartitions > 1) {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${operator}: RangePartitioner.of(${p.numPartitions}) has no bounds yet (they come from sampling the keys, which only sortByKey and partitionBy do); use HashPartitioner.of(n) or CustomPartitioner.of(n, getPartition)`,
    );
  }
  return p;
}

/**
 * Spark's HashPartitioner(0): what a keyed operation given no partition count places the pairs
 * of RDDs with no partitions by (Partitioner.defaultPartitioner's largest input count, 0: a
 * groupBy of sc.emptyRDD()), and what distinct, subtract and subtractByKey take from an RDD of
 * none. Its shuffle has no map task and no reduce task. Only Sluice makes it: a count the program
 * gives is still at least 1, and a shuffle of an RDD with partitions into it is refused where it
 * is made (the RDD constructor), where Spark's task divides by zero on its first record.
 */
export const NO_PARTITIONS: Partitioner = Object.freeze({ kind: 'hash', numPartitions: 0 });

function checkedHash(n: number, operator: string): Partitioner {
  checkPartitions(n, operator);
  return { kind: 'hash', numPartitions: n };
}

/**
 * A partition count is a whole number above 0 (Spark's HashPartitioner refuses a negative one,
 * "Number of partitions (-1) cannot be negative", and a shuffle into 0 partitions cannot place a
 * key). `operator` names the call the user made ('rdd.distinct', 'HashPartitioner.of'), so the
 * message says which of the program's calls to fix.
 */
export function checkPartitions(n: number, operator: string, what = 'numPartitions'): void {
  if (!Number.isInteger(n) || n <= 0) {
    const shown = typeof n === 'number' ? String(n) : `${typeof n} ${JSON.stringify(n)}`;
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `${operator}: ${what} must be a positive integer, got ${shown}`);
  }
}

export function partitionerEquals(a: Partitioner | undefined, b: Partitioner | undefined): boolean {
  if (!a || !b || a.kind !== b.kind || a.numPartitions !== b.numPartitions) return false;
  if (a.kind === 'range' && b.kind === 'range') {
    return a.ascending === b.ascending && a.bounds.length === b.bounds.length && a.bounds.every((x, i) => compareKeys(x, b.bounds[i]) === 0);
  }
  if (a.kind === 'custom' && b.kind === 'custom') {
    return a.getPartition === b.getPartition || (a.getPartition.source === b.getPartition.source && stableStringify(a.getPartition.captures) === stableStringify(b.getPartition.captures));
  }
  return true;
}

/**
 * Returns a fast `key -> partition` function for a partitioner; `revive` turns a custom
 * partitioner's shipped function into a function (on a worker, in the job's scope).
 */
export function partitionFunction(p: Partitioner, revive?: (fn: ShippedFunction) => Function): (key: unknown) => number {
  if (p.kind === 'hash') {
    const n = p.numPartitions;
    return (k) => nonNegativeMod(hashKey(k), n);
  }
  if (p.kind === 'custom') {
    if (!revive) throw new SluiceError('SLUICE_INTERNAL', 'a custom partitioner needs the job scope to run');
    const f = revive(p.getPartition) as (key: unknown) => unknown;
    const n = p.numPartitions;
    return (k) => {
      const i = f(k);
      if (typeof i !== 'number' || !Number.isInteger(i) || i < 0 || i >= n) {
        throw new SluiceError(
          'SLUICE_BAD_ARGUMENT',
          `CustomPartitioner (${p.getPartition.name}, defined at ${p.getPartition.callSite}): getPartition(${formatKey(k)}) returned ${typeof i === 'number' ? i : `${typeof i} ${String(i)}`}, not a whole number in [0, ${n})`,
        );
      }
      return i;
    };
  }
  const bounds = p.bounds;
  const asc = p.ascending;
  const last = p.numPartitions - 1;
  return (k) => {
    let lo = 0;
    let hi = bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareKeys(bounds[mid], k) < 0) lo = mid + 1;
      else hi = mid;
    }
    const idx = Math.min(lo, last);
    return asc ? idx : last - idx;
  };
}

/**
 * At most numPartitions - 1 strictly increasing bounds from sampled keys, each of weight 1
 * (see determineBounds); fewer when the sample has fewer keys or too few distinct ones.
 */
export function rangeBounds(sample: readonly unknown[], numPartitions: number): unknown[] {
  return determineBounds(sample.map((k): [unknown, number] => [k, 1]), numPartitions);
}

/**
 * Spark's RangePartitioner.determineBounds: the candidates (a sampled key and its weight, the
 * number of keys it stands for) in key order, a bound each time the weight passed goes past (not
 * just reaches: Spark's `cumWeight > target`) the next multiple of total / partitions, equal keys
 * never twice; at most partitions - 1 bounds. `partitions` is the count asked for, even past the
 * number of candidates (2 keys into 4 partitions: step 0.5, bounds at both keys, 3 partitions).
 */
export function determineBounds(candidates: readonly (readonly [unknown, number])[], partitions: number): unknown[] {
  const ordered = [...candidates].sort((a, b) => compareKeys(a[0], b[0]));
  const step = ordered.reduce((acc, [, w]) => acc + w, 0) / partitions;
  const bounds: unknown[] = [];
  let cumulative = 0;
  let target = step;
  for (let i = 0; i < ordered.length && bounds.length < partitions - 1; i++) {
    const [key, weight] = ordered[i];
    cumulative += weight;
    if (cumulative > target && (bounds.length === 0 || compareKeys(key, bounds[bounds.length - 1]) > 0)) {
      bounds.push(key);
      target += step;
    }
  }
  return bounds;
}

function formatKey(k: unknown): string {
  try {
    return stableStringify(k).slice(0, 100);
  } catch {
    return String(k).slice(0, 100);
  }
}
