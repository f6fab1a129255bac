// Spark (Streaming) semantics on a real local cluster (a driver with its web port and 2 worker
// processes, started once for the file; one job runs every case). What each case expects is
// Spark's, worked out here from Spark's sources, not from Sluice's code:
// - JobGenerator.generateJobs / JobScheduler.submitJobSet: a batch where no output operation
//   makes a job (ForEachDStream.generateJob gives None when its parent has no RDD at the time,
//   as a window whose slide is not due) is an empty JobSet, which submitJobSet only logs ("No
//   jobs added for time ..."): no StreamingListenerBatchSubmitted/Started/Completed, so the
//   StreamingJobProgressListener (the UI, the REST API's streaming/batches and statistics)
//   never hears of it. generateJobs still posts DoCheckpoint for it, and the next batches'
//   clearMetadata forget its RDDs (DStream.clearMetadata unpersists generated RDDs older than
//   the remember duration).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCasesDone, fixture, jsonLine, startJob, withCluster, type JobRun } from './harness.js';

const SUITE = fixture('streaming-spark-suites12.ts');

test('Spark Streaming semantics, suite 12 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
    const run: JobRun = await (await startJob(h.cluster, SUITE, [String(h.cluster.driver.webPort)])).done;
    assertCasesDone(run);

    await t.test('JobScheduler.submitJobSet: a batch where no output makes a job posts no listener event and is not in REST streaming/batches; its RDDs are still cleaned up', () => {
      const e = jsonLine<{ events: [string, number][]; ran: [number, number[]][]; persisted: number; restBatchIds: number[]; numTotalCompletedBatches: number }>(run.lines, 'X empty-batches ');
      // A window of 2 batches sliding by 2: due at 2 s, 4 s, 6 s, 8 s only.
      const due = [2, 4, 6, 8].map((i) => i * 1000);
      assert.deepEqual(
        e.events,
        due.flatMap((t) => [
          ['batchSubmitted', t],
          ['batchStarted', t],
          ['outputStarted', t],
          ['outputCompleted', t],
          ['batchCompleted', t],
        ]),
      );
      // Each due window holds batch t/1000 - 1's record and batch t/1000's.
      assert.deepEqual(
        e.ran,
        due.map((t) => [t, [t / 1000 - 1, t / 1000]]),
      );
      assert.deepEqual(e.restBatchIds, due);
      assert.equal(e.numTotalCompletedBatches, due.length);
      // DStream.initialize/remember: the output remembers its slide (2 s), the window that plus
      // its length (WindowedDStream.parentRememberDuration, 4 s), so once batch 8 s ended the
      // queue stream keeps the RDDs of (4 s, 8 s]: 4 of the 8 it generated.
      assert.equal(e.persisted, 4, 'persisted RDDs after 8 batches');
    });
  });
});
