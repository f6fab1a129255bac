// A worker holding map outputs cut off from the cluster by the network (its process goes on
// running) as a task reading those outputs is launched on another worker, during an RDD job
// with a shuffle (fixtures/shuffle-freeze.ts: a reduceByKey of 9 map partitions into 6,
// collected). One cluster for the file (worker-fault-support.ts: a driver in this process, 2
// worker processes, a 3 s worker timeout, heartbeats every 500 ms, Spark's 120 s bound on a
// silent peer) and a third worker whose every link goes through TCP proxies
// (network-fault-support.ts), held open and silent (a half-dead link), then in a second job
// reset with every new connection refused. The driver must declare it lost within its
// heartbeat timeout, the fetch end as a fetch failure, the lost map outputs run again from
// lineage on the others and the job end exact, long before the peer bound; once the link is
// back the worker registers again.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cancelIfRunning, fixture, jsonLine, startJob, within, type RunningJob } from './harness.js';
import { addProxiedWorker, lostByTimeout, type Break } from './network-fault-support.js';
import { faultOnFetch, type FetchArming, membership, observe, reasons, registeredAgain, show, shuffleFreezeSums, withFaultCluster } from './worker-fault-support.js';

/** The bound on the job ending after the break: 3 s to declare the worker lost, map tasks and the reduce stage again; ~7x that. */
const FAILOVER_BOUND_MS = 30_000;

test('a worker holding map outputs cut off by the network as another fetches them, during an RDD job', { timeout: 240_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const { joined, lost } = membership(h);
    const wrapped = new WeakSet<object>();
    const arming: FetchArming = {};
    const w = await addProxiedWorker(h, procs);
    try {
      for (const fault of ['hold', 'cut'] as const) {
        const what = fault === 'hold' ? 'held open and silent' : 'reset, new connections refused';
        await t.test(`its links ${what}: declared lost within the worker timeout, its map outputs run again elsewhere, the result exact; back, it registers again`, async () => {
          let b: Break | undefined;
          const broken = faultOnFetch(h, (id) => id === w.id, wrapped, arming, () => (b = w.break(fault)));
          let started: RunningJob | undefined;
          let at: number | undefined;
          const n = 300_000;
          try {
            // Under load the proxied worker may run no map task that another reads (its tasks
            // lost to speculation): the job is exact all the same, and runs again, at most 4 times.
            for (let attempt = 1; at === undefined; attempt++) {
              const since = Date.now();
              const job = await startJob(h.cluster, fixture('shuffle-freeze.ts'), [String(n), '9', '6', '300']);
              started = job;
              const first = await within(Promise.race([broken, job.done]), 60_000, 'a task launched on a worker reading map outputs the proxied worker holds, or the job to end');
              if ('victimId' in first) {
                at = first.at;
                break;
              }
              assert.equal(first.ok, true, show(first));
              assert.deepEqual(jsonLine<[number, number][]>(first.lines, 'RESULT '), shuffleFreezeSums(n), 'every key summed once');
              assert.ok(attempt < 4, `no task read map outputs of the proxied worker in 4 jobs; task ends: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= since)))}\n${w.log.slice(-30).join('\n')}`);
            }
            const run = await within(started!.done, FAILOVER_BOUND_MS, `the job to end while worker ${w.id} is cut off`);
            const took = Date.now() - at;
            assert.equal(run.ok, true, show(run));
            assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT '), shuffleFreezeSums(n), 'every key summed once');
            const lostAt = await lostByTimeout(lost, w.id, b!);
            t.diagnostic(`${fault}: declared lost ${lostAt - at} ms after the break, the job ended ${took} ms after it; task ends after it: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= at!)))}`);
          } finally {
            arming.arm = undefined;
            w.heal();
            await cancelIfRunning(h.cluster, started);
          }
          const healedAt = Date.now();
          await registeredAgain(joined, w.id, healedAt);
          assert.equal(w.child.exitCode, null, 'the cut-off worker process is still running');
          assert.ok(seen.taskEnds.some((e) => e.at >= at! && (e.reason === 'fetch_failed' || e.reason === 'killed')), 'a reader of its map outputs failed or was stopped');
        });
      }
    } finally {
      await w.stop();
    }
  }, 2);
});
