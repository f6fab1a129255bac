import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, SluiceError } from '@sluice/core';
import { WorkerAllocationManager, workerAllocationOptions, type AllocationStream } from '../../src/streaming/worker-allocation-manager.js';

/** A stream of `interval` ms batches, each taking `took` ms, ending at `ends`. */
const stream = (interval: number, took: number, ends: readonly number[]): AllocationStream => ({ batchIntervalMs: interval, completed: ends.map((e) => ({ processingEndTime: e, processingDelay: took })) });

test('WorkerAllocationManager: up by round(ratio) at or above the up ratio, one down at or below the down ratio, unchanged between, within min/max', () => {
  const at = (registered: number, streams: AllocationStream[], o = {}): number => {
    const clock = new ManualClock(100_000);
    return new WorkerAllocationManager(workerAllocationOptions({ scalingIntervalMs: 10_000, ...o }), clock).desired(registered, streams);
  };
  const ends = [95_000, 99_000];
  assert.equal(at(3, [stream(1000, 2600, ends)]), 6, 'ratio 2.6: 3 + 3');
  assert.equal(at(3, [stream(1000, 900, ends)]), 4, 'ratio 0.9 (the up ratio): 3 + max(1, round(0.9))');
  assert.equal(at(3, [stream(1000, 899, ends)]), 3, 'just under the up ratio: unchanged');
  assert.equal(at(3, [stream(1000, 301, ends)]), 3, 'just over the down ratio: unchanged');
  assert.equal(at(3, [stream(1000, 300, ends)]), 2, 'ratio 0.3 (the down ratio): one fewer');
  assert.equal(at(1, [stream(1000, 10, ends)]), 1, 'never below minWorkers (1)');
  assert.equal(at(3, [stream(1000, 10, ends)], { minWorkers: 3 }), 3, 'never below minWorkers (3)');
  assert.equal(at(3, [stream(1000, 5000, ends)], { maxWorkers: 5 }), 5, 'never above maxWorkers');
  assert.equal(at(3, [stream(1000, 10, ends), stream(500, 1000, ends)]), 5, 'the most loaded stream governs: ratio 2');
  assert.equal(at(3, []), 3, 'no stream: the registered workers');
  assert.equal(at(3, [stream(1000, 5000, [80_000])]), 3, 'batches older than the interval do not count');
  assert.equal(at(0, [], { minWorkers: 2 }), 2, 'no workers at all: minWorkers');
});

test('WorkerAllocationManager decides once per interval, from the batches completed since the last decision', () => {
  const clock = new ManualClock(100_000);
  const m = new WorkerAllocationManager(workerAllocationOptions({ scalingIntervalMs: 10_000 }), clock);
  const slow = stream(1000, 2000, [99_000]);
  assert.equal(m.desired(2, [slow]), 4);
  clock.advance(9_999);
  assert.equal(m.desired(4, [stream(1000, 10, [109_000])]), 4, 'within the interval: the last decision');
  clock.advance(1);
  assert.equal(m.desired(4, [{ batchIntervalMs: 1000, completed: [...slow.completed, ...stream(1000, 10, [109_000]).completed] }]), 3, 'the slow batch before the last decision no longer counts');
  clock.advance(10_000);
  const stuck = stream(1000, 8000, [99_000]);
  assert.equal(m.desired(3, [stuck]), 3, 'a running stream with no batch completed in the interval: the last decision (3), not the registered');
  assert.equal(m.desired(2, [stuck]), 3, 'within the interval: the last decision');
  clock.advance(10_000);
  assert.equal(m.desired(2, [stuck]), 3, 'still no batch completed: the last decision again');
  clock.advance(10_000);
  assert.equal(m.desired(2, []), 2, 'no stream running: the registered workers');
});

test('workerAllocationOptions refuses bad options naming the option, the value and the fix', () => {
  const bad: [object, RegExp][] = [
    [{ minWorkers: 0 }, /minWorkers \(sluice driver --min-workers\) must be a whole number >= 1, got 0/],
    [{ minWorkers: 3, maxWorkers: 2 }, /maxWorkers \(sluice driver --max-workers\) must be a whole number >= --min-workers \(3\), got 2/],
    [{ scalingUpRatio: 0 }, /--scaling-up-ratio\) must be a number > 0.*got 0/],
    [{ scalingDownRatio: 0.95 }, /--scaling-down-ratio\) must be a number > 0 and below --scaling-up-ratio \(0.9\).*got 0.95/],
    [{ scalingIntervalMs: 0 }, /--scaling-interval-ms\) must be a whole number of milliseconds >= 1.*got 0/],
  ];
  for (const [o, re] of bad) {
    assert.throws(
      () => workerAllocationOptions(o),
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT' && re.test(e.message),
      JSON.stringify(o),
    );
  }
});
