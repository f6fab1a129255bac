// BlockLocations: what a worker tells of its cached blocks (spilled to disk, dropped) applies to
// that worker's copy only, and a block stored anew is in memory again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BlockLocations } from '../../src/scheduler/block-locations.js';

test("a worker's spill or drop applies to its copy only; a block stored anew is in memory again", () => {
  const b = new BlockLocations();
  b.add('rdd_j_1_0', 'w1', 100);
  b.add('rdd_j_1_0', 'w2', 100);
  b.spilledAt('rdd_j_1_0', 'w1');
  assert.equal(b.isSpilledAt('rdd_j_1_0', 'w1'), true);
  assert.equal(b.isSpilledAt('rdd_j_1_0', 'w2'), false);
  // A spill told for a copy the driver does not know of is ignored.
  b.spilledAt('rdd_j_1_0', 'w3');
  assert.equal(b.isSpilledAt('rdd_j_1_0', 'w3'), false);
  // Stored again on w1 (computed again after it was dropped, say): in memory.
  b.add('rdd_j_1_0', 'w1', 100);
  assert.equal(b.isSpilledAt('rdd_j_1_0', 'w1'), false);
  b.spilledAt('rdd_j_1_0', 'w1');
  b.removeAt('rdd_j_1_0', 'w1');
  assert.deepEqual([...b.workersFor('rdd_j_1_0')!], ['w2']);
  assert.equal(b.isSpilledAt('rdd_j_1_0', 'w1'), false);
  assert.equal(b.sizeOf('rdd_j_1_0'), 100);
  b.removeAt('rdd_j_1_0', 'w2');
  assert.equal(b.workersFor('rdd_j_1_0'), undefined, 'no copy left: the block is gone');
  assert.equal(b.sizeOf('rdd_j_1_0'), undefined);
  // Dropping a copy never held is harmless.
  b.removeAt('rdd_j_9_9', 'w1');
  assert.equal(b.size, 0);
});
