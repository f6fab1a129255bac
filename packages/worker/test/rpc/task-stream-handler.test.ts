// The worker's side of a RunTasks stream: block removals the driver sends on it (instead of
// RemoveBlocks calls) reach the executor, by id and by prefix, in the message's order with
// its tasks; a message without removals removes nothing. Outcomes are held while the driver
// has tasks queued here beyond the cores (it refills only once they have started), for
// HOLD_OUTCOMES_MS at most. A stream that closes kills the tasks it launched that have not
// ended (its prefix of stage keys), and only those.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { EncodedMessage, loadProto, type wire } from '@sluice/core/internal';
import type { Executor } from '../../src/executor/executor.js';
import { handleTaskStream } from '../../src/rpc/task-stream-handler.js';

const log = pino({ level: 'silent' });

function batch(m: Partial<wire.TaskBatch__Output>): wire.TaskBatch__Output {
  return { stages: [], tasks: [], forget_stages: [], remove_block_ids: [], remove_block_prefixes: [], ...m };
}

test('removals sent on the task stream reach the executor, by id and by prefix', () => {
  const removed: [string[], string[]][] = [];
  const executor = { removeBlocks: (ids: readonly string[], prefixes: readonly string[] = []) => (removed.push([[...ids], [...prefixes]]), ids.length) } as unknown as Executor;
  const call = Object.assign(new EventEmitter(), { write: () => true, end: () => undefined });
  handleTaskStream(call as unknown as grpc.ServerDuplexStream<wire.TaskBatch__Output, wire.TaskOutcomeBatch>, executor, log);
  call.emit('data', batch({ remove_block_ids: ['input_j_0_w_1', 'input_j_0_w_2'] }));
  call.emit('data', batch({}));
  call.emit('data', batch({ remove_block_prefixes: ['shuffle_j_3_'] }));
  call.emit('data', batch({ remove_block_ids: ['input_j_0_w_3'], remove_block_prefixes: ['shuffle_j_4_', 'shuffle_j_5_'] }));
  assert.deepEqual(removed, [
    [['input_j_0_w_1', 'input_j_0_w_2'], []],
    [[], ['shuffle_j_3_']],
    [['input_j_0_w_3'], ['shuffle_j_4_', 'shuffle_j_5_']],
  ]);
});

/** An executor whose tasks end when the test says (`end(taskId)`), on a worker of `cores` cores. */
function gatedExecutor(cores: number): { executor: Executor; end: (taskId: string) => void } {
  const gates = new Map<string, (o: wire.TaskOutcome) => void>();
  const executor = {
    cores,
    launch: (t: { taskId: string }) => new Promise<wire.TaskOutcome>((resolve) => gates.set(t.taskId, resolve)),
    removeBlocks: () => 0,
    forgetStage: () => undefined,
    killStream: () => 0,
  } as unknown as Executor;
  return { executor, end: (taskId) => gates.get(taskId)!({ result: Buffer.from(taskId) }) };
}

const outcomeBatch = loadProto().sluice.v1.Worker.service.RunTasks.responseDeserialize;

/** A call that records the task ids of each outcome message written, and resolves `next` on each write. */
function recordingCall(): { call: EventEmitter; writes: string[][]; next: () => Promise<void> } {
  const writes: string[][] = [];
  let wake: (() => void) | undefined;
  const call = Object.assign(new EventEmitter(), {
    write: (m: wire.TaskOutcomeBatch | EncodedMessage) => {
      // Outcomes are written encoded (encodeDirect): read as the driver's deserializer reads them.
      const batch = m instanceof EncodedMessage ? (outcomeBatch(m.bytes) as wire.TaskOutcomeBatch__Output) : m;
      writes.push((batch.ended ?? []).map((e) => e.task_id ?? ''));
      wake?.();
      return true;
    },
    end: () => undefined,
  });
  return { call, writes, next: () => new Promise<void>((r) => (wake = r)) };
}

const turns = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

function tasksBatch(ids: string[]): wire.TaskBatch__Output {
  const stage = { stage_key: 's', job_id: 'j', bundle_sha256: '', stage_id: 1, payload: Buffer.alloc(0), shuffle_id: 0 } as unknown as wire.StageDescription__Output;
  return batch({ stages: [stage], tasks: ids.map((id, i) => ({ task_id: id, stage_key: 's', partition: i, attempt: 0, task_data: Buffer.alloc(0) })) });
}

test('outcomes wait while more tasks than cores are here (the driver refills only then), and go together', async () => {
  const { executor, end } = gatedExecutor(2);
  const { call, writes } = recordingCall();
  // A hold longer than the test: only the count of tasks here lets the outcomes go.
  handleTaskStream(call as unknown as grpc.ServerDuplexStream<wire.TaskBatch__Output, wire.TaskOutcomeBatch>, executor, log, 600_000);
  call.emit('data', tasksBatch(['t1', 't2', 't3', 't4', 't5']));
  end('t2');
  await turns(3);
  end('t1');
  await turns(3);
  assert.deepEqual(writes, [], 'held while 4, then 3 tasks are here on 2 cores');
  end('t4');
  await turns(3);
  assert.deepEqual(writes, [['t2', 't1', 't4']], 'written together once 2 are left');
  end('t3');
  await turns(3);
  end('t5');
  await turns(3);
  assert.deepEqual(writes, [['t2', 't1', 't4'], ['t3'], ['t5']], 'with no more tasks than cores here, each at the end of its turn');
  call.emit('cancelled');
});

test('a held outcome is written after the hold at the latest, alone if nothing else ends', { timeout: 60_000 }, async () => {
  const { executor, end } = gatedExecutor(1);
  const { call, writes, next } = recordingCall();
  handleTaskStream(call as unknown as grpc.ServerDuplexStream<wire.TaskBatch__Output, wire.TaskOutcomeBatch>, executor, log, 20);
  call.emit('data', tasksBatch(['a', 'b', 'c']));
  const written = next();
  end('a');
  await written;
  assert.deepEqual(writes, [['a']], 'the first outcome, though 2 tasks are still here on 1 core');
  call.emit('cancelled');
});

test("a stream that closes kills its tasks that have not ended, by its stages' prefix; another stream's are untouched", () => {
  const launched: { taskId: string; stageKey: string; signal?: AbortSignal }[] = [];
  const killed: string[] = [];
  const forgotten: string[] = [];
  const gates = new Map<string, (o: wire.TaskOutcome) => void>();
  const executor = {
    cores: 4,
    launch: (t: { taskId: string; stageKey: string; signal?: AbortSignal }) => {
      launched.push(t);
      return new Promise<wire.TaskOutcome>((resolve) => gates.set(t.taskId, resolve));
    },
    removeBlocks: () => 0,
    forgetStage: (_job: string, key: string) => void forgotten.push(key),
    killStream: (prefix: string) => (killed.push(prefix), 1),
  } as unknown as Executor;
  const first = recordingCall();
  const second = recordingCall();
  const idle = recordingCall();
  for (const c of [first, second, idle]) handleTaskStream(c.call as unknown as grpc.ServerDuplexStream<wire.TaskBatch__Output, wire.TaskOutcomeBatch>, executor, log);
  first.call.emit('data', tasksBatch(['a']));
  second.call.emit('data', tasksBatch(['b']));
  const [a, b] = launched;
  const prefixOf = (key: string): string => key.slice(0, key.length - 's'.length);
  assert.notEqual(prefixOf(a.stageKey), prefixOf(b.stageKey), 'each stream prefixes its stage keys with its own number');
  first.call.emit('cancelled');
  assert.deepEqual(killed, [prefixOf(a.stageKey)], "the closed stream's tasks are killed, by its prefix");
  assert.equal(a.signal?.aborted, true, "the closed stream's tasks still waiting for their bundle do not start");
  assert.equal(b.signal?.aborted, false);
  assert.deepEqual(forgotten, [a.stageKey]);
  // A stream whose tasks all ended kills nothing when it closes; nor does one that launched none.
  gates.get('b')!({ result: Buffer.from('b') });
  return new Promise<void>((resolve) =>
    setImmediate(() => {
      second.call.emit('error', new Error('gone'));
      idle.call.emit('end');
      assert.deepEqual(killed, [prefixOf(a.stageKey)]);
      resolve();
    }),
  );
});
