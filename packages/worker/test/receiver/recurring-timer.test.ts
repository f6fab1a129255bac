import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecurringTimer } from '../../src/receiver/recurring-timer.js';

/** Blocks this thread for `ms` (no CPU): what a busy event loop does to the timer. */
function hold(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Tick {
  /** The tick's scheduled time. */
  readonly time: number;
  /** The wall time it ran at. */
  readonly ranAt: number;
  /** The timer's first reading of its clock after the tick began (the one it picks the next tick by), set once read. */
  after?: number;
}

/** Runs a timer until it ticked `n` times; each tick's scheduled time, the wall time it ran at, and the clock the timer read after it. */
function ticks(period: number, phase: number, n: number, onTick: (i: number) => void = () => undefined): Promise<Tick[]> {
  const seen: Tick[] = [];
  let waiting: Tick | undefined;
  const now = (): number => {
    const t = Date.now();
    if (waiting !== undefined) waiting.after = t;
    waiting = undefined;
    return t;
  };
  return new Promise((resolve) => {
    const t = new RecurringTimer(
      period,
      phase,
      (time) => {
        const tick: Tick = { time, ranAt: Date.now() };
        seen.push(tick);
        waiting = tick;
        onTick(seen.length - 1);
        if (seen.length === n) {
          t.stop();
          resolve(seen);
        }
      },
      now,
    );
    t.start();
  });
}

test('ticks fall at multiples of the period plus the phase, each run at or after its time; a busy loop makes them late, not drift', async () => {
  // Every tick holds the thread 5 ms (a timer re-armed from each late run would drift by that much a tick).
  const seen = await ticks(50, 10, 20, () => hold(5));
  for (const { time, ranAt } of seen) {
    assert.equal(time % 50, 10, `tick time ${time} is 10 past a multiple of 50`);
    assert.ok(ranAt >= time, `ran at ${ranAt}, before its time ${time}`);
  }
  const gaps = seen.slice(1).map((s, i) => s.time - seen[i].time);
  for (const g of gaps) assert.ok(g > 0 && g % 50 === 0, `consecutive tick times ${g} ms apart`);
  // A tick skips the next only when it ran a whole period late (a loaded machine): each tick
  // is for the first time due after the one before had run (the time the timer read then),
  // never one later. (Counting gaps of one period instead failed 3 of 20 runs at load 38.)
  for (let i = 1; i < seen.length; i++) {
    const after = seen[i - 1].after;
    assert.ok(after !== undefined, `the timer read its clock after tick ${i - 1}`);
    assert.equal(seen[i].time, (Math.floor((after - 10) / 50) + 1) * 50 + 10, `tick ${i} is for the first time due after ${after}: gaps ${gaps.join(' ')}`);
  }
});

test('a tick that runs past the next ones skips them: one call at the next time due, no burst', async () => {
  const seen = await ticks(30, 0, 4, (i) => {
    if (i === 1) hold(100);
  });
  const late = seen[1].ranAt + 100;
  // The tick after the held one is the first multiple of 30 after the hold ended, not the ones it passed.
  assert.ok(seen[2].time >= late - 1, `after a tick held to ${late}, the next ran for ${seen[2].time}`);
  assert.ok(seen[2].time - seen[1].time >= 90, `ticks ${seen.map((s) => s.time - seen[0].time).join(' ')}`);
  assert.ok(seen[3].time - seen[2].time >= 30 && (seen[3].time - seen[2].time) % 30 === 0, `ticks ${seen.map((s) => s.time - seen[0].time).join(' ')}`);
});

test('stop() ends the ticks; a tick that stops the timer is the last', async () => {
  let n = 0;
  const t = new RecurringTimer(10, 0, () => {
    n++;
    t.stop();
  });
  t.start();
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(n, 1);
  const idle = new RecurringTimer(10, 0, () => assert.fail('ticked after stop()'));
  idle.start();
  idle.stop();
  await new Promise((r) => setTimeout(r, 40));
});
