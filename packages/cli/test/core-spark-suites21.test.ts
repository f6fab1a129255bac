// FailureSuite (core) "failure cause stacktrace is sent back to driver if exception is not
// serializable", "... if exception is not deserializable" and "SPARK-16304: Link error should not
// crash executor", their exceptions as JavaScript classes (fixture core-spark-suites21.ts, a
// driver and 2 worker processes). Spark asserts the job's exception is a SparkException whose
// message names the exception's class; the class names expected are the fixture's classes'.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runSparkCases, type SparkCaseRun } from './spark-case-run.js';

let cases: SparkCaseRun;

before(async () => {
  cases = await runSparkCases('core-spark-suites21.ts', [process.env.SLUICE_CASES ?? '']);
});

type Failure = { ok: boolean; code: string | null; message: string; cause: { name: string; message: string; head: string } | null };

for (const [c, cls, what, why] of [
  ['non-serializable', 'NonSerializableUserException', 'not serializable', 'it holds a function'],
  ['non-deserializable', 'NonDeserializableUserException', 'not deserializable', 'its toJSON throws'],
] as const) {
  test(`FailureSuite "failure cause stacktrace is sent back to driver if exception is ${what}": the job fails with a message naming ${cls} (an Error subclass that sets no name; ${why}); its cause is the task's error under that class`, () => {
    const r = cases.one<Failure>(c);
    assert.equal(r.ok, false);
    // Spark: SparkException (the job's failure), getMessage.contains(the class's name).
    assert.equal(r.code, 'SLUICE_TASK_FAILED');
    assert.ok(r.message.includes(cls), r.message);
    assert.match(r.message, new RegExp(`\\): ${cls}$`), 'the task\'s error as Spark\'s toErrorString: its class, no message');
    // Deliberately different: Spark's getCause is null (the exception could not travel); Sluice
    // sends the error as text and rebuilds it on the driver, under its class's name.
    assert.deepEqual(r.cause && { name: r.cause.name, message: r.cause.message, head: r.cause.head.trim() }, { name: cls, message: '', head: `${cls}:` });
  });
}

test('FailureSuite "SPARK-16304: Link error should not crash executor": tasks throwing what is no Error (a string, undefined, an object of no prototype) fail their jobs; a job over both workers runs after them', () => {
  const r = cases.one<{ thrown: Failure[]; after: number[] }>('link-error');
  assert.deepEqual(r.thrown.map((t) => [t.ok, t.code]), [[false, 'SLUICE_TASK_FAILED'], [false, 'SLUICE_TASK_FAILED'], [false, 'SLUICE_TASK_FAILED']]);
  assert.ok(r.thrown[0].message.includes('link error'), r.thrown[0].message);
  assert.deepEqual(r.after, [0, 1, 4, 9, 16, 25, 36, 49]);
});

test('FailureSuite "failure because cached RDD partitions are missing from DiskStore (SPARK-15736)": a DISK_ONLY RDD whose block files were all deleted on its workers counts again (2), and again after', () => {
  const r = cases.one<{ first: number; deleted: boolean; second: number; secondEnds: [string, number][]; third: number }>('disk-store-files-deleted');
  assert.equal(r.first, 2);
  assert.equal(r.deleted, true, 'the block directories held files to delete');
  assert.equal(r.second, 2);
  assert.equal(r.third, 2);
  // Spark: each task fails once on its missing block, then succeeds (the block recomputed).
  // Deliberately different: a worker finding a cached block's file gone takes it as a cache miss
  // and computes the partition in the same attempt, so no task fails.
  assert.deepEqual(r.secondEnds, [['Success', 0], ['Success', 0]]);
});
