// A worker killed with SIGKILL while a coalesced result stage's range tasks run. A reduceByKey
// of 12 map partitions into 48 reduce partitions is collected on 2 one-core workers: the
// result stage runs ranges of 6 partitions a task (48 / (4 tasks a core x 2 cores)), 8 tasks.
// Each range task from partition 12 on waits at its first partition on a gate the test holds,
// after leaving a file that names its partition and its worker's pid; once the ranges 0-5 and
// 6-11 are done and a range task is held on each worker, the test kills one that holds some of
// the map outputs, then opens the gate. The stage attempt fails at once (a task pending would
// launch without the lost outputs: Spark's FetchFailed), the other worker's held range task
// runs on in it and completes (Spark's zombie stage: no task of it is killed), and the stage
// runs again for the 30 partitions left, on one core: ranges of 7 from multiples of 7, not the
// first attempt's ranges of 6, so each range's values must be filed by the new ranges. The collect must give
// exactly the sums computed here, each record once, partition after partition and each from
// its own partition; the killed worker's map outputs must be computed again (each once, and
// only those), and its range task must have ended as lost, told as Spark's ExecutorLostFailure
// (to the program's SparkListener and in REST's failedTasks and taskList).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, fixture, jsonLine, pollUntil, startJob, within, withCluster } from './harness.js';

const MAPS = 12;
const REDUCES = 48;
const SHUFFLE = 0;

/** The fixture's rule (fixtures/range-kill.ts), written again here. */
const writes = (m: number, r: number): boolean => r % 5 !== 2 && (r * 3 + m * 7) % 4 < 3;

/** Each key's sum, by key. */
function expectedSums(): [number, number][] {
  const sums = new Map<number, number>();
  for (let m = 0; m < MAPS; m++) {
    for (let r = 0; r < REDUCES; r++) if (writes(m, r)) for (let j = 0; j <= m % 3; j++) sums.set(r + REDUCES * j, (sums.get(r + REDUCES * j) ?? 0) + m * 1000 + j);
  }
  return [...sums].sort((a, b) => a[0] - b[0]);
}

test('a worker killed while range tasks of a result stage run: exact results in partition order, its map outputs and ranges computed again', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-range-kill-'));
  try {
    // Speculation off: a copy of a slow map task would leave a second map output to count.
    await withCluster({ workers: 0, driver: { webPort: 0, tasks: { speculation: false } } }, async (h) => {
      const driver = h.cluster.driver;
      // Workers started one at a time, so each registered id is known to belong to its process.
      const procs = new Map<string, ChildProcess>();
      for (let i = 0; i < 2; i++) {
        const known = new Set(driver.registry.all().map((w) => w.id));
        const child = h.cluster.addWorker();
        await h.cluster.waitForWorkers(known.size + 1, 30_000);
        procs.set(driver.registry.all().find((w) => !known.has(w.id))!.id, child);
      }
      const mapStages = new Set<number>();
      const resultStages = new Set<number>();
      let mapRuns: number[] = [];
      const resultTasks: number[] = [];
      const resultEnds: { workerId: string; reason: string; partition: number }[] = [];
      const listener: Parameters<typeof driver.dag.addListener>[0] = {
        onStageSubmitted: (e) => {
          if (e.kind === 'shuffleMap') mapStages.add(e.stageId);
          else {
            resultStages.add(e.stageId);
            resultTasks.push(e.numTasks);
          }
        },
        onTaskEnd: (e) => {
          if (mapStages.has(e.stageId) && e.reason === 'success') mapRuns.push(e.partition);
          if (resultStages.has(e.stageId)) resultEnds.push({ workerId: e.workerId, reason: e.reason, partition: e.partition });
        },
      };
      driver.dag.addListener(listener);
      const job = await startJob(h.cluster, fixture('range-kill.ts'), [dir, String(MAPS), String(REDUCES)]);

      // The ranges 0-5 and 6-11 are done; both workers run a range task, held at its first partition.
      const started = await pollUntil(
        () => {
          if (resultEnds.filter((e) => e.reason === 'success').length < 2) return undefined;
          const files = fs.readdirSync(dir).filter((f) => f.startsWith('started-'));
          const byPid = new Map<number, number[]>();
          for (const f of files) {
            const [p, pid] = f.slice('started-'.length).split('-').map(Number);
            byPid.set(pid!, [...(byPid.get(pid!) ?? []), p!]);
          }
          return byPid.size === 2 ? byPid : undefined;
        },
        60_000,
        'the ranges 0-5 and 6-11 done and a range task held on each worker',
      );
      assert.deepEqual(resultEnds.map((e) => [e.partition, e.reason]).sort(), [[0, 'success'], [6, 'success']], 'the ranges done before the kill');
      assert.deepEqual([...mapRuns].sort((x, y) => x - y), Array.from({ length: MAPS }, (_, m) => m), 'each map task ran once');
      assert.deepEqual(resultTasks, [REDUCES / 6], 'the result stage ran ranges of 6 partitions a task');
      // Each held task is at the first partition of its range (a multiple of 6).
      for (const parts of started.values()) for (const p of parts) assert.ok(p % 6 === 0 && p >= 12, `held range tasks start at multiples of 6 from 12: ${JSON.stringify([...started])}`);

      // The victim: a worker holding some but not all map outputs (re-running every map task, or
      // none, would show), or all of them if the other worker ran none (a loaded machine).
      const placed = (driver.dag.mapOutputs.locations(job.id, SHUFFLE) ?? []).map((l) => l.workerId);
      assert.equal(placed.length, MAPS);
      const byWorker = [...procs.keys()].map((id) => ({ id, maps: placed.flatMap((x, m) => (x === id ? [m] : [])) }));
      const victim = byWorker.filter((x) => x.maps.length > 0).sort((x, y) => x.maps.length - y.maps.length)[0]!;
      const victimProc = procs.get(victim.id)!;
      assert.ok(started.has(victimProc.pid!), `the victim ${victim.id} runs a range task`);
      const lost = new Promise<void>((resolve) =>
        driver.registry.addListener({ workerAdded: () => undefined, workerLost: (w) => void (w.id === victim.id && resolve()) }),
      );
      mapRuns = [];
      victimProc.kill('SIGKILL');
      await within(lost, 30_000, `the driver to declare ${victim.id} lost`);
      fs.writeFileSync(path.join(dir, 'go'), '');

      const run = await within(job.done, 60_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
      const records = jsonLine<[number, number, number][]>(job.lines, 'RESULT ');
      // Each record was computed in its own partition, and collect gave them partition after partition.
      for (const [k, , p] of records) assert.equal(p, k % REDUCES, `key ${k} computed in partition ${p}`);
      const parts = records.map(([, , p]) => p);
      assert.deepEqual(parts, [...parts].sort((x, y) => x - y), 'records in partition order');
      // Every key once, with its sum.
      assert.deepEqual(
        records.map(([k, v]): [number, number] => [k, v]).sort((a, b) => a[0] - b[0]),
        expectedSums(),
      );
      // The other worker's held range task ran on in the failed attempt and completed its 6 partitions.
      const [survivorPid, [held]] = [...started].find(([pid]) => pid !== victimProc.pid!)!;
      const survivor = [...procs].find(([, p]) => p.pid === survivorPid)![0];
      assert.ok(resultEnds.some((e) => e.workerId === survivor && e.partition === held && e.reason === 'success'), `the held range ${held}-${held + 5} on ${survivor} completed: ${JSON.stringify(resultEnds)}`);
      assert.ok(!resultEnds.some((e) => e.reason === 'killed'), `no range task killed: ${JSON.stringify(resultEnds)}`);
      // The stage's second attempt: the 30 partitions left in ranges of min(8, 30 / (4 x 1 core)) = 7,
      // each closed at a gap or a multiple of 7.
      const left = Array.from({ length: REDUCES - 12 }, (_, i) => i + 12).filter((p) => p < held || p > held + 5);
      const ranges = left.filter((p, i) => i === 0 || p !== left[i - 1]! + 1 || p % 7 === 0).length;
      assert.deepEqual(resultTasks, [REDUCES / 6, ranges], 'the result stage again, for the partitions left, in ranges of 7');
      assert.deepEqual([...mapRuns].sort((x, y) => x - y), victim.maps, `only the map outputs of the killed ${victim.id} were computed again, each once`);
      assert.ok(
        resultEnds.some((e) => e.workerId === victim.id && e.reason === 'worker_lost'),
        `the killed worker's range task ended as lost: ${JSON.stringify(resultEnds)}`,
      );
      // Spark's ExecutorLostFailure.toErrorString, exitCausedByApp false (a lost worker does not count
      // against its tasks): "ExecutorLostFailure (executor <id> exited unrelated to the running tasks) Reason: <reason>".
      const lostText = `ExecutorLostFailure (executor ${victim.id} exited unrelated to the running tasks) Reason: worker ${victim.id} was lost`;
      const heard = job.lines.filter((l) => l.startsWith('LOST ')).map((l) => JSON.parse(l.slice('LOST '.length)) as { executorId: string; error?: string; errorString?: string });
      assert.ok(heard.length > 0, `the program's listener heard the lost task: ${JSON.stringify(job.lines.slice(-5))}`);
      assert.deepEqual(heard, heard.map(() => ({ executorId: victim.id, error: `worker ${victim.id} was lost`, errorString: lostText })));
      const resultStage = [...resultStages][0]!;
      const get = appRest(h.cluster, job.id);
      const stage = await get<{ failedTasks: { executorId: string; errorMessage: string }[] }>(`stages/${resultStage}/0`);
      const failedOnVictim = stage.failedTasks.filter((f) => f.executorId === victim.id);
      assert.ok(failedOnVictim.length > 0, JSON.stringify(stage.failedTasks));
      assert.deepEqual(failedOnVictim.map((f) => f.errorMessage), failedOnVictim.map(() => lostText));
      const tasks = await get<{ executorId: string; status: string; errorMessage?: string }[]>(`stages/${resultStage}/0/taskList?length=100`);
      const lostTasks = tasks.filter((t) => t.status === 'FAILED' && t.executorId === victim.id);
      assert.ok(lostTasks.length > 0, JSON.stringify(tasks));
      assert.deepEqual(lostTasks.map((t) => [t.executorId, t.errorMessage]), lostTasks.map(() => [victim.id, lostText]));
      driver.dag.removeListener(listener);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
