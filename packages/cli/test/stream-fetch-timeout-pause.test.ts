// A worker frozen (SIGSTOP, a stalled VM or a long GC pause) while it serves a stateful
// stream's map outputs to another worker's reduce task, longer than the workers' bound on a
// silent peer (`sluice worker --peer-connect-timeout`, 2 s here) and shorter than the driver's
// worker timeout (60 s here): the driver does not declare it lost, so what ends the reduce
// task's wait is the fetch's own bound (Spark's spark.shuffle.io.connectionTimeout under its
// FetchFailedException). A driver in this process, 3 one-core worker processes
// (worker-fault-support.ts), fixtures/stream-stateful.ts (updateStateByKey, mapWithState with a
// timeout, reduceByKeyAndWindow with an inverse, all checkpointed, a queueStream whose batch i
// always takes RDD i).
// - Frozen: the fetch fails as a fetch failure naming the frozen worker and the bound, the map
//   outputs it held run again on the others, and batches complete while it stays frozen.
// - Woken (SIGCONT): it was never declared lost; it takes tasks again and they succeed; no
//   partition of a stage attempt succeeded twice; every batch's state, sums, snapshots and
//   windows equal stateful-outputs.ts' computation (runStateful), and the state checkpoints
//   are whole.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep, within } from './harness.js';
import { driverWarnings, faultOnFetch, type FetchArming, membership, observe, reasons, runStateful, withFaultCluster } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

/** The workers' bound on a silent peer. */
const PEER_TIMEOUT_MS = 2000;
/** The driver's worker timeout: far past any freeze here, so the driver never declares the frozen worker lost. */
const WORKER_TIMEOUT_MS = 60_000;
/** Batches that complete while the worker is frozen, after its fetch failed, before it is woken. */
const FROZEN_BATCHES = 3;
/** Bound on the freeze (the fetch failure, then FROZEN_BATCHES batches): under the worker timeout, ~10x a quiet machine's. */
const FREEZE_BOUND_MS = 45_000;

test('a worker frozen past the fetch timeout (not the worker timeout) while it serves a stateful stream\'s map outputs: the fetch fails, its map outputs run elsewhere, batches go on; woken, it takes tasks again, never lost, every output exact', { timeout: 200_000 }, async (t) => {
  await withFaultCluster(
    async (h, procs) => {
      const seen = observe(h);
      const { lost } = membership(h);
      const arming: FetchArming = { arm: undefined };
      let freeze: { victimId: string; at: number } | undefined;
      let fetchFailedAt: number | undefined;
      let contAt: number | undefined;
      let frozenBatches = 0;
      const run = await runStateful(h, 24, async (job) => {
        await job.waitLine('STATE {"i":3,', 60_000);
        const frozen = faultOnFetch(h, (id) => procs.has(id), new WeakSet(), arming, (id) => pause(procs.get(id)!));
        try {
          freeze = await within(frozen, 30_000, 'a task launched on a worker reading map outputs another worker holds');
          const victimId = freeze.victimId;
          const states = (): number => job.lines.filter((l) => l.startsWith('STATE ')).length;
          let before: number | undefined;
          while (before === undefined || states() < before + FROZEN_BATCHES) {
            const waited = Date.now() - freeze.at;
            assert.ok(waited < FREEZE_BOUND_MS, `${waited} ms after the freeze: ${fetchFailedAt === undefined ? 'no fetch from the frozen worker failed' : `${before === undefined ? 0 : states() - before} of ${FROZEN_BATCHES} batches completed after the fetch failed`}; task ends since: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= freeze!.at)))}\n${driverWarnings(h).slice(-20).join('\n')}`);
            if (fetchFailedAt === undefined) {
              const failed = seen.taskEnds.find((e) => e.at >= freeze!.at && e.reason === 'fetch_failed' && e.error?.message.includes(`worker ${victimId} `));
              if (failed !== undefined) {
                fetchFailedAt = failed.at;
                before = states();
                t.diagnostic(`the fetch failed ${failed.at - freeze.at} ms after the freeze: ${failed.error?.message}`);
              }
            }
            await sleep(50);
          }
          frozenBatches = states() - before;
          assert.ok(!lost.some((l) => l.id === victimId), `the frozen worker was declared lost (its freeze is under the ${WORKER_TIMEOUT_MS} ms worker timeout)`);
        } finally {
          arming.arm = undefined;
          if (freeze !== undefined) resume(procs.get(freeze.victimId));
          contAt = Date.now();
        }
        // Woken: it takes tasks again (its slot was the driver's all along) and they succeed.
        const victimId = freeze.victimId;
        const deadline = Date.now() + 60_000;
        while (!seen.taskEnds.some((e) => e.at > contAt! && e.workerId === victimId && e.reason === 'success')) {
          assert.ok(Date.now() < deadline, `the woken worker ended no task successfully within 60 s: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at > contAt!)))}`);
          await sleep(50);
        }
      });
      assert.ok(run.ok);
      const victimId = freeze!.victimId;
      const ends = seen.taskEnds.filter((e) => e.at >= freeze!.at);
      t.diagnostic(`frozen ${contAt! - freeze!.at} ms, ${frozenBatches} batches completed meanwhile; task ends from the freeze on: ${JSON.stringify(reasons(ends))}`);
      // The fetch failed on its own bound, naming the frozen worker, the bound and the option.
      const fetchFailures = ends.filter((e) => e.reason === 'fetch_failed' && e.error?.message.includes(`worker ${victimId} `));
      assert.ok(fetchFailures.length >= 1, 'a reduce task\'s fetch from the frozen worker failed');
      for (const e of fetchFailures) {
        assert.match(e.error?.message ?? '', new RegExp(`worker ${victimId} at 127\\.0\\.0\\.1:\\d+ did not connect and answer within ${PEER_TIMEOUT_MS} ms .*--peer-connect-timeout`));
        // The peer is frozen, not gone: the message must not say it is gone alone.
        assert.match(e.error?.message ?? '', /it may be stopped \(SIGSTOP, a paused container\), overloaded, or gone without a reset/);
      }
      assert.ok(fetchFailedAt! - freeze!.at >= PEER_TIMEOUT_MS - 200, `the fetch failed ${fetchFailedAt! - freeze!.at} ms after the freeze, before its ${PEER_TIMEOUT_MS} ms bound`);
      assert.deepEqual(lost.filter((l) => l.id === victimId), [], 'the frozen worker was never declared lost');
      // No partition of a stage attempt succeeded twice (a late answer of the woken worker counted again).
      const successes = new Map<string, number>();
      for (const e of seen.taskEnds.filter((x) => x.reason === 'success')) {
        const key = `${e.runId}/${e.stageId}.${e.stageAttempt}/${e.partition}`;
        successes.set(key, (successes.get(key) ?? 0) + 1);
      }
      assert.deepEqual([...successes].filter(([, n]) => n > 1), [], 'each partition of a stage attempt succeeded once');
    },
    3,
    WORKER_TIMEOUT_MS,
    `${PEER_TIMEOUT_MS / 1000}s`,
  );
});
