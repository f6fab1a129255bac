// CustomPartitioner and the partition arguments of keyed operators (resolvePartitioner),
// as Spark's Partitioner subclasses and the numPartitions / partitioner overloads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CustomPartitioner, HashPartitioner, RangePartitioner, partitionFunction, partitionerEquals, resolvePartitioner, type Partitioner } from '../../src/rdd/partitioner.js';
import type { ShippedFunction } from '../../src/closure/shipped-function.js';

// In-process stand-in for a worker's revival: the function's source evaluated with its captures in scope.
function revive(fn: ShippedFunction): Function {
  const names = Object.keys(fn.captures);
  const values = names.map((n) => (fn.captures[n] as { value: unknown }).value);
  return new Function(...names, `return ${fn.source};`)(...values) as Function;
}

function byMod(n: number): Partitioner {
  return CustomPartitioner.of(n, (key: number) => key % n);
}

test('a custom partitioner places each key where its function says, and refuses an answer outside [0, n)', () => {
  const place = partitionFunction(byMod(4), revive);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map(place), [0, 1, 2, 3, 0, 1, 1]);
  const bad = partitionFunction(CustomPartitioner.of(2, (key: number) => key * 10), revive);
  assert.equal(bad(0), 0);
  assert.throws(() => bad(1), /CustomPartitioner \(.*\): getPartition\(1\) returned 10, not a whole number in \[0, 2\)/);
  const fractional = partitionFunction(CustomPartitioner.of(2, () => 0.5), revive);
  assert.throws(() => fractional('k'), /getPartition\("k"\) returned 0\.5/);
});

test('two custom partitioners are equal when their functions and captured values are (no shuffle between RDDs they placed)', () => {
  assert.ok(partitionerEquals(byMod(3), byMod(3)), 'same source, same captured n');
  assert.ok(!partitionerEquals(byMod(3), CustomPartitioner.of(3, (key: number) => (key + 1) % 3)), 'another function');
  const n3 = byMod(3);
  const other = ((): Partitioner => {
    const n = 3;
    const m = 1;
    return CustomPartitioner.of(n, (key: number) => (key + m) % n);
  })();
  const other2 = ((): Partitioner => {
    const n = 3;
    const m = 2;
    return CustomPartitioner.of(n, (key: number) => (key + m) % n);
  })();
  assert.ok(!partitionerEquals(other, other2), 'same source, other captured values');
  assert.ok(!partitionerEquals(n3, HashPartitioner.of(3)), 'not a hash partitioner of as many partitions');
});

test('partition arguments: a count, a Partitioner, { numPartitions } or { partitioner }; conflicts and unusable ones refused', () => {
  const fallback = (): Partitioner => HashPartitioner.of(7);
  const custom = byMod(3);
  assert.deepEqual(resolvePartitioner(undefined, fallback, 'op'), HashPartitioner.of(7));
  assert.deepEqual(resolvePartitioner(4, fallback, 'op'), HashPartitioner.of(4));
  assert.deepEqual(resolvePartitioner({ numPartitions: 4 }, fallback, 'op'), HashPartitioner.of(4));
  assert.deepEqual(resolvePartitioner({}, fallback, 'op'), HashPartitioner.of(7));
  assert.equal(resolvePartitioner(custom, fallback, 'op'), custom);
  assert.equal(resolvePartitioner({ partitioner: custom }, fallback, 'op'), custom);
  assert.equal(resolvePartitioner({ partitioner: custom, numPartitions: 3 }, fallback, 'op'), custom, 'a count that agrees is fine');
  assert.throws(() => resolvePartitioner({ partitioner: custom, numPartitions: 5 }, fallback, 'dstream.join'), /dstream\.join: give numPartitions or a partitioner, not both/);
  assert.throws(() => resolvePartitioner(2.5, fallback, 'dstream.groupByKey'), /dstream\.groupByKey: numPartitions must be a positive integer, got 2\.5/);
  assert.throws(() => resolvePartitioner(RangePartitioner.of(4), fallback, 'rdd.reduceByKey'), /rdd\.reduceByKey: RangePartitioner\.of\(4\) has no bounds yet/);
  assert.deepEqual(resolvePartitioner(RangePartitioner.of(1), fallback, 'op'), RangePartitioner.of(1), 'one range partition needs no bounds');
});
