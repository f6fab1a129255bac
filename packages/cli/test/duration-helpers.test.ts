// Spark's duration helpers (Milliseconds, Seconds, Minutes, Durations.*) in a program run
// with `sluice run` as a user would (fixture duration-helpers.ts: a manual clock, 1 worker).
// Expected values are computed here from the test's own input with Spark's rules, the
// durations written out by hand in milliseconds:
//  - Seconds(1) batches: batch times 1000, 2000, ...;
//  - window(Seconds(3), Seconds(2)): at every 2000 ms, the batches in (t - 3000, t];
//  - mapWithState with timeout(Durations.milliseconds(2000)): a key idle strictly longer
//    than 2000 ms times out;
//  - remember(Minutes(1)): every batch's RDD of a 6-batch run is still there at its end;
//  - a negative, NaN, infinite, non-number or sub-millisecond argument is refused with
//    SLUICE_BAD_ARGUMENT naming the helper and the value.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, runCli, type CliResult } from './harness.js';

const NUM_BATCHES = 6;
const TIMES = Array.from({ length: NUM_BATCHES }, (_, i) => (i + 1) * 1000);
const nums: number[][] = [[1, 2], [3], [], [4, 5, 6], [7], [8, 9]];
const pairs: [string, number][][] = [[['a', 1], ['b', 2]], [['c', 3]], [['b', 4]], [], [['c', 5]], []];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-duration-helpers-'));
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ numBatches: NUM_BATCHES, nums, pairs }));

type PerBatch<T = unknown> = [number, T][];
const results = new Map<string, unknown>();
let r: CliResult | undefined;
let setupError: unknown;

before(async () => {
  try {
    r = await runCli(['run', '--workers', '1', fixture('duration-helpers.ts'), inputFile, tmp], { timeoutMs: 150_000 });
    for (const l of r.stdout.split('\n')) {
      const d = /^D (\S+) (.*)$/.exec(l);
      if (d) results.set(d[1], JSON.parse(d[2]));
    }
  } catch (err) {
    setupError = err;
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function got<T = unknown>(name: string): T {
  if (setupError !== undefined) throw setupError;
  if (!results.has(name)) throw new Error(`no result for '${name}' (exit ${r?.code})\n--- stdout\n${r?.stdout.slice(-3000)}\n--- stderr\n${r?.stderr.slice(-3000)}`);
  return results.get(name) as T;
}

const bag = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

test('the job ran every batch of Seconds(1) and exited 0', () => {
  assert.deepEqual(got('status'), { ok: true, error: null });
  assert.equal(r!.code, 0, r!.stderr.slice(-3000));
  // The manual clock was advanced by Milliseconds(1000) a batch: the window's times are whole seconds.
  assert.deepEqual(got<PerBatch>('window').map(([t]) => t), [2000, 4000, 6000]);
});

test('window(Seconds(3), Seconds(2)): every 2000 ms, the batches in (t - 3000, t]', () => {
  const expected = [2000, 4000, 6000].map((t) => [t, bag(TIMES.filter((u) => u > t - 3000 && u <= t).flatMap((u) => nums[u / 1000 - 1]))]);
  assert.deepEqual(got<PerBatch<unknown[]>>('window').map(([t, v]) => [t, bag(v)]), expected);
  // By hand: at 4000 the window holds the batches of 2000, 3000 and 4000: [3], [], [4, 5, 6].
  assert.deepEqual(expected[1], [4000, bag([3, 4, 5, 6])]);
});

test('mapWithState with timeout(Durations.milliseconds(2000)): keys idle strictly longer than 2000 ms time out', () => {
  const state = new Map<string, { s: number; at: number }>();
  const expected = TIMES.map((t) => {
    const out: string[] = [];
    const touched = new Set<string>();
    for (const [k, v] of pairs[t / 1000 - 1]) {
      touched.add(k);
      const s = (state.get(k)?.s ?? 0) + v;
      state.set(k, { s, at: t });
      out.push(`${k}=${v}`);
    }
    for (const [k, e] of [...state]) {
      if (!touched.has(k) && t - e.at > 2000) {
        out.push(`timeout:${k}:${e.s}`);
        state.delete(k);
      }
    }
    return [t, bag(out)];
  });
  assert.deepEqual(got<PerBatch<unknown[]>>('mapWithState').map(([t, v]) => [t, bag(v)]), expected);
  // By hand: 'a' (updated at 1000) times out at 4000, not at 3000 (idle exactly 2000 ms).
  const at = (t: number): unknown[] => got<PerBatch<unknown[]>>('mapWithState').find(([u]) => u === t)?.[1] ?? [];
  assert.ok(!at(3000).includes('timeout:a:1') && at(4000).includes('timeout:a:1'), `a times out at 4000: ${JSON.stringify([at(3000), at(4000)])}`);
});

test('remember(Minutes(1)): every one of the 6 batches is remembered at the last', () => {
  assert.equal(got('remembered'), NUM_BATCHES);
});

test('the helpers give milliseconds: a fraction that makes whole milliseconds is taken, Seconds(0) is 0', () => {
  // Milliseconds(250), Seconds(0.5), Seconds(1.1), Minutes(5), Durations.seconds(30), Durations.minutes(1), Seconds(0)
  assert.deepEqual(got('values'), [250, 500, 1100, 5 * 60 * 1000, 30 * 1000, 60 * 1000, 0]);
});

test('a negative, NaN, infinite, non-number or sub-millisecond argument is SLUICE_BAD_ARGUMENT naming the helper and the value', () => {
  const refusals = new Map(got<[string, { code?: string; error?: string; value?: unknown }][]>('refusals'));
  const expect = (call: string, shown: string, unit: string): void => {
    const o = refusals.get(call);
    assert.equal(o?.code, 'SLUICE_BAD_ARGUMENT', `${call}: ${JSON.stringify(o)}`);
    assert.ok(o?.error?.startsWith(`${call.replace(/\(.*\)$/, '')}(${shown}): give a number of ${unit}, 0 or more, that makes whole milliseconds`), `${call}: ${o?.error}`);
    assert.ok(o?.error?.includes(`got ${shown}`), `${call} names the value: ${o?.error}`);
  };
  expect('Seconds(-1)', '-1', 'seconds');
  expect('Minutes(NaN)', 'NaN', 'minutes');
  expect("Milliseconds('500')", "'500'", 'milliseconds');
  assert.match(refusals.get("Milliseconds('500')")?.error ?? '', /a string: pass a number, or the string alone without the helper \('1s'\)$/);
  expect('Durations.seconds(Infinity)', 'Infinity', 'seconds');
  expect('Seconds(1.0005)', '1.0005', 'seconds');
  expect('Minutes(undefined)', 'undefined', 'minutes');
});
