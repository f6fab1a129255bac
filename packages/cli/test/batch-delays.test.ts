// A batch's delays, field by field against Spark's (BatchInfo, BatchUIData, REST BatchInfo and
// StreamingStatistics): processingDelay (REST processingTime) = processingEndTime -
// processingStartTime, as Spark's; schedulingDelay and totalDelay count from the batch time, where
// Spark's count from submissionTime (when its generator thread made the batch's jobs). Sluice
// generates a batch on the program's thread, which an output's synchronous code can hold past the
// batch's time; counted from that late generation, a batch held so would show no delay (the
// falling-behind warning and backpressure read it), so Sluice keeps the batch time (README).
// submissionTime is still Spark's field: after the batch's jobs were generated.
// A real job on a local cluster (a driver and 2 worker processes) whose transform holds each
// batch's generation SLOW_MS: the expected bounds come from the program's own wall clock (when the
// transform returned, when the output ran, when the listener heard the completion), not from the
// delays Sluice computes; counted from the submission, the scheduling delay would miss SLOW_MS.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture, jsonLines, startJob, withCluster } from './harness.js';

const BATCH_MS = 1000;
const SLOW_MS = 300;
const BATCHES = 3;

interface B {
  time: number;
  genEnd: number;
  outStart: number;
  outEnd: number;
  heard: number;
  sub: number;
  start: number;
  end: number;
  sched: number;
  proc: number;
  total: number;
}
interface BatchJson {
  batchId: number;
  schedulingDelay?: number;
  processingTime?: number;
  totalDelay?: number;
}

test('batch delays: scheduling and total from the batch time (a slow generation counts), processing from the start; listener, REST batches and statistics agree', { timeout: 180_000 }, async () => {
  await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
    const job = await startJob(h.cluster, fixture('batch-delays.ts'), [String(BATCH_MS), String(SLOW_MS), String(BATCHES)]);
    const run = await job.done;
    assert.ok(run.ok, `${String(run.failure)}\n${run.lines.join('\n')}`);
    assert.equal(run.lines.at(-1), 'DONE', run.lines.join('\n'));
    const bs = jsonLines<B>(run.lines, 'B ');
    assert.ok(bs.length >= BATCHES, run.lines.join('\n'));
    for (const b of bs) {
      const at = `batch ${b.time}: ${JSON.stringify(b)}`;
      // The generation took SLOW_MS after the batch time; the submission is after it, the start after that.
      assert.ok(b.genEnd - b.time >= SLOW_MS, at);
      assert.ok(b.sub >= b.genEnd && b.start >= b.sub, `submissionTime after the transform returned, before the start; ${at}`);
      // The listener's own fields.
      assert.equal(b.sched, b.start - b.time, at);
      assert.equal(b.proc, b.end - b.start, at);
      assert.equal(b.total, b.sched + b.proc, at);
      // Bounds from the program's wall clock: the batch started after its generation and before its
      // output ran; it ended after its output did and before the listener heard it.
      assert.ok(b.sched >= b.genEnd - b.time && b.sched <= b.outStart - b.time, `schedulingDelay within [genEnd, outStart] - time; ${at}`);
      assert.ok(b.total >= b.outEnd - b.time && b.total <= b.heard - b.time, `totalDelay within [outEnd, heard] - time; ${at}`);
    }
    const base = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1/applications/${job.id}/streaming`;
    const rest = (await (await fetch(`${base}/batches`)).json()) as BatchJson[];
    const byTime = new Map(rest.map((r) => [r.batchId, r]));
    for (const b of bs) {
      const r = byTime.get(b.time);
      assert.ok(r, `REST has batch ${b.time}: ${JSON.stringify(rest)}`);
      assert.deepEqual([r.schedulingDelay, r.processingTime, r.totalDelay], [b.start - b.time, b.end - b.start, b.end - b.time], `REST batch ${b.time}, the listener's ${JSON.stringify(b)}`);
    }
    // Statistics: Spark's avgTime, a Long sum over the count (truncated), over the retained batches.
    const stats = (await (await fetch(`${base}/statistics`)).json()) as Record<string, number>;
    const mean = (xs: number[]): number => Math.trunc(xs.reduce((a, x) => a + x, 0) / xs.length);
    const all = rest.map((r) => bs.find((b) => b.time === r.batchId)).filter((b): b is B => b !== undefined);
    assert.equal(all.length, rest.length, 'every REST batch was heard by the listener');
    assert.equal(stats.avgSchedulingDelay, mean(all.map((b) => b.start - b.time)));
    assert.equal(stats.avgTotalDelay, mean(all.map((b) => b.end - b.time)));
  });
});
