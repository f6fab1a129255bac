// A worker process out of file descriptors, on real processes (a driver and two worker
// processes): once the worker is idle its RLIMIT_NOFILE is lowered (`prlimit --pid`) below the
// descriptors it has open, so its next open of anything fails with EMFILE: its task threads
// cannot start, load their code or their job's bundle, its blocks cannot spill. The worker must
// not die (found: the heartbeat's process.memoryUsage.rss() reads /proc/self/stat, threw EMFILE
// from its timer and took the worker down at its next beat), the failures must say what to do
// (the limit and how to raise it, where they said "Free disk space or set --local-dir" for a
// spill, or nothing), and its tasks run on the other worker, every result exact. Map outputs it
// wrote on threads it had open before cannot be fetched (its server accepts no connection): the
// job may then fail SLUICE_FETCH_FAILED naming it (left, see docs/fault-matrix.md), unless
// spark.excludeOnFailure is on (the second case): the worker is then excluded and the job succeeds.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_EXCLUDE_ON_FAILURE } from '@sluice/driver';
import { fixture, pollUntil, withCluster } from './harness.js';

const ROUNDS = 3;
const N = 40_000;
const KEYS = 500;

function expectedRounds(): string[] {
  let weighted = 0;
  for (let i = 0; i < N; i++) weighted += i % KEYS;
  return Array.from({ length: ROUNDS }, (_, r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`);
}

const noPrlimit = spawnSync('prlimit', ['--version']).error !== undefined || process.platform !== 'linux';

test('a worker out of file descriptors lives on, its failures name the limit and how to raise it, every result printed exact', { timeout: 240_000, skip: noPrlimit ? 'needs prlimit (util-linux) on Linux' : false }, async () => {
  await outOfDescriptors(false);
});

// With spark.excludeOnFailure on (application.fetchFailure off, Spark's default), the worker is
// excluded once a stage with 2 of its tasks failed succeeded, and the map stage no longer runs
// there again: the job succeeded in 5 runs of 5 by hand, where off it failed after 4 stage
// attempts in 1 of 6 (the same day, the same machine).
test('spark.excludeOnFailure on: the worker out of file descriptors is excluded and the job succeeds, every round exact', { timeout: 240_000, skip: noPrlimit ? 'needs prlimit (util-linux) on Linux' : false }, async () => {
  await outOfDescriptors(true);
});

async function outOfDescriptors(exclude: boolean): Promise<void> {
  const tasks = exclude ? { excludeOnFailure: DEFAULT_EXCLUDE_ON_FAILURE } : {};
  await withCluster({ workers: 2, coresPerWorker: 2, logLevel: 'info', workerStderr: 'pipe', driver: { workerTimeoutMs: 3000, heartbeatIntervalMs: 300, tasks } }, async (h) => {
    const lost: string[] = [];
    h.cluster.driver.registry.addListener({ workerAdded: () => undefined, workerLost: (w, reason) => lost.push(`${w.id}: ${reason}`) });
    const [victim] = h.cluster.workerProcesses;
    let stderr = '';
    victim.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const records = (): Array<Record<string, unknown>> =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    // Its id, from its own log (the driver's address is sent to it once it listens).
    const victimId = await pollUntil(() => records().find((r) => r.msg === 'worker registered')?.workerId as string | undefined, 60_000, 'the worker to register');
    const pid = victim.pid!;
    // Below what it has open, so that a few descriptors closed (a spare thread that dies) do not let it open again.
    const limit = fs.readdirSync(`/proc/${pid}/fd`).length - 8;
    const set = spawnSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:${limit}`], { encoding: 'utf8' });
    assert.equal(set.status, 0, set.stderr);

    const run = await h.run(fixture('shuffle-rounds.ts'), [String(ROUNDS), String(N), String(KEYS)]);
    const rounds = run.lines.filter((l) => l.startsWith('ROUND '));
    assert.deepEqual(rounds, expectedRounds().slice(0, rounds.length), 'every round printed is exact');
    if (exclude) {
      assert.ok(run.ok, JSON.stringify(run.failure));
      assert.equal(rounds.length, ROUNDS);
      assert.deepEqual([...h.cluster.driver.taskScheduler.excludedWorkers().keys()], [victimId], 'the worker out of descriptors, alone, excluded');
    } else if (!run.ok) {
      // Known, left (docs/fault-matrix.md): map tasks that ran on the worker's threads already
      // open wrote outputs its server cannot serve (it cannot accept a connection), the map
      // stage runs there again, and after 4 stage attempts the job fails, as Spark's does
      // without spark.excludeOnFailure.application.fetchFailure.enabled: naming that worker.
      const failure = run.failure as { code?: string; message?: string } | undefined;
      assert.equal(failure?.code, 'SLUICE_FETCH_FAILED', JSON.stringify(run.failure));
      assert.ok(failure?.message?.includes(victimId), JSON.stringify(run.failure));
    } else assert.equal(rounds.length, ROUNDS);

    // Still alive and beating: five more heartbeats reach the driver after the job.
    const beats = new Set<number>();
    await pollUntil(() => {
      const w = h.cluster.driver.registry.get(victimId);
      if (w) beats.add(w.lastHeartbeat);
      return beats.size >= 5 || victim.exitCode !== null ? true : undefined;
    }, 60_000, 'five heartbeats of the worker out of descriptors');
    assert.equal(victim.exitCode, null, `the worker died:\n${stderr.slice(-3000)}`);
    assert.equal(victim.signalCode, null);
    assert.deepEqual(lost, []);
    // What failed there for want of descriptors says what to do: a task, its thread, its job's bundle.
    // (The worker's own shuffle fetches log gRPC's bare 'connect EMFILE': left, see docs/fault-matrix.md.)
    const failures = records().filter((r) => /\bE[MN]FILE\b/.test(JSON.stringify(r)) && ['task failed', 'task thread died', 'cannot get job bundle'].includes(r.msg as string));
    assert.ok(failures.length > 0, `the worker met EMFILE:\n${stderr.slice(-3000)}`);
    const unexplained = failures.filter((r) => !JSON.stringify(r).includes('ulimit -n 65536'));
    assert.deepEqual(unexplained, [], 'every EMFILE failure names the limit and how to raise it');
  });
}
