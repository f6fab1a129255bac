// MemoryReleaser: collects when the thread's memory grew by the threshold while idle, and
// once shortly after collectSoon() (a job released) whatever the growth. Its collections
// are real ones: memory held only by garbage is gone after them.
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
