// Spark's AccumulatorSuite on what the driver sees of accumulators while and after their tasks
// run, through Sluice's public API on a cluster of 2 worker processes (fixture
// accumulator-spark-suite.ts, one job). What each case expects is Spark's, worked out here from
// the cases' inputs and Spark's sources, not from Sluice's code:
// - DAGScheduler.handleTaskCompletion merges a successful task's updates as the task ends
//   (updateAccumulators), before it posts SparkListenerTaskEnd: the driver's acc.value moves
//   while an action runs, and a job run while an RDD is made (sortByKey's RangePartitioner
//   sketch) has added its tasks' updates by the time the call returns.
// - updateAccumulators, for a named accumulator whose update is not zero: the task's
//   TaskInfo.accumulables gets acc.toInfo(Some(updates.value), Some(acc.value)) (its own update,
//   the value once merged) and its stage's StageInfo.accumulables acc.toInfo(None,
//   Some(acc.value)) (the value after the stage's last such task). AccumulatorSuite "internal
//   accumulators in a stage", "in multiple stages" and "in partially resubmitted stages" assert
//   them through its SaveInfoListener, here with named user accumulators: 10 tasks adding 1
//   each have updates of 1 and values 1..10 in some order, the stage 10; three stages adding
//   to three accumulators 1 x 10 tasks, 10 x 10 and 100 x 20; a failed attempt lists none and
//   is not counted. Unnamed accumulators and named ones a task left at zero are not listed.
// - Updates made in transformations count once per computation of a partition (the programming
//   guide): again for each action over an uncached RDD, once for a cached one, once for a shuffle
//   map side whose output is kept (a later job skips the stage), and only what take() computed.
// A SparkListener reading acc.value in onTaskEnd sees at least the task's merged value (Spark's
// listener bus runs later, so possibly more): never less.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-acc-spark-'));
let cases: SparkCaseRun;
const result = <T>(c: string): T => cases.one<T>(c, 'R');

before(async () => {
  cases = await runSparkCases('accumulator-spark-suite.ts', [marks]);
});

after(() => fs.rmSync(marks, { recursive: true, force: true }));

interface Info {
  id: number;
  name: string;
  update?: unknown;
  value: unknown;
}
interface TaskSeen {
  index: number;
  successful: boolean;
  accumulables: Info[];
  valueThen: number;
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** The successful tasks of a 10-partition stage where each adds 1: one accumulable each, update 1, values 1..10 once each; acc.value in onTaskEnd at least it. */
function checkTasksAddingOne(tasks: TaskSeen[], id: number): void {
  const ok = tasks.filter((t) => t.successful);
  assert.deepEqual(ok.map((t) => t.index).sort((a, b) => a - b), range(0, 9), 'one successful task a partition');
  for (const t of ok) {
    assert.equal(t.accumulables.length, 1, JSON.stringify(t));
    const [a] = t.accumulables;
    assert.deepEqual({ id: a.id, name: a.name, update: a.update }, { id, name: 'TEST_ACCUMULATOR', update: 1 }, JSON.stringify(t));
    assert.ok(t.valueThen >= (a.value as number), `acc.value read in onTaskEnd (${t.valueThen}) is below the task's merged value (${String(a.value)})`);
  }
  assert.deepEqual(ok.map((t) => t.accumulables[0].value as number).sort((a, b) => a - b), range(1, 10), 'each task keeps the partial value on the way: 1, 2, ... 10');
}

test('AccumulatorSuite "internal accumulators in a stage": each task\'s update 1 and the value once merged, 1..10; the stage\'s 10', () => {
  const r = result<{ count: number; value: number; id: number; stages: Info[][]; tasks: TaskSeen[] }>('in-a-stage');
  assert.equal(r.count, 100);
  assert.equal(r.value, 10);
  assert.deepEqual(r.stages, [[{ id: r.id, name: 'TEST_ACCUMULATOR', value: 10 }]]);
  assert.equal(r.tasks.length, 10);
  checkTasksAddingOne(r.tasks, r.id);
});

test('AccumulatorSuite "internal accumulators in multiple stages": each stage lists its own accumulator, 10, 100 and 2000', () => {
  const r = result<{ count: number; ids: number[]; values: number[]; stages: Info[][] }>('multiple-stages');
  assert.equal(r.count, 100);
  // 10 map tasks add 1; reduceByKey's 10 partitions (the parent's count) add 10; repartition(20)'s 20 add 100.
  assert.deepEqual(r.values, [10 * 1, 10 * 10, 20 * 100]);
  assert.deepEqual(r.stages, [
    [{ id: r.ids[0], name: 'first', value: 10 }],
    [{ id: r.ids[1], name: 'second', value: 100 }],
    [{ id: r.ids[2], name: 'third', value: 2000 }],
  ]);
});

test('AccumulatorSuite "internal accumulators in partially resubmitted stages": failed attempts list nothing and count nothing', () => {
  const r = result<{ count: number; value: number; stages: Info[][]; tasks: TaskSeen[] }>('partially-resubmitted');
  assert.equal(r.count, 100);
  assert.equal(r.value, 10, 'no double counting');
  assert.equal(r.stages.length, 1);
  assert.deepEqual(r.stages[0].map((a) => a.value), [10]);
  // 10 partitions + the 5 even ones' failed first attempts.
  assert.equal(r.tasks.length, 15);
  const failed = r.tasks.filter((t) => !t.successful);
  assert.deepEqual(failed.map((t) => t.index).sort((a, b) => a - b), [0, 2, 4, 6, 8]);
  for (const t of failed) assert.deepEqual(t.accumulables, [], 'a failed task has no accumulables');
  checkTasksAddingOne(r.tasks, r.stages[0][0].id);
});

test('unnamed accumulators and a named one no task changed are not listed; a collection accumulator\'s update is the task\'s elements', () => {
  const r = result<{ ids: { coll: number }; value: string[]; tasks: Info[][]; stages: Info[][] }>('unnamed-and-zero');
  assert.deepEqual(r.value, ['a', 'b', 'c', 'd']);
  assert.equal(r.tasks.length, 2);
  // parallelize(['a', 'b', 'c', 'd'], 2): ['a', 'b'] and ['c', 'd']; the first to end shows its own, the second all four.
  const updates = r.tasks.map((t) => {
    assert.deepEqual(t.map((a) => [a.id, a.name]), [[r.ids.coll, 'letters']], JSON.stringify(t));
    return t[0].update as string[];
  });
  assert.deepEqual([...updates].sort((a, b) => a[0].localeCompare(b[0])), [['a', 'b'], ['c', 'd']]);
  assert.deepEqual(r.tasks[0][0].value, updates[0]);
  assert.deepEqual([...(r.tasks[1][0].value as string[])].sort(), ['a', 'b', 'c', 'd']);
  assert.equal(r.stages.length, 1);
  assert.deepEqual(r.stages[0].map((a) => [a.id, a.name, [...(a.value as string[])].sort()]), [[r.ids.coll, 'letters', ['a', 'b', 'c', 'd']]]);
});

test('the driver\'s value while an action runs: its ended tasks\' updates are merged (1 + 2 + 3), the last task\'s once it ends', () => {
  assert.deepEqual(result('value-while-running'), { whileRunning: 6, doneBefore: false, after: 10 });
});

test('sortByKey\'s sampling job (Spark\'s RangePartitioner sketch, every element of 5 partitions of 10) has added its updates when sortByKey returns; the job after it adds them again', () => {
  assert.deepEqual(result('sampling-job'), { afterSortByKey: 50, keys: 50, after: 100 });
});

test('updates made in transformations count once per computation (Spark\'s programming guide): each action over an uncached RDD, a cached one\'s first, a kept shuffle\'s map side once, take(1) its one element', () => {
  // 6 elements in 3 partitions: two counts over the plain RDD compute it twice; the cached one once;
  // the second action over reduceByKey skips its map stage (its output is kept, as Spark's); take(1)
  // computes partition 0 only, and of it only the element it returns (the iterator is lazy).
  const odd = [1, 3, 5].reduce((a, b) => a + b);
  const even = [2, 4, 6].reduce((a, b) => a + b);
  assert.deepEqual(result('transformation-recompute'), { plain: 12, cached: 6, shuffled: 6, firstSums: [[0, even], [1, odd]], taken: 1, took: [1] });
});
