import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ManualClock, type wire } from '@sluice/core/internal';
import { WorkerRegistry } from '../../src/cluster/worker-registry.js';
import type { LaunchResult, WorkerEndpoint } from '../../src/rpc/worker-endpoint.js';
import { TaskScheduler } from '../../src/scheduler/task-scheduler.js';
import { TaskSetManager, type StageCallbacks, type TaskSetEnd } from '../../src/scheduler/task-set-manager.js';

/** An endpoint that records its calls; the test settles each task by hand. */
function recordingEndpoint(batches: boolean) {
  const calls: { kind: 'one' | 'many'; taskIds: string[] }[] = [];
  const settle = new Map<string, (r: LaunchResult) => void>();
  const one = (desc: wire.TaskDescription): Promise<LaunchResult> => new Promise((resolve) => settle.set(desc.task_id!, resolve));
  const endpoint: WorkerEndpoint = {
    launchTask: (desc) => {
      calls.push({ kind: 'one', taskIds: [desc.task_id!] });
      return one(desc);
    },
    ...(batches
      ? {
          launchTasks: (descs: readonly wire.TaskDescription[]) => {
            calls.push({ kind: 'many', taskIds: descs.map((d) => d.task_id!) });
            return descs.map(one);
          },
        }
      : {}),
    killTask: () => undefined,
    releaseJob: async () => undefined,
    removeRdd: async () => undefined,
    removeBlocks: async () => undefined,
    startReceiver: async () => ({ ok: true }),
    stopReceiver: async () => undefined,
    close: () => undefined,
  };
  return { endpoint, calls, settle };
}

const base = { stored_blocks: [] as string[], accumulators: Buffer.alloc(0) };
const ok = (taskId: string, value: string): LaunchResult => ({ ok: true, outcome: { ...base, task_id: taskId, outcome: 'result', result: Buffer.from(value) } });
const failed = (taskId: string): LaunchResult => ({
  ok: true,
  outcome: { ...base, task_id: taskId, outcome: 'error', error: { code: 'SLUICE_TASK_FAILED', message: 'boom', stack: 'Error: boom\n    at job.ts:1:1' } },
});

function setup(batches: boolean, cores: number, partitions: number) {
  const clock = new ManualClock(1000);
  const rec = recordingEndpoint(batches);
  const log = pino({ level: 'silent' });
  const registry = new WorkerRegistry(clock, 60_000, () => rec.endpoint, log, async () => 'open');
  const scheduler = new TaskScheduler(registry, log);
  const successes = new Map<number, string>();
  const stage: StageCallbacks = {
    jobId: 'job1',
    stageId: 3,
    stageAttempt: 0,
    describe: (partition, taskId, attempt) => ({ task_id: taskId, job_id: 'job1', stage_id: 3, partition, attempt }),
    preferredWorkers: () => undefined,
    onSuccess: (partition, outcome) => successes.set(partition, outcome.result?.toString() ?? ''),
  };
  const opts = { maxFailures: 4, speculation: false, speculationMultiplier: 1.5, speculationQuantile: 0.75, speculationMinMs: 100, localityWaitMs: 0, taskTimeoutMs: 0 };
  const tsm = new TaskSetManager(stage, Array.from({ length: partitions }, (_, i) => i), opts, clock, () => undefined);
  let end: TaskSetEnd | undefined;
  void tsm.finished.then((e) => (end = e));
  registry.register('w1', '127.0.0.1:1', cores);
  scheduler.submit(tsm);
  return { rec, registry, successes, ended: () => end, stop: () => scheduler.stop() };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
/** The partition of a task id (`...-<partition>-...` is not assumed: the description says). */
const byTask = (calls: { taskIds: string[] }[]): string[] => calls.flatMap((c) => c.taskIds);

test("the tasks one pass gives a worker go in one call; a task failing among them is retried alone and the others' results stand", async () => {
  const { rec, registry, successes, ended, stop } = setup(true, 4, 4);
  await turn();
  assert.equal(rec.calls.length, 1, `one call for the worker's 4 free slots, got ${JSON.stringify(rec.calls)}`);
  assert.equal(rec.calls[0].kind, 'many');
  const first = rec.calls[0].taskIds;
  assert.equal(first.length, 4);
  assert.equal(registry.get('w1')!.freeSlots, 0, 'every task of the call holds a slot');
  // Three succeed, one fails (a user error): its slot comes back and it is launched again.
  rec.settle.get(first[0])!(ok(first[0], 'a'));
  rec.settle.get(first[1])!(failed(first[1]));
  rec.settle.get(first[2])!(ok(first[2], 'c'));
  await turn();
  const retry = byTask(rec.calls.slice(1));
  assert.equal(retry.length, 1, `only the failed task runs again, got ${JSON.stringify(rec.calls)}`);
  assert.notEqual(retry[0], first[1], 'a new attempt has its own id');
  rec.settle.get(first[3])!(ok(first[3], 'd'));
  rec.settle.get(retry[0])!(ok(retry[0], 'b'));
  await turn();
  assert.deepEqual(ended(), { kind: 'done' });
  assert.deepEqual([...successes.entries()].sort(), [
    [0, 'a'],
    [1, 'b'],
    [2, 'c'],
    [3, 'd'],
  ]);
  assert.equal(registry.get('w1')!.freeSlots, 4, 'every slot is free again');
  stop();
});

test('an endpoint without launchTasks gets one launchTask per task, as before', async () => {
  const { rec, ended, stop } = setup(false, 3, 3);
  await turn();
  assert.deepEqual(
    rec.calls.map((c) => [c.kind, c.taskIds.length]),
    [
      ['one', 1],
      ['one', 1],
      ['one', 1],
    ],
  );
  for (const id of byTask(rec.calls)) rec.settle.get(id)!(ok(id, 'x'));
  await turn();
  assert.deepEqual(ended(), { kind: 'done' });
  stop();
});
