// StreamingContext.stop's options object takes Spark's parameter names, as a Scala program
// passes them (ssc.stop(stopSparkContext = false, stopGracefully = true)): stopGracefully stops
// as graceful does, stopSparkContext stops the SluiceContext after; an unknown key is refused
// (before 2026-12-07 it was ignored, so `{ stopGracefully: true }` from JavaScript stopped at
// once). In process, on the manual clock: a graceful stop runs the batch of the next tick (it
// processes what was received up to then), a stop at once runs none.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceContext, StreamingContext } from '../../src/index.js';

function started(): { sc: SluiceContext; ssc: StreamingContext; batches: number[] } {
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined, log: () => undefined });
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual' });
  const batches: number[] = [];
  // An output that runs no job: it records the batch times that ran.
  ssc.queueStream<number>([], true).foreachRDD((_rdd, time) => void batches.push(time));
  ssc.start();
  return { sc, ssc, batches };
}

/**
 * stop(options) as a JavaScript program calls it: the forms' types are checked by
 * type-tests/spark-first-programs.ts, so that a mutation of them still builds this test.
 */
const stopWith = (ssc: StreamingContext, options: object): Promise<void> => ssc.stop(options);

function refused(call: () => unknown, message: string): void {
  assert.throws(call, (e: Error & { code?: string }) => {
    assert.equal(e.code, 'SLUICE_BAD_ARGUMENT');
    assert.equal(e.message, message);
    return true;
  });
}

test("stop({ stopGracefully: true }) stops gracefully, as { graceful: true } and Spark's stop(false, true) do; without it, at once", async () => {
  const stops: [string, (ssc: StreamingContext) => Promise<void>, boolean][] = [
    ['{ stopGracefully: true }', (ssc) => stopWith(ssc, { stopGracefully: true }), true],
    ['{ stopSparkContext: false, stopGracefully: true }', (ssc) => stopWith(ssc, { stopSparkContext: false, stopGracefully: true }), true],
    ['{ graceful: true }', (ssc) => ssc.stop({ graceful: true }), true],
    ['stop(false, true)', (ssc) => ssc.stop(false, true), true],
    ['{ stopGracefully: false }', (ssc) => stopWith(ssc, { stopGracefully: false }), false],
    ['stop()', (ssc) => ssc.stop(), false],
  ];
  for (const [what, stop, graceful] of stops) {
    const { sc, ssc, batches } = started();
    // The first tick (batch 1000) is due; none has run yet.
    assert.deepEqual(batches, [], what);
    await stop(ssc);
    assert.deepEqual(batches, graceful ? [1000] : [], what);
    assert.equal(ssc.getState(), 'stopped', what);
    assert.equal(sc.isStopped, false, `${what} keeps the SluiceContext`);
  }
});

test('stop({ stopSparkContext: true }) stops the SluiceContext after the StreamingContext, as stop(true) does', async () => {
  for (const stop of [(ssc: StreamingContext) => stopWith(ssc, { stopSparkContext: true }), (ssc: StreamingContext) => ssc.stop(true)]) {
    const { sc, ssc } = started();
    await stop(ssc);
    assert.equal(ssc.getState(), 'stopped');
    assert.equal(sc.isStopped, true);
  }
});

test("stop's unknown option is refused naming the options (PySpark's stopGraceFully naming stopGracefully); graceful and stopGracefully disagreeing are refused", async () => {
  const { ssc } = started();
  refused(
    () => stopWith(ssc, { stopGraceFully: true }),
    "StreamingContext.stop: unknown option 'stopGraceFully' (Spark's setting; in Sluice: { stopGracefully: true } (or { graceful: true })); the options are graceful, stopGracefully, stopSparkContext",
  );
  refused(() => stopWith(ssc, { gracefull: true }), "StreamingContext.stop: unknown option 'gracefull'; the options are graceful, stopGracefully, stopSparkContext");
  refused(() => stopWith(ssc, { graceful: true, stopGracefully: false }), "StreamingContext.stop: graceful (true) and stopGracefully (false), Spark's name for it, disagree; give one of them");
  assert.equal(ssc.getState(), 'active', 'nothing was stopped');
  await ssc.stop();
});
