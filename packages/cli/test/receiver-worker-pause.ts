// One case of stream-worker-pause (log on) and stream-worker-pause-nolog (log off), each on a
// cluster of its own (withFaultCluster: 3 one-core worker processes, a 3 s worker timeout): the
// worker running a reliable receiver (the test's replayable TCP source, fixture
// stream-reliable-receiver.ts) is frozen with SIGSTOP right after it reported a block, the
// receiver restarts elsewhere and batches go on without it; woken, the old receiver is stopped,
// and every line the source generated is counted exactly once.
// - Log on: the block only the frozen worker holds (logged, not replicated) is read from the
//   log, not waited for on the frozen worker; awake, the replaced receiver's stores are refused
//   (its log is sealed), so it acknowledges nothing its replacement was sent.
// - Log off (faults40): blocks replicated to a peer, read from the replica while the worker is
//   frozen; awake, the old receiver's late reports (blocks it stored before and after the
//   freeze) are taken into batches not yet cut and it is told to stop; the lines its
//   replacement was sent again count once by their source positions.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { TestContext } from 'node:test';
import { addWorkers } from './cluster-workers.js';
import { batchesWhere, type BatchLine } from './batch-progress.js';
import { decode, type TaskPayload } from '@sluice/core/internal';
import { fixture, jsonLines, pollUntil, startJob, within, type ClusterHandle, type RunningJob } from './harness.js';
import { ReplayableSource, lateAcknowledged } from './replayable-source.js';
import { BATCH_MS, WORKER_TIMEOUT_MS, membership, observe, registeredAgain, stopAndCheckCounts, tmpDir } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

/** Batches that complete without the frozen worker before it is woken, and the bound on that wait (10x a quiet machine's). */
export const FROZEN_BATCHES = 3;
export const PROGRESS_MS = 75_000;

/** The case's title, by log setting. */
export function receiverPauseTitle(log: 'wal' | 'nowal'): string {
  return `SIGSTOP of the worker running a reliable receiver ${log === 'wal' ? 'with the write-ahead log' : 'without the write-ahead log (its blocks replicated)'}: the receiver restarts elsewhere; awake, the old one is stopped, and every line is counted exactly once`;
}

/** Runs the case on `h` (its worker processes `procs`). */
export async function receiverWorkerPause(t: TestContext, h: ClusterHandle, procs: Map<string, ChildProcess>, log: 'wal' | 'nowal'): Promise<void> {
  const seen = observe(h);
  const registry = h.cluster.driver.registry;
  const { joined } = membership(h);
  // Called right after the driver took in a receiver's report of a new block (from which worker).
  let afterBlockReport: (workerId: string) => void = () => undefined;
  const receiverReport = h.cluster.driver.receiverReport.bind(h.cluster.driver);
  h.cluster.driver.receiverReport = (rep) => {
    const answer = receiverReport(rep);
    if (rep.events.some((e) => e.event === 'block')) afterBlockReport(rep.worker_id);
    return answer;
  };
    await addWorkers(h, 3 - registry.all().length, procs);
    const dir = tmpDir(`worker-pause-${log}`);
    const source = new ReplayableSource(11);
    let started: RunningJob | undefined;
    try {
      const port = await source.listen();
      const job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), log, path.join(dir, 'stop'), '250']);
      started = job;
      const receiver = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
      const victim = procs.get(receiver.workerId);
      assert.ok(victim, 'the receiver runs on a known worker process');
      source.start(5, 25); // 200 lines/s
      await batchesWhere(job, '3 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 3);
      let contAt: number | undefined;
      // Frozen right after it reported a block: that block (logged, not replicated) is in
      // a batch still to run, and the frozen worker is the only one holding it.
      let frozenAt: number | undefined;
      // Every stage attempt submitted while the frozen worker is declared lost: a
      // write-ahead-logged block its tasks read must not list that worker as a place to read
      // it from (the log is read instead of a silent peer waited on until the fetch's 30 s
      // deadline). A stage submitted before the loss keeps the plan it was given then. An
      // event, where a time window (20 s) stood before: it holds however slowly batches run.
      const submittedWhileLost = new Set<number>();
      seen.onStage = (e) => {
        if (frozenAt !== undefined && contAt === undefined && registry.get(receiver.workerId) === undefined) submittedWhileLost.add(e.stageId);
        else submittedWhileLost.delete(e.stageId);
      };
      const lostLocations: string[] = [];
      for (const w of registry.all()) {
        const launch = w.endpoint.launchTask.bind(w.endpoint);
        w.endpoint.launchTask = (desc) => {
          if (submittedWhileLost.has(desc.stage.stageId)) {
            for (const n of Object.values(decode<TaskPayload>(desc.stage.payload).plan.nodes)) {
              if (n.op.kind !== 'blocks') continue;
              for (const b of n.op.blocks) if (b.wal !== undefined && b.locations.some((l) => l.workerId === receiver.workerId)) lostLocations.push(`${b.blockId} for stage ${desc.stage.stageId} on ${w.id}`);
            }
          }
          return launch(desc);
        };
      }
      afterBlockReport = (workerId) => {
        if (frozenAt !== undefined || workerId !== receiver.workerId) return;
        pause(victim);
        frozenAt = Date.now();
      };
      try {
        await pollUntil(() => frozenAt, 30_000, 'a block report from the receiver');
        afterBlockReport = () => undefined;
        await job.waitLine('RECEIVER started ', 10 * WORKER_TIMEOUT_MS, (l) => !l.includes(`"${receiver.workerId}"`));
        const movedAt = Date.now();
        // Batches run one after another: one stuck reading a block from the frozen worker
        // (until the fetch's 30 s deadline, or the wake) would hold up every later one (the
        // launches watched above say whether a task was sent to read from it). The worker
        // stays frozen until FROZEN_BATCHES batches with records cut after the move completed
        // (a wait for progress: a fixed 20 s window can lapse under load).
        const whileFrozen = (): BatchLine[] => jsonLines<BatchLine>(job.lines, 'BATCH ').filter((b) => b.time > movedAt && b.numRecords > 0);
        await batchesWhere(job, `${FROZEN_BATCHES} batches with records cut after the receiver moved, completed while the old one is frozen`, () => whileFrozen().length >= FROZEN_BATCHES, { stallMs: PROGRESS_MS, maxMs: PROGRESS_MS }).catch((err: Error) => {
          throw new Error(`${whileFrozen().length} of ${FROZEN_BATCHES} in ${Math.round((Date.now() - movedAt) / 1000)} s after the move: ${err.message}`);
        });
        t.diagnostic(`receiver pause (${log}): ${FROZEN_BATCHES} batches with records completed ${Date.now() - movedAt} ms after the receiver moved`);
      } finally {
        afterBlockReport = () => undefined;
        seen.onStage = () => undefined;
        resume(victim);
        contAt = Date.now();
      }
      assert.deepEqual(lostLocations, [], 'no task read a write-ahead-logged block from the frozen worker declared lost');
      await registeredAgain(joined, receiver.workerId, contAt!);
      await batchesWhere(job, '5 batches with records after the wake', (bs) => bs.filter((b) => b.time > contAt! + BATCH_MS && b.numRecords > 0).length >= 5);
      await stopAndCheckCounts(job, source, path.join(dir, 'stop'));
      assert.ok(source.connections >= 2, 'the source served a restarted receiver');
      // Fenced (log on): awake, the replaced receiver read what the source had sent it
      // meanwhile (~4 s of lines) and stored it, but those stores are refused (its log is
      // sealed), so it acknowledges none of them; at most a block it had logged before the
      // seal. Log off, its late blocks are taken (stored and replicated: data) into batches
      // not yet cut, and the lines its replacement was sent again are counted once by their
      // source positions (checkCounts above, exactly once).
      const late = lateAcknowledged(source, 0);
      if (log === 'wal') assert.ok(late <= 50, `the replaced receiver acknowledged ${late} lines after its replacement connected (records it made durable after it was replaced)`);
      const receiversAt = job.lines.filter((l) => l.startsWith('RECEIVER started ')).length;
      assert.equal(receiversAt, 2, `the receiver started twice (its first worker, another), not again when the old worker woke:\n${job.lines.filter((l) => l.startsWith('RECEIVER ')).join('\n')}`);
      t.diagnostic(`receiver pause (${log}): ${source.lines.length} lines, ${source.resent} sent again, ${source.connections} connections, ${late} acknowledged late by the replaced receiver`);
    } finally {
      if (started && !started.ended) {
        h.cluster.driver.jobs.get(started.id)?.cancel();
        await within(started.done, 30_000, 'the cancelled job to end').catch(() => undefined);
      }
      await source.close();
      try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      } catch (err) {
        t.diagnostic(`could not remove ${dir}: ${(err as Error).message}; left: ${JSON.stringify(fs.readdirSync(path.join(dir, 'ckpt', 'receivedData', '0')))}`);
      }
    }
}
