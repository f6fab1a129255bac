// The hidden, test-only switch SLUICE_TEST_GC_EVERY_MS (test-gc-timer.ts): unset, nothing is
// started; set to n ms, the thread is collected every n ms until stopped (counted with a fake
// collection; and with the real one, an object dropped is finalized without the test calling
// gc); a value that is not a whole number of ms >= 1 is refused with a message naming the
// variable and what to set.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '@sluice/core/internal';
import { TEST_GC_ENV, startTestGc } from '../../src/job/test-gc-timer.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test(`${TEST_GC_ENV}=n collects every n ms until stopped; unset, never`, async () => {
  assert.equal(TEST_GC_ENV, 'SLUICE_TEST_GC_EVERY_MS');
  let calls = 0;
  const count = (): void => void calls++;
  startTestGc({}, count)();
  const noop = startTestGc({ [TEST_GC_ENV]: '' }, count);
  await sleep(50);
  noop();
  assert.equal(calls, 0, 'unset (or empty): no collection');
  const stop = startTestGc({ [TEST_GC_ENV]: '5' }, count);
  try {
    for (const until = Date.now() + 5000; calls < 3 && Date.now() < until; ) await sleep(10);
    assert.ok(calls >= 3, `collected again and again (${calls} times)`);
  } finally {
    stop();
  }
  const atStop = calls;
  await sleep(50);
  assert.equal(calls, atStop, 'stopped: no more collections');
  // The real collection: what the thread dropped is finalized, nobody here calling gc.
  let finalized = false;
  const registry = new FinalizationRegistry(() => (finalized = true));
  (() => registry.register({ payload: new Array(100).fill(0) }, undefined))();
  const real = startTestGc({ [TEST_GC_ENV]: '5' });
  try {
    for (const until = Date.now() + 5000; !finalized && Date.now() < until; ) await sleep(10);
  } finally {
    real();
  }
  assert.equal(finalized, true, 'what the thread dropped was collected and finalized');
});

test(`${TEST_GC_ENV} that is not a whole number of ms >= 1 is refused, naming the variable`, () => {
  for (const bad of ['abc', '0', '-5', '1.5', '10ms']) {
    assert.throws(
      () => startTestGc({ [TEST_GC_ENV]: bad }, () => assert.fail('not started')),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_BAD_ARGUMENT' && err.message.includes(`${TEST_GC_ENV}=${JSON.stringify(bad)}`) && /unset it/.test(err.message),
      bad,
    );
  }
});
