import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, SystemClock } from '../../src/util/clock.js';

test('SystemClock.waitUntil never resolves before its time, even when the event loop was busy before the wait', async () => {
  // A batch's tick waits on this: resolving early starts the batch before its time (Spark's
  // waitTillTime loops until the clock reaches it). Busy work before the wait makes Node's
  // timer, counted from the loop's cached time, end a millisecond early now and then.
  const clock = new SystemClock();
  const early: number[] = [];
  for (let i = 0; i < 150; i++) {
    await new Promise((r) => setImmediate(r));
    const busy = Date.now();
    while (Date.now() - busy < 3) {
      // the tick's own work
    }
    const time = Date.now() + 2 + (i % 5);
    await clock.waitUntil(time);
    const now = Date.now();
    if (now < time) early.push(time - now);
  }
  assert.deepEqual(early, [], 'waits that resolved before their time, by ms');
});

test('SystemClock.waitUntil of a time already past resolves on a later turn of the event loop', async () => {
  const clock = new SystemClock();
  let ran = false;
  const wait = clock.waitUntil(Date.now() - 1000).then(() => {
    ran = true;
  });
  assert.equal(ran, false);
  await wait;
  assert.equal(ran, true);
});

test('ManualClock.waitUntil resolves when the clock is set to or past the time', async () => {
  const clock = new ManualClock(100);
  let done = false;
  const wait = clock.waitUntil(150).then(() => {
    done = true;
  });
  clock.advance(49);
  await Promise.resolve();
  assert.equal(done, false);
  clock.advance(1);
  await wait;
  assert.equal(done, true);
});
