// A worker cut off from the cluster by the network while its process goes on running, during
// a stateful stream (fixtures/stream-stateful.ts: updateStateByKey, mapWithState with a
// timeout, reduceByKeyAndWindow with an inverse, checkpointed; batch i always takes RDD i).
// One cluster for the file (worker-fault-support.ts: a driver in this process, 2 worker
// processes, a 3 s worker timeout, heartbeats every 500 ms) and a third worker whose every link
// goes through TCP proxies (network-fault-support.ts). Right after it wrote a map output of a
// batch's shuffle, its links are broken for 8 s: held open and silent (a half-dead link), then,
// in a second run, reset with every new connection refused. Either way the driver must
// declare it lost within its heartbeat timeout (Spark's HeartbeatReceiver with
// spark.network.timeout; here --worker-timeout-ms), run its work again from lineage on the
// others while batches go on, and when the link comes back the worker registers again and
// takes tasks; what it computed meanwhile (late task results, map outputs the driver
// forgot) counts nowhere: every batch's state, sums, snapshots and windows equal the
// computation done here (stateful-outputs.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollUntil, sleep } from './harness.js';
import { addProxiedWorker, lostByTimeout, type Break } from './network-fault-support.js';
import { driverState, membership, observe, reasons, registeredAgain, runStateful, withFaultCluster } from './worker-fault-support.js';

/** How long the link stays broken: well past the worker timeout. */
const BREAK_MS = 8000;

test('a worker cut off by the network during a stateful stream, then back', { timeout: 570_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const { joined, lost } = membership(h);
    const w = await addProxiedWorker(h, procs);
    try {
      for (const fault of ['hold', 'cut'] as const) {
        const what = fault === 'hold' ? 'held open and silent' : 'reset, new connections refused';
        await t.test(`its links ${what} for ${BREAK_MS / 1000} s right after it wrote a map output: declared lost within the worker timeout, its work done elsewhere; back, it registers again and takes tasks, and every output is exact`, async () => {
          let b: Break | undefined;
          let healedAt: number | undefined;
          const proxied = (): string => `the proxied worker ${w.id}'s last log lines:\n${w.log.slice(-40).join('\n')}`;
          await runStateful(h, 40, async (job) => {
            await job.waitLine('STATE {"i":3,', 60_000);
            seen.onTaskEnd = (e) => {
              if (b !== undefined || e.reason !== 'success' || e.workerId !== w.id || seen.stageKind.get(e.stageId) !== 'shuffleMap') return;
              b = w.break(fault);
            };
            try {
              const { at } = await pollUntil(() => b, 30_000, 'a shuffle map task to succeed on the proxied worker');
              const lostAt = await lostByTimeout(lost, w.id, b!);
              // Batches go on without it while its links are down: the break lasts BREAK_MS, and
              // longer if no batch completed after the loss by then (at load 30 none had within
              // the 5 s left after it: recomputing its lost work on the others took longer), until
              // one does.
              const states = (): number => job.lines.filter((l) => l.startsWith('STATE ')).length;
              const before = states();
              await sleep(Math.max(0, at + BREAK_MS - Date.now()));
              const goneOn = await pollUntil(() => (states() > before ? Date.now() : undefined), 60_000, 'a batch to complete while the worker was cut off').catch(() => undefined);
              assert.ok(goneOn !== undefined && states() > before, 'batches completed while the worker was cut off');
              t.diagnostic(`${fault}: declared lost ${lostAt - at} ms after the break; the break lasted ${goneOn - at} ms`);
            } finally {
              seen.onTaskEnd = () => undefined;
              w.heal();
              healedAt = Date.now();
            }
            try {
              const statesAtHeal = job.lines.filter((l) => l.startsWith('STATE ')).length;
              await registeredAgain(joined, w.id, healedAt!);
              const registeredAt = Date.now();
              const first = await pollUntil(() => seen.taskEnds.find((e) => e.workerId === w.id && e.reason === 'success' && e.at > healedAt!), 30_000, 'the worker to run a task after its link came back');
              t.diagnostic(`${fault}: healed after ${statesAtHeal} of 40 batches, registered again ${registeredAt - healedAt!} ms later, its first task done ${first.at - healedAt!} ms after the heal`);
            } catch (err) {
              const states = job.lines.filter((l) => l.startsWith('STATE ')).length;
              throw new Error(`${(err as Error).message} (the job ${job.ended ? 'had ended' : 'runs'}, ${states} STATE lines)\n${driverState(h, job)}\n${proxied()}`);
            }
          }, proxied);
          assert.ok(b !== undefined && healedAt !== undefined);
          t.diagnostic(`${fault}: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= b!.at)))}`);
          assert.equal(w.child.exitCode, null, 'the cut-off worker process is still running');
        });
      }
    } finally {
      await w.stop();
    }
  }, 2);
});
