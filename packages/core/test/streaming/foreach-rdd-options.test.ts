// dstream.foreachRDD(f, options) refuses an option it does not know at the call, as the
// StreamingContext's and its inputs' options do (a misspelt checkpointState would be taken
// and ignored: the output's state silently not kept in the checkpoints). In process.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceContext, StreamingContext, type OutputCheckpointState } from '../../src/index.js';

test('foreachRDD: an unknown option is refused naming it and the options; checkpointState is taken', () => {
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined, log: () => undefined });
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual' });
  const stream = ssc.queueStream([sc.parallelize([1, 2])]);
  const state: OutputCheckpointState = { checkpointData: () => undefined, restoreCheckpointData: () => undefined };
  assert.throws(
    () => stream.foreachRDD(() => undefined, { checkpointStat: state } as object),
    (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === "dstream.foreachRDD(f, options): unknown option 'checkpointStat'; the options are checkpointState",
  );
  stream.foreachRDD(() => undefined, { checkpointState: state });
  stream.foreachRDD(() => undefined);
});
