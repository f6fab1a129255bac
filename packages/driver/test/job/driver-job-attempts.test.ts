// DriverJob's attempts (--supervise) and the actions their programs run: a restarted
// attempt's thread numbers its requests from 1 again, so what an earlier attempt asked for
// must stay that attempt's. Here the driver-program threads and the DAG scheduler are the
// test's: the first attempt's action is still running (its promise not settled) when that
// attempt fails and the next one starts and runs an action of the same request number.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { SystemClock, type JobRunResult } from '@sluice/core/internal';
import type { WorkerRegistry } from '../../src/cluster/worker-registry.js';
import { DriverJob, SUPERVISE_RESTART_DELAY_MS } from '../../src/job/driver-job.js';
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

function setup(): { job: DriverJob; threads: FakeThread[]; actions: HeldAction[]; ended: string[] } {
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
  const job = new DriverJob({ id: 'j', name: 'attempts', bundleSha: 'sha', bundlePath: '/nonexistent', args: [], maxRestarts: 1, threads: threadsPool }, dag, registry, new SystemClock(), pino({ level: 'silent' }));
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
  await new Promise((r) => setTimeout(r, SUPERVISE_RESTART_DELAY_MS + 200));
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
