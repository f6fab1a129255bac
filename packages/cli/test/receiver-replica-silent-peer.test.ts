// A receiver's one replica peer that stays registered but takes no replica (frozen with SIGSTOP,
// the driver's worker timeout 60 s, so it is not declared lost): each received block (5 a
// second) is kept on the receiver's worker alone. The worker logs that once, then a count once a
// replica is taken again (and every 30 s meanwhile), where it logged a warning a block (user45's
// leftover). The receiver's worker's log (its stderr, JSON lines) is read here; every line must
// still be counted exactly once.
// A driver in this process, 2 worker processes of 2 cores; the reliable receiver of
// fixtures/stream-reliable-receiver.ts over the test's replayable source, the log off.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers } from './cluster-workers.js';
import { batchesWhere } from './batch-progress.js';
import { cancelIfRunning, fixture, pollUntil, startJob, withCluster, type RunningJob } from './harness.js';
import { ReplayableSource } from './replayable-source.js';
import { BATCH_MS, stopAndCheckCounts, tmpDir } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

const ONE_WORKER_ONLY = 'received block stored on one worker only';

test('a replica peer that stays registered but takes no replica: the receiver logs it once, then a count, not a warning a block', { timeout: 300_000 }, async () => {
  await withCluster({ workers: 0, logLevel: 'warn', coresPerWorker: 2, workerStderr: 'pipe', driver: { workerTimeoutMs: 60_000, heartbeatIntervalMs: 500 } }, async (h) => {
    const procs = new Map<string, ChildProcess>();
    await addWorkers(h, 2, procs);
    const logs = new Map<string, string[]>();
    for (const [id, p] of procs) {
      const lines: string[] = [];
      logs.set(id, lines);
      let rest = '';
      p.stderr!.on('data', (d: Buffer) => {
        const parts = (rest + d.toString('utf8')).split('\n');
        rest = parts.pop()!;
        lines.push(...parts);
      });
    }
    const registry = h.cluster.driver.registry;
    const dir = tmpDir('replica-silent-peer');
    const stopFile = path.join(dir, 'stop');
    const source = new ReplayableSource(46);
    let job: RunningJob | undefined;
    const stopped = { pid: 0 };
    try {
      const port = await source.listen();
      job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'nowal', stopFile, '60000']);
      const receiverId = (JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string }).workerId;
      const [peerId, peer] = [...procs].find(([id]) => id !== receiverId)!;
      const inputBlocks = (id: string): number => registry.get(id)?.storage?.inputBlocks ?? 0;
      source.start(5, 25); // 200 lines/s
      await batchesWhere(job, '2 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 2);
      await pollUntil(() => (inputBlocks(peerId) > 0 ? true : undefined), 30_000, 'the peer to hold replicas');

      pause(peer);
      stopped.pid = peer.pid!;
      // 800 more lines acknowledged to the source (the reliable receiver acknowledges a block once
      // stored: about 20 blocks of 200 ms at 200 lines/s) while the peer is stopped and still registered.
      const acked = (): number => source.perConnection.at(-1)?.acks.at(-1)?.upTo ?? 0;
      const atStop = acked();
      await pollUntil(() => (acked() >= atStop + 800 ? true : undefined), 60_000, '800 more lines stored while the peer is stopped');
      assert.ok(registry.get(peerId) !== undefined, 'the stopped peer is still registered');
      const receiverLog = logs.get(receiverId)!;
      const alone = receiverLog.filter((l) => l.includes(ONE_WORKER_ONLY));
      resume(peer);
      stopped.pid = 0;
      // Replicas go to the peer again: the count is said.
      const again = await pollUntil(() => receiverLog.find((l) => l.includes('received blocks replicated again')), 60_000, 'the receiver to say replicas are taken again');
      await stopAndCheckCounts(job, source, stopFile);

      assert.equal(alone.length, 1, `one warning for the blocks kept alone, not one a block:\n${alone.slice(0, 5).join('\n')}`);
      const said = JSON.parse(again) as { blocks: number; msg: string };
      assert.ok(said.blocks >= 10, `the count covers the blocks kept alone (${said.blocks}; about 20 waited for)`);
      assert.match(said.msg, new RegExp(`after ${said.blocks} stored on one worker only`));
      console.log(`# ${said.blocks} blocks kept on the receiver's worker alone while the peer was stopped; ${receiverLog.filter((l) => l.includes('one worker only')).length} log lines about them`);
    } finally {
      if (stopped.pid) resume(stopped.pid);
      source.stop();
      await cancelIfRunning(h.cluster, job);
      await source.close();
    }
  });
});
