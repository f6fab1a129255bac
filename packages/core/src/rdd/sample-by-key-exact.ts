import { SluiceError } from '../errors.js';
import { mulberry32, sampleSeed } from '../util/random.js';
import { keyId, type KeyId } from './key.js';
import type { NodeOp } from './plan.js';
import type { RDD } from './rdd.js';

/**
 * Spark's sampleByKeyExact: for every key k with n_k pairs, exactly ceil(n_k * fraction_k) of
 * them, chosen uniformly (without replacement: a subset; with it: that many draws, a pair
 * possibly more than once). Spark finds per-key acceptance thresholds from a count and a
 * pass over the data; here the choice is split the other way round, exactly:
 *
 * 1. One pass counts each key's pairs in each partition (n_k,p): a job run when
 *    sampleByKeyExact is called, as Spark's, where the context can block; else before the
 *    first job that needs the sample.
 * 2. On the driver, each key's sample size is split over the partitions as drawing it from
 *    the whole key would split it: without replacement a multivariate hypergeometric split
 *    (selection sampling over the key's n_k slots, partition by partition), with replacement
 *    a multinomial one (each draw lands in partition p with probability n_k,p / n_k).
 * 3. In the job, partition p takes its share m_k,p of key k's pairs uniformly among its
 *    n_k,p: by selection sampling (pair j kept with probability needed / left), or as m_k,p
 *    uniform draws with replacement.
 *
 * Keys are told apart by keyId (key.ts) in both passes and on the driver, as by every pair
 * function: objects by their fields in any order, Maps by their entries, tuples by value.
 * What travels is one count per key and partition. The same seed gives the same sample of
 * the same input; the input must give the same pairs in the same order each time it is
 * computed (as Spark requires), which the job checks: a partition whose count of a key
 * differs from the first pass's fails, naming both.
 */
export function sampleByKeyExact<K, V>(rdd: RDD<[K, V]>, withReplacement: boolean, fractions: ReadonlyMap<K, number> | Readonly<Record<string, number>>, givenSeed: number): RDD<[K, V]> {
  const op = 'rdd.sampleByKeyExact';
  const entries = (fractions instanceof Map ? [...fractions.entries()] : Object.entries(fractions)) as [K, number][];
  // As Spark's (require: no negative rate): without replacement a fraction above 1 asks for more than the key has, so
  // every pair of it (Spark's threshold ends at its waitlist bound, 1). Infinity is refused (with replacement, endless draws).
  const bad = entries.find(([, f]) => typeof f !== 'number' || !(f >= 0) || f === Infinity);
  if (bad) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: a fraction must be a finite number >= 0 (Spark: Negative sampling rates), got ${String(bad[1])} for key ${JSON.stringify(bad[0])}`);
  const seed = sampleSeed(givenSeed, op);
  const fractionOf = new Map<KeyId, number>(entries.map(([k, f]) => [keyId(k), f]));
  const parts = rdd.numPartitions;
  /** Steps 2 and 3 from step 1's rows ([partition, key, pairs]): the op that takes each partition's shares. */
  const sharesOp = (counted: readonly [number, K, number][]): NodeOp => {
    const byKey = new Map<KeyId, { key: K; counts: number[] }>();
    for (const [p, k, n] of counted) {
      const id = keyId(k);
      let e = byKey.get(id);
      if (!e) byKey.set(id, (e = { key: k, counts: new Array<number>(parts).fill(0) }));
      e.counts[p] += n;
    }
    // 2. Each key's sample size, split over the partitions.
    const rand = mulberry32(seed >>> 0);
    const shares: [K, number[], number[]][] = [];
    for (const [id, { key, counts }] of byKey) {
      const f = fractionOf.get(id);
      if (f === undefined) throw new SluiceError('SLUICE_BAD_ARGUMENT', `${op}: no sampling fraction for key ${JSON.stringify(key)}; give one for every key of the RDD`);
      const total = counts.reduce((a, b) => a + b, 0);
      const size = Math.ceil(total * f);
      shares.push([key, counts, withReplacement ? multinomialSplit(size, counts, total, rand) : hypergeometricSplit(size, counts, total, rand)]);
    }
    // 3. Each partition takes its shares (scheduler/sample-exact-partition.ts).
    return { kind: 'sampleExact', shares, withReplacement, seed };
  };
  // 1. Each key's pairs in each partition, keys by keyId on the workers as here: counted now,
  // as Spark's getAcceptanceResults runs its job when sampleByKeyExact is called, where the
  // context can block (runActionNow: so a sortByKey over the sample samples its bounds at once
  // too, and its range partitioner is reused as Spark's); else at the first job that needs them
  // (since 2026-12-07; before, always then).
  const counting = rdd.narrow<[number, K, number]>({ kind: 'keyCounts' });
  const now = parts === 0 ? [] : rdd.context.runActionNow(counting as RDD<unknown>, { kind: 'collect' });
  if (now !== undefined) return rdd.narrow<[K, V]>(sharesOp((now as [number, K, number][][]).flat()), true);
  const out = rdd.narrow<[K, V]>({ kind: 'sampleExact', withReplacement, seed }, true);
  out.prepare = async () => {
    out.op = sharesOp(await counting.collect());
    out.prepare = undefined;
  };
  return out;
}

/** How many of `size` slots chosen without replacement among `total` (counts[p] of them in partition p) fall in each partition. */
function hypergeometricSplit(size: number, counts: readonly number[], total: number, rand: () => number): number[] {
  let left = total;
  let needed = size;
  return counts.map((n) => {
    let m = 0;
    for (let j = 0; j < n; j++, left--) {
      if (needed > 0 && rand() * left < needed) {
        m++;
        needed--;
      }
    }
    return m;
  });
}

/** How many of `size` uniform draws among `total` slots (counts[p] of them in partition p) land in each partition. */
function multinomialSplit(size: number, counts: readonly number[], total: number, rand: () => number): number[] {
  const upTo: number[] = [];
  let acc = 0;
  for (const n of counts) upTo.push((acc += n));
  const out = new Array<number>(counts.length).fill(0);
  for (let d = 0; d < size; d++) {
    const slot = Math.floor(rand() * total);
    let lo = 0;
    let hi = upTo.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (upTo[mid] > slot) hi = mid;
      else lo = mid + 1;
    }
    out[lo]++;
  }
  return out;
}
