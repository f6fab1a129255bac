// Spark Streaming's StreamingJobProgressListenerSuite, ported to what Sluice's Streaming UI
// shows (its REST API, /api/v1/applications/{id}/streaming/..., and /metrics) for a real job
// on a local cluster (a driver with a web port keeping 5 completed batches, 2 workers;
// fixture streaming-ui-spark-suites.ts). Expected values are Spark's, from
// streaming/src/test/scala/org/apache/spark/streaming/ui/StreamingJobProgressListenerSuite.scala
// and StreamingJobProgressListener / JobScheduler.stop:
//  - "onBatchSubmitted, onBatchStarted, onBatchCompleted": a submitted batch is waiting and
//    unprocessed, and its records are not yet counted received (totalReceivedRecords grows
//    at onBatchStarted); a started one is running, its records received; a completed one is
//    retained, its records processed, numTotalCompletedBatches counts it;
//  - "Remove the old completed batches when exceeding the limit": with retainedBatches 5,
//    5 completed batches kept (the newest), numTotalCompletedBatches all of them;
//  - a non-graceful stop with a batch blocked in its task (Spark's JobScheduler.stop(false):
//    2 s, then the job executor interrupted, the listener bus and the Streaming tab with its
//    metrics source gone with the context): listeners hear no completion of that batch, and
//    it no longer counts as processing (nor those queued behind it as waiting) once the
//    context stopped, though the job goes on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, pollUntil, startJob, withCluster } from './harness.js';

const RETAINED = 5;

interface Stats {
  numTotalCompletedBatches: number;
  numRetainedCompletedBatches: number;
  numActiveBatches: number;
  numProcessedRecords: number;
  numReceivedRecords: number;
}
interface Batch {
  batchId: number;
  status: string;
  inputSize: number;
}

test('StreamingJobProgressListenerSuite on a real job: counts, retained batches, and a non-graceful stop', { timeout: 150_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-spark-'));
  const touch = (name: string): void => fs.writeFileSync(path.join(dir, name), '');
  try {
    await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0, retainedBatches: RETAINED } }, async (h) => {
      const job = await startJob(h.cluster, fixture('streaming-ui-spark-suites.ts'), [dir]);
      const web = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      const get = async <T>(p: string): Promise<T> => {
        const r = await fetch(`${web}/api/v1/applications/${job.id}/streaming${p}`);
        assert.equal(r.status, 200, `GET ${p}: ${await r.clone().text()}`);
        return (await r.json()) as T;
      };
      const gauge = async (name: string): Promise<number> => {
        const text = await (await fetch(`${web}/metrics`)).text();
        const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`job_id="${job.id}"`));
        assert.ok(line, `${name} for ${job.id} in /metrics`);
        return Number(line.split(' ').at(-1));
      };
      const lines = (tag: string): string[][] => job.lines.filter((l) => l.startsWith(`${tag} `)).map((l) => l.split(' ').slice(1));
      const times = (tag: string): number[] => lines(tag).map((x) => Number(x[0]));

      await t.test('submitted batches wait unprocessed, their records not yet received; a started one runs, its records received', async () => {
        // The listener's lines and the driver's events travel apart: read until a read of
        // the REST API and the lines around it agree (batches only queue up behind the gate).
        const seen = await pollUntil(async () => {
          const submitted = lines('S1').length;
          const started = lines('T1').length;
          if (submitted < 4) return undefined;
          const s = await get<Stats>('/statistics');
          if (lines('S1').length !== submitted || lines('T1').length !== started) return undefined;
          return s.numActiveBatches === submitted ? { s, submitted, started } : undefined;
        }, 60_000, 'four batches queued behind the gate');
        assert.equal(seen.started, 1, 'one batch runs at a time');
        const recordsOf = (tag: string): number => lines(tag).reduce((a, x) => a + Number(x[1]), 0);
        assert.ok(recordsOf('S1') > recordsOf('T1'), 'queued batches hold records');
        assert.equal(seen.s.numReceivedRecords, recordsOf('T1'), "records received: the started batch's only (Spark counts them at onBatchStarted)");
        assert.equal(seen.s.numProcessedRecords, 0);
        assert.equal(seen.s.numTotalCompletedBatches, 0);
        assert.equal(seen.s.numRetainedCompletedBatches, 0);
        const batches = await get<Batch[]>('/batches');
        const running = batches.filter((b) => b.status === 'PROCESSING');
        assert.deepEqual(running.map((b) => b.batchId), times('T1'), 'the running batch');
        assert.ok(batches.filter((b) => b.status === 'QUEUED').length >= 3);
        const submittedRecords = new Map(lines('S1').map((x) => [Number(x[0]), Number(x[1])]));
        for (const b of batches) assert.equal(b.inputSize, submittedRecords.get(b.batchId), `batch ${b.batchId}'s records`);
      });

      await t.test(`Remove the old completed batches when exceeding the limit: ${RETAINED} kept, every completed one counted`, async () => {
        touch('gate');
        await pollUntil(() => (lines('C1').length >= RETAINED + 4 ? true : undefined), 60_000, `${RETAINED + 4} batches completed`);
        touch('stop1');
        await job.waitLine('STOPPED1', 60_000);
        const completed = times('C1');
        assert.equal(new Set(completed).size, completed.length);
        const s = await get<Stats>('/statistics');
        assert.equal(s.numTotalCompletedBatches, completed.length);
        assert.equal(s.numRetainedCompletedBatches, RETAINED);
        assert.equal(s.numActiveBatches, 0);
        const records = lines('C1').reduce((a, x) => a + Number(x[1]), 0);
        assert.ok(records > 0);
        assert.equal(s.numProcessedRecords, records);
        assert.equal(s.numReceivedRecords, records, 'every batch started was completed');
        const batches = await get<Batch[]>('/batches');
        assert.deepEqual(
          batches.map((b) => [b.batchId, b.status]),
          completed.slice(-RETAINED).reverse().map((t) => [t, 'COMPLETED']),
          'the newest 5, newest first',
        );
      });

      await t.test('a non-graceful stop with a batch blocked in its task: listeners hear no completion of it, and it is no longer processing', async () => {
        touch('go2');
        const blocking = Number((await job.waitLine('BLOCKING ', 60_000)).split(' ')[1]);
        const before = await pollUntil(async () => {
          const s = await get<Stats>('/statistics');
          return (await gauge('sluice_streaming_processing_batches')) === 1 && s.numActiveBatches >= 2 ? s : undefined;
        }, 30_000, 'the blocked batch processing, one queued behind it');
        assert.ok(before.numActiveBatches >= 2);
        touch('stop2');
        const took = Number((await job.waitLine('STOPPED2 ', 60_000)).split(' ')[1]);
        assert.ok(took >= 2000 && took < 30_000, `the stop gave the batch 2 s, then cancelled it: ${took} ms`);
        assert.ok(!job.lines.some((l) => l.startsWith('TERMINATED')), 'a cancelled batch is no failure of the context');
        // Listeners: the blocked batch submitted, started, its output started; nothing more.
        assert.ok(times('S2').includes(blocking) && times('T2').includes(blocking) && times('O2').includes(blocking));
        assert.ok(!times('P2').includes(blocking), 'no output completion for the cancelled batch');
        assert.ok(!times('C2').includes(blocking), 'no batch completion for the cancelled batch');
        assert.deepEqual(times('C2').filter((x) => x > blocking), [], 'nor for any batch after it');
        // The job goes on (it waits for `end`), and its UI counts nothing as running.
        assert.equal(job.ended, false);
        const s = await get<Stats>('/statistics');
        assert.equal(s.numActiveBatches, 0, 'no batch queued or processing after the stop');
        assert.deepEqual((await get<Batch[]>('/batches')).filter((b) => b.status !== 'COMPLETED'), []);
        assert.equal(await gauge('sluice_streaming_processing_batches'), 0);
        assert.equal(await gauge('sluice_streaming_queued_batches'), 0);
        assert.equal(s.numTotalCompletedBatches, times('C1').length + times('C2').length, 'completed: those the listeners heard');
      });

      touch('unblock');
      touch('end');
      const run = await job.done;
      assert.ok(run.ok, JSON.stringify(run.failure));
      assert.equal(run.lines.at(-1), 'DONE');
    });
  } finally {
    fs.writeFileSync(path.join(dir, 'unblock'), '');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
