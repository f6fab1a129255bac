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
//   (receiver-worker-pause.ts; the same without the log: stream-worker-pause-nolog.test.ts.)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil, sleep } from './harness.js';
import { FROZEN_BATCHES, PROGRESS_MS, receiverPauseTitle, receiverWorkerPause } from './receiver-worker-pause.js';
import { WORKER_TIMEOUT_MS, membership, registeredAgain, observe, reasons, runStateful, withFaultCluster } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

// FROZEN_BATCHES: how many batches complete without the frozen worker before it is woken, and
// PROGRESS_MS the bound on that wait: 10x what it takes on a quiet machine (~2-6 s); under the
// 120 s a shuffle fetch would wait on a silent peer (--peer-connect-timeout here), so a stage
// stuck on it fails (receiver-worker-pause.ts, shared with the receiver's case).

test('a worker frozen (SIGSTOP) during a stream until batches went on without it, then woken', { timeout: 300_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const registry = h.cluster.driver.registry;
    const { joined, lost } = membership(h);

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
          pause(victim);
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
          resume(victim);
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

    await t.test(receiverPauseTitle('wal'), (st) => receiverWorkerPause(st, h, procs, 'wal'));

  });
});
