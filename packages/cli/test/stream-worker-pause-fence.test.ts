// A worker running a reliable receiver (the write-ahead log on) frozen with SIGSTOP for longer
// than the bound on a replaced placement's fence (writeAheadLog.fenceKeep: 2 s here, 120 s by
// default), then woken (fault-matrix.md's 'custom reliable receiver' row, worker SIGSTOP). On one
// cluster of its own (withFaultCluster: a driver in this process, 3 one-core worker processes, a
// 3 s worker timeout); the receiver of fixtures/stream-reliable-receiver.ts over the test's
// replayable TCP source, giving no source positions ('nopos'), so a line stored by two
// placements counts twice: only the fence keeps the woken one from storing.
//
// The source is drained first (every line acknowledged: nothing logged and unacknowledged, which
// the source would send again), then the receiver's worker frozen and lines sent on to its
// socket, unread. Declared lost, the receiver starts elsewhere and the source sends those lines
// again to it. The worker stays frozen until the old placement's segments are deleted and its seal
// is fenceKeep (+3 s) old, then is woken: it reads the lines its socket holds and stores them.
// Before 7 December 2026 its fence was deleted by then (the seal's age alone), so those stores
// stood: acknowledged (late), logged in a new segment, and that segment, read by the driver, was
// counted beside the replacement's copies. Now a placement's fence stays until the driver knows it
// stopped (it was told to stop, or reported its stop), and goes fenceKeep after that.
// Checked: every line counted exactly once; the replaced receiver acknowledged nothing after its
// replacement connected; its fence goes once it was told to stop.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseSegmentFileName } from '@sluice/core/internal';
import { pause, resume } from '@sluice/test-disk/pause';
import { batchesWhere, type BatchLine } from './batch-progress.js';
import { fixture, jsonLines, pollUntil, startJob, within, type RunningJob } from './harness.js';
import { ReplayableSource, lateAcknowledged } from './replayable-source.js';
import { BATCH_MS, WORKER_TIMEOUT_MS, membership, registeredAgain, stopAndCheckCounts, tmpDir, withFaultCluster } from './worker-fault-support.js';

/** writeAheadLog.fenceKeep of the job (the default is 120 s). */
const FENCE_KEEP_MS = 2000;

test(`a worker running a reliable receiver (log on, no source positions) frozen past writeAheadLog.fenceKeep (${FENCE_KEEP_MS} ms here), then woken: the replaced receiver is still fenced, and every line counts once`, { timeout: 240_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const { joined } = membership(h);
    const dir = tmpDir('worker-pause-fence');
    const logDir = path.join(dir, 'ckpt', 'receivedData', '0');
    const source = new ReplayableSource(57);
    let job: RunningJob | undefined;
    let victimPid: number | undefined;
    let woken = false;
    try {
      const port = await source.listen();
      job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'wal', path.join(dir, 'stop'), '250', '', 'nopos', String(FENCE_KEEP_MS)]);
      const running = job;
      const receiver = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
      const victim = procs.get(receiver.workerId);
      assert.ok(victim?.pid, 'the receiver runs on a known worker process');
      victimPid = victim.pid;
      source.start(5, 25); // 200 lines/s
      await batchesWhere(job, '3 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 3);
      // Drained: every line acknowledged, so none is logged and unacknowledged (such a line the
      // source sends again, and without positions it would count twice whatever the fence does).
      source.stop();
      await pollUntil(() => (source.acked === source.lines.length ? true : undefined), 30_000, `every line acknowledged (${source.acked} of ${source.lines.length})`);
      const segsOf = (w: string): string[] => fs.readdirSync(logDir).filter((n) => parseSegmentFileName(n)?.writer === w);
      const writers = [...new Set(fs.readdirSync(logDir).flatMap((n) => parseSegmentFileName(n)?.writer ?? []))];
      assert.equal(writers.length, 1, `one placement has logged so far: ${writers.join(' ')}`);
      const old = writers[0]!;
      pause(victim);
      const frozenAt = Date.now();
      // Lines go on to the frozen worker's socket (unread) until the replacement connects.
      source.start(5, 25);
      await job.waitLine('RECEIVER started ', 10 * WORKER_TIMEOUT_MS, (l) => !l.includes(`"${receiver.workerId}"`));
      const movedAt = Date.now();
      // Held past the bound: the old placement's segments deleted, its seal fenceKeep + 3 s old
      // (or deleted: what the time bound did), 3 batches with records completed on the replacement.
      const sealFile = path.join(logDir, `${old}.sealed`);
      const sealAge = (): number | undefined => (fs.existsSync(sealFile) ? Date.now() - fs.statSync(sealFile).mtimeMs : undefined);
      const movedBatches = (): BatchLine[] => jsonLines<BatchLine>(running.lines, 'BATCH ').filter((b) => b.time > movedAt && b.numRecords > 0);
      let sawSeal = false;
      await pollUntil(
        () => {
          const age = sealAge();
          if (age !== undefined) sawSeal = true;
          return sawSeal && segsOf(old).length === 0 && (age === undefined || age > FENCE_KEEP_MS + 3000) && movedBatches().length >= 3 ? true : undefined;
        },
        60_000,
        `the old placement's segments deleted, its seal ${FENCE_KEEP_MS + 3000} ms old and 3 batches on the replacement`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}: segments left ${segsOf(old).join(' ') || 'none'}, seal age ${sealAge() ?? 'none'} (seen: ${sawSeal}), ${movedBatches().length} batches`);
      });
      const fencedAtWake = fs.existsSync(path.join(logDir, `${old}.fence`));
      resume(victim);
      woken = true;
      const contAt = Date.now();
      t.diagnostic(`frozen ${contAt - frozenAt} ms (the receiver moved after ${movedAt - frozenAt} ms); the old placement fenced at the wake: ${fencedAtWake}`);
      await registeredAgain(joined, receiver.workerId, contAt);
      await batchesWhere(job, '5 batches with records after the wake', (bs) => bs.filter((b) => b.time > contAt + BATCH_MS && b.numRecords > 0).length >= 5);
      // Told to stop (its late report answered so), the placement is released: its fence goes fenceKeep after.
      await pollUntil(() => (fs.existsSync(path.join(logDir, `${old}.fence`)) ? undefined : true), 30_000, `the woken placement's fence (${old}.fence) to be deleted once it was told to stop`);
      const late = lateAcknowledged(source, 0);
      await stopAndCheckCounts(job, source, path.join(dir, 'stop'));
      assert.equal(late, 0, `the replaced receiver acknowledged ${late} lines after its replacement connected (stores that stood after the wake)`);
      t.diagnostic(`${source.lines.length} lines, ${source.resent} sent again, ${source.connections} connections`);
    } finally {
      if (victimPid !== undefined && !woken) process.kill(victimPid, 'SIGCONT');
      if (job && !job.ended) {
        h.cluster.driver.jobs.get(job.id)?.cancel();
        await within(job.done, 30_000, 'the cancelled job to end').catch(() => undefined);
      }
      await source.close();
      fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});
