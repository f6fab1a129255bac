// Spark streaming API forms, batch by batch on a manual clock, on 2 worker processes
// (fixture dstream-api.ts). Expected values are computed here from the test's own input
// with Spark's documented semantics:
//  - ssc.transform(streams, (rdds, time) => rdd): f of every stream's RDD of the batch;
//  - updateStateByKey((time, key, values, state) => state): called for every key with
//    state or new values, with the batch time; the iterator form gets each partition's
//    (key, values, state) and keeps only the (key, state) pairs it returns;
//  - mapWithState with (time, key, value, state): a call per value, undefined maps to nothing;
//  - DStream.slice(from, to): both bounds included, each aligned down to the slide;
//  - onOutputOperationStarted/Completed per output operation of each batch, in order;
//    removeStreamingListener stops a listener's events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, withCluster, type JobRun } from './harness.js';

const BATCH_MS = 1000;
const NUM_BATCHES = 6;
const TIMES = Array.from({ length: NUM_BATCHES }, (_, i) => (i + 1) * BATCH_MS);
const REMEMBER_MS = 3000;
const REMOVE_AFTER = 3000;
const nums: number[][] = [[1, 2], [3], [], [4, 5, 6], [7], [8, 9]];
const words: string[][] = [['x'], [], ['y', 'z'], ['w'], [], ['v']];
const pairs: [string, number][][] = [
  [['a', 1], ['b', 2], ['a', 3]],
  [['b', 5]],
  [],
  [['a', 2], ['c', 7], ['a', 1]],
  [['c', 4], ['b', 1], ['b', 3]],
  [['a', 9]],
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-api-'));
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ batchMs: BATCH_MS, numBatches: NUM_BATCHES, rememberMs: REMEMBER_MS, removeAfter: REMOVE_AFTER, nums, words, pairs }));

type PerBatch<T = unknown> = [number, T][];
const results = new Map<string, unknown>();
let run: JobRun | undefined;
let setupError: unknown;

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      run = await h.run(fixture('dstream-api.ts'), [inputFile, tmp]);
    });
    for (const l of run!.lines) {
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
  if (!results.has(name)) throw new Error(`no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
  return results.get(name) as T;
}

const bag = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
const idx = (t: number): number => t / BATCH_MS - 1;

function check(name: string, expected: PerBatch<unknown[]>): void {
  assert.deepEqual(
    got<PerBatch<unknown[]>>(name).map(([t, v]) => [t, bag(v)]),
    expected.map(([t, v]) => [t, bag(v)]),
    name,
  );
}

test('the job ran every batch', () => {
  assert.deepEqual(got('status'), { ok: true, error: null });
});

test('ssc.transform: a function of every stream\'s RDD and the batch time', () => {
  check('ssc.transform', TIMES.map((t) => [t, [...nums[idx(t)].map((x) => `${x}@${t}`), ...words[idx(t)]]]));
});

test('updateStateByKey with the batch time and the key', () => {
  const state = new Map<string, number>();
  check(
    'updateStateByKey.timeKey',
    TIMES.map((t) => {
      const batch = pairs[idx(t)];
      for (const k of new Set([...state.keys(), ...batch.map(([k]) => k)])) {
        state.set(k, (state.get(k) ?? 0) + batch.filter(([k2]) => k2 === k).reduce((a, [, v]) => a + v, 0));
      }
      return [t, [...state].map(([k, s]) => [k, [t, k, s]])];
    }),
  );
});

test('updateStateByKey in its iterator form keeps only the pairs the function returns', () => {
  const state = new Map<string, number>();
  const expected: PerBatch<unknown[]> = TIMES.map((t) => {
    const batch = pairs[idx(t)];
    for (const k of new Set([...state.keys(), ...batch.map(([k]) => k)])) {
      const n = (state.get(k) ?? 0) + batch.filter(([k2]) => k2 === k).length;
      if (n <= 3) state.set(k, n);
      else state.delete(k);
    }
    return [t, [...state]];
  });
  check('updateStateByKey.iterator', expected);
  assert.ok(expected.some(([t, kvs]) => t > BATCH_MS && !kvs.some((kv) => (kv as [string])[0] === 'a')), 'the input drops a key once');
});

test('mapWithState with the batch time; undefined maps to nothing', () => {
  const state = new Map<string, number>();
  check(
    'mapWithState.time',
    TIMES.map((t) => {
      const out: string[] = [];
      for (const [k, v] of pairs[idx(t)]) {
        const total = (state.get(k) ?? 0) + v;
        state.set(k, total);
        if (v % 2 !== 0) out.push(`${k}:${v}:${total}@${t}`);
      }
      return [t, out];
    }),
  );
});

test('DStream.slice: both bounds included, aligned down to the slide, remembered batches only', () => {
  const rdd = (u: number): number[] => nums[idx(u)];
  // Batches u with from <= u <= to (aligned down), after the zero time, remembered: in batch t's
  // output Spark's generatedRDDs has lost only what batch t - 1's completion cleared
  // (JobGenerator.clearMetadata: times <= t - 1 batch - remember), so u > t - batch - remember.
  const between = (t: number, from: number, to: number): number[][] => {
    const a = (x: number): number => Math.floor(x / BATCH_MS) * BATCH_MS;
    return TIMES.filter((u) => u >= a(from) && u <= a(to) && u > t - BATCH_MS - REMEMBER_MS).map(rdd);
  };
  const expected = TIMES.map((t) => [t, { wide: between(t, t - 2.5 * BATCH_MS, t), unaligned: between(t, t - BATCH_MS, t - 1) }]);
  const actual = got<[number, { wide: number[][]; unaligned: number[][] }][]>('slice').map(([t, v]) => [t, { wide: v.wide.map((xs) => [...xs].sort()), unaligned: v.unaligned.map((xs) => [...xs].sort()) }]);
  assert.deepEqual(actual, expected);
  // By hand: at 4000, from 1500 -> 1000 and to 4000 give 1000..4000, 1000 still remembered
  // (batch 3000's completion forgot times <= 0; before 2026-12-07, 3: 1000 forgotten).
  assert.equal((actual.find(([t]) => t === 4000)![1] as { wide: unknown[] }).wide.length, 4);
  assert.match(got<string>('sliceBeforeStart'), /dstream\.slice: the StreamingContext has not started/);
});

test('onOutputOperationStarted/Completed for every output of every batch, in order; removeStreamingListener', () => {
  const names = ['foreachRDD', 'foreachRDD', 'foreachRDD', 'foreachRDD', 'foreachRDD', 'print'];
  const expected = TIMES.flatMap((t) => names.flatMap((name, id) => [['started', t, id, name], ['completed', t, id, name]]));
  // Each name is Spark's call site short form (`foreachRDD at <fixture>:<line>:<column>`): checked, then cut to the operation.
  const ops = got<[string, number, number, string][]>('outputOps').map(([kind, t, id, name]) => {
    assert.match(name, /^(foreachRDD|print) at \S*dstream-api\.ts:\d+:\d+$/);
    return [kind, t, id, name.replace(/ at \S+$/, '')];
  });
  assert.deepEqual(ops, expected);
  for (const [t, start, end] of got<[number, number, number][]>('outputOpTimes')) assert.ok(start >= t && end >= start, `times of an op of ${t}: ${start}..${end}`);
  assert.deepEqual(got('removedListener'), TIMES.filter((t) => t <= REMOVE_AFTER));
});
