// When `sluice worker` tries to register again while its driver does not answer: Spark's
// standalone Worker's schedule (Worker.scala's reregisterWithMaster: after the first attempt,
// 6 retries at round(10 s x f), then up to 16 retries in all at round(60 s x f), f drawn once
// per worker in [0.5, 1.5)). The sums here are worked out from those figures, not from the code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_REGISTRATION_RETRIES, DEFAULT_REGISTRATION_RETRY_INTERVAL_MS } from '../src/index.js';
import { RegistrationSchedule } from '../src/registration-retry.js';

const gaps = (s: RegistrationSchedule): number[] => Array.from({ length: s.attempts - 1 }, (_, i) => s.intervalAfter(i + 1));

test("Spark's bound: the first attempt and 16 retries, 6 of them 10 s x f apart, the other 10 60 s x f apart", () => {
  assert.equal(DEFAULT_REGISTRATION_RETRIES, 16);
  assert.equal(DEFAULT_REGISTRATION_RETRY_INTERVAL_MS, 10_000);
  const mid = new RegistrationSchedule(17, 10_000, 0.5); // f = 1
  assert.deepEqual(gaps(mid), [...Array(6).fill(10_000), ...Array(10).fill(60_000)]);
  // From the first attempt to the last: 6 x 10 s + 10 x 60 s = 660 s at f = 1; 330 s at f = 0.5; ~990 s at f -> 1.5.
  const total = (r: number): number => gaps(new RegistrationSchedule(17, 10_000, r)).reduce((a, b) => a + b, 0);
  assert.equal(total(0.5), 660_000);
  assert.equal(total(0), 330_000);
  assert.ok(Math.abs(total(0.999999) - 990_000) < 20, String(total(0.999999)));
});

test('a shorter base interval scales every gap; each gap is at least 1 ms', () => {
  assert.deepEqual(gaps(new RegistrationSchedule(9, 1000, 0.5)), [1000, 1000, 1000, 1000, 1000, 1000, 6000, 6000]);
  assert.deepEqual(gaps(new RegistrationSchedule(3, 1, 0)), [1, 1]);
});
