// DriverJob's attempts (--supervise) and the actions their programs run: a restarted
// attempt's thread numbers its requests from 1 again, so what an earlier attempt asked for
// must stay that attempt's. Here the driver-program threads and the DAG scheduler are the
// test's: the first attempt's action is still running (its promise not settled) when that
// attempt fails and the next one starts and runs an action of the same request number.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ManualClock, SystemClock, type Clock, type JobRunResult } from '@sluice/core/internal';
import type { WorkerRegistry } from '../../src/cluster/worker-registry.js';
import { DriverJob, type SuperviseBackoff } from '../../src/job/driver-job.js';
import type { JobToMain, MainToJob } from '../../src/job/job-protocol.js';
import type { ProgramThread, ProgramThreadOwner } from '../../src/job/program-thread.js';
import type { DAGScheduler } from '../../src/scheduler/dag-scheduler.js';

/** One attempt's thread as the test plays it: what the driver sent it, and its owner to send from. */
interface FakeThread {
  readonly owner: ProgramThreadOwner;
  readonly got: MainToJob[];
}

/** A runJob the fake DAG scheduler holds: settle it when the test says. */
interface HeldAction {
  readonly runId: string;
  readonly signal: AbortSignal;
  resolve(r: JobRunResult): void;
}

const runJob = (reqId: number): JobToMain => ({ type: 'runJob', reqId, graph: {}, action: { kind: 'count' }, partitions: [0] }) as unknown as JobToMain;

function setup(opts: { maxRestarts?: number; superviseBackoff?: SuperviseBackoff; clock?: Clock } = {}): { job: DriverJob; threads: FakeThread[]; actions: HeldAction[]; ended: string[] } {
  const threads: FakeThread[] = [];
  const actions: HeldAction[] = [];
  const ended: string[] = [];
  const dag = {
    addListener: () => undefined,
    removeListener: () => undefined,
    startJob: () => undefined,
    // Ends the attempt's job but, as an action waiting on something slow may, leaves its promise for later.
    endJob: (runId: string) => ended.push(runId),
    runJob: (runId: string, _graph: unknown, _action: unknown, _partitions: unknown, _props: unknown, _onResult: unknown, signal: AbortSignal) =>
      new Promise<JobRunResult>((resolve) => actions.push({ runId, signal, resolve })),
  } as unknown as DAGScheduler;
  const registry = { all: () => [], totalCores: () => 2 } as unknown as WorkerRegistry;
  const threadsPool = {
    threadFor: (_data: unknown, _sha: string, owner: ProgramThreadOwner): ProgramThread => {
      const got: MainToJob[] = [];
      threads.push({ owner, got });
      return { postMessage: (m: MainToJob) => got.push(m), terminate: () => undefined } as unknown as ProgramThread;
    },
    giveBack: () => undefined,
    attemptEnded: () => undefined,
  };
  const job = new DriverJob({ id: 'j', name: 'attempts', bundleSha: 'sha', bundlePath: '/nonexistent', args: [], maxRestarts: opts.maxRestarts ?? 1, supervise: true, superviseBackoff: opts.superviseBackoff ?? { firstMs: 100, maxMs: 100, resetAfterMs: 60_000 }, threads: threadsPool }, dag, registry, opts.clock ?? new SystemClock(), pino({ level: 'silent' }));
  return { job, threads, actions, ended };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a restarted attempt neither gets the answer of the previous attempt\'s action of the same request number, nor loses or shares its cancel with it', async () => {
  const { job, threads, actions, ended } = setup();
  const restarted = new Promise<number>((r) => job.once('restart', r));
  // Attempt 1 runs an action (request 1), then its program fails while that action still runs.
  threads[0].owner.message(runJob(1));
  assert.equal(actions.length, 1);
  threads[0].owner.message({ type: 'failed', code: 'SLUICE_JOB_FAILED', message: 'boom', stack: '' } as JobToMain);
  assert.deepEqual(ended, ['j']);
  assert.equal(await restarted, 2);
  threads[0].owner.exit(1);
  await new Promise((r) => setTimeout(r, 100 + 200));
  assert.equal(threads.length, 2, 'attempt 2 started');
  const second = threads[1];
  // Attempt 2's cancel of its request 1 before it ran one reaches nothing of attempt 1.
  second.owner.message({ type: 'cancelJob', reqId: 1 } as JobToMain);
  assert.equal(actions[0].signal.aborted, false, 'attempt 2 cancelled attempt 1\'s action');
  // Attempt 2 runs its own action under request number 1.
  second.owner.message(runJob(1));
  assert.equal(actions.length, 2);
  assert.equal(actions[1].runId, 'j.2');
  // Attempt 1's action ends now: its answer is not attempt 2's.
  actions[0].resolve({ values: ['attempt 1'] });
  await settle();
  assert.deepEqual(second.got.filter((m) => 'reqId' in m && m.reqId === 1), [], 'attempt 1\'s action answered attempt 2\'s request 1');
  // Attempt 1's thread (still talking) cannot cancel attempt 2's action; attempt 2 can.
  threads[0].owner.message({ type: 'cancelJob', reqId: 1 } as JobToMain);
  assert.equal(actions[1].signal.aborted, false);
  second.owner.message({ type: 'cancelJob', reqId: 1 } as JobToMain);
  assert.equal(actions[1].signal.aborted, true, 'attempt 2 could not cancel its own action: attempt 1\'s end took its entry');
  actions[1].resolve({ values: [7] });
  await settle();
  assert.deepEqual(second.got.filter((m) => m.type === 'jobResult').map((m) => m.type === 'jobResult' && m.result.values), [[7]]);
  job.cancel();
});

test('a supervised job\'s restarts back off as Spark\'s DriverRunner: the first wait, doubled each restart up to the cap, the first again after an attempt that ran long; a stop during a wait ends the job at once', async () => {
  const clock = new ManualClock(1_000_000);
  const { job, threads } = setup({ maxRestarts: 5, superviseBackoff: { firstMs: 100, maxMs: 300, resetAfterMs: 10_000 }, clock });
  const waits: number[] = [];
  job.on('restart', (_attempt, _reason, delayMs) => waits.push(delayMs));
  const fail = (n: number): void => {
    threads[n].owner.message({ type: 'failed', code: 'SLUICE_TASK_FAILED', message: `boom ${n + 1}`, stack: '' } as JobToMain);
    threads[n].owner.exit(1);
  };
  // Attempts 1-3 fail as they start: 100, 200, then 300 (400 capped).
  for (let n = 0; n < 3; n++) {
    fail(n);
    // While it waits, the job says when the next attempt starts (the manual clock stands still).
    assert.equal(job.restartInMs, [100, 200, 300][n]);
    await pollThreads(threads, n + 2);
    assert.equal(job.restartInMs, undefined, 'no wait once the next attempt started');
  }
  // Attempt 4 runs 10 s (the reset) before it fails: its restart waits the first wait again.
  clock.advance(10_000);
  fail(3);
  await pollThreads(threads, 5);
  // Attempt 5 fails at once: doubled from there. A stop during that wait ends the job now.
  fail(4);
  assert.deepEqual(waits, [100, 200, 300, 100, 200]);
  const ended = new Promise<string>((r) => job.once('finished', r));
  job.requestStop(false);
  assert.equal(await Promise.race([ended, new Promise((r) => setTimeout(() => r('still waiting'), 50))]), 'stopped');
  assert.equal(job.restartInMs, undefined);
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(threads.length, 5, 'an attempt started after the stop');
});

/** Resolves once `count` attempts' threads were started (each restart's real timer ran). */
async function pollThreads(threads: readonly FakeThread[], count: number): Promise<void> {
  const until = Date.now() + 5000;
  while (threads.length < count) {
    if (Date.now() > until) throw new Error(`attempt ${count} did not start within 5 s`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
