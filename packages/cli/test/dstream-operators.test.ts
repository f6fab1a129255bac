// Every DStream operator on a cluster of 2 worker processes, batch by batch, in the
// manner of Spark's TestSuiteBase: input batches in (some of them empty), the outputs of
// every batch checked against the same computation written here as plain JS. One job,
// one StreamingContext with a manual clock: the fixture prints one `D <name> <json>`
// line per check ([batchTime, value] per batch) and the subtests compare them.
//
// Window expectations follow Spark: the window at t covers the batches in (t - length, t];
// a window sliding by more than one batch outputs only at multiples of its slide. With an
// inverse function a key stays once seen (value 0) unless filterFunc drops it, as Spark's
// ReducedWindowedDStream does; countByWindow is Spark's inverse-reduce on one key.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { HashPartitioner, partitionFunction } from '@sluice/core/internal';
import { fixture, withCluster, type JobRun, mulberry32 } from './harness.js';

// ---- deterministic inputs -------------------------------------------------------------

const rand = mulberry32(20240917);
const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo));
const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length)];

const BATCH_MS = 1000;
const NUM_BATCHES = 12;
const TIMES = Array.from({ length: NUM_BATCHES }, (_, i) => (i + 1) * BATCH_MS);
/** Clock steps: some cover several batches at once, so batches queue behind each other. */
const ADVANCES = [1000, 2000, 1000, 3000, 1000, 1000, 2000, 1000];
const REMEMBER_MS = 4000;
const MWS_TIMEOUT_MS = 2000;
const MWS_LIMIT = 4;

interface Batches<T> {
  data: T[][];
  /** Slices per batch for sc.parallelize; 0 means sc.emptyRDD(). */
  parts: number[];
}

/** Batches of `gen` output; `empty` maps a batch index to the slices of its empty RDD (0: emptyRDD). */
function batches<T>(n: number, empty: Record<number, number>, size: [number, number], gen: (i: number) => T): Batches<T> {
  const data: T[][] = [];
  const parts: number[] = [];
  for (let i = 0; i < n; i++) {
    if (i in empty) {
      data.push([]);
      parts.push(empty[i]);
    } else {
      data.push(Array.from({ length: int(size[0], size[1]) }, () => gen(i)));
      parts.push(int(1, 5));
    }
  }
  return { data, parts };
}

const WORDS = ['ant', 'bee', 'cat', 'dog', 'eel', 'ému'];
const words = batches(NUM_BATCHES, { 2: 2, 5: 0, 6: 1, 10: 3 }, [2, 10], () => pick(WORDS));
const nums = batches(NUM_BATCHES, { 3: 2, 5: 1, 6: 0, 9: 3 }, [3, 15], () => int(-20, 21));
// Keys drift: k0..k5 early, k2..k7 late, so some keys go idle and expire.
const pairsA = batches(NUM_BATCHES, { 2: 2, 5: 0, 6: 2, 10: 1 }, [3, 11], (i): [string, number] => [`k${int(0, 6) + (i >= 6 ? 2 : 0)}`, int(1, 10)]);
const pairsB = batches(NUM_BATCHES, { 1: 2, 5: 1, 8: 0 }, [2, 7], (): [string, string] => [`k${int(3, 9)}`, `b${int(0, 100)}`]);
const short: Batches<string> = { data: [['s1', 's2'], ['s3'], [], ['s4', 's5', 's6'], ['s7']], parts: [2, 1, 0, 1, 2] };
const SHORT_DEFAULT = ['default-1', 'default-2'];
const initialSum: [string, number][] = [
  ['k0', 100],
  ['zz', 5],
];
const initialMws: [string, number][] = [
  ['k1', 2],
  ['z', 1],
];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-ops-'));
const workDir = path.join(tmp, 'work');
fs.mkdirSync(workDir);
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(
  inputFile,
  JSON.stringify({
    batchMs: BATCH_MS,
    advances: ADVANCES,
    rememberMs: REMEMBER_MS,
    words,
    nums,
    pairsA,
    pairsB,
    short,
    initialSum,
    initialMws,
    mwsTimeoutMs: MWS_TIMEOUT_MS,
  }),
);

// ---- running the fixture once ----------------------------------------------------------

type PerBatch<T = unknown> = [number, T][];
const results = new Map<string, unknown>();
let run: JobRun | undefined;
let tasksPerWorker: number[] = [];
let setupError: unknown;
let elapsedMs = 0;

// One run of the fixture for the file, bounded here and not by the lane's 240 s for a whole
// file: it took 109-164 s at load 20-30, 252 s at load 40 (each clock step waits for its
// batch while outputs go on ending), so the file is among scripts/test.sh's OWN_TIMEOUTS
// (600 s).
before(async () => {
  const t0 = Date.now();
  try {
    await withCluster({ workers: 2 }, async (h) => {
      run = await h.run(fixture('dstream-operators.ts'), [inputFile, workDir]);
      tasksPerWorker = h.cluster.driver.registry.all().map((w) => w.tasksCompleted);
    });
    for (const l of run!.lines) {
      const m = /^D (\S+) (.*)$/.exec(l);
      if (m) results.set(m[1], JSON.parse(m[2]));
    }
  } catch (err) {
    setupError = err;
  }
  elapsedMs = Date.now() - t0;
}, { timeout: 540_000 });

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function got<T = unknown>(name: string): T {
  if (setupError !== undefined) throw setupError;
  if (!results.has(name)) {
    throw new Error(`the job printed no result for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-20).join('\n')}`);
  }
  return results.get(name) as T;
}

// ---- plain-JS reference helpers ------------------------------------------------------

const key = (x: unknown): string => JSON.stringify(x);
/** A multiset as sorted JSON strings, for order-insensitive comparison. */
const bag = (xs: readonly unknown[]): string[] => xs.map(key).sort();
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const idx = (t: number): number => t / BATCH_MS - 1;

/** How Spark's parallelize slices a collection: slice i is [i*len/n, (i+1)*len/n). */
function slices<T>(xs: readonly T[], n: number): T[][] {
  return Array.from({ length: n }, (_, i) => xs.slice(Math.floor((i * xs.length) / n), Math.floor(((i + 1) * xs.length) / n)));
}

/** f of every batch, at every batch time. */
function perBatch<T, U>(b: Batches<T>, f: (data: T[], t: number, parts: number) => U): PerBatch<U> {
  return TIMES.map((t) => [t, f(b.data[idx(t)], t, b.parts[idx(t)])]);
}

/** Times a stream sliding by `slide` has RDDs at (multiples of the slide after zero time 0). */
const slideTimes = (slide: number): number[] => TIMES.filter((t) => t % slide === 0);

/** Records of the batches in the window (t - length, t], oldest first. */
function windowData<T>(b: Batches<T>, t: number, length: number): T[] {
  return TIMES.filter((s) => s > t - length && s <= t).flatMap((s) => b.data[idx(s)]);
}

function windowed<T, U>(b: Batches<T>, length: number, slide: number, f: (data: T[]) => U): PerBatch<U> {
  return slideTimes(slide).map((t) => [t, f(windowData(b, t, length))]);
}

function reduceByKey<K, V>(pairs: readonly [K, V][], f: (a: V, b: V) => V): [K, V][] {
  const m = new Map<string, [K, V]>();
  for (const [k, v] of pairs) {
    const e = m.get(key(k));
    if (e) e[1] = f(e[1], v);
    else m.set(key(k), [k, v]);
  }
  return [...m.values()];
}

function groupByKey<K, V>(pairs: readonly [K, V][]): [K, V[]][] {
  const m = new Map<string, [K, V[]]>();
  for (const [k, v] of pairs) {
    const e = m.get(key(k));
    if (e) e[1].push(v);
    else m.set(key(k), [k, [v]]);
  }
  return [...m.values()];
}

/** Values of groups sorted, so groups compare regardless of shuffle order. */
const sortedGroups = (groups: readonly [unknown, unknown[]][]): [unknown, unknown[]][] => groups.map(([k, vs]) => [k, [...vs].sort(cmp)]);
const cmp = (a: unknown, b: unknown): number => (typeof a === 'number' && typeof b === 'number' ? a - b : key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

/**
 * Spark's ReducedWindowedDStream with an inverse function: the window at t is the window
 * at t - slide with the batches that left inverse-reduced out and those that entered
 * reduced in (per-batch values reduced by key first); filterFunc applies to the result.
 */
function reduceByKeyAndWindowInv(
  b: Batches<[string, number]>,
  length: number,
  slide: number,
  filter?: (kv: [string, number]) => boolean,
): PerBatch<[string, number][]> {
  const perTime = new Map(TIMES.map((t) => [t, new Map(reduceByKey(b.data[idx(t)], (x, y) => x + y))]));
  const between = (from: number, to: number): Map<string, number>[] => TIMES.filter((t) => t > from && t <= to).map((t) => perTime.get(t)!);
  const out: PerBatch<[string, number][]> = [];
  let prev = new Map<string, number>();
  for (const t of slideTimes(slide)) {
    const olds = between(t - slide - length, t - length);
    const news = between(t - slide, t);
    const keys = new Set([...prev.keys(), ...news.flatMap((m) => [...m.keys()])]);
    const next = new Map<string, number>();
    for (const k of keys) {
      const newVals = news.filter((m) => m.has(k)).map((m) => m.get(k)!);
      let v: number;
      if (!prev.has(k)) v = sum(newVals);
      else v = prev.get(k)! - sum(olds.filter((m) => m.has(k)).map((m) => m.get(k)!)) + sum(newVals);
      if (!filter || filter([k, v])) next.set(k, v);
    }
    out.push([t, [...next]]);
    prev = next;
  }
  return out;
}

/** updateStateByKey: the update function runs for every key with state or new values. */
function updateState<S>(b: Batches<[string, number]>, update: (vs: number[], s: S | undefined) => S | undefined, initial: [string, S][] = []): PerBatch<[string, S][]> {
  const state = new Map<string, S>(initial);
  return TIMES.map((t) => {
    const values = new Map(groupByKey(b.data[idx(t)]));
    for (const k of new Set([...state.keys(), ...values.keys()])) {
      const s = update(values.get(k) ?? [], state.get(k));
      if (s === undefined) state.delete(k);
      else state.set(k, s);
    }
    return [t, [...state]];
  });
}

/**
 * mapWithState as Spark runs it: the function once per value; a key with state and no
 * data for longer than `timeout` (batchTime - lastUpdate > timeout, strictly, as Spark) gets one call with a timing-out
 * state and is removed. Initial states count as updated at the first batch time (Spark's
 * createFromPairRDD(initialState, partitioner, firstBatchTime)).
 */
function mapWithStateExpected(): { mapped: PerBatch<string[]>; snapshots: PerBatch<[string, number][]> } {
  const state = new Map<string, { s: number; at: number }>(initialMws.map(([k, s]) => [k, { s, at: TIMES[0] }]));
  const mapped: PerBatch<string[]> = [];
  const snapshots: PerBatch<[string, number][]> = [];
  for (const t of TIMES) {
    const out: string[] = [];
    const touched = new Set<string>();
    for (const [k] of pairsA.data[idx(t)]) {
      touched.add(k);
      const count = (state.get(k)?.s ?? 0) + 1;
      if (count >= MWS_LIMIT) {
        state.delete(k);
        out.push(`reset:${k}:${count}`);
      } else {
        state.set(k, { s: count, at: t });
        out.push(`${k}:${count}`);
      }
    }
    for (const [k, e] of [...state]) {
      if (!touched.has(k) && t - e.at > MWS_TIMEOUT_MS) {
        out.push(`timeout:${k}:${e.s}`);
        state.delete(k);
      }
    }
    mapped.push([t, out]);
    snapshots.push([t, [...state].map(([k, e]) => [k, e.s])]);
  }
  return { mapped, snapshots };
}

function joinPairs(a: [string, number][], b: [string, string][], mode: 'inner' | 'left' | 'right' | 'full'): [string, [number | null, string | null]][] {
  const out: [string, [number | null, string | null]][] = [];
  for (const [k, v] of a) {
    const ws = b.filter(([k2]) => k2 === k);
    for (const [, w] of ws) out.push([k, [v, w]]);
    if (ws.length === 0 && (mode === 'left' || mode === 'full')) out.push([k, [v, null]]);
  }
  if (mode === 'right' || mode === 'full') for (const [k, w] of b) if (!a.some(([k2]) => k2 === k)) out.push([k, [null, w]]);
  return out;
}

// ---- comparison -------------------------------------------------------------------------

/** Compare a check batch by batch (same batch times; each value through `norm`). */
function check<T>(name: string, want: PerBatch<T>, norm: (v: unknown) => unknown = (v) => v): void {
  const have = got<PerBatch>(name);
  assert.deepEqual(
    have.map(([t]) => t),
    want.map(([t]) => t),
    `${name}: batch times`,
  );
  have.forEach(([t, v], i) => {
    assert.deepEqual(norm(v), norm(want[i][1]), `${name} at ${t} ms\n  got  ${key(v)}\n  want ${key(want[i][1])}`);
  });
}

const asBag = (v: unknown): unknown => (Array.isArray(v) ? bag(v) : v);
const asGroups = (v: unknown): unknown => (Array.isArray(v) ? bag(sortedGroups(v as [unknown, unknown[]][])) : v);

/** For glom'd checks: n partitions, each key where a HashPartitioner(n) puts it, records as `want` (any order). */
function checkPartitioned(name: string, n: number, want: PerBatch<unknown[]>): void {
  const have = got<PerBatch<unknown[][]>>(name);
  assert.deepEqual(
    have.map(([t]) => t),
    want.map(([t]) => t),
    `${name}: batch times`,
  );
  const place = partitionFunction(HashPartitioner.of(n));
  have.forEach(([t, parts], i) => {
    assert.ok(Array.isArray(parts), `${name} at ${t} ms: ${key(parts)}`);
    assert.equal(parts.length, n, `${name} at ${t} ms: partitions`);
    parts.forEach((p, j) => {
      for (const kv of p) assert.equal(place((kv as unknown[])[0]), j, `${name} at ${t} ms: key ${key((kv as unknown[])[0])} in partition ${j}`);
    });
    assert.deepEqual(bag(parts.flat()), bag(want[i][1]), `${name} at ${t} ms\n  got  ${key(parts.flat())}\n  want ${key(want[i][1])}`);
  });
}

// ---- tests -----------------------------------------------------------------------------

test('the job ran every batch on both worker processes', (t) => {
  if (setupError !== undefined) throw setupError;
  const status = got<{ ok: boolean; error?: string; elapsedMs: number }>('status');
  assert.equal(status.ok, true, status.error);
  assert.equal(run?.ok, true, JSON.stringify(run?.failure));
  assert.equal(tasksPerWorker.length, 2);
  assert.ok(
    tasksPerWorker.every((n) => n > 0),
    `tasks per worker: ${tasksPerWorker}`,
  );
  t.diagnostic(`streaming run: ${status.elapsedMs} ms; job with cluster start and stop: ${elapsedMs} ms`);
});

test('queueStream: one RDD per batch, empty RDDs, default RDD, all at once', () => {
  check(
    'input.words',
    perBatch(words, (d) => d),
  );
  check(
    'input.short',
    TIMES.map((t) => [t, idx(t) < short.data.length ? short.data[idx(t)] : SHORT_DEFAULT]),
  );
  const all = short.data.filter((_, i) => short.parts[i] > 0).flat();
  check(
    'input.allAtOnce',
    TIMES.map((t) => [t, t === TIMES[0] ? all : []]),
  );
});

test('map, flatMap, filter', () => {
  check(
    'map',
    perBatch(nums, (d) => d.map((x) => x * 2 + 1)),
  );
  check(
    'flatMap',
    perBatch(words, (d) => d.flatMap((w) => [...w])),
  );
  check(
    'filter',
    perBatch(nums, (d) => d.filter((x) => x % 2 === 0)),
  );
});

test('mapPartitions and glom keep the batch partitions (empty ones too)', () => {
  check(
    'mapPartitions',
    perBatch(nums, (d, _t, n) => slices(d, n).map((p) => [sum(p), p.length])),
  );
  check(
    'glom',
    perBatch(words, (d, _t, n) => slices(d, n)),
  );
});

test('repartition', () => {
  const have = got<PerBatch<string[][]>>('repartition');
  for (const [t, parts] of have) assert.equal(parts.length, 3, `repartition at ${t} ms: ${key(parts)}`);
  check(
    'repartition',
    perBatch(words, (d) => d),
    (v) => bag((v as unknown[]).flat()),
  );
});

test('union: ssc.union and stream.union', () => {
  check(
    'union.context',
    perBatch(words, (d, t) => [...d, ...nums.data[idx(t)].map((x) => `n${x}`), ...d.map((w) => `${w}!`)]),
  );
  check(
    'union.stream',
    perBatch(words, (d) => [...d, ...d.map((w) => w.toUpperCase())]),
  );
});

test('count, countByValue, reduce', () => {
  check(
    'count.words',
    perBatch(words, (d) => [d.length]),
  );
  check(
    'count.nums',
    perBatch(nums, (d) => [d.length]),
  );
  check(
    'countByValue',
    perBatch(words, (d) =>
      reduceByKey(
        d.map((w): [string, number] => [w, 1]),
        (a, b) => a + b,
      ),
    ),
    asBag,
  );
  check(
    'reduce',
    perBatch(nums, (d) => (d.length ? [sum(d)] : [])),
  );
  check(
    'reduce.max',
    perBatch(nums, (d) => (d.length ? [Math.max(...d)] : [])),
  );
});

test('reduceByKey, groupByKey, combineByKey', () => {
  const reduced = perBatch(pairsA, (d) => reduceByKey(d, (a, b) => a + b));
  check('reduceByKey', reduced, asBag);
  checkPartitioned('reduceByKey.3', 3, reduced);
  check(
    'groupByKey',
    perBatch(pairsA, (d) => groupByKey(d)),
    asGroups,
  );
  check(
    'combineByKey',
    perBatch(pairsA, (d) => groupByKey(d).map(([k, vs]) => [k, [sum(vs), vs.length]])),
    asBag,
  );
});

test('mapValues, flatMapValues', () => {
  check(
    'mapValues',
    perBatch(pairsA, (d) => d.map(([k, v]) => [k, v * 10])),
  );
  check(
    'flatMapValues',
    perBatch(pairsA, (d) => d.flatMap(([k, v]) => Array.from({ length: v % 3 }, (_, i) => [k, v + i]))),
  );
});

test('join, leftOuterJoin, rightOuterJoin, fullOuterJoin, cogroup', () => {
  for (const [name, mode] of [
    ['join', 'inner'],
    ['leftOuterJoin', 'left'],
    ['rightOuterJoin', 'right'],
  ] as const) {
    check(
      name,
      perBatch(pairsA, (d, t) => joinPairs(d, pairsB.data[idx(t)], mode)),
      asBag,
    );
  }
  checkPartitioned(
    'fullOuterJoin',
    3,
    perBatch(pairsA, (d, t) => joinPairs(d, pairsB.data[idx(t)], 'full')),
  );
  check(
    'cogroup',
    perBatch(pairsA, (d, t) => {
      const b = pairsB.data[idx(t)];
      const keys = [...new Set([...d.map(([k]) => k), ...b.map(([k]) => k)])];
      return keys.map((k) => [k, [d.filter(([k2]) => k2 === k).map(([, v]) => v), b.filter(([k2]) => k2 === k).map(([, w]) => w)]]);
    }),
    (v) => bag((v as [string, [unknown[], unknown[]]][]).map(([k, [vs, ws]]) => [k, [[...vs].sort(cmp), [...ws].sort(cmp)]])),
  );
});

test('transform (with the batch time) and transformWith', () => {
  check(
    'transform',
    perBatch(nums, (d, t) => d.map((x) => [t, x]).filter((p) => (p[1] + p[0] / 1000) % 3 !== 0)),
  );
  check(
    'transformWith',
    perBatch(words, (d, t) => [...d.map((x) => `${x}@${t}`), ...nums.data[idx(t)].map((x) => String(x * 100))]),
  );
});

test('window: slide = batch and slide = 2 batches', () => {
  check(
    'window.3s',
    windowed(nums, 3000, 1000, (d) => d),
  );
  check(
    'window.4s.2s',
    windowed(nums, 4000, 2000, (d) => d),
  );
});

test('countByWindow and reduceByWindow', () => {
  // Spark: countByWindow = map(1).reduceByWindow(+, -) = reduceByKeyAndWindow with an inverse on one key.
  const countByWindow = (length: number, slide: number): PerBatch<number[]> =>
    reduceByKeyAndWindowInv({ data: words.data.map((d) => d.map((): [string, number] => ['1', 1])), parts: words.parts }, length, slide).map(([t, kvs]) => [t, kvs.map(([, v]) => v)]);
  check('countByWindow.3s', countByWindow(3000, 1000));
  check('countByWindow.4s.2s', countByWindow(4000, 2000));
  check(
    'reduceByWindow.3s',
    windowed(nums, 3000, 1000, (d) => (d.length ? [sum(d)] : [])),
  );
  check(
    'reduceByWindow.5s.2s',
    windowed(nums, 5000, 2000, (d) => (d.length ? [sum(d)] : [])),
  );
});

test('reduceByKeyAndWindow without an inverse function', () => {
  check(
    'reduceByKeyAndWindow.3s',
    windowed(pairsA, 3000, 1000, (d) => reduceByKey(d, (a, b) => a + b)),
    asBag,
  );
  check(
    'reduceByKeyAndWindow.4s.2s',
    windowed(pairsA, 4000, 2000, (d) => reduceByKey(d, (a, b) => a + b)),
    asBag,
  );
});

test('the window of reduceByKey outputs keeps their partitioner (a partitioner-aware union)', () => {
  const w = got<[number, unknown][]>('window.ofReduced');
  assert.deepEqual(w.map(([t]) => t), got<[number, unknown][]>('reduceByKeyAndWindow.3s').map(([t]) => t), 'one window a batch');
  for (const [t, shape] of w) assert.deepEqual(shape, { partitioner: { kind: 'hash', numPartitions: 2 }, n: 2 }, `batch ${t}`);
});

test('reduceByKeyAndWindow with an inverse function (keys stay at 0)', () => {
  const inv3 = reduceByKeyAndWindowInv(pairsA, 3000, 1000);
  check('reduceByKeyAndWindow.inv.3s', inv3, asBag);
  // The inverse result is the plain window sum, plus zero entries for keys that left.
  const plain3 = windowed(pairsA, 3000, 1000, (d) => reduceByKey(d, (a, b) => a + b));
  inv3.forEach(([t, kvs], i) =>
    assert.deepEqual(
      bag(kvs.filter(([, v]) => v !== 0)),
      bag(plain3[i][1]),
      `at ${t}`,
    ),
  );
  assert.ok(
    inv3.some(([, kvs]) => kvs.some(([, v]) => v === 0)),
    'the inputs make some key reach 0',
  );
  check('reduceByKeyAndWindow.inv.4s.2s', reduceByKeyAndWindowInv(pairsA, 4000, 2000), asBag);
});

test('reduceByKeyAndWindow with an inverse function and filterFunc (3 partitions)', () => {
  const want = reduceByKeyAndWindowInv(pairsA, 4000, 2000, (kv) => kv[1] > 0);
  checkPartitioned('reduceByKeyAndWindow.invFilter.4s.2s', 3, want);
});

test('countByValueAndWindow', () => {
  const ones = { data: words.data.map((d) => d.map((w): [string, number] => [w, 1])), parts: words.parts };
  check('countByValueAndWindow.3s', reduceByKeyAndWindowInv(ones, 3000, 1000, (kv) => kv[1] > 0), asBag);
  check('countByValueAndWindow.4s.2s', reduceByKeyAndWindowInv(ones, 4000, 2000, (kv) => kv[1] > 0), asBag);
});

/**
 * An inverse-reduced window checked against the window recomputed from scratch: at every
 * slide time, its non-zero entries are exactly the plain reduce of the batches in
 * (t - length, t]; a zero entry is a key that was in the stream before but has no values
 * in this window (Spark keeps it unless filterFunc drops it), and with `dropsZeros` there
 * are none.
 */
function crossCheckWindow(name: string, b: Batches<[string, number]>, length: number, slide: number, dropsZeros: boolean, project: (have: unknown) => [string, number][] = (v) => v as [string, number][]): void {
  const have = got<PerBatch>(name);
  assert.deepEqual(
    have.map(([t]) => t),
    slideTimes(slide),
    `${name}: batch times`,
  );
  for (const [t, v] of have) {
    const kvs = project(v);
    const plain = reduceByKey(windowData(b, t, length), (x, y) => x + y);
    assert.deepEqual(bag(kvs.filter(([, n]) => n !== 0)), bag(plain), `${name} at ${t} ms: non-zero entries vs the plain window\n  got  ${key(kvs)}\n  want ${key(plain)}`);
    const seenBefore = new Set(TIMES.filter((s) => s <= t).flatMap((s) => b.data[idx(s)].map(([k]) => k)));
    for (const [k, n] of kvs) {
      if (n !== 0) continue;
      assert.ok(!dropsZeros, `${name} at ${t} ms: filterFunc should have dropped ${k} = 0`);
      assert.ok(seenBefore.has(k) && !plain.some(([pk]) => pk === k), `${name} at ${t} ms: ${k} = 0 but it is not a key that left the window`);
    }
  }
}

test('every window with an inverse function equals a plain recomputation of its window', () => {
  const ones = (xs: Batches<string>, keyOf: (w: string) => string): Batches<[string, number]> => ({ data: xs.data.map((d) => d.map((w): [string, number] => [keyOf(w), 1])), parts: xs.parts });
  crossCheckWindow('reduceByKeyAndWindow.inv.3s', pairsA, 3000, 1000, false);
  crossCheckWindow('reduceByKeyAndWindow.inv.4s.2s', pairsA, 4000, 2000, false);
  crossCheckWindow('reduceByKeyAndWindow.invFilter.4s.2s', pairsA, 4000, 2000, true, (v) => (v as [string, number][][]).flat());
  crossCheckWindow('countByValueAndWindow.3s', ones(words, (w) => w), 3000, 1000, true);
  crossCheckWindow('countByValueAndWindow.4s.2s', ones(words, (w) => w), 4000, 2000, true);
  // countByWindow: one count a window (inverse-reduced, so an empty window after data counts 0).
  const asCount = (v: unknown): [string, number][] => (v as number[]).map((n): [string, number] => ['*', n]);
  crossCheckWindow('countByWindow.3s', ones(words, () => '*'), 3000, 1000, false, asCount);
  crossCheckWindow('countByWindow.4s.2s', ones(words, () => '*'), 4000, 2000, false, asCount);
});

test('groupByKeyAndWindow', () => {
  check('groupByKeyAndWindow.3s', windowed(pairsA, 3000, 1000, groupByKey), asGroups);
  check('groupByKeyAndWindow.4s.2s', windowed(pairsA, 4000, 2000, groupByKey), asGroups);
});

const runningSum = (vs: number[], s: number | undefined): number => (s ?? 0) + sum(vs);

test('updateStateByKey: running sums, with an initial RDD', () => {
  check('updateStateByKey', updateState(pairsA, runningSum), asBag);
  const withInitial = updateState(pairsA, runningSum, initialSum);
  check('updateStateByKey.initial', withInitial, asBag);
  assert.ok(withInitial.every(([, kvs]) => kvs.some(([k, v]) => k === 'zz' && v === 5)), 'an initial key without data keeps its state');
});

test('stateful streams are checkpointed mid-run (default interval 10 s) and keep their state', () => {
  // The state checks above and below span batches 11 s and 12 s, after the checkpoint cut the lineage.
  // State checkpoints go under state/, named by stream and batch time (no job id).
  const dirs = fs.readdirSync(path.join(workDir, 'checkpoints', 'state'));
  assert.ok(dirs.length >= 1, 'checkpoint directories written');
  assert.ok(dirs.every((d) => /^stream-\d+-\d+$/.test(d)), `state checkpoint names: ${dirs}`);
  assert.ok(
    dirs.some((d) => fs.readdirSync(path.join(workDir, 'checkpoints', 'state', d)).some((f) => f.startsWith('part-'))),
    `part files under ${dirs}`,
  );
});

test('updateStateByKey with numPartitions and with a partitioner', () => {
  const want = updateState(pairsA, runningSum);
  checkPartitioned('updateStateByKey.numPartitions', 3, want);
  checkPartitioned('updateStateByKey.partitioner', 4, want);
});

test("updateStateByKey with Spark's positional arguments: (updateFunc, numPartitions) and (updateFunc, partitioner, initialRDD)", () => {
  checkPartitioned('updateStateByKey.positionalCount', 3, updateState(pairsA, runningSum));
  checkPartitioned('updateStateByKey.positionalInitial', 4, updateState(pairsA, runningSum, initialSum));
});

test('updateStateByKey: keys removed when the update returns undefined', () => {
  const want = updateState<[number, number]>(pairsA, (vs, s) => {
    const [total, idle] = s ?? [0, 0];
    if (vs.length === 0) return idle + 1 >= 2 ? undefined : [total, idle + 1];
    const next = total + sum(vs);
    return next > 40 ? undefined : [next, 0];
  });
  // The inputs exercise growth, expiry after idle batches and removal by value.
  const sizes = want.map(([, kvs]) => kvs.length);
  assert.ok(Math.max(...sizes) >= 4 && sizes.includes(0), `state sizes ${sizes}`);
  check('updateStateByKey.remove', want, asBag);
});

test('mapWithState: mapped outputs, state snapshots, removal and timeout', () => {
  const { mapped, snapshots } = mapWithStateExpected();
  const timeouts = mapped.flatMap(([, out]) => out.filter((s) => s.startsWith('timeout:')));
  assert.ok(timeouts.length >= 2 && mapped.some(([, out]) => out.some((s) => s.startsWith('reset:'))), `inputs exercise timeouts and removal: ${timeouts}`);
  check('mapWithState.mapped', mapped, asBag);
  checkPartitioned('mapWithState.snapshots', 3, snapshots);
  // A key that times out is seen once with isTimingOut() and then is gone.
  for (const s of timeouts) {
    const k = s.split(':')[1];
    const at = mapped.find(([, out]) => out.includes(s))![0];
    const snap = got<PerBatch<[string, number][][]>>('mapWithState.snapshots');
    assert.ok(!snap.find(([t]) => t === at)![1].flat().some(([k2]) => k2 === k), `${k} is gone after timing out at ${at}`);
  }
});

test('print: Spark format, n elements then ...', () => {
  const lines = run?.lines ?? [];
  const begin = lines.indexOf('PRINT-BEGIN');
  const end = lines.indexOf('PRINT-END');
  assert.ok(begin >= 0 && end > begin, 'print markers');
  const fmt = (x: unknown): string => (Array.isArray(x) ? `(${x.map(fmt).join(',')})` : String(x));
  const dashes = '-'.repeat(43);
  const block = (t: number, recs: unknown[], n: number): string[] => [dashes, `Time: ${t} ms`, dashes, ...recs.slice(0, n).map(fmt), ...(recs.length > n ? ['...'] : []), ''];
  const want = TIMES.flatMap((t) => [
    ...block(
      t,
      pairsA.data[idx(t)].map(([k, v]) => [k, [v, v * 2]]),
      3,
    ),
    ...block(t, nums.data[idx(t)], 10),
  ]);
  assert.deepEqual(lines.slice(begin + 1, end), want);
  assert.ok(want.includes('...') && nums.data.some((d) => d.length > 10), 'some batch has more than n elements');
});

test('saveAsTextFiles: one directory per batch, prefix-<time>[.suffix]', () => {
  const read = (dir: string): string[] => {
    assert.ok(fs.existsSync(path.join(dir, '_SUCCESS')), `${dir}/_SUCCESS`);
    const files = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith('part-'))
      .sort();
    return files.flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(0, -1));
  };
  for (const t of TIMES) {
    assert.deepEqual(read(path.join(workDir, 'out', `words-${t}.txt`)), words.data[idx(t)], `words at ${t}`);
    assert.deepEqual(
      read(path.join(workDir, 'out', `nums-${t}`)),
      nums.data[idx(t)].map((x) => String(x * 3)),
      `nums at ${t}`,
    );
  }
  const dirs = fs.readdirSync(path.join(workDir, 'out')).sort();
  assert.equal(dirs.length, 2 * NUM_BATCHES, `${dirs}`);
});

test('with default concurrency every output of batch t ends before any output of batch t+1 starts', () => {
  const want = TIMES.flatMap((t) => [
    ['first', 'start', t],
    ['first', 'end', t],
    ['last', 'start', t],
    ['last', 'end', t],
  ]);
  assert.deepEqual(got('order'), want);
});

test('remember(): RDDs older than the remember duration are dropped', () => {
  check(
    'remembered',
    perBatch(nums, (d) => d.length),
  );
  const last = TIMES[TIMES.length - 1];
  assert.deepEqual(
    got('rememberedTimes'),
    TIMES.filter((t) => t > last - REMEMBER_MS),
  );
});

test('StreamingListener: submitted, started, completed for each batch, with delays', () => {
  const events = got<[string, Record<string, unknown>][]>('listener');
  // The clock after the step that covered each batch: batches start then (processing takes no manual-clock time).
  const startAt = new Map<number, number>();
  let now = 0;
  for (const step of ADVANCES) {
    for (let t = now + BATCH_MS; t <= now + step; t += BATCH_MS) startAt.set(t, now + step);
    now += step;
  }
  for (const t of TIMES) {
    const mine = events.filter(([, e]) => e.batchTime === t);
    assert.deepEqual(
      mine.map(([kind]) => kind),
      ['submitted', 'started', 'completed'],
      `events of batch ${t}`,
    );
    for (const [kind, e] of mine) assert.equal(typeof e.numRecords, 'number', `${kind} ${t}: numRecords`);
    const started = mine[1][1];
    assert.equal(started.schedulingDelay, startAt.get(t)! - t, `schedulingDelay when started, batch ${t}`);
    const done = mine[2][1];
    for (const f of ['schedulingDelay', 'processingDelay', 'totalDelay']) assert.equal(typeof done[f], 'number', `${f} of batch ${t}`);
    assert.equal(done.totalDelay, (done.schedulingDelay as number) + (done.processingDelay as number), `totalDelay of batch ${t}`);
    assert.equal(done.schedulingDelay, startAt.get(t)! - t, `schedulingDelay of batch ${t}`);
    assert.ok((done.processingDelay as number) >= 0);
  }
  const completed = events.filter(([k]) => k === 'completed').map(([, e]) => e.batchTime);
  assert.deepEqual(completed, TIMES, 'batches complete in time order');
  assert.ok(
    [...startAt.values()].some((s, i) => s !== TIMES[i]),
    'some batches waited behind others',
  );
});
