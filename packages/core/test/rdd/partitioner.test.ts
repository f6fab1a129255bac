import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SluiceError } from '../../src/errors.js';
import { compareKeys } from '../../src/rdd/key.js';
import { HashPartitioner, RangePartitioner, determineBounds, partitionFunction, partitionerEquals, rangeBounds, type Partitioner } from '../../src/rdd/partitioner.js';
import { floorMod, javaArraysHash, javaStringHash } from '../support/java-hash.js';
import { mulberry32 } from '../support/prng.js';

function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

function rangePartitioner(numPartitions: number, bounds: unknown[], ascending: boolean): Partitioner {
  return { ...RangePartitioner.of(numPartitions, ascending), bounds } as Partitioner;
}

/** What a sortByKey does: bucket by the partitioner, sort each bucket, concatenate the buckets in partition order. */
function sortThroughPartitions(keys: unknown[], p: Partitioner, ascending: boolean): unknown[] {
  const part = partitionFunction(p);
  const buckets: unknown[][] = range(p.numPartitions).map(() => []);
  for (const k of keys) {
    const i = part(k);
    assert.ok(Number.isInteger(i) && i >= 0 && i < p.numPartitions, `partition ${i} of ${p.numPartitions}`);
    buckets[i].push(k);
  }
  const cmp = ascending ? compareKeys : (a: unknown, b: unknown) => compareKeys(b, a);
  return buckets.flatMap((b) => b.sort(cmp));
}

describe('HashPartitioner / RangePartitioner.of', () => {
  test('reject a partition count that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, NaN]) {
      assert.throws(() => HashPartitioner.of(bad), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT' && /numPartitions/.test(e.message));
      assert.throws(() => RangePartitioner.of(bad), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT');
    }
  });

  test('partitionerEquals compares kind, count, direction and bounds', () => {
    assert.ok(partitionerEquals(HashPartitioner.of(4), HashPartitioner.of(4)));
    assert.ok(!partitionerEquals(HashPartitioner.of(4), HashPartitioner.of(5)));
    assert.ok(!partitionerEquals(HashPartitioner.of(4), undefined));
    assert.ok(!partitionerEquals(HashPartitioner.of(3), rangePartitioner(3, [1, 2], true)));
    assert.ok(partitionerEquals(rangePartitioner(3, [[1, 'a'], 2], true), rangePartitioner(3, [[1, 'a'], 2], true)));
    assert.ok(!partitionerEquals(rangePartitioner(3, [1, 2], true), rangePartitioner(3, [1, 2], false)));
    assert.ok(!partitionerEquals(rangePartitioner(3, [1, 2], true), rangePartitioner(3, [1, 3], true)));
  });
});

describe('partitionFunction: hash', () => {
  test('is floorMod(Java-style hash, n), with the hash derived from its definition: in range, equal for equal keys', () => {
    const n = 7;
    const part = partitionFunction(HashPartitioner.of(n));
    const rand = mulberry32(11);
    for (let i = 0; i < 1000; i++) {
      const int = Math.floor(rand() * 2e9) - 1e9;
      const word = 'w' + Math.floor(rand() * 100);
      const m = Math.floor(rand() * 3);
      const isInt = rand() < 0.5;
      const k = isInt ? int : [word, m];
      // The expectation is computed here from the definition (an int is its own hash; a
      // tuple is Arrays.hashCode of its elements' hashes), not with hashKey.
      const want = floorMod(isInt ? int : javaArraysHash([javaStringHash(word), m]), n);
      const p = part(k);
      assert.ok(p === want, `key ${JSON.stringify(k)}: partition ${p}, want ${want}`); // === : -0 is index 0
      assert.equal(part(structuredClone(k)), p);
    }
    assert.equal(part(-1), 6); // floorMod(-1, 7)
    assert.equal(part(-2147483648), 5); // -2^31 = -306783379*7 + 5
    assert.equal(part('hello'), 99162322 % 7); // "hello".hashCode() = 99162322
    assert.equal(part('polygenelubricants'), 5); // hashCode = -2^31
    assert.equal(part({ a: 1, b: 2 }), part({ b: 2, a: 1 }));
  });

  test('spreads many distinct keys over every partition', () => {
    const part = partitionFunction(HashPartitioner.of(8));
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[part(`key-${i}`)]++;
    for (const c of counts) assert.ok(c > 700 && c < 1300, `counts ${counts.join(',')}`);
  });
});

describe('partitionFunction: range', () => {
  test('ascending: keys up to and including bounds[i] go to partition i, the rest to the last', () => {
    const part = partitionFunction(rangePartitioner(4, [10, 20, 30], true));
    const cases: [number, number][] = [[-Infinity, 0], [0, 0], [10, 0], [10.5, 1], [20, 1], [21, 2], [30, 2], [31, 3], [1e9, 3], [Infinity, 3]];
    for (const [k, p] of cases) assert.equal(part(k), p, `key ${k}`);
  });

  test('descending: the mirror image', () => {
    const part = partitionFunction(rangePartitioner(4, [10, 20, 30], false));
    const cases: [number, number][] = [[0, 3], [10, 3], [11, 2], [20, 2], [25, 1], [30, 1], [31, 0], [1e9, 0]];
    for (const [k, p] of cases) assert.equal(part(k), p, `key ${k}`);
  });

  test('no bounds (an empty sample): everything in one partition', () => {
    assert.deepEqual([1, 'a', [2]].map(partitionFunction(rangePartitioner(3, [], true))), [0, 0, 0]);
    assert.deepEqual([1, 'a', [2]].map(partitionFunction(rangePartitioner(3, [], false))), [2, 2, 2]);
  });

  test('tuple and string keys use compareKeys', () => {
    const part = partitionFunction(rangePartitioner(3, [['b', 1], ['c', 0]], true));
    assert.equal(part(['a', 9]), 0);
    assert.equal(part(['b', 1]), 0);
    assert.equal(part(['b', 2]), 1);
    assert.equal(part(['c']), 1);
    assert.equal(part(['c', 0]), 1);
    assert.equal(part(['c', 0, 0]), 2);
    assert.equal(part(['d']), 2);
  });

  test('property: bucketing by a range partitioner then sorting each bucket sorts globally, both directions', () => {
    const rand = mulberry32(12);
    for (let round = 0; round < 200; round++) {
      const n = 1 + Math.floor(rand() * 8);
      const distinct = 1 + Math.floor(rand() * 40);
      const keys = Array.from({ length: Math.floor(rand() * 200) }, () => {
        const x = Math.floor(rand() * distinct);
        return rand() < 0.3 ? ['k' + (x % 5), x] : rand() < 0.5 ? x : 's' + x;
      });
      const sample = keys.filter(() => rand() < 0.3);
      const bounds = rangeBounds(sample, n);
      for (const ascending of [true, false]) {
        const p = rangePartitioner(n, bounds, ascending);
        const got = sortThroughPartitions(keys, p, ascending);
        const want = [...keys].sort(ascending ? compareKeys : (a, b) => compareKeys(b, a));
        assert.equal(got.length, want.length);
        for (let i = 0; i < got.length; i++) assert.equal(compareKeys(got[i], want[i]), 0, `round ${round}, n=${n}, ascending=${ascending}, index ${i}`);
      }
    }
  });
});

describe('rangeBounds', () => {
  test('picks numPartitions-1 keys from the sorted sample, each closing an equal share (Spark\'s determineBounds)', () => {
    const rand = mulberry32(13);
    // A bound is the key whose cumulative weight goes past each quarter, as Spark's `cumWeight > target`:
    // 25 (weight 26 > 100 / 4), not 24 (25, only reaching it).
    assert.deepEqual(rangeBounds(shuffle(range(100), rand), 4), [25, 50, 75]);
    assert.deepEqual(rangeBounds(shuffle(range(10), rand), 2), [5]);
  });

  test('degenerate samples: no bound for no key, one partition, or a single key', () => {
    assert.deepEqual(rangeBounds([], 4), []);
    assert.deepEqual(rangeBounds([3, 1, 2], 1), []);
    assert.deepEqual(rangeBounds(['a', 'a', 'a', 'a'], 4), ['a']);
    // One key asked into 3 partitions: step 1/3, passed at once, so one bound and 2 partitions, as Spark's.
    assert.deepEqual(rangeBounds([5], 3), [5]);
  });

  test('weighted candidates: a key stands for as many keys as its weight (Spark\'s RangePartitioner.determineBounds)', () => {
    // Partition A sampled 4 of its 4 keys (weight 1), partition B 4 of its 400 (weight 100).
    const candidates: [number, number][] = [[1, 1], [2, 1], [3, 1], [4, 1], [10, 100], [20, 100], [30, 100], [40, 100]];
    // Total 404 in 4 shares of 101: crossed at 10 (104), 20 (204), 30 (304).
    assert.deepEqual(determineBounds(candidates, 4), [10, 20, 30]);
    // Unweighted, the same keys would split at 3, 10 and 30 (shares of 2 passed at 3, 5 and 7 keys).
    assert.deepEqual(rangeBounds(candidates.map(([k]) => k), 4), [3, 10, 30]);
    // Equal keys are one bound (the second share is crossed at a 5 again, so the next key closes it); never more than partitions - 1.
    assert.deepEqual(determineBounds([[5, 10], [5, 10], [5, 10], [6, 1]], 3), [5, 6]);
    assert.deepEqual(determineBounds([[5, 10], [5, 10], [5, 10], [6, 1]], 2), [5]);
    assert.deepEqual(determineBounds(range(50).map((k): [number, number] => [k, 1]), 1), []);
  });

  test('does not reorder the caller’s sample', () => {
    const sample = [3, 1, 2];
    rangeBounds(sample, 2);
    assert.deepEqual(sample, [3, 1, 2]);
  });

  test('bounds are strictly increasing, at most numPartitions-1, and balance distinct keys', () => {
    const rand = mulberry32(14);
    for (let round = 0; round < 100; round++) {
      const n = 1 + Math.floor(rand() * 10);
      const sample = Array.from({ length: Math.floor(rand() * 100) }, () => (rand() < 0.5 ? Math.floor(rand() * 30) : 'x' + Math.floor(rand() * 30)));
      const b = rangeBounds(sample, n);
      assert.ok(b.length <= Math.max(0, n - 1));
      for (let i = 1; i < b.length; i++) assert.ok(compareKeys(b[i - 1], b[i]) < 0, `bounds ${JSON.stringify(b)}`);
      for (const x of b) assert.ok(sample.includes(x as number | string));
    }
    const keys = shuffle(range(1000), rand);
    const part = partitionFunction(rangePartitioner(8, rangeBounds(keys, 8), true));
    const counts = new Array<number>(8).fill(0);
    for (const k of keys) counts[part(k)]++;
    for (const c of counts) assert.ok(c >= 124 && c <= 126, `counts ${counts.join(',')}`);
  });
});

describe("PartitioningSuite's RangePartitioner cases", () => {
  test('"RangePartitioner getPartition": every key above the bound before its partition and at most its own, for 1 to 1,500 partitions over 2,000 keys', () => {
    const keys = range(2000).map((k) => k + 1);
    for (const n of [1, 2, 10, 100, 500, 1000, 1500]) {
      const bounds = determineBounds(keys.map((k): [number, number] => [k, 1]), Math.min(n, keys.length)) as number[];
      // bounds + 1 partitions, as Spark's numPartitions.
      const part = partitionFunction(rangePartitioner(bounds.length + 1, bounds, true));
      assert.equal(bounds.length + 1, n, `${n} partitions from 2,000 distinct keys`);
      for (let e = 1; e <= 1000; e++) {
        const p = part(e);
        if (n === 1) assert.equal(p, 0);
        if (p < bounds.length) assert.ok(e <= bounds[p], `${n}: ${e} in ${p}, bound ${bounds[p]}`);
        if (p > 0) assert.ok(e > bounds[p - 1], `${n}: ${e} in ${p}, previous bound ${bounds[p - 1]}`);
      }
    }
  });

  test('"RangePartitioner equality": keys all alike give one bound whatever the count asked; ascending and descending differ', () => {
    const same = [1, 1, 1, 1].map((k): [number, number] => [k, 1]);
    const p2 = determineBounds(same, 2);
    const p4 = determineBounds(same, 4);
    assert.deepEqual(p2, [1]);
    assert.deepEqual(p4, [1]);
    assert.ok(partitionerEquals(rangePartitioner(2, p2, true), rangePartitioner(2, p4, true)));
    assert.ok(!partitionerEquals(rangePartitioner(2, p2, true), rangePartitioner(2, p2, false)));
    assert.ok(!partitionerEquals(rangePartitioner(2, p2, true), HashPartitioner.of(2)));
  });
});
