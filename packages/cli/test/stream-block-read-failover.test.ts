// A task already reading a received block from a worker that freezes (SIGSTOP) mid-stream:
// the read must go to the block's write-ahead log copy once the driver declares the worker
// lost, not wait out the peer's silence bound (Spark's network timeout, 120 s here) or the
// end of the freeze. A driver in this process, 3 worker processes over loopback (a 3 s worker
// timeout, heartbeats every 500 ms), no locality wait so the batch's block tasks also run on
// the workers that do not hold the blocks.
// The receiver (fixtures/stream-reliable-receiver.ts over the test's replayable source, the
// log on) runs on the victim, the only worker holding its blocks (logged, not replicated). The
// victim is frozen as the driver launches a task of a block-reading stage on another worker:
// that task asks the frozen worker for its block. The stream must complete a batch cut after
// the freeze long before the freeze ends (it ends once that happened, or after 50 s); awake,
// the old receiver is fenced, and every line the source generated is counted exactly once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers } from './cluster-workers.js';
import { batchesWhere, type BatchLine } from './batch-progress.js';
import { fixture, jsonLines, pollUntil, sleep, startJob, withCluster, within, type RunningJob } from './harness.js';
import { ReplayableSource, lateAcknowledged } from './replayable-source.js';
import { BATCH_MS, WORKER_TIMEOUT_MS, membership, registeredAgain, stopAndCheckCounts, tmpDir } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

/** How long the victim stays frozen at most; the read must fail over well within it. */
const FREEZE_MS = 50_000;
/** The bound on a batch cut after the freeze completing: 3 s to declare the worker lost, 0.5 s to hear of it; ~7x that. */
const FAILOVER_BOUND_MS = 30_000;

test('a task reading a received block from a worker frozen mid-read fails over to the write-ahead log once the worker is declared lost', { timeout: 180_000 }, async (t) => {
  await withCluster({ workers: 0, logLevel: 'error', workerArgs: ['--peer-connect-timeout', '120s'], driver: { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500, tasks: { localityWaitMs: 0 } } }, async (h) => {
    const procs = new Map<string, ChildProcess>();
    await addWorkers(h, 3, procs);
    const registry = h.cluster.driver.registry;
    const { joined } = membership(h);
    const dir = tmpDir('block-read-failover');
    const source = new ReplayableSource(23);
    let started: RunningJob | undefined;
    let victim: ChildProcess | undefined;
    try {
      const port = await source.listen();
      const job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'wal', path.join(dir, 'stop'), '60000']);
      started = job;
      const receiver = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
      victim = procs.get(receiver.workerId);
      assert.ok(victim, 'the receiver runs on a known worker process');
      source.start(5, 25); // 200 lines/s
      await batchesWhere(job, '3 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 3);

      // Armed: the next task of a stage reading received blocks that goes to another worker
      // freezes the victim first, so that task asks a frozen worker for its block.
      let frozenAt: number | undefined;
      for (const w of registry.all()) {
        if (w.id === receiver.workerId) continue;
        const launch = w.endpoint.launchTask.bind(w.endpoint);
        w.endpoint.launchTask = (desc) => {
          if (frozenAt === undefined && Buffer.from(desc.stage.payload).includes('input_')) {
            pause(victim!);
            frozenAt = Date.now();
          }
          return launch(desc);
        };
      }
      let contAt: number | undefined;
      try {
        await pollUntil(() => frozenAt, 30_000, 'a block-reading task launched on a worker other than the receiver\'s');
        const cutAfter = frozenAt!;
        let progressAt: number | undefined;
        while (progressAt === undefined && Date.now() - cutAfter < FREEZE_MS) {
          if (jsonLines<BatchLine>(job.lines, 'BATCH ').some((b) => b.time > cutAfter)) progressAt = Date.now();
          else await sleep(50);
        }
        assert.ok(progressAt !== undefined, `no batch cut after the freeze completed in ${FREEZE_MS / 1000} s:\n${job.lines.slice(-10).join('\n')}`);
        const took = progressAt - cutAfter;
        t.diagnostic(`a batch cut after the freeze completed ${took} ms after it (worker timeout ${WORKER_TIMEOUT_MS} ms, peer bound 120 s, freeze up to ${FREEZE_MS / 1000} s)`);
        assert.ok(took < FAILOVER_BOUND_MS, `the stream resumed ${took} ms after the freeze: the read waited on the frozen worker`);
      } finally {
        resume(victim);
        contAt = Date.now();
      }
      await registeredAgain(joined, receiver.workerId, contAt!);
      await batchesWhere(job, '3 batches with records after the wake', (bs) => bs.filter((b) => b.time > contAt! + BATCH_MS && b.numRecords > 0).length >= 3);
      await stopAndCheckCounts(job, source, path.join(dir, 'stop'));
      assert.ok(source.connections >= 2, 'the receiver was started again elsewhere');
      const late = lateAcknowledged(source, 0);
      assert.ok(late <= 50, `the replaced receiver acknowledged ${late} lines after its replacement connected`);
      t.diagnostic(`${source.lines.length} lines, ${source.resent} sent again, ${source.connections} connections, ${late} acknowledged late`);
    } finally {
      if (victim) resume(victim);
      if (started && !started.ended) {
        h.cluster.driver.jobs.get(started.id)?.cancel();
        await within(started.done, 30_000, 'the cancelled job to end').catch(() => undefined);
      }
      await source.close();
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
