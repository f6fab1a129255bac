import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedRing } from '../../src/status/bounded-ring.js';
import { JobStageStatus } from '../../src/status/job-stage-status.js';
import { StreamingProgress } from '../../src/status/streaming-progress.js';
import { userFrame } from '../../src/status/user-frame.js';
import { streamingStatistics } from '../../src/web/rest-api.js';

test('BoundedRing keeps the last `capacity` items, oldest first', () => {
  const r = new BoundedRing<number>(3);
  const dropped: (number | undefined)[] = [];
  for (let i = 1; i <= 7; i++) dropped.push(r.push(i));
  assert.deepEqual(r.toArray(), [5, 6, 7]);
  assert.deepEqual(dropped, [undefined, undefined, undefined, 1, 2, 3, 4]);
  assert.equal(r.size, 3);
  assert.equal(r.findLast((x) => x % 2 === 1), 7);
  assert.equal(r.findLast((x) => x === 4), undefined);
});

test('StreamingProgress keeps the last N completed batches (1,000 by default in the driver), counts every one', () => {
  const N = 5;
  const p = new StreamingProgress(N);
  const total = 23;
  for (let i = 1; i <= total; i++) {
    const t = i * 100;
    p.onProgress({ type: 'batchSubmitted', batchTime: t, batchIntervalMs: 100, numRecords: i, submissionTime: t + 1, outputOperations: [{ id: 0, name: 'print', description: 'main (/jobs/job.ts:3:9)' }] });
    p.onProgress({ type: 'batchStarted', batchTime: t, processingStartTime: t + 2 });
    assert.equal(p.activeBatches()[0].status, 'PROCESSING');
    p.attachJob({ batchTime: t, outputOpId: 0 }, i);
    p.onBatchCompleted({ batchTime: t, numRecords: i, submissionTime: t + 1, processingStartTime: t + 2, processingEndTime: t + 7, schedulingDelay: 2, processingDelay: 5, totalDelay: 7 });
  }
  assert.deepEqual(p.completedBatches().map((b) => b.batchTime), [1900, 2000, 2100, 2200, 2300]);
  assert.equal(p.numTotalCompletedBatches, total);
  assert.equal(p.numProcessedRecords, (total * (total + 1)) / 2);
  assert.deepEqual(p.batch(2300)?.outputOps[0].jobIds, [23]);
  assert.equal(p.batch(1800), undefined, 'dropped from the ring');
  assert.equal(p.activeBatches().length, 0);
});

test('JobStageStatus keeps at most `retained` jobs and never drops a running one', () => {
  const s = new JobStageStatus(() => 'run-1', 3, () => undefined, () => 0);
  for (let i = 0; i < 6; i++) {
    s.onJobStart({ runId: 'run-1', jobId: i, time: i, name: 'count', action: 'count', numPartitions: 1, properties: {} });
    if (i !== 1) s.onJobEnd({ runId: 'run-1', jobId: i, time: i + 1 });
  }
  s.onJobStart({ runId: 'other-run', jobId: 99, time: 0, name: 'count', action: 'count', numPartitions: 1, properties: {} });
  assert.deepEqual(s.allJobs().map((j) => [j.jobId, j.status]), [[1, 'RUNNING'], [4, 'SUCCEEDED'], [5, 'SUCCEEDED']]);
});

test("userFrame finds the user's file:line:col in a mapped stack", () => {
  assert.equal(userFrame('Error: x\n    at Object.fn (/home/u/job.ts:12:7)\n    at other (/home/u/lib.ts:1:1)'), '/home/u/job.ts:12:7');
  assert.equal(userFrame('Error: x\n    at file:///home/u/my%20job.ts:3:9'), '/home/u/my job.ts:3:9');
  assert.equal(userFrame('Error: x'), undefined);
});

test("streaming statistics average as Spark's ApiStreamingRootResource: times as a Long sum over the count (truncated), the input rate as Doubles", () => {
  const p = new StreamingProgress(10);
  // Two batches of 1 s: scheduling delays 1 and 2 ms, processing 3 and 4 ms, records 3 and 4.
  for (const [t, sched, proc, n] of [
    [1000, 1, 3, 3],
    [2000, 2, 4, 4],
  ]) {
    p.onProgress({ type: 'batchSubmitted', batchTime: t, batchIntervalMs: 1000, numRecords: n, submissionTime: t, outputOperations: [] });
    p.onProgress({ type: 'batchStarted', batchTime: t, processingStartTime: t + sched });
    p.onBatchCompleted({ batchTime: t, numRecords: n, submissionTime: t, processingStartTime: t + sched, processingEndTime: t + sched + proc, schedulingDelay: sched, processingDelay: proc, totalDelay: sched + proc });
  }
  const s = streamingStatistics(p, 0, undefined) as Record<string, unknown>;
  // Spark: (1 + 2) / 2 = 1, (3 + 4) / 2 = 3, (4 + 6) / 2 = 5 in Long arithmetic; (3000 + 4000) / 2 / 1000 = 3.5 records/s.
  assert.deepEqual([s.avgSchedulingDelay, s.avgProcessingTime, s.avgTotalDelay, s.avgInputRate], [1, 3, 5, 3.5]);
  assert.equal(s.numReceivedRecords, 7);
  assert.equal(s.numProcessedRecords, 7);
});

test("a receiver's eventRates and avgEventRate as Spark's REST API: over the retained batches (completed, and queued or processing), by time, its stream's records x 1000 / the interval, 0 where it had none, and their mean", () => {
  const p = new StreamingProgress(3);
  p.onReceiverStarting(0, 'r');
  const r = p.receivers()[0];
  assert.equal(p.receiverRate(r), undefined, 'no batch completed yet');
  // 500 ms batches: stream 0 has 3, 0 (absent), 5 and 1 records; the ring keeps the last 3.
  for (const [t, n] of [
    [500, 3],
    [1000, 0],
    [1500, 5],
    [2000, 1],
  ]) {
    p.onProgress({ type: 'batchSubmitted', batchTime: t, batchIntervalMs: 500, numRecords: n, submissionTime: t, outputOperations: [] });
    p.onBatchCompleted({ batchTime: t, numRecords: n, submissionTime: t, processingStartTime: t, processingEndTime: t + 1, schedulingDelay: 0, processingDelay: 1, totalDelay: 1, streamIdToInputInfo: n > 0 ? { 0: { inputStreamId: 0, numRecords: n } } : {} });
  }
  // (0 + 5 + 1) x 1000 / 500 / 3 = 4 records/s.
  assert.equal(p.receiverRate(r), 4);
  // A queued batch counts too (Spark's retainedBatches: waiting, running and completed, by time): 7 records at 2500.
  p.onProgress({ type: 'batchSubmitted', batchTime: 2500, batchIntervalMs: 500, numRecords: 7, streamRecords: { 0: 7 }, submissionTime: 2500, outputOperations: [] });
  assert.deepEqual(p.receiverRates(r), [
    [1000, 0],
    [1500, 10],
    [2000, 2],
    [2500, 14],
  ]);
  // (0 + 5 + 1 + 7) x 1000 / 500 / 4 = 6.5 records/s.
  assert.equal(p.receiverRate(r), 6.5);
});

test("a receiver's error info as Spark's ReceiverTracker keeps it: reportError's stays while it runs; a stop's (message, its error's stack, a time only with an error) replaces it, and is gone once it registers again", () => {
  const p = new StreamingProgress(3);
  const at = { streamId: 0, workerId: 'w1', name: 'probe' };
  const info = (): [boolean, string | undefined, string | undefined, number | undefined] => {
    const r = p.receivers()[0];
    return [r.active, r.lastErrorMessage, r.lastError, r.lastErrorTime];
  };
  p.onReceiverEvent({ type: 'started', ...at }, 100);
  p.onReceiverEvent({ type: 'error', ...at, message: 'disk on fire', stack: 'Error: disk on fire\n    at x' }, 200);
  assert.deepEqual(info(), [true, 'disk on fire', 'Error: disk on fire\n    at x', 200]);
  p.onReceiverEvent({ type: 'started', ...at }, 250);
  assert.deepEqual(info(), [true, 'disk on fire', 'Error: disk on fire\n    at x', 200], 'a start that follows no stop (a restart) keeps what was reported');
  p.onReceiverEvent({ type: 'stopped', ...at, reason: 'tape ended', stack: 'RangeError: tape ended\n    at y' }, 300);
  assert.deepEqual(info(), [false, 'tape ended', 'RangeError: tape ended\n    at y', 300]);
  p.onReceiverEvent({ type: 'started', ...at, workerId: 'w2' }, 400);
  assert.deepEqual(info(), [true, undefined, undefined, undefined], 'registered again: no error info');
  p.onReceiverEvent({ type: 'stopped', ...at, reason: 'stopped by the driver', stack: '' }, 500);
  assert.deepEqual(info(), [false, 'stopped by the driver', '', undefined], 'a stop with no error has no error time (Spark: -1)');
});

test('the streaming statistics say when the attempt that ran the batches ended (endTime, endTimeEpoch; -1 while it runs, as an application attempt), and a later attempt clears it', () => {
  // The Streaming page counted a stopped job's run on to the present ('Running batches of 1 second for 31 minutes' for one stopped after 2; user60).
  const p = new StreamingProgress(10);
  const batch = (t: number): void => {
    p.onProgress({ type: 'batchSubmitted', batchTime: t, batchIntervalMs: 1000, numRecords: 3, submissionTime: t + 1, outputOperations: [{ id: 0, name: 'print', description: 'main (/jobs/job.ts:3:9)' }] });
    p.onProgress({ type: 'batchStarted', batchTime: t, processingStartTime: t + 2 });
    p.onBatchCompleted({ batchTime: t, numRecords: 3, submissionTime: t + 1, processingStartTime: t + 2, processingEndTime: t + 7, schedulingDelay: 2, processingDelay: 5, totalDelay: 7 });
  };
  const stats = (): { startTimeEpoch: number; endTime?: string; endTimeEpoch: number } => streamingStatistics(p, 0, undefined) as { startTimeEpoch: number; endTime?: string; endTimeEpoch: number };
  batch(1_000);
  assert.deepEqual([stats().startTimeEpoch, stats().endTime, stats().endTimeEpoch], [1_001, undefined, -1], 'running');
  p.attemptEnded(125_000);
  assert.deepEqual([stats().endTime, stats().endTimeEpoch], ['1970-01-01T00:02:05.000GMT', 125_000], 'ended');
  p.onProgress({ type: 'contextStarted', properties: [] });
  assert.equal(stats().endTimeEpoch, -1, 'a later attempt (--supervise, a relaunch) runs again');
  p.attemptEnded(200_000);
  batch(201_000);
  assert.equal(stats().endTimeEpoch, -1, "a later attempt's first batch");
});
