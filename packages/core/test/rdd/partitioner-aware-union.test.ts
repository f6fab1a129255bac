import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mostCommonHolders } from '../../src/rdd/partitioner-aware-union.js';

test("a partitioner-aware union's partition prefers the workers holding most of its inputs' partitions (as Spark's)", () => {
  assert.deepEqual(mostCommonHolders([['w1', 'w2'], ['w2'], ['w3', 'w2', 'w2']]), ['w2']);
  assert.deepEqual(mostCommonHolders([['w1'], ['w2'], []]).sort(), ['w1', 'w2'], 'a tie keeps every worker at the top count');
  assert.deepEqual(mostCommonHolders([[], []]), [], 'no input held anywhere: no preference');
  assert.deepEqual(mostCommonHolders([]), []);
});
