// A worker killed with -9 during a job, then another killed while the job recovers from the
// first: a driver in this process, 3 one-core worker processes (worker-fault-support.ts), and
// fixtures/double-kill-job.ts (a shuffle A into a cached RDD, read by a shuffle B).
// 1. While action 2's tasks read the cached RDD (held at a gate), the worker running one is
//    killed: it was the only holder of its cached partitions and of some of shuffle A's map
//    outputs. Its cached partitions are computed again from shuffle A, whose lost map outputs
//    are run again (Spark's FetchFailed, then the map stage resubmitted).
// 2. While such a re-run map task of shuffle A runs (held at a gate), its worker is killed
//    too: the outputs that worker held, old and new, are lost as well, and are computed again.
// A fresh worker is started after each kill. The results must equal the computation done
// here: every key's sum once, nothing lost or counted twice, and the job must not fail for
// the stage attempts the two losses cost.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { fixture, jsonLine, pollUntil, startJob, within } from './harness.js';
import { observe, reasons, show, tmpDir, withFaultCluster } from './worker-fault-support.js';

const N = 60_000;

function expected(): { sums: [number, number][]; groups: [number, number][] } {
  const sums = new Map<number, number>();
  for (let i = 0; i < N; i++) sums.set(i % 40, (sums.get(i % 40) ?? 0) + i);
  const groups = new Map<number, number>();
  for (const [k, v] of sums) groups.set(k % 7, (groups.get(k % 7) ?? 0) + v);
  const byKey = (a: [number, number], b: [number, number]): number => a[0] - b[0];
  return { sums: [...sums].sort(byKey), groups: [...groups].sort(byKey) };
}

/** The markers `kind-<partition>-<pid>` the fixture left in `dir`. */
function markers(dir: string, kind: string): { partition: number; pid: number }[] {
  return fs
    .readdirSync(dir)
    .map((n) => new RegExp(`^${kind}-(\\d+)-(\\d+)$`).exec(n))
    .filter((m) => m !== null)
    .map((m) => ({ partition: Number(m[1]), pid: Number(m[2]) }));
}

test('a worker killed while it alone holds cached partitions and map outputs, then the worker re-running the lost map outputs killed too: exact results', { timeout: 180_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const seen = observe(h);
    const stages: { stageId: number; kind: string; tasks: number; at: number }[] = [];
    seen.onStage = (e) => stages.push({ stageId: e.stageId, kind: e.kind, tasks: (e as { numTasks?: number }).numTasks ?? -1, at: Date.now() });
    const dir = tmpDir('double-kill');
    try {
      const byPid = (pid: number): [string, ReturnType<typeof procs.get>] | undefined => [...procs].find(([, c]) => c.pid === pid);
      const job = await startJob(h.cluster, fixture('double-kill-job.ts'), [String(N), dir]);
      await job.waitLine('MARK cached', 60_000);
      const shuffleA = (h.cluster.driver.dag.mapOutputs.locations(job.id, 0) ?? []).map((l) => l.workerId);
      assert.equal(shuffleA.length, 12, 'shuffle A complete after action 1');
      fs.writeFileSync(path.join(dir, 'phase2'), '');

      // 1. The worker of a held task reading the cache, holding some of shuffle A's outputs.
      const first = await pollUntil(() => markers(dir, 'read').find((m) => byPid(m.pid) !== undefined && shuffleA.includes(byPid(m.pid)![0])), 60_000, 'a held task reading the cached RDD on a worker holding map outputs', 10);
      const [firstId, firstProc] = byPid(first.pid)!;
      const lostOutputs = shuffleA.filter((w) => w === firstId).length;
      const killed1At = Date.now();
      firstProc!.kill('SIGKILL');
      await exited(firstProc!);
      procs.delete(firstId);
      await pollUntil(() => (h.cluster.driver.registry.get(firstId) === undefined ? true : undefined), 30_000, 'the killed worker declared lost');
      await addWorkers(h, 1, procs);
      fs.writeFileSync(path.join(dir, 'open-read'), '');

      // 2. The worker of a held re-run of a lost map task of shuffle A.
      const second = await pollUntil(() => markers(dir, 'rerun').find((m) => byPid(m.pid) !== undefined), 60_000, 'a re-run map task of shuffle A', 10);
      const [secondId, secondProc] = byPid(second.pid)!;
      const killed2At = Date.now();
      secondProc!.kill('SIGKILL');
      await exited(secondProc!);
      procs.delete(secondId);
      await pollUntil(() => (h.cluster.driver.registry.get(secondId) === undefined ? true : undefined), 30_000, 'the killed worker declared lost');
      await addWorkers(h, 1, procs);
      fs.writeFileSync(path.join(dir, 'open-rerun'), '');

      const run = await within(job.done, 120_000, 'the job after two kills');
      t.diagnostic(`lost ${lostOutputs} of 12 map outputs with the first worker; stages ${JSON.stringify(stages.map((s) => `${s.stageId}:${s.kind}@${s.at - killed1At}`))}; task ends after kill 1 ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= killed1At && e.at < killed2At)))}, after kill 2 ${JSON.stringify(reasons(seen.taskEnds.filter((e) => e.at >= killed2At)))}`);
      assert.equal(run.ok, true, show(run));
      const want = expected();
      assert.equal(jsonLine<number>(run.lines, 'COUNT '), 40);
      assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT '), want.groups, 'shuffle B over the cached RDD');
      assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT2 '), want.sums, 'the cached RDD collected again');
      assert.ok(lostOutputs > 0, 'the first killed worker held map outputs of shuffle A');
      // The held re-run's partition ran once more elsewhere, after its worker was killed.
      const reruns = markers(dir, 'rerun').filter((m) => m.partition === second.partition);
      assert.ok(reruns.some((m) => m.pid !== second.pid), `map partition ${second.partition} of shuffle A ran again after its worker was killed: ${JSON.stringify(reruns)}`);
      assert.ok(!h.cluster.driver.registry.all().some((w) => w.id === firstId || w.id === secondId), 'both killed workers were declared lost');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
