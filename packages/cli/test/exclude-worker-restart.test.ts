// A worker released by spark.excludeOnFailure.killExcludedExecutors and started again under the
// same fixed worker id (a program embedding Sluice's WorkerNode with its workerId; `sluice worker`
// gives every process a new random id), on real processes: a driver, two healthy `sluice worker`
// processes and fixed-id-worker-process, first sick (SLUICE_TEST_SICK_WORKER=1: the fixture's map
// tasks throw there). Its failures get it excluded and the driver releases it (it exits 0); then
// a new process, healthy, registers under the same id. Spark's executors never come back under an
// id: a new one is a new executor, not excluded. Before, the new process inherited the earlier
// one's exclusion and was offered no task for spark.excludeOnFailure.timeout (1 hour by default).
// Now the driver takes a new process (a new RegisterWorkerRequest.worker_instance) as a new
// worker: not excluded, it runs tasks of the next job, every round exact (computed here from the
// fixture's inputs alone). The same process registering again keeps its exclusion (driver test
// scheduler/exclude-on-failure).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { DEFAULT_EXCLUDE_ON_FAILURE } from '@sluice/driver';
import { exited } from './cluster-workers.js';
import { fixture, pollUntil, withCluster, within } from './harness.js';

const N = 3_000;
const KEYS = 30;
const WORKER_ID = 'worker-fixed-7';
const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixed-id-worker-process.js');

function startFixed(driver: string, secret: string, sick: boolean): ChildProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, SLUICE_SECRET: secret };
  if (sick) env.SLUICE_TEST_SICK_WORKER = '1';
  else delete env.SLUICE_TEST_SICK_WORKER;
  return spawn(process.execPath, [script, driver, WORKER_ID], { env, stdio: ['ignore', 'pipe', 'inherit'] });
}

test('a worker released as excluded and started again under its fixed id is a new worker: not excluded, it runs tasks, every round exact', { timeout: 240_000 }, async () => {
  let weighted = 0;
  for (let i = 0; i < N; i++) weighted += i % KEYS;
  const rounds = (lines: string[]): string[] => lines.filter((l) => l.startsWith('ROUND '));
  const procs: ChildProcess[] = [];
  try {
    await withCluster({ workers: 2, coresPerWorker: 2, driver: { tasks: { excludeOnFailure: { ...DEFAULT_EXCLUDE_ON_FAILURE, killExcludedExecutors: true } } } }, async (h) => {
      const driver = h.cluster.driver;
      const sick = startFixed(driver.address, h.cluster.secret, true);
      procs.push(sick);
      await pollUntil(() => driver.registry.get(WORKER_ID), 30_000, 'the sick fixed-id worker to register');
      const firstInstance = driver.registry.get(WORKER_ID)!.instance;
      const sickExit = exited(sick);
      const first = await h.run(fixture('sick-worker.ts'), ['6', String(N), String(KEYS)]);
      assert.ok(first.ok, JSON.stringify(first.failure));
      assert.deepEqual(rounds(first.lines), rounds(first.lines).map((_, r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`));
      assert.equal(await within(sickExit, 60_000, 'the excluded worker to be released'), 0, 'the sick worker exits 0, released');
      assert.ok(driver.taskScheduler.excludedWorkers().has(WORKER_ID), 'its exclusion stands after its release');
      assert.equal(driver.registry.get(WORKER_ID), undefined);

      const again = startFixed(driver.address, h.cluster.secret, false);
      procs.push(again);
      const w = await pollUntil(() => driver.registry.get(WORKER_ID), 30_000, 'the new process to register under the same id');
      assert.notEqual(w.instance, firstInstance, 'a new process says a new instance');
      assert.equal(driver.taskScheduler.excludedWorkers().has(WORKER_ID), false, 'the new process under the id is not excluded');
      const second = await h.run(fixture('sick-worker.ts'), ['3', String(N), String(KEYS)]);
      assert.ok(second.ok, JSON.stringify(second.failure));
      assert.deepEqual(rounds(second.lines), [0, 1, 2].map((r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`));
      assert.ok(driver.registry.get(WORKER_ID)!.tasksCompleted > 0, 'the new process ran tasks');
      assert.equal(driver.taskScheduler.excludedWorkers().has(WORKER_ID), false, 'and is not excluded after');
      // Stopped as its owner would (its scratch directory removed) before the cluster checks for leftovers.
      again.kill('SIGTERM');
      assert.equal(await within(exited(again), 30_000, 'the fixed-id worker to stop'), 0);
    });
  } finally {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  }
});
