// A receiver's replica peers are the workers the driver has now, not only those it had when the
// receiver was placed (Spark's BlockManager.getPeers: asked again after a replication found no
// peer, and every spark.storage.cachedPeersTtl). Found on a first day with the README's standing
// cluster: a driver and 2 workers, a stream submitted, a third worker added, the first one that
// held the receiver's replicas killed with -9: from then on every received block was kept on
// the receiver's worker alone ('received block stored on one worker only', 5 a second), and
// killing that worker too failed the job ('received block ... cannot be read from any worker it
// was stored on'), though a third worker had been there all along.
// A driver in this process, worker processes of 2 cores over loopback (3 s worker timeout: the
// last one runs the receiver and the tasks); the reliable
// receiver of fixtures/stream-reliable-receiver.ts over the test's replayable source, the
// write-ahead log off (blocks are replicated); every line must be counted exactly once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { batchesWhere } from './batch-progress.js';
import { cancelIfRunning, fixture, pollUntil, startJob, withCluster, type RunningJob } from './harness.js';
import { ReplayableSource } from './replayable-source.js';
import { BATCH_MS, WORKER_TIMEOUT_MS, stopAndCheckCounts, tmpDir } from './worker-fault-support.js';

test("a worker that joined after the receiver was placed takes its replicas once the first peer is lost: kill -9 of the receiver's worker then loses nothing", { timeout: 180_000 }, async (t) => {
  await withCluster({ workers: 0, logLevel: 'error', coresPerWorker: 2, driver: { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500 } }, async (h) => {
    const procs = new Map<string, ChildProcess>();
    await addWorkers(h, 2, procs);
    const registry = h.cluster.driver.registry;
    const dir = tmpDir('replica-peers');
    const stopFile = path.join(dir, 'stop');
    const source = new ReplayableSource(45);
    let job: RunningJob | undefined;
    try {
      const port = await source.listen();
      job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'nowal', stopFile, '60000']);
      const receiverId = (JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string }).workerId;
      const receiverProc = procs.get(receiverId);
      assert.ok(receiverProc, 'the receiver runs on a known worker process');
      const [peerId, peer] = [...procs].find(([id]) => id !== receiverId)!;
      source.start(5, 25); // 200 lines/s
      await batchesWhere(job, '2 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 2);

      // The third worker joins after the receiver was placed; then the receiver's one peer dies.
      const before = new Set(procs.keys());
      await addWorkers(h, 1, procs);
      const joinedId = [...procs.keys()].find((id) => !before.has(id))!;
      const joinedInputBlocks = (): number => registry.get(joinedId)?.storage?.inputBlocks ?? 0;
      assert.equal(joinedInputBlocks(), 0, 'the joined worker holds no received block before the peer is lost');
      peer.kill('SIGKILL');
      await exited(peer);
      procs.delete(peerId);
      await pollUntil(() => (registry.get(peerId) === undefined ? true : undefined), 10 * WORKER_TIMEOUT_MS, 'the killed peer to be declared lost');

      const lostAt = Date.now();
      // The receiver's blocks go to the joined worker now (its heartbeat tells the driver).
      await pollUntil(() => (joinedInputBlocks() > 0 ? true : undefined), 30_000, "the joined worker to hold replicas of the receiver's blocks");
      // Blocks stored before the loss had their one replica on the dead peer: two failures, as
      // Spark's 2 replicas cannot survive either. The batches holding them, and the state
      // checkpoint (every 2 s) that ends the lineage reading them, complete first.
      await batchesWhere(job, 'batches with records cut 4 s after the peer was lost', (bs) => bs.some((b) => b.time > lostAt + 4000 && b.numRecords > 0));
      t.diagnostic(`the joined worker holds ${joinedInputBlocks()} received blocks, ${registry.all().length} workers left`);

      // The receiver's own worker dies: the blocks it stored since have their replica on the
      // joined worker, the receiver restarts there, and the source sends what was not acknowledged.
      receiverProc.kill('SIGKILL');
      await exited(receiverProc);
      procs.delete(receiverId);
      const killedAt = Date.now();
      await batchesWhere(job, '2 batches with records cut after the receiver\'s worker died', (bs) => bs.filter((b) => b.time > killedAt && b.numRecords > 0).length >= 2);
      await stopAndCheckCounts(job, source, stopFile);
    } finally {
      source.stop();
      await cancelIfRunning(h.cluster, job);
      await source.close();
    }
  });
});
