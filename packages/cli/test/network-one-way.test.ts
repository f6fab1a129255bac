// A worker whose links from the driver (and from the other workers) go silent in that
// direction only — TCP accepts, nothing it is sent arrives, what it sends flows — while its
// own heartbeats reach the driver, as a task reading the map outputs it holds is launched on
// another worker, during an RDD job with a shuffle (fixtures/shuffle-freeze.ts: a reduceByKey
// of 9 map partitions into 6, collected). One cluster for the file: a driver in this process
// (its log kept in memory), 2 worker processes, a 3 s worker timeout, heartbeats every
// 500 ms, Spark's 120 s bound on a silent peer, and a third worker behind TCP proxies
// (network-fault-support.ts) whose inbound direction is held. Its heartbeats never let it
// time out: before the driver watched the tasks its heartbeats report, the job waited out
// the 120 s peer bound (136 s measured). Now the driver warns that tasks it launched there
// were never reported, fails them as lost there, connects anew, gets no answer over the new
// connection either and declares the worker lost: the map outputs it held run again from
// lineage, and the job ends exact, long before the peer bound.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { pino } from 'pino';
import { addWorkers } from './cluster-workers.js';
import { cancelIfRunning, fixture, jsonLine, startJob, withCluster, within, type RunningJob } from './harness.js';
import { addProxiedWorker, type Break } from './network-fault-support.js';
import { WORKER_TIMEOUT_MS, faultOnFetch, type FetchArming, observe, reasons, show, shuffleFreezeSums } from './worker-fault-support.js';

type LogEntry = Record<string, unknown> & { msg: string; level: number };

/** The job must end this soon after the hold: not the 120 s peer bound (it ended 18-22 s after it at load 17-23). */
const NOT_THE_PEER_BOUND_MS = 90_000;
const UNSEEN = 'what the driver sends it does not reach it';

test('a worker that gets nothing the driver sends while its heartbeats arrive: warned of, declared lost, its map outputs run again, the result exact long before the 120 s peer bound', { timeout: 300_000 }, async (t) => {
  const entries: LogEntry[] = [];
  const log = pino({ level: 'info', base: undefined }, { write: (s: string) => void entries.push(JSON.parse(s) as LogEntry) });
  await withCluster(
    { workers: 0, logLevel: 'error', log, workerArgs: ['--peer-connect-timeout', '120s'], driver: { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500, tasks: { speculation: true } } },
    async (h) => {
      const procs = new Map<string, ChildProcess>();
      await addWorkers(h, 2, procs);
      const seen = observe(h);
      const lost: { id: string; at: number; reason: string }[] = [];
      h.cluster.driver.registry.addListener({ workerAdded: () => undefined, workerLost: (w, reason) => void lost.push({ id: w.id, at: Date.now(), reason }) });
      const w = await addProxiedWorker(h, procs);
      const arming: FetchArming = {};
      let b: Break | undefined;
      let started: RunningJob | undefined;
      const n = 300_000;
      try {
        const broken = faultOnFetch(h, (id) => id === w.id, new WeakSet(), arming, () => (b = w.break('holdToWorker')));
        // Under load the proxied worker may run no map task that another reads (its tasks
        // lost to speculation): the job is exact all the same, and runs again, at most 4 times.
        for (let attempt = 1; b === undefined; attempt++) {
          const since = Date.now();
          const job = await startJob(h.cluster, fixture('shuffle-freeze.ts'), [String(n), '9', '6', '300']);
          started = job;
          const first = await within(Promise.race([broken, job.done]), 120_000, 'a task launched on a worker reading map outputs the proxied worker holds, or the job to end');
          if ('victimId' in first) break;
          assert.equal(first.ok, true, show(first));
          assert.deepEqual(jsonLine<[number, number][]>(first.lines, 'RESULT '), shuffleFreezeSums(n), 'every key summed once');
          assert.ok(attempt < 4, `no task read map outputs of the proxied worker in 4 jobs; task ends: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= since)))}\n${w.log.slice(-30).join('\n')}`);
        }
        const at = b!.at;
        const run = await within(started!.done, NOT_THE_PEER_BOUND_MS, `the job to end while what is sent to worker ${w.id} is held (not the 120 s peer bound); driver warnings: ${JSON.stringify(entries.filter((e) => e.level >= 40).slice(-10))}`);
        const took = Date.now() - at;
        t.diagnostic(`the job ended ${took} ms after the hold`);
        assert.equal(run.ok, true, show(run));
        assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT '), shuffleFreezeSums(n), 'every key summed once');
        const warned = entries.filter((e) => e.level === 40 && e.msg.includes(UNSEEN) && e.workerId === w.id);
        assert.ok(warned.length > 0, `the driver warned of the tasks it sent the worker that never arrived; its warnings: ${JSON.stringify(entries.filter((e) => e.level >= 40))}`);
        const first = warned[0]!;
        assert.match(String(first.address), /^127\.0\.0\.2:\d+$/, 'the warning names its address, the one it advertised');
        assert.ok(Array.isArray(first.taskIds) && first.taskIds.length > 0, `the warning names the tasks: ${JSON.stringify(first)}`);
        assert.match(first.msg, new RegExp(`worker ${w.id} at 127\\.0\\.0\\.2:\\d+`), 'the warning names the worker and its address');
        const declared = lost.find((l) => l.id === w.id && l.at >= at);
        assert.ok(declared, 'the worker was declared lost, though its heartbeats arrive');
        assert.match(declared.reason, /got no answer/, `declared lost for its unanswered call, not a timeout: ${declared.reason}`);
        assert.equal(w.child.exitCode, null, 'its process still runs');
        assert.ok(seen.taskEnds.some((e) => e.at >= at && e.workerId === w.id && e.reason === 'worker_lost'), `a task on it ended as lost with it: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= at)))}`);
        t.diagnostic(`warned ${Number(first.time) - at} ms after the hold, declared lost ${declared.at - at} ms after it; task ends after it: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= at)))}`);
      } finally {
        arming.arm = undefined;
        w.heal();
        await cancelIfRunning(h.cluster, started);
        await w.stop();
      }
    },
  );
});
