// MemoryReleaser: collects when the thread's memory grew by the threshold while idle, and
// once shortly after collectSoon() (blocks dropped, a job released) whatever the growth, or
// with a floor only from that much over what the last collection left. Its collections are
// real ones: memory held only by garbage is gone after them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryReleaser } from '../../src/storage/memory-release.js';

const MB = 1024 * 1024;
const arrayBuffers = (): number => process.memoryUsage().arrayBuffers;

test('collectSoon collects once shortly after, whatever the growth; calls close together collect once', async () => {
  const releaser = new MemoryReleaser(arrayBuffers, () => true, 1024 * MB, 60_000);
  // 32 MB of Buffers that are garbage at once: far under the threshold, so only collectSoon frees them.
  let garbage: Buffer[] | undefined = Array.from({ length: 32 }, () => Buffer.alloc(MB, 1));
  const held = arrayBuffers();
  garbage = undefined;
  void garbage;
  releaser.collectSoon(20);
  releaser.collectSoon(20);
  releaser.collectSoon(20);
  assert.equal(releaser.collections, 0, 'nothing collected before the delay');
  await sleep(300);
  assert.equal(releaser.collections, 1, 'three calls within the delay collect once');
  assert.ok(arrayBuffers() < held - 24 * MB, `the 32 MB of garbage Buffers were freed (${Math.round(held / MB)} MB before, ${Math.round(arrayBuffers() / MB)} MB after)`);
  releaser.collectSoon(20);
  await sleep(300);
  assert.equal(releaser.collections, 2, 'a later call collects again');
  releaser.stop();
});

test('stop() cancels a pending collectSoon; check() collects only when grown by the threshold while idle', async () => {
  let size = 0;
  let idle = false;
  const releaser = new MemoryReleaser(() => size, () => idle, 10 * MB, 60_000);
  releaser.collectSoon(20);
  releaser.stop();
  await sleep(200);
  assert.equal(releaser.collections, 0, 'stopped before the delay: no collection');
  size = 50 * MB;
  releaser.check();
  assert.equal(releaser.collections, 0, 'busy: no collection');
  idle = true;
  releaser.check();
  assert.equal(releaser.collections, 1, 'idle and grown by the threshold: collected');
  size = 55 * MB;
  releaser.check();
  assert.equal(releaser.collections, 1, 'grown by less than the threshold over what the collection left: none');
  size = 61 * MB;
  releaser.check();
  assert.equal(releaser.collections, 2, 'grown by the threshold again: collected');
});

test('collectSoon with a floor collects only when the thread holds that much over what the last collection left; with a call without one, it collects', async () => {
  let size = 0;
  const releaser = new MemoryReleaser(() => size, () => true, 1024 * MB, 60_000);
  // Under the floor: no collection (the collection V8 forces would only cost the next job its optimized code).
  size = 3 * MB;
  releaser.collectSoon(20, 4 * MB);
  await sleep(200);
  assert.equal(releaser.collections, 0, 'a job that left 3 MB over the baseline: no collection under a 4 MB floor');
  assert.equal(releaser.skipped, 1, 'the call skipped is counted');
  // At the floor: collected, and what it leaves is the new baseline.
  size = 4 * MB;
  releaser.collectSoon(20, 4 * MB);
  await sleep(200);
  assert.equal(releaser.collections, 1, 'a job that left 4 MB: collected under a 4 MB floor');
  // Over the old baseline (0) by the floor, but not over the new one (4 MB): none.
  size = 7 * MB;
  releaser.collectSoon(20, 4 * MB);
  await sleep(200);
  assert.equal(releaser.collections, 1, '3 MB over what the last collection left: none');
  assert.equal(releaser.skipped, 2);
  // A call without a floor (blocks dropped) within the same delay: the pending collection is made whatever the growth.
  releaser.collectSoon(20, 4 * MB);
  releaser.collectSoon(20);
  await sleep(200);
  assert.equal(releaser.collections, 2, 'a floor-less call coalesced with a floored one collects');
  // And the floor is per pending collection: a later floored call is judged on its own.
  releaser.collectSoon(20, 4 * MB);
  await sleep(200);
  assert.equal(releaser.collections, 2, 'a later floored call under its floor: none');
  releaser.stop();
});
