// The receiver's rate limit (receiverMaxRate and backpressure's rate), on mocked timers and
// Date so every count is exact: a token bucket filled at the rate, holding a block
// interval's worth; expected numbers are worked out by hand in the comments.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Receiver, decodeRecords } from '@sluice/core/internal';
import { RateLimiter } from '../../src/receiver/rate-limiter.js';
import { ReceiverSupervisorImpl, type SupervisorSink } from '../../src/receiver/receiver-supervisor.js';

class Idle extends Receiver<number> {
  onStart(): void {}
  onStop(): void {}
}

test('RateLimiter: admits while not in debt, says how long until the debt is paid, never above maxRate', () => {
  let now = 0;
  const l = new RateLimiter(500, 100, 200, () => now); // 100/s to start, at most 500/s, 200 ms burst
  assert.equal(l.rate, 100);
  assert.equal(l.tryAcquire(10), 0); // tokens 0 -> -10
  assert.equal(l.tryAcquire(1), 100); // 10 tokens at 100/s: 100 ms
  now = 50;
  assert.equal(l.tryAcquire(1), 50); // -5 left: 50 ms
  now = 100;
  assert.equal(l.tryAcquire(3), 0); // 0 -> -3
  now = 1000; // refilled to the burst cap 100/s x 0.2 s = 20, not 87
  assert.equal(l.tryAcquire(20), 0); // 20 -> 0
  assert.equal(l.tryAcquire(1), 0); // 0 is not debt: -1
  assert.equal(l.tryAcquire(1), 10); // 1 token at 100/s
  l.setRate(2000); // above maxRate: 500
  assert.equal(l.rate, 500);
  assert.equal(l.tryAcquire(1), 2); // 1 token at 500/s: 2 ms
  l.setRate(0); // ignored, as Spark's updateRate
  l.setRate(-3);
  assert.equal(l.rate, 500);
  const free = new RateLimiter(Infinity, Infinity, 200, () => now);
  for (let i = 0; i < 5; i++) assert.equal(free.tryAcquire(1_000_000), 0, 'no bound: always admitted');
});

test('RateLimiterSuite "rate limiter initializes even without a maxRate set", "... updates when below maxRate" and "... stays below maxRate despite large updates": updateRate(105) gives 105, 105 under a maxRate of 110, 100 under one of 100', () => {
  // Spark's RateLimiter(conf) starts at spark.streaming.receiver.maxRate (Long.MaxValue when unset); here Infinity.
  const unset = new RateLimiter(Infinity, Infinity, 200, () => 0);
  unset.setRate(105);
  assert.equal(unset.rate, 105);
  const below = new RateLimiter(110, 110, 200, () => 0);
  below.setRate(105);
  assert.equal(below.rate, 105);
  const capped = new RateLimiter(100, 100, 200, () => 0);
  capped.setRate(105);
  assert.equal(capped.rate, 100);
});

test('a store over the rate waits, untaken, until the rate allows it; whenAccepting resolves then; updateRate changes the pace', async () => {
  mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: 0 });
  const blocks: number[][] = [];
  const s: SupervisorSink = { block: (_id, data) => void blocks.push(decodeRecords<number[]>(data)), error: () => undefined, started: () => undefined, stopped: () => undefined, restarting: () => undefined };
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 100, 1_000_000, s, { maxRate: 500, initialRate: 100 });
  sup.start();
  try {
    assert.equal(sup.rate, 100);
    void r.store([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]); // admitted: 10 tokens of debt (100 ms at 100/s)
    assert.equal(r.bufferFull(), false);
    void r.store([11, 12]); // waits
    assert.equal(r.bufferFull(), true, 'a store waits for the rate');
    let accepted = false;
    void r.untilAccepting().then(() => (accepted = true));
    mock.timers.tick(99);
    await Promise.resolve();
    assert.equal(accepted, false, 'at 99 ms the debt is not paid');
    mock.timers.tick(1); // 100 ms: [1..10] was cut into a block at the flush, [11, 12] now admitted
    await Promise.resolve();
    assert.equal(accepted, true);
    assert.equal(r.bufferFull(), false);
    assert.deepEqual(blocks, [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]);
    mock.timers.tick(100);
    assert.deepEqual(blocks[1], [11, 12]);

    // Backpressure raises the rate to 1000/s, bounded by maxRate 500/s. The bucket is first
    // filled at the old rate: at 200 ms it holds min(cap 10, -2 + 100 ms x 100/s) = 8, so
    // 9 stores of one record pass (the 9th into a debt of 1) and the 10th waits until the
    // debt is paid at the new rate: 1 record at 500/s, 2 ms.
    sup.updateRate(1000);
    assert.equal(sup.rate, 500);
    for (let i = 0; i < 9; i++) void r.store([100 + i]);
    assert.equal(r.bufferFull(), false, '9 stores admitted (the last one into debt)');
    void r.store([109]);
    assert.equal(r.bufferFull(), true);
    mock.timers.tick(1);
    assert.equal(r.bufferFull(), true, 'not after 1 ms');
    mock.timers.tick(1);
    assert.equal(r.bufferFull(), false);
    // Lowered to 10/s: the debt of 1 at 202 ms takes 100 ms.
    sup.updateRate(10);
    void r.store([110]);
    assert.equal(r.bufferFull(), true);
    mock.timers.tick(99);
    assert.equal(r.bufferFull(), true);
    mock.timers.tick(1);
    assert.equal(r.bufferFull(), false);
    sup.stop('done');
    const expected = [...Array.from({ length: 12 }, (_, i) => i + 1), ...Array.from({ length: 11 }, (_, i) => 100 + i)];
    assert.deepEqual(blocks.flat(), expected, 'every record stored once, in order');
  } finally {
    sup.stop('test over');
    mock.timers.reset();
  }
});

test('stopping puts the stores still waiting for the rate into the last block instead of dropping them', async () => {
  const blocks: number[][] = [];
  const s: SupervisorSink = { block: (_id, data) => void blocks.push(decodeRecords<number[]>(data)), error: () => undefined, started: () => undefined, stopped: () => undefined, restarting: () => undefined };
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 10_000, 1000, s, { initialRate: 1 });
  sup.start();
  try {
    void r.store([1]);
    const waiting = r.store([2, 3]);
    assert.equal(r.bufferFull(), true, 'the second store waits a second for the rate');
    let rejected = false;
    waiting.catch(() => (rejected = true));
    sup.stop('test over');
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(blocks, [[1, 2, 3]]);
    assert.equal(rejected, false, 'its records are in the last block, to be made durable');
  } finally {
    sup.stop('test over');
  }
});
