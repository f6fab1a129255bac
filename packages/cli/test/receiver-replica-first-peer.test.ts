// A receiver placed on the only worker there is has no replica peer; a worker that joins later
// must take the replica of its very first block, not only of the blocks after it. Found by hand
// (user58, a rolling restart of a standing cluster's 2 workers under an MQTT receiver): the
// receiver, moved off the second worker as it was decommissioned, was started on the first,
// then alone; the second came back, and 40 s later the first block the receiver stored was kept
// on its own worker alone (the driver was asked for peers only after that block was stored), so
// a kill -9 of that worker failed the job: 'received block ... cannot be read from any worker it
// was stored on'. As Spark's BlockManager.replicate, which asks getPeers before its first copy.
// A driver in this process, worker processes of 2 cores over loopback; the reliable receiver of
// fixtures/stream-reliable-receiver.ts (write-ahead log off) at 2 s batches, so the first block
// waits for its batch while its worker is killed; every line must be counted exactly once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { cancelIfRunning, fixture, pollUntil, startJob, withCluster, type RunningJob } from './harness.js';
import { ReplayableSource } from './replayable-source.js';
import { WORKER_TIMEOUT_MS, stopAndCheckCounts, tmpDir } from './worker-fault-support.js';

test("a receiver placed alone replicates its first block to a worker that joined since: kill -9 of the receiver's worker before that block's batch loses nothing", { timeout: 120_000 }, async () => {
  await withCluster({ workers: 0, logLevel: 'error', coresPerWorker: 2, driver: { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500 } }, async (h) => {
    const procs = new Map<string, ChildProcess>();
    await addWorkers(h, 1, procs);
    const dir = tmpDir('replica-first-peer');
    const stopFile = path.join(dir, 'stop');
    const source = new ReplayableSource(58);
    let job: RunningJob | undefined;
    try {
      const port = await source.listen();
      job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), '2000', path.join(dir, 'ckpt'), 'nowal', stopFile, '60000']);
      const receiverId = (JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string }).workerId;
      const receiverProc = procs.get(receiverId);
      assert.ok(receiverProc, 'the receiver runs on the one worker');
      // The second worker joins; the receiver has stored nothing yet (the source has not sent).
      await addWorkers(h, 1, procs);
      await new Promise((r) => setTimeout(r, 1500));
      source.start(5, 25);
      // The first lines acknowledged: their block is stored (and, the write-ahead log off,
      // replicated) and waits for its batch. Its worker dies now.
      await pollUntil(() => (source.acked > 0 ? true : undefined), 30_000, 'the first lines to be acknowledged');
      receiverProc.kill('SIGKILL');
      await exited(receiverProc);
      procs.delete(receiverId);
      await stopAndCheckCounts(job, source, stopFile);
    } finally {
      source.stop();
      await cancelIfRunning(h.cluster, job);
      await source.close();
    }
  });
});
