// AuthFailures' policy, with time given by the test: the backoff per streak, the end of
// a streak, the per-peer and global log limits, and the bound on remembered peers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuthFailures } from '../../src/rpc/auth-failures.js';

test('three refusals at once, then 100 ms doubling up to 5 s; a streak ends after 60 s without a failure', () => {
  const f = new AuthFailures();
  const delays = Array.from({ length: 12 }, (_, i) => f.onFailure('10.0.0.1', i * 10).delayMs);
  assert.deepEqual(delays, [0, 0, 0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
  // Another peer has its own streak.
  assert.equal(f.onFailure('10.0.0.2', 200).delayMs, 0);
  // 60 s after the last failure the streak still counts; just past it, it starts afresh.
  assert.equal(f.onFailure('10.0.0.1', 110 + 60_000).delayMs, 5000);
  assert.equal(f.onFailure('10.0.0.1', 110 + 60_000 + 60_001).delayMs, 0);
});

test('a peer is logged at its first refusal, then once per 10 s with the refusals since', () => {
  const f = new AuthFailures();
  const logged: [number, number, number][] = [];
  for (let t = 0; t <= 25_000; t += 1000) {
    const { log } = f.onFailure('10.0.0.1', t);
    if (log) logged.push([t, log.failures, log.refusals]);
  }
  // Refusals at 0, 1000, ..., 25000 (26): lines at 0, 10000, 20000.
  assert.deepEqual(logged, [
    [0, 1, 1],
    [10_000, 11, 10],
    [20_000, 21, 10],
  ]);
});

test('at most 20 lines per 10 s over all peers', () => {
  const f = new AuthFailures();
  let lines = 0;
  for (let i = 0; i < 100; i++) if (f.onFailure(`10.0.1.${i}`, i).log) lines++;
  assert.equal(lines, AuthFailures.LOG_BUDGET);
  // The next window has a fresh budget.
  assert.ok(f.onFailure('10.0.2.1', 10_100).log);
});

test('at most 10,000 peers are remembered, the least recently failed forgotten first', () => {
  const f = new AuthFailures();
  for (let i = 0; i < 4; i++) f.onFailure('keep', i);
  for (let i = 0; i < 4; i++) f.onFailure('drop', i);
  f.onFailure('keep', 5); // now more recent than 'drop'
  for (let i = 0; i < AuthFailures.MAX_PEERS - 1; i++) f.onFailure(`p${i}`, 10 + i);
  assert.equal(f.size, AuthFailures.MAX_PEERS);
  // (Asking about 'keep' first: a new peer evicts the oldest one.)
  assert.equal(f.onFailure('keep', 20_000).delayMs, 400, "'keep' was not forgotten: its 6th refusal");
  assert.equal(f.onFailure('drop', 20_000).delayMs, 0, "'drop' was forgotten: a new streak");
});
