import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { EncodedMessage, loadProto, type wire } from '@sluice/core/internal';
import { FORGET_DELAY_MS, TaskStream, type OpenTaskCall } from '../../src/rpc/task-stream.js';
import type { StageDescription, TaskDescription } from '../../src/rpc/worker-endpoint.js';

/** The worker's side of RunTasks: a written message's bytes read as the worker reads them. */
const readBatch = loadProto().sluice.v1.Worker.service.RunTasks.requestDeserialize;

/** A RunTasks call that keeps what the driver writes (as the worker decodes it); `answer` ends tasks as the worker would. */
class FakeCall extends EventEmitter {
  readonly written: wire.TaskBatch__Output[] = [];
  write(m: unknown): boolean {
    assert.ok(m instanceof EncodedMessage, 'the driver writes its batches encoded');
    this.written.push(readBatch(m.bytes) as wire.TaskBatch__Output);
    return true;
  }
  cancel(): void {
    this.emit('error', Object.assign(new Error('cancelled'), { code: 1 }));
  }
  answer(taskIds: string[]): void {
    this.emit('data', { ended: taskIds.map((task_id) => ({ task_id, outcome: { task_id } })) });
  }
}

function stage(key: string): StageDescription {
  return { key, jobId: 'j', bundleSha256: 'sha', stageId: Number(key.replace(/\D/g, '')), shuffleId: -1, payload: new Uint8Array([1, 2, 3]) };
}

function task(taskId: string, s: StageDescription): TaskDescription {
  return { taskId, partition: 0, attempt: 0, stage: s, taskData: new Uint8Array() };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What each written message carries: stage keys, task ids, stage ends. */
function shape(call: FakeCall): [string[], string[], string[]][] {
  return call.written.map((m) => [(m.stages ?? []).map((s) => s.stage_key!), (m.tasks ?? []).map((t) => t.task_id!), [...(m.forget_stages ?? [])]]);
}

test("a stage's end rides with the next tasks written within FORGET_DELAY_MS, and goes alone after it when none come", async () => {
  const call = new FakeCall();
  const stream = new TaskStream((() => call) as unknown as OpenTaskCall);
  const s1 = stage('s1');
  const done1 = stream.launch(task('t1', s1));
  await turn();
  call.answer(['t1']);
  assert.equal((await done1).ok, true);
  stream.forget('s1');
  await turn();
  assert.deepEqual(shape(call), [[['s1'], ['t1'], []]], "the end is not written in the turn it was made");
  // The next micro-batch's tasks: the end goes in front of them, in their message.
  const s2 = stage('s2');
  void stream.launch(task('t2', s2));
  await turn();
  assert.deepEqual(shape(call), [
    [['s1'], ['t1'], []],
    [['s2'], ['t2'], ['s1']],
  ]);
  // No task after this end: it goes alone once the delay passed, and only once.
  call.answer(['t2']);
  stream.forget('s2');
  await sleep(FORGET_DELAY_MS * 3);
  assert.deepEqual(shape(call).slice(2), [[[], [], ['s2']]]);
  stream.close();
});

test('a stage sent again after its end was queued keeps its description on the worker: the end is dropped, not written after it', async () => {
  const call = new FakeCall();
  const stream = new TaskStream((() => call) as unknown as OpenTaskCall);
  const s = stage('s7');
  void stream.launch(task('a', s));
  await turn();
  call.answer(['a']);
  stream.forget('s7');
  void stream.launch(task('b', s));
  await turn();
  // The worker applies a message's stages, then its tasks, then its ends: an end of s7 here would drop the description b needs.
  assert.deepEqual(shape(call), [
    [['s7'], ['a'], []],
    [['s7'], ['b'], []],
  ]);
  await sleep(FORGET_DELAY_MS * 2);
  assert.equal(call.written.length, 2, 'nothing more is written');
  stream.close();
});

test('block removals ride on the open stream (with the tasks of their turn); with no call open the caller sends them; a failed call hands its unsent ones back', async () => {
  const call = new FakeCall();
  const elsewhere: [string[], string[]][] = [];
  const stream = new TaskStream((() => call) as unknown as OpenTaskCall, (ids, prefixes) => elsewhere.push([[...ids], [...prefixes]]));
  const removals = (): [string[], string[]][] => call.written.map((m) => [[...(m.remove_block_ids ?? [])], [...(m.remove_block_prefixes ?? [])]]);
  assert.equal(stream.removeBlocks(['b0'], []), false, 'no call is open yet: the caller makes a RemoveBlocks call');
  const s1 = stage('s1');
  void stream.launch(task('t1', s1));
  assert.equal(stream.removeBlocks(['b1', 'b2'], ['shuffle_j_1_']), true);
  await turn();
  assert.deepEqual(shape(call), [[['s1'], ['t1'], []]]);
  assert.deepEqual(removals(), [[['b1', 'b2'], ['shuffle_j_1_']]], 'the removals go with the tasks of their turn');
  // Alone: a message of their own at the end of the turn.
  assert.equal(stream.removeBlocks([], ['shuffle_j_2_']), true);
  await turn();
  assert.deepEqual(removals().slice(1), [[[], ['shuffle_j_2_']]]);
  assert.deepEqual(elsewhere, []);
  // The call fails before the next ones are written: they go back to the caller's way.
  assert.equal(stream.removeBlocks(['b3'], []), true);
  call.emit('error', Object.assign(new Error('gone'), { code: 14 }));
  await turn();
  assert.equal(call.written.length, 2, 'nothing written after the failure');
  assert.deepEqual(elsewhere, [[['b3'], []]]);
  assert.equal(stream.removeBlocks(['b4'], []), false, 'the call failed: none is open');
  stream.close();
});
