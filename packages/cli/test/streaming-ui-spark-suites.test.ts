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
//    context stopped, though the job goes on;
//  - UISeleniumSuite "attaching and detaching a Streaming tab": a batch whose first output
//    runs two actions and whose second runs one and then one failing in every task (caught):
//    its page lists output operations 0 and 1, each with its two actions; three actions
//    succeeded with 1/1 stages and 4/4 tasks, the fourth failed (0/1 stages, 1 failed; no
//    task completed) with its error shown; a batch that does not exist is a 404 saying so.
//    Deliberate difference: the job's Streaming page stays after ssc.stop() (it is the job's,
//    and the job goes on), where Spark detaches its Streaming tab (README).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, pollUntil, startJob, withCluster } from './harness.js';

const RETAINED = 5;

interface Stats {
  batchDuration: number;
  avgInputRate?: number;
  avgSchedulingDelay?: number;
  avgProcessingTime?: number;
  avgTotalDelay?: number;
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
  schedulingDelay?: number;
  processingTime?: number;
  totalDelay?: number;
  numActiveOutputOps: number;
  numCompletedOutputOps: number;
  numTotalOutputOps: number;
}

test('StreamingJobProgressListenerSuite on a real job: counts, retained batches, and a non-graceful stop', { timeout: 540_000 }, async (t) => {
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
        const recordsOf = (tag: string): number => lines(tag).reduce((a, x) => a + Number(x[1]), 0);
        // The listener's lines and the driver's events travel apart: read until a read of
        // the REST API and the lines around it agree (batches only queue up behind the gate).
        const seen = await pollUntil(async () => {
          const submitted = lines('S1').length;
          const started = lines('T1').length;
          if (submitted < 4) return undefined;
          const s = await get<Stats>('/statistics');
          if (lines('S1').length !== submitted || lines('T1').length !== started) return undefined;
          // Queued batches that hold records (the receiver may start storing only after the
          // first batches, under load): what tells the received count from the submitted one.
          return s.numActiveBatches === submitted && recordsOf('S1') > recordsOf('T1') ? { s, submitted, started } : undefined;
        }, 120_000, 'four batches queued behind the gate, some of the queued ones holding records');
        assert.equal(seen.started, 1, 'one batch runs at a time');
        assert.equal(seen.s.numReceivedRecords, recordsOf('T1'), "records received: the started batch's only (Spark counts them at onBatchStarted)");
        assert.equal(seen.s.numProcessedRecords, 0);
        assert.equal(seen.s.numTotalCompletedBatches, 0);
        assert.equal(seen.s.numRetainedCompletedBatches, 0);
        // Batches go on being submitted behind the gate: a read of /batches whose every batch's
        // S1 line has come (the line and the driver's event travel apart).
        const { batches, submittedRecords } = await pollUntil(async () => {
          const bs = await get<Batch[]>('/batches');
          const sub = new Map(lines('S1').map((x) => [Number(x[0]), Number(x[1])]));
          return bs.every((b) => sub.has(b.batchId)) ? { batches: bs, submittedRecords: sub } : undefined;
        }, 60_000, 'a read of /batches whose batches all printed their S1 line');
        const running = batches.filter((b) => b.status === 'PROCESSING');
        assert.deepEqual(running.map((b) => b.batchId), times('T1'), 'the running batch');
        assert.ok(batches.filter((b) => b.status === 'QUEUED').length >= 3);
        for (const b of batches) assert.equal(b.inputSize, submittedRecords.get(b.batchId), `batch ${b.batchId}'s records`);
        // Spark's numActiveOutputOp: every output operation not ended, so a queued batch's are all active.
        for (const b of batches.filter((x) => x.status === 'QUEUED')) {
          assert.ok(b.numTotalOutputOps >= 1, JSON.stringify(b));
          assert.deepEqual([b.numActiveOutputOps, b.numCompletedOutputOps], [b.numTotalOutputOps, 0], `queued batch ${b.batchId}: ${JSON.stringify(b)}`);
        }
        // Spark's averages are over the retained batches, queued and processing ones too (none has
        // completed yet): a read of /batches between two equal reads of /statistics sees the same batches.
        const { s, bs } = await pollUntil(async () => {
          const s1 = await get<Stats>('/statistics');
          const all = await get<Batch[]>('/batches');
          const s2 = await get<Stats>('/statistics');
          return s1.numActiveBatches === s2.numActiveBatches && s2.numActiveBatches === all.length && s2.numTotalCompletedBatches === 0 ? { s: s2, bs: all } : undefined;
        }, 60_000, 'a read of /batches between two equal reads of /statistics');
        const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
        assert.ok(Math.abs(s.avgInputRate! - mean(bs.map((b) => (b.inputSize * 1000) / s.batchDuration))) < 1e-9, `avgInputRate ${s.avgInputRate} over ${JSON.stringify(bs.map((b) => b.inputSize))}`);
        const started = bs.filter((b) => b.schedulingDelay !== undefined).map((b) => b.schedulingDelay!);
        assert.equal(started.length, 1, 'the running batch has a scheduling delay');
        assert.equal(s.avgSchedulingDelay, Math.trunc(mean(started)), "the running batch's scheduling delay");
        assert.equal(s.avgTotalDelay, undefined, 'no batch has ended');
      });

      await t.test(`Remove the old completed batches when exceeding the limit: ${RETAINED} kept, every completed one counted`, async () => {
        touch('gate');
        await pollUntil(() => (lines('C1').length >= RETAINED + 4 ? true : undefined), 60_000, `${RETAINED + 4} batches completed`);
        touch('stop1');
        // The graceful stop runs every batch queued behind the gate first: under load (the
        // receiver storing its first record a minute late at load 50) hundreds of them. Fail
        // only when no batch completed for 60 s.
        for (;;) {
          const done = lines('C1').length;
          try {
            await job.waitLine('STOPPED1', 60_000);
            break;
          } catch (err) {
            if (lines('C1').length === done) throw err;
          }
        }
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
        // Spark's ApiStreamingRootResource: averages over the retained completed batches, a
        // rate as a Double (records * 1000 / batch duration, averaged), a time as a Long
        // (the sum of whole ms divided by the count, truncated).
        const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
        assert.ok(Math.abs(s.avgInputRate! - mean(batches.map((b) => (b.inputSize * 1000) / s.batchDuration))) < 1e-9, `avgInputRate ${s.avgInputRate}`);
        for (const [avg, each] of [
          [s.avgSchedulingDelay, batches.map((b) => b.schedulingDelay!)],
          [s.avgProcessingTime, batches.map((b) => b.processingTime!)],
          [s.avgTotalDelay, batches.map((b) => b.totalDelay!)],
        ] as const) {
          assert.ok(each.every((x) => Number.isInteger(x)), JSON.stringify(each));
          assert.equal(avg, Math.trunc(each.reduce((a, b) => a + b, 0) / each.length), `the average of ${JSON.stringify(each)}`);
        }
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
        // The stop's word of its dropped batches and the program's STOPPED2 line reach the
        // driver's main thread by different ports, so the REST answer may lag the line a little.
        const s = await pollUntil(async () => {
          const now = await get<Stats>('/statistics');
          return now.numActiveBatches === 0 ? now : undefined;
        }, 60_000, 'no batch queued or processing after the stop'); // milliseconds when quiet; 10 s could lapse under load
        assert.deepEqual((await get<Batch[]>('/batches')).filter((b) => b.status !== 'COMPLETED'), []);
        assert.equal(await gauge('sluice_streaming_processing_batches'), 0);
        assert.equal(await gauge('sluice_streaming_queued_batches'), 0);
        assert.equal(s.numTotalCompletedBatches, times('C1').length + times('C2').length, 'completed: those the listeners heard');
      });

      await t.test('UISeleniumSuite: the batch page of a batch of two outputs and four actions, one failing', async () => {
        touch('unblock');
        touch('go3');
        // The batches after it wait until the test has read it (read3): it stays among the 5 kept.
        const batch = Number((await job.waitLine('UI3 ', 60_000)).split(' ')[1]);
        interface Op {
          outputOpId: number;
          jobIds: number[];
          failureReason?: string;
        }
        interface Job {
          jobId: number;
          status: string;
          numTasks: number;
          numCompletedTasks: number;
          numFailedTasks: number;
          numCompletedStages: number;
          numFailedStages: number;
          failureReason?: string;
          outputOpId?: number;
        }
        const ops = await get<Op[]>(`/batches/${batch}/operations`);
        assert.deepEqual(ops.map((o) => [o.outputOpId, o.jobIds.length, o.failureReason ?? null]), [
          [0, 2, null],
          [1, 2, null],
        ]);
        const jobs: Job[] = [];
        for (const id of ops.flatMap((o) => o.jobIds)) {
          const r = await fetch(`${web}/api/v1/applications/${job.id}/jobs/${id}`);
          assert.equal(r.status, 200);
          jobs.push((await r.json()) as Job);
        }
        assert.deepEqual(jobs.map((j) => j.outputOpId), [0, 0, 1, 1]);
        assert.deepEqual(jobs.map((j) => j.status), ['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'FAILED']);
        assert.deepEqual(jobs.map((j) => j.numTasks >= 4), [true, true, true, true]);
        assert.deepEqual(jobs.slice(0, 3).map((j) => [j.numCompletedStages, j.numFailedStages, j.numCompletedTasks, j.numFailedTasks]), [
          [1, 0, 4, 0],
          [1, 0, 4, 0],
          [1, 0, 4, 0],
        ], "1/1 stages, 4/4 tasks");
        const failed = jobs[3];
        assert.deepEqual([failed.numCompletedStages, failed.numFailedStages, failed.numCompletedTasks], [0, 1, 0], '0/1 stages (1 failed), no task completed');
        assert.ok(failed.numFailedTasks >= 1);
        assert.match(failed.failureReason ?? '', /Oops/);
        // The batch page (served as HTML, as Spark's HtmlUnit reads it): both output
        // operations, completed, their actions, and the failed action's error.
        const page = await (await fetch(`${web}/jobs/${job.id}/streaming/batch/${batch}`)).text();
        assert.equal((page.match(/<section class="output-op"/g) ?? []).length, 2);
        assert.match(page, /data-op="0"><h3>Output operation 0: foreachRDD at \S+:\d+:\d+ — COMPLETED/);
        assert.match(page, /data-op="1"><h3>Output operation 1: foreachRDD at \S+:\d+:\d+ — COMPLETED/);
        assert.match(page, /Oops/);
        for (const id of ops.flatMap((o) => o.jobIds)) assert.ok(page.includes(`>${id}<`), `action ${id} listed`);
        const none = await fetch(`${web}/jobs/${job.id}/streaming/batch/12345`);
        assert.equal(none.status, 404);
        assert.match(await none.text(), /has no batch &#39;12345&#39;/);
        // Spark: "Missing id parameter" for the batch page without an id.
        for (const p of ['batch/', 'batch']) {
          const noId = await fetch(`${web}/jobs/${job.id}/streaming/${p}`);
          assert.equal(noId.status, 400, p);
          assert.match(await noId.text(), /Missing batch id: a batch&#39;s page is \/jobs\/[^/]+\/streaming\/batch\/&lt;batch time in ms&gt;/);
        }
        const notTime = await fetch(`${web}/jobs/${job.id}/streaming/batch/abc`);
        assert.equal(notTime.status, 400);
        assert.match(await notTime.text(), /Batch id &#39;abc&#39; is not a batch time in ms/);
        touch('read3');
        await job.waitLine('STOPPED3', 60_000);
        // Deliberate: the Streaming page stays after the context stopped (the job's page).
        assert.equal((await fetch(`${web}/jobs/${job.id}/streaming/`)).status, 200);
      });

      touch('end');
      const run = await job.done;
      assert.ok(run.ok, `${JSON.stringify(run.failure)}\n${run.lines.slice(-40).join('\n')}`);
      assert.equal(run.lines.at(-1), 'DONE', run.lines.slice(-40).join('\n'));
    });
  } finally {
    fs.writeFileSync(path.join(dir, 'unblock'), '');
    fs.writeFileSync(path.join(dir, 'read3'), '');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
