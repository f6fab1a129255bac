// What the connector tests' worker SIGSTOP cells of docs/fault-matrix.md share (kinesis-, mqtt-,
// flume- and flume-polling-worker-pause): the file's cluster, its driver's worker timeout 3 s so
// that a worker frozen under the receiver is declared lost in seconds and the receiver started
// on another (seen in the fixture's `RECEIVER started {workerId, ...}` lines). A test freezes its
// victim with pause() and wakes it with resume() (@sluice/test-disk/pause: a test that times
// out with its victim stopped leaves none stopped).
import type { ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { pause, resume } from '@sluice/test-disk/pause';
import { jsonLines, pollUntil, startKillableCluster, type RunningJob } from './job-runner.js';

export { pause, resume } from '@sluice/test-disk/pause';

/** The driver's worker timeout here: a frozen worker is declared lost after 3 s of silence. */
export const WORKER_TIMEOUT_MS = 3000;

/** The file's cluster (startKillableCluster's), set by the before() workerPauseCluster registers. */
export interface WorkerPauseCluster {
  readonly cluster: LocalCluster;
  /** Each worker's process, by the id it registered with. */
  readonly procs: Map<string, ChildProcess>;
}

/**
 * Registers the file's before(), which starts `workers` killable worker processes under a driver
 * whose worker timeout is WORKER_TIMEOUT_MS, and after(), which wakes every worker still running
 * (a test that failed with its victim frozen) and stops the cluster. The fields are set once the
 * before() ran.
 */
export function workerPauseCluster(workers: number): WorkerPauseCluster {
  const file = {} as { cluster: LocalCluster; procs: Map<string, ChildProcess> };
  before(async () => {
    Object.assign(file, await startKillableCluster(workers, { workerTimeoutMs: WORKER_TIMEOUT_MS }));
  });
  after(async () => {
    for (const p of file.procs?.values() ?? []) if (p.signalCode === null && p.exitCode === null) resume(p);
    await file.cluster?.stop();
  });
  return file;
}

/**
 * The worker the job's receiver started on: the first `RECEIVER started {workerId, ...}` line
 * within `ms` (with `notOn`, the first on another worker than that one: the receiver moved).
 */
export async function receiverStartedOn(job: Pick<RunningJob, 'waitLine'>, ms: number, notOn?: string): Promise<string> {
  const line = await job.waitLine('RECEIVER started ', ms, notOn === undefined ? undefined : (l) => !l.includes(`"${notOn}"`));
  return (JSON.parse(line.slice('RECEIVER started '.length)) as { workerId: string }).workerId;
}

/** The workers the receiver started on, in order, from the job's lines. */
export function receiverWorkers(lines: readonly string[]): string[] {
  return jsonLines<{ workerId: string }>(lines, 'RECEIVER started ').map((s) => s.workerId);
}

/** Waits (60 s at most) until `n` batches of a time after `since` had records (the count fixtures' `BATCH {time, ids, ...}` lines): the stream goes on without the frozen worker. */
export async function batchesWithRecordsAfter(job: Pick<RunningJob, 'lines'>, since: number, n: number): Promise<void> {
  const after = (): number => jsonLines<{ time: number; ids: number[] }>(job.lines, 'BATCH ').filter((b) => b.time > since && b.ids.length > 0).length;
  await pollUntil(() => (after() >= n ? true : undefined), 60_000, `${n} batches with records after the move while the old worker is frozen`);
}

/**
 * A sink's freeze of its own worker (the sink fixtures' `freeze: true`): writes `armFile`, waits
 * (60 s at most) for `firedFile`, the event the worker wrote whole before it stopped itself with
 * SIGSTOP, and records that worker with pause() (stopped already), so a test that fails leaves it
 * woken. The event and the frozen worker's process.
 */
export async function armSinkFreeze<F extends { readonly pid: number }>(file: WorkerPauseCluster, armFile: string, firedFile: string): Promise<{ fired: F; victim: ChildProcess }> {
  fs.writeFileSync(armFile, '');
  const fired = await pollUntil(
    () => {
      try {
        return JSON.parse(fs.readFileSync(firedFile, 'utf8')) as F;
      } catch {
        return undefined; // not fired yet, or its event not appended yet
      }
    },
    60_000,
    'the sink froze its worker',
    20,
  );
  const victim = [...file.procs.values()].find((p) => p.pid === fired.pid);
  assert.ok(victim, `the frozen process ${fired.pid} is one of the workers`);
  pause(victim); // stopped already: recorded, so that a failed test leaves it woken
  return { fired, victim };
}
