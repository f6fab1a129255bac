// A worker frozen with SIGSTOP (a GC pause, a stalled VM) during a stream until batches went on
// without it (3 of them: a wait for progress, not a fixed 20 s window), then woken with
// SIGCONT, on one cluster for the file (worker-fault-support.ts: a driver in this process,
// 3 worker processes, a 3 s worker timeout, Spark's 120 s bound on a silent peer).
// - A stateful stream (fixtures/stream-stateful.ts: updateStateByKey, mapWithState with a
//   timeout, reduceByKeyAndWindow with an inverse, all checkpointed; a queueStream whose batch
//   i always takes RDD i): the worker is frozen right after it wrote a map output of a batch's
//   shuffle, so that batch's reduce tasks fetch from a process that answers nothing. The
//   driver declares it lost after its timeout and runs its work elsewhere; awake, it registers
//   again and takes tasks, and what it held when it froze (a late task result, stale blocks
//   and map outputs) changes no output: every batch's state, input sums, mapped values, state
//   snapshots and windows equal the computation done here (stateful-outputs.ts).
// - A reliable receiver with the write-ahead log (the test's replayable TCP source): its
//   worker is frozen right after it reported a block, which only it holds (logged, not
//   replicated). The receiver restarts elsewhere and batches go on while it is frozen (that
//   block read from the log, not waited for on the frozen worker); awake, the old receiver is
//   stopped, and every line the source generated is counted exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers } from './cluster-workers.js';
import { batchesWhere, type BatchLine } from './batch-progress.js';
import { decode, type TaskPayload } from '@sluice/core/internal';
import { fixture, jsonLines, pollUntil, sleep, startJob, within, type RunningJob } from './harness.js';
import { ReplayableSource, lateAcknowledged } from './replayable-source.js';
import { BATCH_MS, WORKER_TIMEOUT_MS, membership, registeredAgain, observe, reasons, runStateful, stopAndCheckCounts, tmpDir, withFaultCluster } from './worker-fault-support.js';

// How many batches complete without the frozen worker before it is woken, and the bound on
// that wait: 10x what it takes on a quiet machine (~2-6 s); under the 120 s a shuffle fetch
// would wait on a silent peer (--peer-connect-timeout here), so a stage stuck on it fails.
const FROZEN_BATCHES = 3;
const PROGRESS_MS = 75_000;

test('a worker frozen (SIGSTOP) during a stream until batches went on without it, then woken', { timeout: 300_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const registry = h.cluster.driver.registry;
    const { joined, lost } = membership(h);
    // Called right after the driver took in a receiver's report of a new block (from which worker).
    let afterBlockReport: (workerId: string) => void = () => undefined;
    const receiverReport = h.cluster.driver.receiverReport.bind(h.cluster.driver);
    h.cluster.driver.receiverReport = (rep) => {
      const answer = receiverReport(rep);
      if (rep.events.some((e) => e.event === 'block')) afterBlockReport(rep.worker_id);
      return answer;
    };

    await t.test('SIGSTOP of a worker right after it wrote a map output of a batch\'s shuffle: declared lost, its work done elsewhere; awake, it registers again and takes tasks, and every output is exact', async () => {
      const [victimId, victim] = [...procs][0];
      let stoppedAt: number | undefined;
      let contAt: number | undefined;
      await runStateful(h, 50, async (job) => {
        await job.waitLine('STATE {"i":3,', 60_000);
        // Armed: the next map task of a shuffle to succeed on the victim freezes it, so the
        // reduce tasks of that stage have a map output to fetch from a silent process.
        seen.onTaskEnd = (e) => {
          if (stoppedAt !== undefined || e.reason !== 'success' || e.workerId !== victimId || seen.stageKind.get(e.stageId) !== 'shuffleMap') return;
          victim.kill('SIGSTOP');
          stoppedAt = Date.now();
        };
        try {
          await pollUntil(() => stoppedAt, 30_000, 'a shuffle map task to succeed on the victim');
          const frozenAt = stoppedAt!;
          while (!lost.some((l) => l.id === victimId && l.at >= frozenAt)) {
            assert.ok(Date.now() - frozenAt < 10 * WORKER_TIMEOUT_MS, `the frozen worker is still registered ${Date.now() - frozenAt} ms after SIGSTOP`);
            await sleep(50);
          }
          const lostAfter = lost.find((l) => l.id === victimId && l.at >= frozenAt)!.at - frozenAt;
          assert.ok(lostAfter >= WORKER_TIMEOUT_MS - 600, `declared lost after only ${lostAfter} ms (the timeout is ${WORKER_TIMEOUT_MS} ms)`);
          // Batches go on without it while it is frozen: it stays frozen until FROZEN_BATCHES
          // more completed (a wait for progress, not a fixed window: one of 20 s can lapse
          // under load). A stage stuck on the silent process until --peer-connect-timeout
          // (120 s here) would hold them up past PROGRESS_MS.
          const states = (): number => job.lines.filter((l) => l.startsWith('STATE ')).length;
          const before = states();
          const lostAt = Date.now();
          await pollUntil(() => (states() >= before + FROZEN_BATCHES ? true : undefined), PROGRESS_MS, `${FROZEN_BATCHES} batches completed while the worker was frozen (${before} before it was declared lost)`).catch((err: Error) => {
            throw new Error(`${err.message}: ${states() - before} completed in ${Math.round((Date.now() - lostAt) / 1000)} s`);
          });
          t.diagnostic(`sigstop: ${FROZEN_BATCHES} batches completed ${Date.now() - lostAt} ms after the frozen worker was declared lost`);
        } finally {
          seen.onTaskEnd = () => undefined;
          victim.kill('SIGCONT');
          contAt = Date.now();
        }
        // Awake: it registers again (its heartbeat is answered "unknown") and takes tasks.
        await registeredAgain(joined, victimId, contAt!);
      });
      assert.ok(stoppedAt !== undefined && contAt !== undefined);
      t.diagnostic(`sigstop: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= stoppedAt!)))}`);
      const afterWake = seen.taskEnds.filter((e) => e.workerId === victimId && e.reason === 'success' && e.at > contAt!);
      assert.ok(afterWake.length > 0, 'the woken worker ran tasks after it registered again');
      assert.ok(registry.all().some((w) => w.id === victimId), 'the woken worker is registered at the end');
    });

    await t.test('SIGSTOP of the worker running a reliable receiver with the write-ahead log: the receiver restarts elsewhere; awake, the old one is stopped, and every line is counted exactly once', async () => {
      await addWorkers(h, 3 - registry.all().length, procs);
      const dir = tmpDir('worker-pause-wal');
      const source = new ReplayableSource(11);
      let started: RunningJob | undefined;
      try {
        const port = await source.listen();
        const job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'wal', path.join(dir, 'stop'), '250']);
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
          victim.kill('SIGSTOP');
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
          t.diagnostic(`receiver pause: ${FROZEN_BATCHES} batches with records completed ${Date.now() - movedAt} ms after the receiver moved`);
        } finally {
          afterBlockReport = () => undefined;
          seen.onStage = () => undefined;
          victim.kill('SIGCONT');
          contAt = Date.now();
        }
        assert.deepEqual(lostLocations, [], 'no task read a write-ahead-logged block from the frozen worker declared lost');
        await registeredAgain(joined, receiver.workerId, contAt!);
        await batchesWhere(job, '5 batches with records after the wake', (bs) => bs.filter((b) => b.time > contAt! + BATCH_MS && b.numRecords > 0).length >= 5);
        await stopAndCheckCounts(job, source, path.join(dir, 'stop'));
        assert.ok(source.connections >= 2, 'the source served a restarted receiver');
        // Fenced: awake, the replaced receiver read what the source had sent it meanwhile
        // (~4 s of lines) and stored it, but those stores are refused (its log is sealed), so
        // it acknowledges none of them; at most a block it had logged before the seal.
        const late = lateAcknowledged(source, 0);
        assert.ok(late <= 50, `the replaced receiver acknowledged ${late} lines after its replacement connected (records it made durable after it was replaced)`);
        const receiversAt = job.lines.filter((l) => l.startsWith('RECEIVER started ')).length;
        assert.equal(receiversAt, 2, `the receiver started twice (its first worker, another), not again when the old worker woke:\n${job.lines.filter((l) => l.startsWith('RECEIVER ')).join('\n')}`);
        t.diagnostic(`receiver pause: ${source.lines.length} lines, ${source.resent} sent again, ${source.connections} connections, ${late} acknowledged late by the replaced receiver`);
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
    });

  });
});
