import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InFlightLimit } from '../../src/rpc/in-flight-limit.js';

/** A call the test ends by hand. */
function pending(): { promise: Promise<number>; resolve: (v: number) => void; reject: (e: Error) => void } {
  let resolve!: (v: number) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

test('at most max calls run at once; the rest start in the order given as each ends, failed or not', async () => {
  const limit = new InFlightLimit(2);
  const calls = Array.from({ length: 5 }, () => pending());
  const started: number[] = [];
  const results = calls.map((c, i) => limit.run(() => (started.push(i), c.promise)).then((v) => `ok ${v}`, (e: Error) => `failed ${e.message}`));
  assert.deepEqual(started, [0, 1]);
  assert.deepEqual(limit.counts, { running: 2, waiting: 3 });
  calls[1].reject(new Error('refused'));
  await results[1];
  assert.deepEqual(started, [0, 1, 2]);
  calls[0].resolve(10);
  await results[0];
  assert.deepEqual(started, [0, 1, 2, 3]);
  for (const [i, c] of calls.entries()) c.resolve(i);
  assert.deepEqual(await Promise.all(results), ['ok 10', 'failed refused', 'ok 2', 'ok 3', 'ok 4']);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.deepEqual(limit.counts, { running: 0, waiting: 0 });
});

test('a call that throws at once rejects its promise and frees its place', async () => {
  const limit = new InFlightLimit(1);
  await assert.rejects(
    limit.run(() => {
      throw new Error('bad call');
    }),
    /bad call/,
  );
  assert.equal(await limit.run(() => Promise.resolve(7)), 7);
  assert.deepEqual(limit.counts, { running: 0, waiting: 0 });
});
