// Spark Streaming's edge semantics, batch by batch on a manual clock, on 2 worker
// processes (fixture dstream-edges.ts). Every expected value is computed here from the
// test's own input with Spark's rules, written out as plain JS:
//  - an input with no RDD for a batch (Spark's InputDStream.compute returning None):
//    map, filter, flatMap, reduceByKey, groupByKey, mapValues, count have no RDD then and
//    their outputs do not run (ForEachDStream generates no job); a window leaves the batch
//    out; updateStateByKey calls the update function with no values for every key's state
//    (none at all before the first state); mapWithState takes it as an empty batch;
//  - a transform function that returns undefined, and a union with a stream that has no
//    RDD, fail the batch with an error naming the operator;
//  - countByWindow = map(1).reduceByWindow(+, -): no element before any record, 0 once the
//    window empties; reduceByWindow with an inverse likewise;
//  - mapWithState timeouts: a key times out when idle strictly longer than the timeout;
//  - mapWithState's State as Spark's StateImpl: no update after remove in the same call, no
//    second remove, neither on a timing-out state.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, withCluster, type JobRun } from './harness.js';

const BATCH_MS = 1000;
const NUM_BATCHES = 9;
const TIMES = Array.from({ length: NUM_BATCHES }, (_, i) => (i + 1) * BATCH_MS);
const TIMEOUT_MS = 2000;
const gappy: (number[] | null)[] = [null, [1, 2, 3], null, [], [4, 5], null, [7], null, [8, 9]];
const late: number[][] = [[], [], [5, 6], [7], [], [], [], [8, 9, 10], []];
const idle: [string, number][][] = [[['a', 1], ['b', 2]], [['c', 3]], [['b', 4]], [], [['c', 5]], [], [], [], []];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-edges-'));
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(inputFile, JSON.stringify({ batchMs: BATCH_MS, numBatches: NUM_BATCHES, gappy, late, idle, timeoutMs: TIMEOUT_MS }));

type PerBatch<T = unknown> = [number, T][];
const results = new Map<string, unknown>();
const errors = new Map<string, string>();
let run: JobRun | undefined;
let setupError: unknown;

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      run = await h.run(fixture('dstream-edges.ts'), [inputFile, tmp]);
    });
    for (const l of run!.lines) {
      const d = /^D (\S+) (.*)$/.exec(l);
      if (d) results.set(d[1], JSON.parse(d[2]));
      const e = /^E (\S+) (.*)$/.exec(l);
      if (e) errors.set(e[1], e[2]);
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
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const idx = (t: number): number => t / BATCH_MS - 1;

/** Compare per-batch results as bags of records. */
function check(name: string, expected: PerBatch<unknown[]>): void {
  const actual = got<PerBatch<unknown[]>>(name);
  assert.deepEqual(
    actual.map(([t, v]) => [t, bag(v)]),
    expected.map(([t, v]) => [t, bag(v)]),
    name,
  );
}

/** An element-wise operator: output only for the batches that have an RDD. */
function elementwise(f: (xs: number[]) => unknown[]): PerBatch<unknown[]> {
  return TIMES.flatMap((t): PerBatch<unknown[]> => {
    const xs = gappy[idx(t)];
    return xs === null ? [] : [[t, f(xs)]];
  });
}

function byParity(xs: number[]): Map<string, number[]> {
  const m = new Map<string, number[]>();
  for (const x of xs) {
    const k = x % 2 === 0 ? 'even' : 'odd';
    m.set(k, [...(m.get(k) ?? []), x]);
  }
  return m;
}

test('the job ran every batch of the first context', () => {
  assert.deepEqual(got('status'), { ok: true, error: null });
  assert.ok(gappy.some((x) => x === null) && gappy.some((x) => x !== null && x.length === 0), 'inputs have no-RDD and empty batches');
});

test('a batch with no RDD flows on as no RDD through map, filter, flatMap, reduceByKey, groupByKey, mapValues, count', () => {
  check('input', elementwise((xs) => xs));
  check('map', elementwise((xs) => xs.map((x) => x * 10)));
  check('filter', elementwise((xs) => xs.filter((x) => x % 2 === 1)));
  check('flatMap', elementwise((xs) => xs.flatMap((x) => [x, -x])));
  check('reduceByKey', elementwise((xs) => [...byParity(xs)].map(([k, vs]) => [k, sum(vs)])));
  check('groupByKey', elementwise((xs) => [...byParity(xs)].map(([k, vs]) => [k, [...vs].sort((a, b) => a - b)])).map(([t, v]) => [t, v]));
  check('mapValues', elementwise((xs) => xs.map((x) => [x % 2 === 0 ? 'even' : 'odd', x + 1])));
  check('count', elementwise((xs) => [xs.length]));
  const present = TIMES.filter((t) => gappy[idx(t)] !== null);
  assert.deepEqual(got<PerBatch>('map').map(([t]) => t), present, 'outputs run only for batches with an RDD');
});

test('a window leaves out the batches with no RDD, and has an RDD at every slide', () => {
  check(
    'window',
    TIMES.map((t) => [t, TIMES.filter((u) => u > t - 2 * BATCH_MS && u <= t).flatMap((u) => gappy[idx(u)] ?? [])]),
  );
});

test('updateStateByKey calls the update function with no values for every key, for a batch with no RDD', () => {
  // Spark's StateDStream: no previous state and no RDD -> no RDD; previous state and no
  // RDD -> update([], state) for every key ("re-apply the update function to the old state
  // RDD"); an RDD (even empty) -> update(values, state) for every key.
  let state: Map<string, [number, number]> | undefined;
  const expected: PerBatch<unknown[]> = [];
  for (const t of TIMES) {
    const xs = gappy[idx(t)];
    if (xs !== null) {
      const next = new Map(state ?? []);
      const groups = byParity(xs);
      for (const k of new Set([...next.keys(), ...groups.keys()])) {
        const [s, calls] = next.get(k) ?? [0, 0];
        next.set(k, [s + sum(groups.get(k) ?? []), calls + 1]);
      }
      state = next;
    } else if (state) {
      state = new Map([...state].map(([k, [s, calls]]) => [k, [s, calls + 1]]));
    }
    if (state) expected.push([t, [...state]]);
  }
  check('updateStateByKey', expected);
  // Hand check of the rule at the first batch and a gap: the function ran for both keys at 2000 and at 3000 (no RDD).
  const at3000 = got<PerBatch<[string, [number, number]][]>>('updateStateByKey').find(([t]) => t === 3000)?.[1];
  assert.deepEqual(new Map(at3000), new Map([['odd', [4, 2]], ['even', [2, 2]]]));
  assert.ok(!got<PerBatch>('updateStateByKey').some(([t]) => t === 1000), 'no state RDD before the first batch with an RDD');
});

/** mapWithState as Spark: a value per call; keys idle strictly longer than the timeout time out. */
function mapWithStateExpected(batches: (readonly (readonly [string, number])[])[], label: (k: string, v: number, s: number) => string, timedOut: (k: string, s: number) => string): PerBatch<string[]> {
  const state = new Map<string, { s: number; at: number }>();
  return TIMES.map((t) => {
    const out: string[] = [];
    const touched = new Set<string>();
    for (const [k, v] of batches[idx(t)]) {
      touched.add(k);
      const s = (state.get(k)?.s ?? 0) + v;
      state.set(k, { s, at: t });
      out.push(label(k, v, s));
    }
    for (const [k, e] of [...state]) {
      if (!touched.has(k) && t - e.at > TIMEOUT_MS) {
        out.push(timedOut(k, e.s));
        state.delete(k);
      }
    }
    return [t, out];
  });
}

test('mapWithState takes a batch with no RDD as an empty batch (timeouts go on)', () => {
  const pairs = gappy.map((xs) => (xs ?? []).map((x) => [x % 2 === 0 ? 'even' : 'odd', x] as const));
  check(
    'mapWithState.gappy',
    mapWithStateExpected(pairs, (k, v) => `${k}+${v}`, (k) => `timeout:${k}`),
  );
});

test('mapWithState: a key times out only when idle strictly longer than the timeout', () => {
  const expected = mapWithStateExpected(idle, (k, v) => `${k}=${v}`, (k, s) => `timeout:${k}:${s}`);
  check('mapWithState.timeout', expected);
  // The boundary, by hand: 'a' was updated at 1000; idle exactly 2000 ms at 3000 (stays), 3000 ms at 4000 (times out).
  const at = (t: number): string[] => got<PerBatch<string[]>>('mapWithState.timeout').find(([u]) => u === t)?.[1] ?? [];
  assert.ok(!at(3000).some((s) => s.startsWith('timeout:a')), `a is not timed out at 3000: ${at(3000)}`);
  assert.ok(at(4000).includes('timeout:a:1'), `a times out at 4000: ${at(4000)}`);
});

test("mapWithState keeps Spark's State rules: no update after remove, no second remove, no remove or update of a timing-out state", () => {
  // Spark's StateImpl: update requires !removed and !timingOut; remove requires !timingOut and !removed.
  const state = new Map<string, { s: number; at: number }>();
  const expected: PerBatch<string[]> = TIMES.map((t) => {
    const out: string[] = [];
    const touched = new Set<string>();
    for (const [k, v] of idle[idx(t)]) {
      touched.add(k);
      if (v % 2 === 1) {
        state.delete(k);
        out.push(`R:${k}:refused:refused`);
      } else {
        const s = (state.get(k)?.s ?? 0) + v;
        state.set(k, { s, at: t });
        out.push(`U:${k}:ok:${s}`);
      }
    }
    for (const [k, e] of [...state]) {
      if (!touched.has(k) && t - e.at > TIMEOUT_MS) {
        out.push(`T:${k}:refused:refused`);
        state.delete(k);
      }
    }
    return [t, out];
  });
  const all = expected.flatMap(([, xs]) => xs);
  assert.ok(['R:', 'U:', 'T:'].every((p) => all.some((x) => x.startsWith(p))), `the input removes, updates and times out keys: ${all}`);
  check('mapWithState.rules', expected);
});

/** reduceByKeyAndWindow with an inverse on one key: no value before any record, then the window's reduction. */
function windowWithInverse(length: number, slide: number, f: (xs: number[]) => number): PerBatch<number[]> {
  return TIMES.filter((t) => t % slide === 0).map((t) => {
    const seen = TIMES.some((u) => u <= t && late[idx(u)].length > 0);
    const inWindow = TIMES.filter((u) => u > t - length && u <= t).flatMap((u) => late[idx(u)]);
    return [t, seen ? [f(inWindow)] : []];
  });
}

test('countByWindow as Spark computes it: no element before any record, 0 once the window empties', () => {
  check('countByWindow', windowWithInverse(3 * BATCH_MS, BATCH_MS, (xs) => xs.length));
  check('countByWindow.slide2', windowWithInverse(4 * BATCH_MS, 2 * BATCH_MS, (xs) => xs.length));
  const c = new Map(got<PerBatch<number[]>>('countByWindow'));
  assert.deepEqual([c.get(1000), c.get(3000), c.get(7000)], [[], [2], [0]], 'hand check: before data, first data, emptied window');
});

test('reduceByWindow with and without an inverse function', () => {
  check('reduceByWindow.inv', windowWithInverse(3 * BATCH_MS, BATCH_MS, sum));
  check(
    'reduceByWindow',
    TIMES.map((t) => {
      const xs = TIMES.filter((u) => u > t - 3 * BATCH_MS && u <= t).flatMap((u) => late[idx(u)]);
      return [t, xs.length ? [sum(xs)] : []];
    }),
  );
});

test("Spark's positional forms: reduceByWindow(f, invF, length, slide), reduceByKeyAndWindow(f, invF, length, slide, numPartitions, filterFunc), and with an options object in fifth place (plain JavaScript)", () => {
  check('reduceByWindow.inv.positional', windowWithInverse(3 * BATCH_MS, BATCH_MS, sum));
  // Each window's count of odd and even elements; a key whose count fell to 0 is dropped by the filter.
  const counts = TIMES.map((t): [number, [number, number][]] => {
    const c = new Map<number, number>();
    for (const x of TIMES.filter((u) => u > t - 3 * BATCH_MS && u <= t).flatMap((u) => late[idx(u)])) c.set(x % 2, (c.get(x % 2) ?? 0) + 1);
    return [t, [...c]];
  });
  check('reduceByKeyAndWindow.positional', counts);
  check('reduceByKeyAndWindow.positional.options', counts);
});

test('a transform function that returns undefined is an error naming the operator', () => {
  if (setupError !== undefined) throw setupError;
  const e = errors.get('transform') ?? '';
  assert.match(e, /SLUICE_BAD_ARGUMENT|dstream\.transform/);
  assert.match(e, /dstream\.transform: the function returned undefined for batch time 1000, not an RDD/);
  assert.match(e, /emptyRDD\(\)/);
});

test('stop() twice while an output runs: each returns once the context stopped (its running batch done), as Spark\'s synchronized stop; start() after stop is an error', () => {
  const r = got<{ events: string[]; state: string; restart: string }>('stopTwice');
  // Spark: stop() is synchronized, so a second call returns once the first finished; a stopped context cannot start.
  assert.equal(r.events[0], 'output done: 3', `the running batch's output finished before any stop returned: ${JSON.stringify(r.events)}`);
  assert.deepEqual([...r.events].sort(), ['first stop returned', 'output done: 3', 'second stop returned', 'terminated'], JSON.stringify(r.events));
  assert.equal(r.state, 'stopped');
  assert.match(r.restart, /cannot be restarted after stop/);
});

test('a union with a stream that has no RDD for the batch is an error naming the operator', () => {
  if (setupError !== undefined) throw setupError;
  assert.match(errors.get('union') ?? '', /dstream\.union: stream 0 \(GappyInput\) has no RDD for batch time 1000/);
});
