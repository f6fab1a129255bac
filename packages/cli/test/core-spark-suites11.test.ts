// Spark's scheduler semantics on a lost worker and a fetch failure, with real processes (a
// driver in this process, one-core worker processes on loopback).
// - TaskSetManager.executorLost for a shuffle map stage still running: each map task that had
//   succeeded on the lost worker (its output went with it) is told as a task end with reason
//   Resubmitted (its own successful attempt: task id, worker) and runs again in the same stage
//   attempt; the stage is not submitted again (DAGScheduler's `case Resubmitted`: the
//   partition is pending again in the running stage). The program's SparkListener hears `Resubmitted` with
//   Spark's Resubmitted.toErrorString; REST counts it as a failed task of the stage, the
//   successful attempt's own entry staying SUCCESS (AppStatusListener, SPARK-41187).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { appRest, fixture, jsonLine, jsonLines, pollUntil, startJob, within, withCluster } from './harness.js';

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
