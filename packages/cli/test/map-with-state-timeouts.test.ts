// When mapWithState times keys out, as Spark's MapWithStateRDD (read in Spark's source, not
// Sluice's): a batch's values are mapped first, each refreshing its key's time to the batch's;
// then, only if the batch's state RDD is checkpointed (removeTimedoutData = doFullScan, set by
// its checkpoint(); InternalMapWithStateDStream checkpoints every 10 slides unless given an
// interval), every key whose time is strictly before batchTime - timeout gets one more call
// (no value, exists, get() its state, isTimingOut(), update and remove refused) and goes,
// absent from that batch's stateSnapshots on. An initial state counts as given a value at the
// first batch (MapWithStateRDDSuite "creation from pair RDD": createFromPairRDD puts each with
// the first batch's time). On a real local cluster (a driver and 2 worker
// processes); the fixture map-with-state-timeouts.ts runs the same 12 batches two ways.
// Worked by hand below: 1 s batches, a 2 s timeout, a running count per key; input
//   1: a b c   2: a   3: -   4: a   5: -   6: c   7-9: -   10: b   11-12: -
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mws-timeouts-'));
let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('map-with-state-timeouts.ts', [tmp, process.env.SLUICE_CASES ?? ''], { workers: 2 });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A batch's records as a multiset (sorted JSON). */
const bag = (xs: unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();

function expectBatches(name: string, expected: unknown[][]): void {
  const got = cases
    .tagged<[number, unknown[]]>('B', name)
    .map(([t, xs]) => [t, bag(xs)] as [number, string[]])
    .sort((a, b) => a[0] - b[0]);
  assert.deepEqual(
    got,
    expected.map((xs, i) => [(i + 1) * 1000, bag(xs)]),
    name,
  );
}

/** The timing-out call's record: no value, the state there with its value, isTimingOut, update and remove refused. */
const T = (key: string, state: number): unknown[] => ['T', key, null, true, state, true, 'refused', 'refused'];

test('the state checkpointed every 3 batches: idle keys go only at 3, 6, 9 and 12 s, strictly past the timeout; a key with a value in a scan batch stays', () => {
  assert.deepEqual(cases.one('every3'), { error: null });
  // 3 s: b and c last had a value at 1 s, 3000 - 1000 = 2000 is not more than 2000: none goes.
  // 6 s: b (1 s) goes; c was idle 5 s but has a value at 6 s: its count goes on (2), not from 0.
  // 9 s: a (4 s) and c (6 s) go. 10 s: b is new again (1). 12 s: b idle exactly 2 s, stays.
  expectBatches('every3.mapped', [
    [['a', 1], ['b', 1], ['c', 1]],
    [['a', 2]],
    [],
    [['a', 3]],
    [],
    [['c', 2], T('b', 1)],
    [],
    [],
    [T('a', 3), T('c', 2)],
    [['b', 1]],
    [],
    [],
  ]);
  const abc = [['a', 3], ['b', 1], ['c', 1]];
  const ac = [['a', 3], ['c', 2]];
  expectBatches('every3.state', [[['a', 1], ['b', 1], ['c', 1]], [['a', 2], ['b', 1], ['c', 1]], [['a', 2], ['b', 1], ['c', 1]], abc, abc, ac, ac, ac, [], [['b', 1]], [['b', 1]], [['b', 1]]]);
});

test("the state's default interval (every 10 batches): nothing times out before 10 s, so b, idle 9 s, keeps its count when it is back at 10 s; a and c go at 10 s", () => {
  assert.deepEqual(cases.one('default'), { error: null });
  expectBatches('default.mapped', [
    [['a', 1], ['b', 1], ['c', 1]],
    [['a', 2]],
    [],
    [['a', 3]],
    [],
    [['c', 2]],
    [],
    [],
    [],
    [['b', 2], T('a', 3), T('c', 2)],
    [],
    [],
  ]);
  const abc1 = [['a', 3], ['b', 1], ['c', 1]];
  const abc2 = [['a', 3], ['b', 1], ['c', 2]];
  expectBatches('default.state', [[['a', 1], ['b', 1], ['c', 1]], [['a', 2], ['b', 1], ['c', 1]], [['a', 2], ['b', 1], ['c', 1]], abc1, abc1, abc2, abc2, abc2, abc2, [['b', 2]], [['b', 2]], [['b', 2]]]);
});

test('MapWithStateRDDSuite "creation from pair RDD": an initial state counts as updated at the first batch, so with a 2 s timeout it goes at 4 s, not 3 s; a key given twice has the later state', () => {
  assert.deepEqual(cases.one('initial'), { error: null });
  // The state checkpointed every batch. i: 7, put after 5 in createFromPairRDD's loop; 1 s (the first batch), out
  // when 1000 < t - 2000: at 4 s. a: 2 s, out at 5 s.
  expectBatches('initial.mapped', [[], [['a', 1]], [], [T('i', 7)], [T('a', 1)]]);
  expectBatches('initial.state', [[['i', 7]], [['a', 1], ['i', 7]], [['a', 1], ['i', 7]], [['a', 1]], []]);
});
