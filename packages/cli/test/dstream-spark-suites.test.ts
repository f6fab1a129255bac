// Spark Streaming's own test suites, ported case by case and run through Sluice's public
// API on a real local cluster (a driver and 2 worker processes; fixture
// dstream-spark-suites.ts). Every input and expected output below is Spark's, copied from
// streaming/src/test/scala/org/apache/spark/streaming/{BasicOperationsSuite,
// WindowOperationsSuite, MapWithStateSuite, StreamingContextSuite, InputStreamsSuite (its
// queue streams)}.scala, and so does not come from Sluice's code. As Spark's TestSuiteBase
// runs a case:
//  - the input stream (TestInputStream) gives the case's i-th batch at time (i + 1) s, in 2
//    partitions (numInputPartitions) cut as parallelize cuts; `null` is no RDD (None); past
//    the end of the input each batch is empty;
//  - the clock runs numBatches batches: the expected outputs' count, times the slide in
//    batches for a window; an output (TestOutputStream) collects every RDD the stream has,
//    an empty batch's as an empty list, so the outputs' count is checked as Spark does;
//  - the collected batches are compared in order, each as a list, or, where Spark's case
//    passes useSet, regardless of order within the batch (here as multisets: stricter than
//    Spark's toSet, which drops duplicates).
// Window cases run their own windows over one shared clock; each is judged on its first
// numBatches batches, and its outputs must fall exactly on its slide's multiples.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, withCluster, type JobRun } from './harness.js';
import { printed } from './spark-storage-levels.js';

const BATCH_MS = 1000;
type Batch = unknown[] | null;
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

interface SparkCase {
  readonly name: string;
  /** The Spark test's name, for the report. */
  readonly spark: string;
  readonly inputs: Batch[][];
  readonly partitions?: number;
  readonly expected: unknown[][];
  /** Compare each batch regardless of order (Spark's useSet). */
  readonly useSet: boolean;
  /** The window's slide in batches (outputs at its multiples only). */
  readonly slide?: number;
}

// ---- BasicOperationsSuite ----------------------------------------------------------------

const in3 = [range(1, 4), range(5, 8), range(9, 12)];
const strs = [['a', 'a', 'b'], ['', ''], []];
const in1 = [['a', 'b'], ['a', ''], [''], []];
const in2 = [['a', 'b'], ['b', ''], [], ['']];
const stateInput = [['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];
const stateOutput = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 3], ['b', 2], ['c', 1]],
  [['a', 4], ['b', 3], ['c', 1]],
  [['a', 5], ['b', 3], ['c', 1]],
  [['a', 5], ['b', 3], ['c', 1]],
];
const stateInitialOutput = [
  [['a', 2], ['c', 2]],
  [['a', 3], ['b', 1], ['c', 2]],
  [['a', 4], ['b', 2], ['c', 3]],
  [['a', 5], ['b', 3], ['c', 3]],
  [['a', 6], ['b', 3], ['c', 3]],
  [['a', 6], ['b', 3], ['c', 3]],
];

const BASIC: SparkCase[] = [
  { name: 'map', spark: 'map', inputs: [in3], expected: in3.map((b) => b.map(String)), useSet: false },
  { name: 'flatMap', spark: 'flatMap', inputs: [in3], expected: in3.map((b) => b.flatMap((x) => [x, x * 2])), useSet: false },
  { name: 'filter', spark: 'filter', inputs: [in3], expected: in3.map((b) => b.filter((x) => x % 2 === 0)), useSet: false },
  {
    name: 'glom',
    spark: 'glom',
    inputs: [in3],
    expected: [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [7, 8],
      ],
      [
        [9, 10],
        [11, 12],
      ],
    ],
    useSet: false,
  },
  { name: 'mapPartitions', spark: 'mapPartitions', inputs: [in3], expected: [[3, 7], [11, 15], [19, 23]], useSet: true },
  { name: 'groupByKey', spark: 'groupByKey', inputs: [strs], expected: [[['a', [1, 1]], ['b', [1]]], [['', [1, 1]]], []], useSet: true },
  { name: 'reduceByKey', spark: 'reduceByKey', inputs: [strs], expected: [[['a', 2], ['b', 1]], [['', 2]], []], useSet: true },
  { name: 'reduce', spark: 'reduce', inputs: [in3], expected: [[10], [26], [42]], useSet: false },
  { name: 'count', spark: 'count', inputs: [[[], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4]]], expected: [[0], [1], [2], [3], [4]], useSet: false },
  {
    name: 'countByValue',
    spark: 'countByValue',
    inputs: [[[1], [1, 1, 1], [1, 2], [1, 1, 2, 2]]],
    expected: [[[1, 1]], [[1, 3]], [[1, 1], [2, 1]], [[2, 2], [1, 2]]],
    useSet: true,
  },
  { name: 'mapValues', spark: 'mapValues', inputs: [strs], expected: [[['a', 12], ['b', 11]], [['', 12]], []], useSet: true },
  {
    name: 'flatMapValues',
    spark: 'flatMapValues',
    inputs: [strs],
    expected: [[['a', 2], ['a', 12], ['b', 1], ['b', 11]], [['', 2], ['', 12]], []],
    useSet: true,
  },
  { name: 'union', spark: 'union', inputs: [[range(1, 4), range(101, 104), range(201, 204)]], expected: [range(1, 8), range(101, 108), range(201, 208)], useSet: false },
  {
    name: 'ssc.union',
    spark: 'StreamingContext.union',
    inputs: [[range(1, 4), range(101, 104), range(201, 204)]],
    expected: [range(1, 12), range(101, 112), range(201, 212)],
    useSet: false,
  },
  { name: 'transform', spark: 'transform', inputs: [in3], expected: in3.map((b) => b.map(String)), useSet: false },
  { name: 'transformWith', spark: 'transformWith', inputs: [in1, in2], expected: [[['a', [1, 'x']], ['b', [1, 'x']]], [['', [1, 'x']]], [], []], useSet: true },
  {
    name: 'ssc.transform',
    spark: 'StreamingContext.transform',
    inputs: [[range(1, 4), range(101, 104), range(201, 204)]],
    expected: [range(1, 12), range(101, 112), range(201, 212)],
    useSet: false,
  },
  {
    name: 'cogroup',
    spark: 'cogroup',
    inputs: [
      [['a', 'a', 'b'], ['a', ''], [''], []],
      [['a', 'a', 'b'], ['b', ''], [], []],
    ],
    expected: [
      [
        ['a', [[1, 1], ['x', 'x']]],
        ['b', [[1], ['x']]],
      ],
      [
        ['a', [[1], []]],
        ['b', [[], ['x']]],
        ['', [[1], ['x']]],
      ],
      [['', [[1], []]]],
      [],
    ],
    useSet: true,
  },
  { name: 'join', spark: 'join', inputs: [in1, in2], expected: [[['a', [1, 'x']], ['b', [1, 'x']]], [['', [1, 'x']]], [], []], useSet: true },
  {
    name: 'leftOuterJoin',
    spark: 'leftOuterJoin',
    inputs: [in1, in2],
    expected: [[['a', [1, 'x']], ['b', [1, 'x']]], [['', [1, 'x']], ['a', [1, null]]], [['', [1, null]]], []],
    useSet: true,
  },
  {
    name: 'rightOuterJoin',
    spark: 'rightOuterJoin',
    inputs: [in1, in2],
    expected: [[['a', [1, 'x']], ['b', [1, 'x']]], [['', [1, 'x']], ['b', [null, 'x']]], [], [['', [null, 'x']]]],
    useSet: true,
  },
  {
    name: 'fullOuterJoin',
    spark: 'fullOuterJoin',
    inputs: [in1, in2],
    expected: [[['a', [1, 'x']], ['b', [1, 'x']]], [['', [1, 'x']], ['a', [1, null]], ['b', [null, 'x']]], [['', [1, null]]], [['', [null, 'x']]]],
    useSet: true,
  },
  { name: 'updateStateByKey', spark: 'updateStateByKey', inputs: [stateInput], expected: stateOutput, useSet: true },
  { name: 'updateStateByKey.initial', spark: 'updateStateByKey - simple with initial value RDD', inputs: [stateInput], expected: stateInitialOutput, useSet: true },
  {
    name: 'updateStateByKey.timeAndKey',
    spark: 'updateStateByKey - testing time stamps as input',
    inputs: [stateInput],
    expected: [
      [['a', 1000], ['c', 0]],
      [['a', 3000], ['b', 2000], ['c', 0]],
      [['a', 6000], ['b', 5000], ['c', 3000]],
      [['a', 10000], ['b', 9000], ['c', 3000]],
      [['a', 15000], ['b', 9000], ['c', 3000]],
      [['a', 15000], ['b', 9000], ['c', 3000]],
    ],
    useSet: true,
  },
  { name: 'updateStateByKey.iterator', spark: 'updateStateByKey - with initial value RDD', inputs: [stateInput], expected: stateInitialOutput, useSet: true },
  {
    name: 'updateStateByKey.objectLifecycle',
    spark: 'updateStateByKey - object lifecycle',
    inputs: [[['a', 'b'], null, ['a', 'c', 'a'], ['c'], null, null]],
    expected: [[['a', 1], ['b', 1]], [['a', 1], ['b', 1]], [['a', 3], ['c', 1]], [['a', 3], ['c', 2]], [['c', 2]], []],
    useSet: true,
  },
];

// Spark's repartition cases check partition counts and contents (runStreamsWithPartitions).
const REPARTITION = [
  { name: 'repartition.more', spark: 'repartition (more partitions)', partitions: 2, to: 5 },
  { name: 'repartition.fewer', spark: 'repartition (fewer partitions)', partitions: 5, to: 2 },
];
const repartitionInput = [range(1, 100), range(101, 200), range(201, 300)];

// ---- WindowOperationsSuite ---------------------------------------------------------------

const pairs = (xs: [string, number][][]): [string, number][][] => xs;
const largerSlideInput = pairs([[['a', 1]], [['a', 2]], [['a', 3]], [['a', 4]], [['a', 5]], [['a', 6]], [], []]);
const largerSlideReduceOutput = [[['a', 3]], [['a', 10]], [['a', 18]], [['a', 11]]];
const bigInput = pairs([
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
  [['a', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1], ['b', 1], ['c', 1]],
  [['a', 1], ['b', 1]],
  [['a', 1]],
  [],
]);
const bigGroupByOutput = [
  [['a', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1]]],
  [['a', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1, 1]], ['c', [1]]],
  [['a', [1, 1]], ['b', [1]]],
  [['a', [1]]],
];
const bigReduceOutput = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1]],
  [['a', 1]],
];
// With an inverse function and no filter, a key stays once seen, its value going to 0.
const bigReduceInvOutput = [
  [['a', 1]],
  [['a', 2], ['b', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 2], ['c', 1]],
  [['a', 2], ['b', 1], ['c', 0]],
  [['a', 1], ['b', 0], ['c', 0]],
];
const seq6 = [[0], [1], [2], [3], [4], [5]];
const reduceCases = (prefix: string, sparkPrefix: string, keyRemoved: unknown[][], big: unknown[][]): SparkCase[] => [
  { name: `${prefix}.basic`, spark: `${sparkPrefix} - basic reduction`, inputs: [pairs([[['a', 1], ['a', 3]]])], expected: [[['a', 4]]], useSet: true },
  {
    name: `${prefix}.keyAlready`,
    spark: `${sparkPrefix} - key already in window and new value added into window`,
    inputs: [pairs([[['a', 1]], [['a', 1]]])],
    expected: [[['a', 1]], [['a', 2]]],
    useSet: true,
  },
  {
    name: `${prefix}.newKey`,
    spark: `${sparkPrefix} - new key added into window`,
    inputs: [
      pairs([
        [['a', 1]],
        [
          ['a', 1],
          ['b', 1],
        ],
      ]),
    ],
    expected: [[['a', 1]], [['a', 2], ['b', 1]]],
    useSet: true,
  },
  { name: `${prefix}.keyRemoved`, spark: `${sparkPrefix} - key removed from window`, inputs: [pairs([[['a', 1]], [['a', 1]], [], []])], expected: keyRemoved, useSet: true },
  { name: `${prefix}.largerSlide`, spark: `${sparkPrefix} - larger slide time`, inputs: [largerSlideInput], expected: largerSlideReduceOutput, useSet: true, slide: 2 },
  { name: `${prefix}.big`, spark: `${sparkPrefix} - big test`, inputs: [bigInput], expected: big, useSet: true },
];

const WINDOWS: SparkCase[] = [
  { name: 'window.basic', spark: 'window - basic window', inputs: [seq6], expected: [[0], [0, 1], [1, 2], [2, 3], [3, 4], [4, 5]], useSet: true },
  { name: 'window.tumbling', spark: 'window - tumbling window', inputs: [seq6], expected: [[0, 1], [2, 3], [4, 5]], useSet: true, slide: 2 },
  { name: 'window.larger', spark: 'window - larger window', inputs: [seq6], expected: [[0, 1], [0, 1, 2, 3], [2, 3, 4, 5], [4, 5]], useSet: true, slide: 2 },
  { name: 'window.nonOverlapping', spark: 'window - non-overlapping window', inputs: [seq6], expected: [[1, 2], [4, 5]], useSet: true, slide: 3 },
  ...reduceCases('rbkw', 'reduceByKeyAndWindow', [[['a', 1]], [['a', 2]], [['a', 1]], []], bigReduceOutput),
  ...reduceCases('rbkwInv', 'reduceByKeyAndWindow with inverse function', [[['a', 1]], [['a', 2]], [['a', 1]], [['a', 0]]], bigReduceInvOutput),
  { name: 'rbkwInvFilter.big', spark: 'reduceByKeyAndWindow with inverse and filter functions - big test', inputs: [bigInput], expected: bigReduceOutput, useSet: true },
  { name: 'groupByKeyAndWindow', spark: 'groupByKeyAndWindow', inputs: [bigInput], expected: bigGroupByOutput, useSet: true },
  { name: 'countByWindow', spark: 'countByWindow', inputs: [[[1], [1], [1, 2], [0], [], []]], expected: [[1], [2], [3], [3], [1], [0]], useSet: true },
  {
    name: 'countByValueAndWindow',
    spark: 'countByValueAndWindow',
    inputs: [[['a'], ['b', 'b'], ['a', 'b']]],
    expected: [[['a', 1]], [['a', 1], ['b', 2]], [['a', 1], ['b', 3]]],
    useSet: true,
  },
];

/**
 * The windows of reduceByKeyAndWindow(f, invF, window, slide) as Spark's ReducedWindowedDStream
 * computes them (its mergeValues): each batch reduced by key; at each slide, the previous
 * window's value, inverse-reduced by the leaving batches' values reduced together, then
 * reduced with the entering batches' values reduced together; a key not in the previous
 * window takes the entering values' reduction. One value per key and batch here.
 */
function sparkReducedWindows(
  batches: [string, number][][],
  windowB: number,
  slideB: number,
  numBatches: number,
  f: (a: number, b: number) => number,
  invF: (a: number, b: number) => number,
  filter: (kv: [string, number]) => boolean = () => true,
): [string, number][][] {
  const at = (b: number): Map<string, number> => new Map(b >= 1 && b <= batches.length ? batches[b - 1] : []);
  const out: [string, number][][] = [];
  let prev = new Map<string, number>();
  for (let t = slideB; t <= numBatches; t += slideB) {
    const olds = range(t - slideB - windowB + 1, t - windowB).map(at);
    const news = range(t - slideB + 1, t).map(at);
    const keys = new Set([...prev.keys(), ...olds.flatMap((m) => [...m.keys()]), ...news.flatMap((m) => [...m.keys()])]);
    const next = new Map<string, number>();
    for (const k of keys) {
      const o = olds.filter((m) => m.has(k)).map((m) => m.get(k)!);
      const n = news.filter((m) => m.has(k)).map((m) => m.get(k)!);
      if (!prev.has(k)) {
        if (n.length > 0) next.set(k, n.reduce(f));
        continue;
      }
      let v = prev.get(k)!;
      if (o.length > 0) v = invF(v, o.reduce(f));
      if (n.length > 0) v = f(v, n.reduce(f));
      next.set(k, v);
    }
    // The filtered window is the next one's previous window (Spark's getOrCompute of it).
    const kept = [...next].filter(filter);
    out.push(kept);
    prev = new Map(kept);
  }
  return out;
}
const floats = pairs([0.1, 0.7, 0.2, 0.3, 0.6, 0.4, 0.8, 0.5].map((x) => [['x', x]]));
WINDOWS.push({
  name: 'rbkwInv.floatOrder',
  spark: "reduceByKeyAndWindow with inverse function - floats combined in ReducedWindowedDStream.mergeValues' order (not in Spark's suite)",
  inputs: [floats],
  expected: sparkReducedWindows(floats, 4, 2, 8, (a, b) => a + b, (a, b) => a - b),
  useSet: true,
  slide: 2,
});

// A key filterFunc drops while values of it are still in the window: Spark's next window
// takes only its entering values (the leaving ones are not inverse-reduced), whatever the
// window really holds. (Spark's mergeValues throws when none enter; Sluice leaves the key out.)
const dropped = pairs([[['k', 1]], [['k', -1]], [['k', 1]], [], []]);
WINDOWS.push({
  name: 'rbkwInvFilter.droppedKey',
  spark: "reduceByKeyAndWindow with inverse and filter functions - a key dropped while in the window (mergeValues' rule, not in Spark's suite)",
  inputs: [dropped],
  expected: sparkReducedWindows(dropped, 2, 1, 5, (a, b) => a + b, (a, b) => a - b, (kv) => kv[1] !== 0),
  useSet: true,
});

// ---- MapWithStateSuite -------------------------------------------------------------------

const mwsInput = [[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []];
const mwsState = [[], [['a', 1]], [['a', 2], ['b', 1]], [['a', 3], ['b', 2], ['c', 1]], [['a', 4], ['b', 3], ['c', 1]], [['a', 5], ['b', 3], ['c', 1]], [['a', 5], ['b', 3], ['c', 1]]];
const MWS: SparkCase[] = [
  { name: 'mws.simple.out', spark: 'mapWithState - basic operations with simple API (outputs)', inputs: [mwsInput], expected: [[], [1], [2, 1], [3, 2, 1], [4, 3], [5], []], useSet: true },
  { name: 'mws.simple.state', spark: 'mapWithState - basic operations with simple API (state snapshots)', inputs: [mwsInput], expected: mwsState, useSet: true },
  {
    name: 'mws.advanced.out',
    spark: 'mapWithState - basic operations with advanced API (outputs)',
    inputs: [mwsInput],
    expected: [[], ['aa'], ['aa', 'bb'], ['aa', 'bb', 'cc'], ['aa', 'bb'], ['aa'], []],
    useSet: true,
  },
  { name: 'mws.advanced.state', spark: 'mapWithState - basic operations with advanced API (state snapshots)', inputs: [mwsInput], expected: mwsState, useSet: true },
  {
    name: 'mws.statesAsMapped.out',
    spark: 'mapWithState - states as mapped data (outputs)',
    inputs: [mwsInput],
    expected: [[], [['a', 1]], [['a', 2], ['b', 1]], [['a', 3], ['b', 2], ['c', 1]], [['a', 4], ['b', 3]], [['a', 5]], []],
    useSet: true,
  },
  { name: 'mws.statesAsMapped.state', spark: 'mapWithState - states as mapped data (state snapshots)', inputs: [mwsInput], expected: mwsState, useSet: true },
  {
    name: 'mws.initialNothingReturned.out',
    spark: 'mapWithState - initial states, with nothing returned as from mapping function (outputs)',
    inputs: [mwsInput],
    expected: mwsInput.map(() => []),
    useSet: true,
  },
  {
    name: 'mws.initialNothingReturned.state',
    spark: 'mapWithState - initial states, with nothing returned as from mapping function (state snapshots)',
    inputs: [mwsInput],
    expected: [
      [['a', 5], ['b', 10], ['c', -20], ['d', 0]],
      [['a', 6], ['b', 10], ['c', -20], ['d', 0]],
      [['a', 7], ['b', 11], ['c', -20], ['d', 0]],
      [['a', 8], ['b', 12], ['c', -19], ['d', 0]],
      [['a', 9], ['b', 13], ['c', -19], ['d', 0]],
      [['a', 10], ['b', 13], ['c', -19], ['d', 0]],
      [['a', 10], ['b', 13], ['c', -19], ['d', 0]],
    ],
    useSet: true,
  },
  {
    name: 'mws.removing.out',
    spark: 'mapWithState - state removing (outputs)',
    inputs: [[[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []]],
    expected: [[], [], ['a'], ['b'], ['a', 'c'], ['b'], ['a'], []],
    useSet: true,
  },
  {
    name: 'mws.removing.state',
    spark: 'mapWithState - state removing (state snapshots)',
    inputs: [[[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c'], ['a', 'b'], ['a'], []]],
    expected: [[], [['a', 1]], [['b', 1]], [['a', 1], ['c', 1]], [['b', 1]], [['a', 1]], [], []],
    useSet: true,
  },
];
const timingOutInput: string[][] = [['a', 'b', 'c'], ['a', 'b'], ['a'], [], [], ['a'], ...Array.from({ length: 20 }, () => ['a'])];

// BasicOperationsSuite's cleanup cases: batch i (from 0) holds [i, i + 1].
const cleanupTestInput = range(0, 9).map((x) => [x, x + 1]);

// ---- Spark's cases that must fail (intercept[SparkException]) ----------------------------

interface FailingCase {
  readonly spark: string;
  readonly inputs: Batch[][];
  readonly numBatches: number;
  /** The outputs of the batches before the failing one (Spark's expected output, as far as it gets). */
  readonly before: unknown[][];
  readonly useSet: boolean;
  /** What the error must name. */
  readonly names: RegExp;
}
const FAILING: Record<string, FailingCase> = {
  'union.inputNone': {
    spark: 'union with input stream return None',
    inputs: [[range(1, 4), range(101, 104), range(201, 204), null]],
    numBatches: 4,
    before: [range(1, 8), range(101, 108), range(201, 208)],
    useSet: false,
    names: /dstream\.union: stream \d+ \(TestInput\) has no RDD for batch time 4000/,
  },
  'transform.null': { spark: 'transform with NULL', inputs: [[range(1, 4)]], numBatches: 1, before: [], useSet: false, names: /dstream\.transform: the function returned null for batch time 1000, not an RDD/ },
  'transform.inputNone': {
    spark: 'transform with input stream return None',
    inputs: [[range(1, 4), range(5, 8), null]],
    numBatches: 3,
    before: [range(1, 4).map(String), range(5, 8).map(String)],
    useSet: false,
    names: /dstream\.transform: stream \d+ \(TestInput\) has no RDD for batch time 3000/,
  },
  'transformWith.inputNone': {
    spark: 'transformWith with input stream return None',
    inputs: [
      [['a', 'b'], ['a', ''], [''], null],
      [['a', 'b'], ['b', ''], [], null],
    ],
    numBatches: 4,
    before: [
      ['a', 'b', 'a', 'b'],
      ['a', 'b', '', ''],
      [''],
    ],
    useSet: true,
    names: /dstream\.transformWith: stream \d+ \(TestInput\) has no RDD for batch time 4000/,
  },
  'ssc.transform.inputNone': {
    spark: 'StreamingContext.transform with input stream return None',
    inputs: [[range(1, 4), range(101, 104), range(201, 204), null]],
    numBatches: 4,
    before: [range(1, 12), range(101, 112), range(201, 212)],
    useSet: false,
    names: /ssc\.transform: stream \d+ \(TestInput\) has no RDD for batch time 4000/,
  },
};

// ---- running the fixture once -------------------------------------------------------------

const caseInput = (c: { inputs: Batch[][]; partitions?: number }): { inputs: Batch[][]; partitions?: number } => ({ inputs: c.inputs, ...(c.partitions ? { partitions: c.partitions } : {}) });
const baseName = (n: string): string => n.replace(/\.(out|state)$/, '');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-dstream-spark-suites-'));
const inputFile = path.join(tmp, 'inputs.json');
fs.writeFileSync(
  inputFile,
  JSON.stringify({
    batchMs: BATCH_MS,
    contexts: {
      basic: {
        numBatches: 6,
        cases: {
          ...Object.fromEntries(BASIC.map((c) => [c.name, caseInput(c)])),
          ...Object.fromEntries(REPARTITION.map((c) => [c.name, { inputs: [repartitionInput], partitions: c.partitions }])),
          slice: { inputs: [[[1], [2], [3], [4]]] },
        },
      },
      windows: {
        numBatches: 12,
        cases: { ...Object.fromEntries(WINDOWS.map((c) => [c.name, caseInput(c)])), ...Object.fromEntries(MWS.map((c) => [baseName(c.name), caseInput(c)])) },
      },
      timeout: { numBatches: 20, cases: { 'mws.timingOut': { inputs: [timingOutInput] } } },
      cleanup: {
        numBatches: 10,
        cases: {
          'cleanup.mapAndWindow': { inputs: [cleanupTestInput] },
          'cleanup.updateStateByKey': { inputs: [cleanupTestInput] },
        },
      },
      persistence: { numBatches: 2, cases: { 'window.persistence': { inputs: [seq6], partitions: 1 } } },
    },
    failing: Object.fromEntries(Object.entries(FAILING).map(([name, c]) => [name, { ...caseInput(c), numBatches: c.numBatches }])),
  }),
);

type PerBatch = [number, unknown][];
const results = new Map<string, unknown>();
const failures = new Map<string, { outputs: PerBatch; error?: string; code?: string }>();
const checks = new Map<string, { ok?: boolean; name?: string; code?: string; message?: string; state?: string }>();
let run: JobRun | undefined;
let setupError: unknown;

before(async () => {
  try {
    await withCluster({ workers: 2 }, async (h) => {
      run = await h.run(fixture('dstream-spark-suites.ts'), [inputFile, tmp]);
    });
    for (const l of run!.lines) {
      const m = /^([DEA]) (\S+) (.*)$/.exec(l);
      if (!m) continue;
      const v = JSON.parse(m[3]);
      if (m[1] === 'D') results.set(m[2], v);
      else if (m[1] === 'E') failures.set(m[2], v);
      else checks.set(m[2], v);
    }
  } catch (err) {
    setupError = err;
  }
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function got<T>(map: Map<string, unknown>, name: string): T {
  if (setupError !== undefined) throw setupError;
  if (!map.has(name)) {
    throw new Error(`the job printed nothing for '${name}' (job ok: ${run?.ok}, failure: ${JSON.stringify(run?.failure)})\n${run?.lines.slice(-30).join('\n')}`);
  }
  return map.get(name) as T;
}

const key = (x: unknown): string => JSON.stringify(x);
const bag = (xs: readonly unknown[]): string[] => xs.map(key).sort();

/** Spark's verifyOutput: as many outputs as expected, each equal as a list, or as a multiset with useSet. */
function verify(name: string, outputs: PerBatch, expected: readonly unknown[][], useSet: boolean, slide = 1): void {
  const numBatches = expected.length * slide;
  const inRun = outputs.filter(([t]) => t <= numBatches * BATCH_MS);
  assert.deepEqual(
    inRun.map(([t]) => t),
    expected.map((_, i) => (i + 1) * slide * BATCH_MS),
    `${name}: the batches whose output ran (Spark collects one output for each of the stream's RDDs)`,
  );
  inRun.forEach(([t, v], i) => {
    if (useSet) assert.deepEqual(bag(v as unknown[]), bag(expected[i]), `${name} at ${t} ms (any order)`);
    else assert.deepEqual(v, expected[i], `${name} at ${t} ms (in order)`);
  });
}

// The persistence context also holds inputs read by no output (StreamingContextSuite's
// "Creating an InputDStream but not using it should not crash").
for (const ctx of ['basic', 'windows', 'timeout', 'cleanup', 'persistence']) {
  test(`the ${ctx} StreamingContext ran all its batches`, () => {
    assert.deepEqual(got(results, `${ctx}.status`), { ok: true, error: null });
  });
}

for (const c of [...BASIC, ...WINDOWS, ...MWS]) {
  test(`Spark: ${c.spark}`, () => verify(c.name, got<PerBatch>(results, c.name), c.expected, c.useSet, c.slide));
}

for (const c of REPARTITION) {
  test(`Spark: ${c.spark}`, () => {
    const outputs = got<[number, number[][]][]>(results, c.name).filter(([t]) => t <= 3 * BATCH_MS);
    assert.deepEqual(
      outputs.map(([t]) => t),
      [1000, 2000, 3000],
    );
    outputs.forEach(([t, parts], i) => {
      assert.equal(parts.length, c.to, `${c.name} at ${t}: partitions`);
      assert.deepEqual(
        parts.flat().sort((a, b) => a - b),
        repartitionInput[i],
        `${c.name} at ${t}: records`,
      );
    });
  });
}

test('Spark: window - persistence level (persisting a window persists its parent)', () => {
  const levels = (name: string): unknown[] => got<PerBatch>(results, `window.persistence.${name}`).map(([, level]) => level);
  assert.deepEqual(levels('window'), [printed('NONE'), printed('NONE')]);
  assert.deepEqual(levels('parent'), [printed('MEMORY_ONLY'), printed('MEMORY_ONLY')]);
  assert.deepEqual(levels('persistedWindow'), [printed('NONE'), printed('NONE')]);
  assert.deepEqual(levels('persistedParent'), [printed('MEMORY_AND_DISK'), printed('MEMORY_AND_DISK')]);
});

test("DStream.checkpoint(interval) persists the stream, as Spark's calls persist()", () => {
  assert.deepEqual(
    got<PerBatch>(results, 'window.persistence.checkpointed').map(([, level]) => level),
    [printed('MEMORY_ONLY'), printed('MEMORY_ONLY')],
  );
});

test('Spark: rdd cleanup - map and window (what each stream remembers after 10 batches)', () => {
  // remember 3 s; map -> window(2 s, 1 s) -> window(4 s, 2 s): the second window remembers
  // 3 s (its RDDs at 8 and 10 s), the first 3 + 4 = 7 s (4..10 s), the mapped stream
  // 7 + 2 = 9 s (2..10 s): batch t s of the mapped stream holds [(t - 1) % 10, 1], [t % 10, 1].
  const kept = new Map(got<[number, [string, unknown[][]]][]>(results, 'cleanup.mapAndWindow').map(([, [label, rdds]]) => [label, rdds]));
  assert.deepEqual(
    kept.get('mapped'),
    range(2, 10).map((t) => [
      [(t - 1) % 10, 1],
      [t % 10, 1],
    ]),
  );
  assert.equal(kept.get('window1')?.length, 7);
  assert.equal(kept.get('window2')?.length, 2);
  // The second window's last RDD is the union of the first window's RDDs of 7..10 s, each
  // the union of the mapped batches t - 1 and t s.
  const mappedAt = (t: number): [number, number][] => [
    [(t - 1) % 10, 1],
    [t % 10, 1],
  ];
  assert.deepEqual(bag(kept.get('window2')![1]), bag(range(7, 10).flatMap((t) => [...mappedAt(t - 1), ...mappedAt(t)])));
});

test('Spark: rdd cleanup - updateStateByKey (a checkpointed state remembers twice its checkpoint interval)', () => {
  // checkpoint(3 s): remembered 6 s, so at 10 s its RDDs of 5..10 s (not 4 s); the state at t
  // counts each key's records up to t.
  const [[, [label, rdds]]] = got<[number, [string, [number, number][][]]][]>(results, 'cleanup.updateStateByKey');
  assert.equal(label, 'state');
  const stateAt = (t: number): [number, number][] => {
    const m = new Map<number, number>();
    for (const x of cleanupTestInput.slice(0, t).flat()) m.set(x % 10, (m.get(x % 10) ?? 0) + 1);
    return [...m];
  };
  assert.deepEqual(
    rdds.map(bag),
    range(5, 10).map((t) => bag(stateAt(t))),
  );
});

test('Spark: queue input stream - oneAtATime = true (two RDDs queued a tick, one taken a batch)', () => {
  const outputs = got<PerBatch>(results, 'queue.oneAtATime');
  assert.deepEqual(
    outputs.map(([, v]) => v).filter((v) => (v as unknown[]).length > 0),
    [['1'], ['2'], ['3'], ['4'], ['5']],
  );
});

test('Spark: queue input stream - oneAtATime = false (every RDD queued by the tick, in one batch)', () => {
  const outputs = got<PerBatch>(results, 'queue.all');
  assert.deepEqual(
    outputs.map(([, v]) => v).filter((v) => (v as unknown[]).length > 0),
    [
      ['1', '2', '3'],
      ['4', '5'],
    ],
  );
});

test('Spark: slice (of batches generated and remembered; both bounds included)', () => {
  // Spark: slice(0, 1000) == {1}, (0, 2000) == {1, 2}, (1000, 2000) == {1, 2}, (2000, 4000) == {2, 3, 4}.
  const slices = got<[number, number[]][]>(results, 'slice');
  assert.deepEqual(
    slices.map(([k, xs]) => [k, [...xs].sort()]),
    [
      [1000, [1]],
      [2000, [1, 2]],
      [10_002_000, [1, 2]],
      [20_004_000, [2, 3, 4]],
    ],
  );
});

test('Spark: mapWithState - state timing out', () => {
  const outs = got<PerBatch>(results, 'mws.timingOut.out').filter(([t]) => t <= 20 * BATCH_MS);
  const states = got<PerBatch>(results, 'mws.timingOut.state').filter(([t]) => t <= 20 * BATCH_MS);
  assert.equal(outs.length, 20);
  // b and c returned once each, when they timed out.
  assert.deepEqual(outs.flatMap(([, v]) => v as string[]).sort(), ['b', 'c']);
  // States for a, b and c defined at one point; finally only a's.
  assert.ok(states.some(([, v]) => key(bag(v as unknown[])) === key(bag([['a', 1], ['b', 1], ['c', 1]]))), key(states));
  assert.deepEqual(states[states.length - 1][1], [['a', 1]]);
});

for (const [name, c] of Object.entries(FAILING)) {
  test(`Spark: ${c.spark} (the batch fails, naming the operator)`, () => {
    const f = got<{ outputs: PerBatch; error?: string; code?: string }>(failures, name);
    assert.match(f.error ?? '', c.names);
    assert.equal(f.code, 'SLUICE_BAD_ARGUMENT');
    verify(name, f.outputs, c.before, c.useSet);
  });
}

// ---- argument and lifecycle checks ---------------------------------------------------------

const refused = (name: string, code: string, message: RegExp): void => {
  const c = got<{ ok?: boolean; name?: string; code?: string; message?: string }>(checks, name);
  assert.equal(c.ok, undefined, `${name} was not refused`);
  assert.equal(c.code, code, `${name}: ${c.message}`);
  assert.match(c.message ?? '', message);
};

test('a window or slide not a multiple of the parent slide is refused (Spark: WindowedDStream, ReducedWindowedDStream)', () => {
  refused('window.notMultiple', 'SLUICE_BAD_ARGUMENT', /window length \(1500 ms\) must be a multiple of the batch interval \(1000 ms\)/);
  refused('window.slideNotMultiple', 'SLUICE_BAD_ARGUMENT', /window slide \(1500 ms\) must be a multiple of the batch interval \(1000 ms\)/);
  refused('rbkwInv.notMultiple', 'SLUICE_BAD_ARGUMENT', /window length \(2500 ms\) must be a multiple/);
});

test('streams sliding differently cannot be unioned or transformed together (Spark: UnionDStream, TransformedDStream)', () => {
  refused('union.differentSlides', 'SLUICE_BAD_ARGUMENT', /different/);
  refused('ssc.union.differentSlides', 'SLUICE_BAD_ARGUMENT', /different/);
  refused('transformWith.differentSlides', 'SLUICE_BAD_ARGUMENT', /different/);
});

test('streams of different StreamingContexts cannot be unioned (Spark: "Array of parents have different StreamingContexts")', () => {
  refused('union.differentContexts', 'SLUICE_BAD_ARGUMENT', /different StreamingContexts/);
});

test('ssc.remember can be set once (Spark\'s DStreamGraph: "Remember duration already set ... Cannot set it again"), before start', () => {
  refused('remember.twice', 'SLUICE_BAD_ARGUMENT', /ssc\.remember: the remember duration is already set to 5000 ms and cannot be set again/);
  refused('afterStart.remember', 'SLUICE_BAD_ARGUMENT', /ssc\.remember: .* after the StreamingContext has started/);
});

test('slice before start is refused (Spark: "has not been initialized")', () => {
  refused('slice.notStarted', 'SLUICE_BAD_ARGUMENT', /has not started/);
});

test('start() refuses a graph with no output, and checkpoint intervals Spark refuses (DStream.validateAtStart)', () => {
  refused('start.noOutput', 'SLUICE_BAD_ARGUMENT', /No output operations registered, so nothing to execute/);
  refused('checkpoint.notMultiple', 'SLUICE_BAD_ARGUMENT', /checkpoint interval \(3000 ms\) must be a multiple of its slide \(2000 ms\)/);
  // Spark's "lower than its slide time": under the slide is not a multiple of it either.
  refused('checkpoint.underSlide', 'SLUICE_BAD_ARGUMENT', /checkpoint interval \(1000 ms\) must be a multiple of its slide \(2000 ms\)/);
  refused('checkpoint.noDirectory', 'SLUICE_CHECKPOINT', /needs a checkpoint directory/);
  // The program's call that keeps state is named, with its line (a first-hour user read the
  // class, StateDStream, and a list of every stateful operator).
  refused('stateful.noDirectory', 'SLUICE_CHECKPOINT', /^updateStateByKey at .*dstream-spark-suites\.ts:\d+:\d+, which keeps its state in checkpoints, needs a checkpoint directory: call ssc\.checkpoint\(dir\) before start\(\)/);
  refused('invWindow.noDirectory', 'SLUICE_CHECKPOINT', /^reduceByKeyAndWindow at .*dstream-spark-suites\.ts:\d+:\d+, which keeps its state in checkpoints, needs a checkpoint directory/);
});

test('start() twice is harmless; nothing may be added after start or after stop; no restart (StreamingContextSuite)', () => {
  assert.deepEqual(got(checks, 'start.twice'), { ok: true, state: 'active' });
  // "multiple streaming contexts": only one active at a time.
  refused('secondContext.start', 'SLUICE_BAD_ARGUMENT', /^Only one StreamingContext may be started in this JVM\. Currently running StreamingContext was started at .*dstream-spark-suites\.ts:\d+:\d+ /);
  for (const what of ['input', 'transformation', 'output']) refused(`afterStart.${what}`, 'SLUICE_BAD_ARGUMENT', /after the StreamingContext has started/);
  refused('afterStart.persist', 'SLUICE_BAD_ARGUMENT', /dstream\.persist: the storage level of stream \d+: .* after the StreamingContext has started/);
  refused('afterStart.checkpoint', 'SLUICE_BAD_ARGUMENT', /dstream\.checkpoint: the checkpoint interval of stream \d+: .* after the StreamingContext has started/);
  for (const what of ['input', 'transformation', 'output']) refused(`afterStop.${what}`, 'SLUICE_BAD_ARGUMENT', /after the StreamingContext has stopped/);
  refused('afterStop.start', 'SLUICE_BAD_ARGUMENT', /cannot be restarted after stop/);
  // Spark's "stop before start": stopped, and no start then.
  assert.deepEqual(got(checks, 'stopBeforeStart.state'), { ok: true });
  refused('stopBeforeStart.start', 'SLUICE_BAD_ARGUMENT', /cannot be restarted after stop/);
});
