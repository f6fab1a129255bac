// The worker's side of a RunTasks stream: block removals the driver sends on it (instead of
// RemoveBlocks calls) reach the executor, by id and by prefix, in the message's order with
// its tasks; a message without removals removes nothing.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import type * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import type { wire } from '@sluice/core/internal';
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
