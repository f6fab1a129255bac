// Spark's scheduler semantics on a lost worker and a fetch failure, with real processes (a
// driver in this process, one-core worker processes on loopback).
// - TaskSetManager.executorLost for a shuffle map stage still running: each map task that had
//   succeeded on the lost worker (its output went with it) is told as a task end with reason
//   Resubmitted (its own successful attempt: task id, worker) and runs again in the same stage
//   attempt; the stage is not submitted again (DAGScheduler's `case Resubmitted`: the
//   partition is pending again in the running stage). The program's SparkListener hears `Resubmitted` with
//   Spark's Resubmitted.toErrorString; REST counts it as a failed task of the stage, the
//   successful attempt's own entry staying SUCCESS (AppStatusListener, SPARK-41187).
// - TaskSetManager.handleFailedTask on FetchFailed: the stage attempt ends (FAILED, resubmitted)
//   but its other running tasks are not killed: they run on in the zombie attempt, and one that
//   succeeds there counts (DAGScheduler.handleTaskCompletion takes a result task's success from
//   an older attempt while its partition is unfinished; notifyPartitionCompletion), so the
//   resubmitted attempt runs only what is still missing; each result and accumulator update once.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, fixture, jsonLine, jsonLines, pollUntil, removeBlocksOn, startJob, within, withCluster } from './harness.js';

/** fixtures/resubmitted.ts's sums: key k gets m * 100 + k from each of the 4 map partitions. */
function expectedSums(): [number, number][] {
  const out: [number, number][] = [];
  for (let k = 0; k < 10; k++) {
    let sum = 0;
    for (let m = 0; m < 4; m++) sum += m * 100 + k;
    out.push([k, sum]);
  }
  return out;
}

interface HeardEnd {
  readonly stageId: number;
  readonly stageAttemptId: number;
  readonly reason: string;
  readonly taskId: string;
  readonly index: number;
  readonly executorId: string;
  readonly successful: boolean;
  readonly failed: boolean;
  readonly errorString?: string;
}

test('a worker lost while its shuffle map stage runs: its successful map tasks are told Resubmitted and run again in the same stage attempt, the result exact', { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-resubmitted-'));
  try {
    // Speculation off: a copy of a held map task would be another attempt to account for. No
    // pipelining: a held task queued behind the other on one worker would leave the other idle.
    await withCluster({ workers: 0, driver: { webPort: 0, tasks: { speculation: false, pipelineMaxTaskMs: 0 } } }, async (h) => {
      const driver = h.cluster.driver;
      // Workers started one at a time, so each registered id is known to belong to its process.
      const procs = new Map<string, ChildProcess>();
      for (let i = 0; i < 2; i++) {
        const known = new Set(driver.registry.all().map((w) => w.id));
        const child = h.cluster.addWorker();
        await h.cluster.waitForWorkers(known.size + 1, 30_000);
        procs.set(driver.registry.all().find((w) => !known.has(w.id))!.id, child);
      }
      const mapSubmits: { stageId: number; stageAttempt: number; numTasks: number }[] = [];
      const ends: { stageId: number; stageAttempt: number; taskId: string; partition: number; attempt: number; workerId: string; reason: string }[] = [];
      const listener: Parameters<typeof driver.dag.addListener>[0] = {
        onStageSubmitted: (e) => void (e.kind === 'shuffleMap' && mapSubmits.push({ stageId: e.stageId, stageAttempt: e.stageAttempt, numTasks: e.numTasks })),
        onTaskEnd: (e) => void ends.push({ stageId: e.stageId, stageAttempt: e.stageAttempt, taskId: e.taskId, partition: e.partition, attempt: e.attempt, workerId: e.workerId, reason: e.reason }),
      };
      driver.dag.addListener(listener);
      const job = await startJob(h.cluster, fixture('resubmitted.ts'), [dir]);

      // Map partitions 0 and 1 succeeded (one on each worker, or both on one); 2 and 3 are held, one on each worker.
      await pollUntil(
        () => {
          const mapStage = mapSubmits[0]?.stageId;
          const ok = ends.filter((e) => e.stageId === mapStage && e.reason === 'success').map((e) => e.partition);
          const held = fs.readdirSync(dir).filter((f) => f.startsWith('started-'));
          return ok.length === 2 && held.length === 2 ? true : undefined;
        },
        60_000,
        'map partitions 0 and 1 done, 2 and 3 held',
      ).catch((err: Error) => {
        throw new Error(`${err.message}: ${JSON.stringify({ mapSubmits, ends, files: fs.readdirSync(dir), lines: job.lines.slice(-5) })}`);
      });
      const mapStage = mapSubmits[0]!.stageId;
      const successes = ends.filter((e) => e.stageId === mapStage && e.reason === 'success');
      assert.deepEqual(successes.map((e) => e.partition).sort(), [0, 1]);
      const victimId = successes[0]!.workerId;
      const victimMaps = successes.filter((e) => e.workerId === victimId);
      const lost = new Promise<void>((resolve) => driver.registry.addListener({ workerAdded: () => undefined, workerLost: (w) => void (w.id === victimId && resolve()) }));
      procs.get(victimId)!.kill('SIGKILL');
      await within(lost, 30_000, `the driver to declare ${victimId} lost`);
      // Told as the worker is declared lost, before any task runs again.
      const resubmitted = ends.filter((e) => e.reason === 'resubmitted');
      assert.deepEqual(
        resubmitted.map((e) => [e.stageId, e.stageAttempt, e.taskId, e.partition, e.attempt, e.workerId]),
        victimMaps.map((e) => [mapStage, 0, e.taskId, e.partition, e.attempt, victimId]),
        `each map task that succeeded on ${victimId} told Resubmitted: ${JSON.stringify(ends)}`,
      );
      fs.writeFileSync(path.join(dir, 'go'), '');

      const run = await within(job.done, 90_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
      assert.deepEqual(jsonLine<[number, number][]>(job.lines, 'RESULT '), expectedSums(), 'every key summed once');
      // The map stage ran once, its 4 tasks: the resubmitted ones ran again in that attempt.
      assert.deepEqual(mapSubmits, [{ stageId: mapStage, stageAttempt: 0, numTasks: 4 }], 'the map stage was not submitted again');
      for (const r of victimMaps) {
        const again = ends.filter((e) => e.stageId === mapStage && e.partition === r.partition && e.reason === 'success' && e.taskId !== r.taskId);
        assert.equal(again.length, 1, `map partition ${r.partition} ran again once: ${JSON.stringify(ends)}`);
        assert.equal(again[0]!.stageAttempt, 0);
        assert.notEqual(again[0]!.workerId, victimId);
      }

      // The program's SparkListener: Resubmitted, the successful attempt's taskInfo, Spark's toErrorString.
      const heard = jsonLines<HeardEnd>(job.lines, 'END ').filter((e) => e.reason === 'Resubmitted');
      assert.deepEqual(
        heard,
        victimMaps.map((e) => ({ stageId: mapStage, stageAttemptId: 0, reason: 'Resubmitted', taskId: e.taskId, index: e.partition, executorId: victimId, successful: true, failed: false, errorString: 'Resubmitted (resubmitted due to lost executor)' })),
      );

      // REST: a failed task of the stage attempt; the successful attempt's own entry stays SUCCESS.
      const get = appRest(h.cluster, job.id);
      const stage = await get<{ numFailedTasks: number; numCompleteTasks: number; failedTasks: { taskId: string; errorMessage: string }[] }>(`stages/${mapStage}/0`);
      const failedHere = ends.filter((e) => e.stageId === mapStage && ['resubmitted', 'worker_lost', 'error', 'fetch_failed', 'timeout'].includes(e.reason)).length;
      assert.equal(stage.numFailedTasks, failedHere, JSON.stringify(stage));
      for (const r of victimMaps) assert.ok(stage.failedTasks.some((f) => f.taskId === r.taskId && f.errorMessage === 'Resubmitted (resubmitted due to lost executor)'), JSON.stringify(stage.failedTasks));
      const tasks = await get<{ taskId: string; status: string }[]>(`stages/${mapStage}/0/taskList?length=100`);
      for (const r of victimMaps) assert.deepEqual(tasks.filter((t) => t.taskId === r.taskId).map((t) => t.status), ['SUCCESS'], JSON.stringify(tasks));
      driver.dag.removeListener(listener);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/** fixtures/zombie-stage.ts's sums by key: map partition m gives keys m + 4j (j <= m), each m * 100 + its key. */
function zombieSums(): [number, number][] {
  const sums = new Map<number, number>();
  for (let m = 0; m < 4; m++) for (let j = 0; j <= m; j++) sums.set(m + 4 * j, (sums.get(m + 4 * j) ?? 0) + m * 100 + m + 4 * j);
  return [...sums].sort((a, b) => a[0] - b[0]);
}

type Ev =
  | { kind: 'submitted' | 'completed'; stageId: number; attempt: number; numTasks?: number; failure?: string }
  | { kind: 'taskEnd'; stageId: number; attempt: number; partition: number; reason: string; killReason?: string }
  | { kind: 'jobEnd' };

interface ZombieRun {
  readonly resultStage: number;
  /** The DAG scheduler's events for the result stage, and the job's end, in order. */
  readonly mine: Ev[];
  readonly records: [number, number, number, number][];
  readonly acc: number;
  /** What the program's SparkListener heard for the result stage. */
  readonly heard: [string, number, number, unknown, unknown, unknown][];
  readonly get: <T>(p: string) => Promise<T>;
  readonly show: () => string;
}

/**
 * Runs fixtures/zombie-stage.ts in `mode` on 2 workers of 4 cores (room for the zombie's tasks
 * and a whole new attempt): removes map partition 0's output when asked, waits for the result
 * stage's attempt 0 to end FAILED with partitions 1-3 held in it, then `step` (which opens the
 * gates its mode needs); checks what every mode shares: the job succeeded, every key once with
 * its sum, the accumulator counted each record once.
 */
async function zombieRun(
  mode: 'early' | 'late' | 'finish' | 'second',
  step: (r: { dir: string; resultStage: number; events: Ev[]; show: () => string; get: <T>(p: string) => Promise<T>; second: number }) => Promise<void>,
  check: (r: ZombieRun & { second: number }) => Promise<void>,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-zombie-'));
  try {
    // No speculation, no pipelining: each task launched once, when a core is free.
    // `second`: 2 cores each, so each worker holds 2 of the 4 map outputs (a map output on another worker than map partition 0's).
    await withCluster({ workers: 2, coresPerWorker: mode === 'second' ? 2 : 4, driver: { webPort: 0, tasks: { speculation: false, pipelineMaxTaskMs: 0 } } }, async (h) => {
      const driver = h.cluster.driver;
      const events: Ev[] = [];
      const listener: Parameters<typeof driver.dag.addListener>[0] = {
        onStageSubmitted: (e) => void (e.kind === 'result' && events.push({ kind: 'submitted', stageId: e.stageId, attempt: e.stageAttempt, numTasks: e.numTasks })),
        onStageCompleted: (e) => void events.push({ kind: 'completed', stageId: e.stageId, attempt: e.stageAttempt, ...(e.failure !== undefined && { failure: e.failure }) }),
        onTaskEnd: (e) => void events.push({ kind: 'taskEnd', stageId: e.stageId, attempt: e.stageAttempt, partition: e.partition, reason: e.reason, ...(e.killReason !== undefined && { killReason: e.killReason }) }),
        onJobEnd: () => void events.push({ kind: 'jobEnd' }),
      };
      driver.dag.addListener(listener);
      const job = await startJob(h.cluster, fixture('zombie-stage.ts'), [dir, mode]);
      const file = (name: string): boolean => fs.existsSync(path.join(dir, name));
      const show = (): string => JSON.stringify({ events, files: fs.readdirSync(dir), lines: job.lines.slice(-5) });
      await pollUntil(() => file('ready') || undefined, 60_000, 'the map outputs written');
      // Map partition 0's output, which only reduce partition 0 reads, removed from its worker.
      const holder = driver.dag.mapOutputs.locations(job.id, 0)?.[0];
      assert.ok(holder, 'map partition 0 has an output');
      const removed = await removeBlocksOn(holder.address, h.cluster.secret, [`shuffle_${job.id}_0_0`]);
      assert.ok(removed > 0, `removed map partition 0's output from ${holder.workerId}`);
      // `second`: a map output on the other worker removed too, read by its reduce partition alone.
      let second = -1;
      if (mode === 'second') {
        const locs = driver.dag.mapOutputs.locations(job.id, 0)!;
        second = [1, 2, 3].find((m) => locs[m]!.workerId !== holder.workerId) ?? -1;
        assert.ok(second > 0, `a map output on another worker than ${holder.workerId}: ${JSON.stringify(locs)}`);
        assert.ok((await removeBlocksOn(locs[second]!.address, h.cluster.secret, [`shuffle_${job.id}_0_${second}`])) > 0);
      }
      const since = events.length;
      fs.writeFileSync(path.join(dir, 'removed'), '');
      // The result stage's first attempt ended by partition 0's fetch failure, partitions 1-3 held in it.
      const failedAttempt = await pollUntil(
        () => {
          const done = events.slice(since).find((e) => e.kind === 'completed' && e.attempt === 0 && e.failure !== undefined);
          // (`second`'s second partition may fail to fetch before its function starts.)
          return done && [1, 2, 3].every((p) => p === second || file(`started-${p}`)) ? done : undefined;
        },
        60_000,
        'the result stage attempt 0 ended by a fetch failure, partitions 1-3 held',
      ).catch((err: Error) => assert.fail(`${err.message}: ${show()}`));
      const resultStage = failedAttempt.kind === 'completed' ? failedAttempt.stageId : -1;
      await step({ dir, resultStage, events, show, get: appRest(h.cluster, job.id), second });
      const run = await within(job.done, 90_000, 'the job to end');
      assert.equal(run.ok, true, JSON.stringify(run.failure));
      const records = jsonLine<[number, number, number, number][]>(job.lines, 'RESULT ');
      assert.deepEqual(records.map(([k, v]) => [k, v]), zombieSums(), 'every key once, with its sum');
      const acc = jsonLine<number>(job.lines, 'ACC ');
      assert.equal(acc, zombieSums().length, 'each record counted once by the accumulator');
      const mine = events.filter((e) => e.kind === 'jobEnd' || e.stageId === resultStage);
      const heard = jsonLines<[string, number, number, unknown, unknown, unknown]>(job.lines, 'EVENT ').filter((e) => e[1] === resultStage);
      await check({ resultStage, mine, records, acc, heard, get: appRest(h.cluster, job.id), show, second });
      driver.dag.removeListener(listener);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const taskEnds = (mine: readonly Ev[]): (string | number | undefined)[][] =>
  mine.flatMap((e) => (e.kind === 'taskEnd' ? [[e.attempt, e.partition, e.reason, e.killReason]] : [])).sort((a, b) => String(a).localeCompare(String(b)));
const submittedOf = (mine: readonly Ev[]): number[][] => mine.flatMap((e) => (e.kind === 'submitted' ? [[e.attempt, e.numTasks ?? -1]] : []));

test('a fetch failure ends a result stage attempt: its other running tasks finish in the zombie attempt and count (SUCCESS, stageAttemptId 0), the resubmitted attempt runs only the missing partition, the result exact', { timeout: 180_000 }, async () => {
  await zombieRun(
    'early',
    async ({ dir, resultStage, events, show, get }) => {
      // REST while they are held: the failed attempt 0 has them active and RUNNING (Spark's LiveStage.activeTasks).
      const held = await get<{ status: string; numActiveTasks: number }>(`stages/${resultStage}/0`);
      assert.deepEqual([held.status, held.numActiveTasks], ['FAILED', 3], JSON.stringify(held));
      const heldTasks = await get<{ index: number; status: string }[]>(`stages/${resultStage}/0/taskList?length=100`);
      assert.deepEqual(heldTasks.filter((t) => t.status === 'RUNNING').map((t) => t.index).sort(), [1, 2, 3], JSON.stringify(heldTasks));
      // sc.statusTracker.getStageInfo in the program says the same: the latest attempt, 0, with its 3 held tasks active (Spark's lastStageAttempt's numActiveTasks).
      fs.writeFileSync(path.join(dir, 'ask-status'), '');
      const info = await pollUntil(() => (fs.existsSync(path.join(dir, 'status.json')) ? (JSON.parse(fs.readFileSync(path.join(dir, 'status.json'), 'utf8')) as { currentAttemptId: number; numActiveTasks: number; numTasks: number } | null) : undefined), 60_000, "the program's getStageInfo answer").catch((err: Error) => assert.fail(`${err.message}: ${show()}`));
      assert.deepEqual([info?.currentAttemptId, info?.numTasks, info?.numActiveTasks], [0, 4, 3], JSON.stringify(info));
      fs.writeFileSync(path.join(dir, 'go'), '');
      // They finish in the zombie attempt 0, before the lost map output is computed again.
      await pollUntil(
        () => (events.filter((e) => e.kind === 'taskEnd' && e.stageId === resultStage && e.attempt === 0 && e.reason === 'success').length === 3 ? true : undefined),
        60_000,
        'partitions 1-3 to succeed in the zombie attempt',
      ).catch((err: Error) => assert.fail(`${err.message}: ${show()}`));
      fs.writeFileSync(path.join(dir, 'zombies-done'), '');
    },
    async ({ resultStage, mine, records, heard, get, show }) => {
      // Partitions 1-3 computed in attempt 0, partition 0 in attempt 1.
      for (const [k, , p, attempt] of records) assert.deepEqual([p, attempt], [k % 4, k % 4 === 0 ? 1 : 0], `key ${k}: ${JSON.stringify(records)}`);
      assert.deepEqual(submittedOf(mine), [[0, 4], [1, 1]], `the resubmitted attempt ran the missing partition only: ${show()}`);
      const completed0 = mine.findIndex((e) => e.kind === 'completed' && e.attempt === 0);
      for (const p of [1, 2, 3]) {
        const i = mine.findIndex((e) => e.kind === 'taskEnd' && e.attempt === 0 && e.partition === p && e.reason === 'success');
        assert.ok(i > completed0, `partition ${p} succeeded in attempt 0 after it completed (failed): ${show()}`);
      }
      assert.deepEqual(taskEnds(mine), taskEnds([0, 1, 2, 3].map((p): Ev => ({ kind: 'taskEnd', stageId: 0, attempt: 0, partition: p, reason: p === 0 ? 'fetch_failed' : 'success' })).concat([{ kind: 'taskEnd', stageId: 0, attempt: 1, partition: 0, reason: 'success' }])), `no task of the stage killed, none run twice: ${show()}`);

      // The program's SparkListener heard the same: attempt 0 completed with a failureReason, then 3 Successes of attempt 0.
      const heardFail = heard.findIndex((e) => e[0] === 'completed' && e[2] === 0 && typeof e[3] === 'string');
      assert.ok(heardFail >= 0, JSON.stringify(heard));
      const heardOk = heard.filter((e, i) => i > heardFail && e[0] === 'taskEnd' && e[2] === 0 && e[4] === 'Success').map((e) => e[3]);
      assert.deepEqual(heardOk.sort(), [1, 2, 3], JSON.stringify(heard));

      // REST: attempt 0 FAILED with 3 complete tasks and the fetch failure, its taskList showing them SUCCESS; attempt 1 one task.
      const s0 = await get<{ status: string; numTasks: number; numCompleteTasks: number; numFailedTasks: number; numKilledTasks: number }>(`stages/${resultStage}/0`);
      assert.deepEqual([s0.status, s0.numTasks, s0.numCompleteTasks, s0.numFailedTasks, s0.numKilledTasks], ['FAILED', 4, 3, 1, 0], JSON.stringify(s0));
      const tasks0 = await get<{ index: number; status: string }[]>(`stages/${resultStage}/0/taskList?length=100`);
      assert.deepEqual(tasks0.map((t) => [t.index, t.status]).sort(), [[0, 'FAILED'], [1, 'SUCCESS'], [2, 'SUCCESS'], [3, 'SUCCESS']], JSON.stringify(tasks0));
      const s1 = await get<{ status: string; numTasks: number; numCompleteTasks: number }>(`stages/${resultStage}/1`);
      assert.deepEqual([s1.status, s1.numTasks, s1.numCompleteTasks], ['COMPLETE', 1, 1], JSON.stringify(s1));
    },
  );
});

test("the resubmitted attempt's copies of partitions a zombie then computes are killed (another attempt succeeded: Spark's notifyPartitionCompletion); the result exact", { timeout: 180_000 }, async () => {
  await zombieRun(
    'late',
    async ({ dir, resultStage, events, show }) => {
      // Attempt 1 runs all 4 partitions (1-3 still running in attempt 0), its copies of 1-3 held for ever.
      await pollUntil(
        () => (events.some((e) => e.kind === 'submitted' && e.stageId === resultStage && e.attempt === 1) && [1, 2, 3].every((p) => fs.existsSync(path.join(dir, `started1-${p}`))) ? true : undefined),
        60_000,
        "attempt 1 submitted, its copies of partitions 1-3 held",
      ).catch((err: Error) => assert.fail(`${err.message}: ${show()}`));
      fs.writeFileSync(path.join(dir, 'go'), '');
    },
    async ({ mine, records, show }) => {
      for (const [k, , p, attempt] of records) assert.deepEqual([p, attempt], [k % 4, k % 4 === 0 ? 1 : 0], `key ${k}: ${JSON.stringify(records)}`);
      assert.deepEqual(submittedOf(mine), [[0, 4], [1, 4]], show());
      assert.deepEqual(
        taskEnds(mine),
        taskEnds([
          { kind: 'taskEnd', stageId: 0, attempt: 0, partition: 0, reason: 'fetch_failed' },
          ...[1, 2, 3].map((p): Ev => ({ kind: 'taskEnd', stageId: 0, attempt: 0, partition: p, reason: 'success' })),
          { kind: 'taskEnd', stageId: 0, attempt: 1, partition: 0, reason: 'success' },
          ...[1, 2, 3].map((p): Ev => ({ kind: 'taskEnd', stageId: 0, attempt: 1, partition: p, reason: 'killed', killReason: 'another attempt succeeded' })),
        ]),
        show(),
      );
    },
  );
});

test("a zombie's tasks still running when the job succeeds are killed, TaskKilled \"Stage finished\" (Spark's DAGScheduler on a job's end)", { timeout: 180_000 }, async () => {
  await zombieRun(
    'finish',
    async () => undefined,
    async ({ mine, records, show }) => {
      // Every partition computed in attempt 1; attempt 0's partitions 1-3 killed as the job ended, before its end was told.
      for (const [k, , p, attempt] of records) assert.deepEqual([p, attempt], [k % 4, 1], `key ${k}: ${JSON.stringify(records)}`);
      assert.deepEqual(submittedOf(mine), [[0, 4], [1, 4]], show());
      // The second action's end (the first action, the count, ended before).
      const jobEnd = mine.map((e) => e.kind).lastIndexOf('jobEnd');
      const killed = mine.flatMap((e, i) => (e.kind === 'taskEnd' && e.attempt === 0 && e.reason === 'killed' ? [[e.partition, e.killReason, i < jobEnd]] : []));
      assert.deepEqual(killed.sort(), [1, 2, 3].map((p) => [p, 'Stage finished', true]), show());
    },
  );
});

test("a fetch failure in the zombie attempt before the stage is resubmitted unregisters the map output it names too (Spark's handleTaskCompletion): the resubmitted attempt runs once, both partitions", { timeout: 180_000 }, async () => {
  await zombieRun(
    'second',
    async ({ dir, resultStage, events, show, second }) => {
      fs.writeFileSync(path.join(dir, 'go'), '');
      // The other held partitions succeed in the zombie attempt, the second removed output's partition fails to fetch there.
      await pollUntil(
        () => {
          const zombieEnds = events.filter((e) => e.kind === 'taskEnd' && e.stageId === resultStage && e.attempt === 0);
          const ok = zombieEnds.filter((e) => e.kind === 'taskEnd' && e.reason === 'success').length;
          const failed = zombieEnds.some((e) => e.kind === 'taskEnd' && e.partition === second && e.reason === 'fetch_failed');
          return ok === 2 && failed ? true : undefined;
        },
        60_000,
        `partition ${second} to fail to fetch and the 2 others to succeed in the zombie attempt`,
      ).catch((err: Error) => assert.fail(`${err.message}: ${show()}`));
      fs.writeFileSync(path.join(dir, 'zombies-done'), '');
    },
    async ({ mine, records, show, second }) => {
      for (const [k, , p, attempt] of records) assert.deepEqual([p, attempt], [k % 4, k % 4 === 0 || k % 4 === second ? 1 : 0], `key ${k}: ${JSON.stringify(records)}`);
      assert.deepEqual(submittedOf(mine), [[0, 4], [1, 2]], `one resubmission, for partitions 0 and ${second}: ${show()}`);
    },
  );
});
