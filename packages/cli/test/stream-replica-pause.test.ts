// A worker frozen with SIGSTOP for 20 s while it is a reliable receiver's replication peer
// (write-ahead log off: each received block is stored on the receiver's worker and copied to
// one other before it is acknowledged), on the cluster of worker-fault-support.ts. The
// receiver's copies to the frozen peer time out (3 s) and go to the other worker; batches go
// on during the freeze, and every line the source generated is counted exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchesWhere, type BatchLine } from './batch-progress.js';
import { fixture, jsonLines, pollUntil, sleep, startJob, within, type RunningJob } from './harness.js';
import { ReplayableSource } from './replayable-source.js';
import { BATCH_MS, stopAndCheckCounts, tmpDir, withFaultCluster } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

test('SIGSTOP for 20 s of a reliable receiver\'s replication peer (log off): batches go on, every line counted exactly once', { timeout: 200_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    let afterBlockReport: (workerId: string) => void = () => undefined;
    const receiverReport = h.cluster.driver.receiverReport.bind(h.cluster.driver);
    h.cluster.driver.receiverReport = (rep) => {
      const answer = receiverReport(rep);
      if (rep.events.some((e) => e.event === 'block')) afterBlockReport(rep.worker_id);
      return answer;
    };
    const dir = tmpDir('replica-pause');
    const source = new ReplayableSource(13);
    let started: RunningJob | undefined;
    try {
      const port = await source.listen();
      const job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'nowal', path.join(dir, 'stop'), '250']);
      started = job;
      const receiver = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
      const [peerId, peer] = [...procs].find(([id]) => id !== receiver.workerId)!;
      source.start(5, 25);
      await batchesWhere(job, '3 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 3);
      let frozenAt: number | undefined;
      afterBlockReport = (workerId) => {
        if (frozenAt !== undefined || workerId !== receiver.workerId) return;
        pause(peer);
        frozenAt = Date.now();
      };
      let contAt: number | undefined;
      try {
        await pollUntil(() => frozenAt, 30_000, 'a block report from the receiver');
        afterBlockReport = () => undefined;
        await sleep(Math.max(0, frozenAt! + 20_000 - Date.now()));
        // Cut 4-12 s into the freeze (the receiver's copies to the frozen peer timed out by
        // then), completed before its end: a receiver waiting on the frozen peer until a
        // keepalive drops the connection (~15 s) would store nothing in that window.
        const whileFrozen = jsonLines<BatchLine>(job.lines, 'BATCH ').filter((b) => b.time > frozenAt! + 4000 && b.time <= frozenAt! + 12_000 && b.numRecords > 0);
        assert.ok(whileFrozen.length >= 1, `batches with records cut 4-12 s into the peer's freeze completed before it ended:\n${job.lines.slice(-10).join('\n')}`);
      } finally {
        afterBlockReport = () => undefined;
        resume(peer);
        contAt = Date.now();
      }
      await batchesWhere(job, '5 batches with records after the wake', (bs) => bs.filter((b) => b.time > contAt! + BATCH_MS && b.numRecords > 0).length >= 5);
      await stopAndCheckCounts(job, source, path.join(dir, 'stop'));
      t.diagnostic(`replica pause: peer ${peerId}, ${source.lines.length} lines, ${source.connections} connections`);
    } finally {
      if (started && !started.ended) {
        h.cluster.driver.jobs.get(started.id)?.cancel();
        await within(started.done, 30_000, 'the cancelled job to end').catch(() => undefined);
      }
      await source.close();
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
