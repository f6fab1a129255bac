// A task fetching map outputs from a worker that freezes (SIGSTOP) as the task is launched:
// once the driver declares the worker lost, the fetch must end as a fetch failure, the lost
// map outputs run again on the live workers (Spark's FetchFailed, then the map stage
// resubmitted), and the job or batch complete exactly, long before the freeze ends or the
// peer's silence bound (Spark's network timeout, 120 s here) passes. One cluster for the file
// (worker-fault-support.ts: a driver in this process, 3 one-core worker processes, a 3 s
// worker timeout, heartbeats every 500 ms).
// Two things end such a fetch, each tried alone too: the driver fails, as it declares the
// worker lost, the task sets reading its map outputs that have a task still to launch
// (DAGScheduler.failReadersOf: a fetch failure, the running tasks left to finish, as Spark's
// zombie stage; the map outputs and missing partitions run again on the slots the others
// free), and a worker fails the fetches waiting on a peer a heartbeat answer names lost
// (ShuffleClient.peersLost, reported by the task as a fetch failure). With neither, the
// channel's keepalive (a ping every 10 s, 5 s for its answer) ends the fetch 5-15 s after the
// freeze (10 s measured): too close to tell by time within a 10x bound, so the cases with one
// of them switched off check which one ended the stage (the failure's message).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { fixture, jsonLine, pollUntil, sleep, startJob, within, type ClusterHandle, type RunningJob } from './harness.js';
import { faultOnFetch, type FetchArming, membership, observe, reasons, registeredAgain, runStateful, show, shuffleFreezeSums, withFaultCluster, WORKER_TIMEOUT_MS } from './worker-fault-support.js';
import { pause, resume } from '@sluice/test-disk/pause';

/** How long the victim stays frozen at most; the job must end well within it. */
const FREEZE_MS = 50_000;
/** The bound on the job ending after the freeze: 3 s to declare the worker lost, 0.5 s to hear of it, map tasks and the reduce stage again; ~7x that. */
const FAILOVER_BOUND_MS = 30_000;

interface Freeze {
  /** The frozen worker's id and process, and when it was frozen. */
  readonly victimId: string;
  readonly victim: ChildProcess;
  readonly at: number;
}

/**
 * Arms a freeze: the next task launched on a worker whose stage reads a map output held by
 * another worker (of `procs`) freezes that other worker first, so the task fetches from a
 * process that answers nothing (worker-fault-support's faultOnFetch). Resolves with the freeze.
 */
async function freezeOnFetch(h: ClusterHandle, procs: Map<string, ChildProcess>, wrapped: WeakSet<object>, state: FetchArming): Promise<Freeze> {
  const { victimId, at } = await faultOnFetch(h, (id) => procs.has(id), wrapped, state, (id) => pause(procs.get(id)!));
  return { victimId, victim: procs.get(victimId)!, at };
}

test('a task fetching map outputs from a worker frozen as it is launched: a fetch failure once the worker is declared lost, its map outputs run again elsewhere, the result exact', { timeout: 240_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const { joined } = membership(h);
    const wrapped = new WeakSet<object>();
    const dag = h.cluster.driver.dag;
    const registry = h.cluster.driver.registry;

    // Each stage attempt that ended failing, and why (a fetch failure's message).
    const stageFailures: { at: number; failure: string }[] = [];
    dag.addListener({ onStageCompleted: (e) => e.failure !== undefined && stageFailures.push({ at: Date.now(), failure: e.failure }) });

    /**
     * The RDD job (6 map tasks of 300 ms each into 6 reduce partitions) with a freeze; returns the
     * freeze. `resumeOnceAborted`: the victim is woken as soon as the driver has aborted the stage
     * reading its map outputs, and that abort (not the job's end) must come within the bound: with
     * the workers' own failing of the fetches switched off, the reduce tasks already running fetch
     * on until the channel's keepalive ends them (5-15 s after the freeze, far longer on a busy
     * machine: the job then waited past FREEZE_MS in CI, before this session's changes too).
     */
    const rddJob = async (what: string, opts: { resumeOnceAborted?: boolean } = {}): Promise<Freeze> => {
      const arming = { arm: undefined };
      const frozen = freezeOnFetch(h, procs, wrapped, arming);
      let started: RunningJob | undefined;
      let freeze: Freeze | undefined;
      const n = 300_000;
      try {
        const job = await startJob(h.cluster, fixture('shuffle-freeze.ts'), [String(n), '6', '6', '300']);
        started = job;
        freeze = await within(frozen, 60_000, 'a task launched on a worker reading map outputs another worker holds');
        let endedAt: number | undefined;
        let run;
        let contAt: number | undefined;
        try {
          if (opts.resumeOnceAborted) {
            const victimId = freeze.victimId;
            const since = freeze.at;
            const aborted = (): boolean => stageFailures.some((f) => f.at >= since && f.failure === `worker ${victimId} holding map outputs was lost`);
            await pollUntil(() => aborted() || undefined, FREEZE_MS, `the driver to abort the stage reading worker ${victimId}'s map outputs`);
            endedAt = Date.now();
            resume(freeze.victim);
            contAt = Date.now();
            run = await within(job.done, FREEZE_MS, 'the job to end once the worker was woken');
          } else {
            run = await within(job.done, FREEZE_MS, `the job to end while worker ${freeze.victimId} is frozen`);
            endedAt = Date.now();
          }
        } finally {
          resume(freeze.victim);
        }
        contAt ??= Date.now();
        assert.equal(run.ok, true, show(run));
        assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT '), shuffleFreezeSums(n), 'every key summed once');
        const took = endedAt - freeze.at;
        const ended = opts.resumeOnceAborted ? 'the driver aborted the stage' : 'the job ended';
        t.diagnostic(`${what}: ${ended} ${took} ms after the freeze (worker timeout ${WORKER_TIMEOUT_MS} ms, peer bound 120 s); task ends after it: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= freeze!.at)))}`);
        assert.ok(took < FAILOVER_BOUND_MS, `${what}: ${ended} ${took} ms after the freeze: a fetch waited on the frozen worker`);
        await registeredAgain(joined, freeze.victimId, contAt);
        return freeze;
      } finally {
        arming.arm = undefined;
        resume(freeze?.victim);
        if (started && !started.ended) {
          h.cluster.driver.jobs.get(started.id)?.cancel();
          await within(started.done, 30_000, 'the cancelled job to end').catch(() => undefined);
        }
      }
    };

    await t.test('an RDD job: the driver aborts the readers and the workers fail their fetches', async () => {
      await rddJob('both');
    });

    await t.test('an RDD job with the driver\'s abort of the readers switched off: the workers, told in a heartbeat answer, fail the fetch as a fetch failure', async () => {
      const failReadersOf = dag.failReadersOf;
      let aborted = 0;
      dag.failReadersOf = () => {
        aborted++;
        return 0;
      };
      const since = Date.now();
      try {
        await rddJob('workers alone');
      } finally {
        dag.failReadersOf = failReadersOf;
      }
      assert.ok(aborted > 0, 'the driver declared the worker lost');
      const fetchFailed = seen.taskEnds.filter((e) => e.at >= since && e.reason === 'fetch_failed');
      assert.ok(fetchFailed.length > 0, `a task reported a fetch failure: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= since)))}`);
      assert.ok(fetchFailed.every((e) => /the driver declared it lost/.test(e.error?.message ?? '')), JSON.stringify(fetchFailed.map((e) => e.error?.message)));
    });

    await t.test('an RDD job with no lost peer in the heartbeat answers: the driver\'s abort alone', async () => {
      const lostPeers = registry.lostPeers;
      registry.lostPeers = () => [];
      let freeze: Freeze;
      try {
        freeze = await rddJob('driver alone', { resumeOnceAborted: true });
      } finally {
        registry.lostPeers = lostPeers;
      }
      // The reduce stage ended by the driver as it declared the worker lost (3 s), not by a
      // fetch giving up later on its own (the channel's keepalive, 5-15 s after the freeze).
      const failures = stageFailures.filter((f) => f.at >= freeze.at).map((f) => f.failure);
      assert.ok(failures.includes(`worker ${freeze.victimId} holding map outputs was lost`), `the driver aborted the stage reading the lost worker's map outputs: ${JSON.stringify(failures)}`);
    });

    await t.test('a stateful stream (updateStateByKey, mapWithState, windows): the batch whose task fetches from the frozen worker completes, every output exact', async () => {
      const arming = { arm: undefined };
      let freeze: Freeze | undefined;
      let contAt = 0;
      await runStateful(h, 24, async (job) => {
        await job.waitLine('STATE {"i":3,', 60_000);
        const frozen = freezeOnFetch(h, procs, wrapped, arming);
        try {
          freeze = await within(frozen, 30_000, 'a task launched on a worker reading map outputs another worker holds');
          const before = job.lines.filter((l) => l.startsWith('STATE ')).length;
          let progressAt: number | undefined;
          while (progressAt === undefined && Date.now() - freeze.at < FREEZE_MS) {
            if (job.lines.filter((l) => l.startsWith('STATE ')).length > before) progressAt = Date.now();
            else await sleep(50);
          }
          assert.ok(progressAt !== undefined, `no batch completed in the ${FREEZE_MS / 1000} s of the freeze:\n${job.lines.slice(-10).join('\n')}`);
          const took = progressAt - freeze.at;
          t.diagnostic(`stream: a batch completed ${took} ms after the freeze; task ends after it: ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= freeze!.at)))}`);
          assert.ok(took < FAILOVER_BOUND_MS, `the next batch completed ${took} ms after the freeze: a fetch waited on the frozen worker`);
        } finally {
          arming.arm = undefined;
          resume(freeze?.victim);
          contAt = Date.now();
        }
        await registeredAgain(joined, freeze!.victimId, contAt);
      });
    });
  });
});
