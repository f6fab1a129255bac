import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BoundedRing } from '../../src/status/bounded-ring.js';
import { JobStageStatus } from '../../src/status/job-stage-status.js';
import { StreamingProgress } from '../../src/status/streaming-progress.js';
import { userFrame } from '../../src/status/user-frame.js';
import { batchesNewestFirst, batchInfo, outputOperationInfo, receiversList, streamingStatistics } from '../../src/web/rest-api.js';

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

test("streaming REST as Spark's ApiStreamingRootResource: startTime the context's start, averages over the queued, processing and completed batches, a queued batch's output operations all active, jobIds sorted", () => {
  const p = new StreamingProgress(10);
  p.onProgress({ type: 'contextStarted', startTime: 500, properties: [] });
  const ops = [0, 1].map((id) => ({ id, name: 'foreachRDD', description: `main (/jobs/job.ts:${id + 3}:9)` }));
  // Batches of 1 s: 1000 completed (6 records: scheduling delay 4, processing 10), 2000 processing (8 records, started 7 ms late), 3000 queued (10 records).
  p.onProgress({ type: 'batchSubmitted', batchTime: 1000, batchIntervalMs: 1000, numRecords: 6, submissionTime: 1001, outputOperations: ops });
  p.onProgress({ type: 'batchStarted', batchTime: 1000, processingStartTime: 1004 });
  p.attachJob({ batchTime: 1000, outputOpId: 0 }, 9);
  p.attachJob({ batchTime: 1000, outputOpId: 0 }, 4);
  p.onBatchCompleted({ batchTime: 1000, numRecords: 6, submissionTime: 1001, processingStartTime: 1004, processingEndTime: 1014, schedulingDelay: 4, processingDelay: 10, totalDelay: 14 });
  p.onProgress({ type: 'batchSubmitted', batchTime: 2000, batchIntervalMs: 1000, numRecords: 8, submissionTime: 2001, outputOperations: ops });
  p.onProgress({ type: 'batchStarted', batchTime: 2000, processingStartTime: 2007 });
  p.onProgress({ type: 'outputOperationStarted', batchTime: 2000, id: 0, startTime: 2007 });
  p.onProgress({ type: 'batchSubmitted', batchTime: 3000, batchIntervalMs: 1000, numRecords: 10, submissionTime: 3001, outputOperations: ops });
  const s = streamingStatistics(p, 0, undefined) as Record<string, unknown>;
  assert.equal(s.startTimeEpoch, 500, "the context's start (onStreamingStarted), not its first batch's");
  // Spark's retainedBatches: (6 + 8 + 10) x 1000 / 1000 / 3 = 8 records/s; scheduling delay over the two started, (4 + 7) / 2 = 5 (Long); processing and total over the completed one.
  assert.deepEqual([s.avgInputRate, s.avgSchedulingDelay, s.avgProcessingTime, s.avgTotalDelay], [8, 5, 10, 14]);
  assert.equal(s.numActiveBatches, 2);
  const info = (t: number): Record<string, unknown> => batchInfo(p.batch(t)!, 1000, (id) => `Stream-${id}`) as Record<string, unknown>;
  const counts = (t: number): unknown[] => ['status', 'numActiveOutputOps', 'numCompletedOutputOps', 'numFailedOutputOps', 'numTotalOutputOps'].map((k) => info(t)[k]);
  // Spark's numActiveOutputOp counts every output operation not ended: a queued batch's both, a processing batch's started one and the one not yet started.
  assert.deepEqual(counts(3000), ['QUEUED', 2, 0, 0, 2]);
  assert.deepEqual(counts(2000), ['PROCESSING', 2, 0, 0, 2]);
  assert.deepEqual((outputOperationInfo(p.batch(1000)!.outputOps[0]) as { jobIds: number[] }).jobIds, [4, 9], 'sorted, as Spark sorts them');
  // Before any context started or batch came: no start time.
  assert.equal((streamingStatistics(new StreamingProgress(10), 0, undefined) as Record<string, unknown>).startTimeEpoch, undefined);
  assert.equal((streamingStatistics(new StreamingProgress(10), 0, undefined) as Record<string, unknown>).avgInputRate, undefined);
});

test("streaming REST receivers as Spark's: every input stream of the context, one without a receiver with its name and rates only; empty error fields left out", () => {
  const p = new StreamingProgress(10);
  // Stream 0 has a receiver; stream 1 is a queue stream (no receiver).
  p.onProgress({ type: 'contextStarted', startTime: 10, inputStreams: [[0, 'SocketInputDStream'], [1, 'QueueInputDStream']], properties: [] });
  p.onReceiverEvent({ type: 'started', streamId: 0, workerId: 'w1', name: 'SocketReceiver' }, 20);
  // Batches of 500 ms: stream 0 has 2 then 0 records, stream 1 has 5 then 3.
  for (const [t, a, b] of [
    [500, 2, 5],
    [1000, 0, 3],
  ]) {
    p.onProgress({ type: 'batchSubmitted', batchTime: t, batchIntervalMs: 500, numRecords: a + b, submissionTime: t, outputOperations: [] });
    p.onBatchCompleted({ batchTime: t, numRecords: a + b, submissionTime: t, processingStartTime: t, processingEndTime: t + 1, schedulingDelay: 0, processingDelay: 1, totalDelay: 1, streamIdToInputInfo: Object.fromEntries([...(a > 0 ? [[0, { inputStreamId: 0, numRecords: a }]] : []), [1, { inputStreamId: 1, numRecords: b }]]) });
  }
  p.onReceiverEvent({ type: 'stopped', streamId: 0, workerId: 'w1', name: 'SocketReceiver', reason: 'stopped by the driver', stack: '' }, 1500);
  const list = JSON.parse(JSON.stringify(receiversList(p, (w) => (w === 'w1' ? '10.0.0.7:7078' : undefined)))) as Record<string, unknown>[];
  assert.deepEqual(list.map((r) => r.streamId), [0, 1]);
  // records x 1000 / 500: stream 1's 10 and 6 records/s, their mean 8.
  assert.deepEqual(list[1], { streamId: 1, streamName: 'QueueInputDStream', avgEventRate: 8, eventRates: [[500, 10], [1000, 6]] });
  assert.deepEqual([list[0].streamName, list[0].isActive, list[0].executorId, list[0].executorHost, list[0].avgEventRate], ['SocketReceiver', false, 'w1', '10.0.0.7', 2]);
  assert.equal(list[0].lastErrorMessage, 'stopped by the driver');
  assert.ok(!('lastError' in list[0]) && !('lastErrorTime' in list[0]), `a stop without an error: no lastError, no lastErrorTime (Spark's None): ${JSON.stringify(list[0])}`);
});

test('streaming REST batches newest first whatever their status (Spark sorts by - batchId): with concurrent jobs a completed batch newer than a processing one comes before it', () => {
  const p = new StreamingProgress(10);
  const submit = (t: number): void => p.onProgress({ type: 'batchSubmitted', batchTime: t, batchIntervalMs: 1000, numRecords: 1, submissionTime: t, outputOperations: [] });
  const complete = (t: number): void => p.onBatchCompleted({ batchTime: t, numRecords: 1, submissionTime: t, processingStartTime: t + 1, processingEndTime: t + 2, schedulingDelay: 1, processingDelay: 1, totalDelay: 2 });
  for (const t of [1000, 2000, 3000, 4000]) submit(t);
  p.onProgress({ type: 'batchStarted', batchTime: 2000, processingStartTime: 2001 });
  p.onProgress({ type: 'batchStarted', batchTime: 3000, processingStartTime: 3001 });
  // 1000 and 3000 complete; 2000 still processes; 4000 waits.
  complete(1000);
  complete(3000);
  assert.deepEqual(batchesNewestFirst(p).map((b) => [b.batchTime, b.status]), [[4000, 'QUEUED'], [3000, 'COMPLETED'], [2000, 'PROCESSING'], [1000, 'COMPLETED']]);
});
