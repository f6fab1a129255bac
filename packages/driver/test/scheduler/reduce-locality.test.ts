// Reduce-side locality's choice of workers, as Spark's MapOutputTrackerMaster
// getPreferredLocationsForShuffle / getLocationsWithLargestOutputs: the workers holding at least
// 20% (REDUCER_PREF_LOCS_FRACTION) of a reduce partition's bytes, while the shuffle has fewer
// than 1000 map outputs and fewer than 1000 reduce partitions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { largestOutputHolders } from '../../src/scheduler/reduce-locality.js';

const at = (...workers: string[]) => workers.map((workerId) => ({ workerId, address: `${workerId}:1` }));

describe("reduce-side locality (Spark's getLocationsWithLargestOutputs)", () => {
  test('the workers holding a fifth or more of the partition: exactly 20% counts, under it does not', () => {
    // 100 bytes: wA 20 + 30 = 50%, wB 20 (20%), wC 19 (19%), wD 11 (11%).
    const sizes = [20, 30, 20, 19, 11];
    assert.deepEqual(largestOutputHolders(at('wA', 'wA', 'wB', 'wC', 'wD'), 2, (m) => sizes[m]).sort(), ['wA', 'wB']);
  });

  test('empty segments and lost outputs are left out of the total', () => {
    // wB's segment is empty and wC's output lost: wA holds all of the 10 bytes there are.
    const sizes = [10, 0, undefined];
    assert.deepEqual(largestOutputHolders(at('wA', 'wB', 'wC'), 2, (m) => sizes[m]), ['wA']);
    assert.deepEqual(largestOutputHolders(at('wA', 'wB'), 2, () => 0), [], 'no bytes: no preference');
  });

  test('evenly spread over 6 workers (16.7% each): none preferred; over 5 (20% each): all', () => {
    const six = at('w1', 'w2', 'w3', 'w4', 'w5', 'w6');
    assert.deepEqual(largestOutputHolders(six, 2, () => 7), []);
    assert.deepEqual(largestOutputHolders(six.slice(0, 5), 2, () => 7).length, 5);
  });

  test('1000 map outputs or 1000 reduce partitions (SHUFFLE_PREF_MAP_THRESHOLD, SHUFFLE_PREF_REDUCE_THRESHOLD): no preference; 999 of each: one', () => {
    const maps = (n: number) => at(...Array.from({ length: n }, (_, i) => (i === 0 ? 'big' : `w${i}`)));
    const size = (m: number) => (m === 0 ? 10_000 : 1);
    assert.deepEqual(largestOutputHolders(maps(999), 999, size), ['big']);
    assert.deepEqual(largestOutputHolders(maps(1000), 999, size), []);
    assert.deepEqual(largestOutputHolders(maps(999), 1000, size), []);
  });
});
