import assert from 'node:assert/strict';
import { test } from 'node:test';
import { concatParts } from '../../src/util/concat-parts.js';

/** The expected result, built element by element here. */
function oneAfterTheOther<T>(parts: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  for (const p of parts) for (let i = 0; i < p.length; i++) out.push(p[i]);
  return out;
}

test('concatParts: the partitions in order, one level only (an element that is an array stays one), empty ones skipped', () => {
  const parts: unknown[][] = [[1, 2], [], [[3, 4]], ['a'], [], [null, undefined, { k: [5] }]];
  const got = concatParts(parts);
  assert.deepEqual(got, [1, 2, [3, 4], 'a', null, undefined, { k: [5] }]);
  assert.deepEqual(got, oneAfterTheOther(parts));
  assert.deepEqual(concatParts([]), []);
  const only = [7, 8];
  const single = concatParts([only]);
  assert.deepEqual(single, [7, 8]);
  assert.notEqual(single, only, 'a new array, not the partition itself');
});

test('concatParts: 10,000 partitions (more than one run of concat arguments) keep every element in order; so does one of 1,000,000', () => {
  const many = Array.from({ length: 10_000 }, (_, p) => Array.from({ length: p % 3 }, (_, i) => p * 10 + i));
  assert.deepEqual(concatParts(many), oneAfterTheOther(many));
  const big = [Array.from({ length: 600_000 }, (_, i) => i), Array.from({ length: 400_000 }, (_, i) => -i)];
  const got = concatParts(big);
  assert.equal(got.length, 1_000_000);
  assert.deepEqual(got, oneAfterTheOther(big));
});
