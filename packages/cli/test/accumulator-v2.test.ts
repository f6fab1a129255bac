// A user's own accumulators, AccumulatorV2 subclasses registered with sc.register (Spark's
// AccumulatorV2 API), on a real local cluster (a driver and 2 worker processes of 2 cores;
// fixture accumulator-v2.ts, one job for every case). Expected values are computed here
// from the cases' inputs, not by Sluice:
//  - a set accumulator fed by a shuffle's map side and a result stage holds every word once,
//    and what the driver added itself; name and registration as given;
//  - a task that fails after adding has its copy dropped: the count and max are the input's
//    and the driver's own add, each partition counted once though five were run twice, and
//    tasks start from zero copies, not from the driver's value;
//  - two functions of one task that capture it share one copy, merged once; inside a task
//    `value` is the task's own copy (its partition's adds only);
//  - an unregistered accumulator, registering twice, a non-accumulator, a copyAndReset that is
//    not zero and a class defined inside a function are each refused with a message naming
//    the fix, and the job goes on.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, withCluster, type JobRun } from './harness.js';

const marks = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-accv2-'));
let run: JobRun;
const result = <T>(c: string): T => {
  const line = run.lines.find((l) => l.startsWith(`R ${c} `));
  assert.ok(line, `case ${c} printed no result: ${run.lines.filter((l) => l.startsWith(`E ${c} `)).join('\n')}`);
  return JSON.parse(line.slice(`R ${c} `.length)) as T;
};

before(async () => {
  await withCluster({ workers: 2, coresPerWorker: 2 }, async (h) => {
    run = await h.run(fixture('accumulator-v2.ts'), [marks]);
  });
  // In a before() hook: each message says what was seen.
  assert.ok(run.ok, `the job failed: ${String(run.failure)}\n${run.lines.slice(-40).join('\n')}`);
  assert.equal(run.lines.at(-1), 'DONE', `the job's last line is not DONE:\n${run.lines.slice(-40).join('\n')}`);
  const failed = run.lines.filter((l) => l.startsWith('E '));
  assert.deepEqual(failed, [], `cases failed:\n${failed.join('\n')}`);
});

after(() => fs.rmSync(marks, { recursive: true, force: true }));

test('a set accumulator: every word of the map side once, then the result stage\'s, and the driver\'s own add', () => {
  const lines = ['a b c', 'b d', 'e a', 'f', 'g h a', 'i'];
  const words = new Set(lines.flatMap((l) => l.split(' ')));
  const r = result<{ mapSide: string[]; after: string[]; counts: number; name: string; registered: boolean; copyRegistered: boolean }>('set');
  assert.equal(r.counts, words.size);
  assert.deepEqual(r.mapSide, [...words, 'driver'].sort());
  assert.deepEqual(r.after, [...words, 'driver', 'x', 'y'].sort());
  assert.equal(r.name, 'words');
  assert.equal(r.registered, true);
  assert.equal(r.copyRegistered, false, 'a copy is not registered');
});

test('a failed attempt\'s copy is dropped: each partition merged once', () => {
  const r = result<{ n: number; value: { count: number; max: number }; retried: number }>('retries');
  assert.equal(r.retried, 5, 'the even partitions failed once');
  assert.equal(r.n, 100);
  assert.deepEqual(r.value, { count: 101, max: 500 }, 'the 100 numbers once each, and the driver\'s 500 once');
});

test('one copy a task whatever captures it, merged once; in a task value is the task\'s copy', () => {
  const r = result<{ seen: number[][]; value: { count: number; max: number } }>('in-task');
  const expected = [0, 1, 2, 3].map((p) => [10, 20, 1000 + p * 10 + 9]);
  assert.deepEqual([...r.seen].sort((a, b) => a[2] - b[2]), expected);
  assert.deepEqual(r.value, { count: 80, max: 1039 });
});

test('misuse is refused with a message naming the fix, and the job goes on', () => {
  type E = { code: string | null; message: string } | null;
  const r = result<{ notRegistered: E; idBefore: E; again: E; notV2: E; notZero: E; innerClass: E; stillWorks: number }>('errors');
  for (const k of ['notRegistered', 'idBefore', 'again', 'notV2', 'notZero', 'innerClass'] as const) assert.equal(r[k]?.code, 'SLUICE_BAD_ARGUMENT', `${k}: ${JSON.stringify(r[k])}`);
  assert.match(r.notRegistered!.message, /CountMaxAccumulator: not registered.*sc\.register\(acc, name\)/);
  assert.match(r.idBefore!.message, /not registered, so it has no id/);
  assert.match(r.again!.message, /Cannot register an Accumulator twice/);
  assert.match(r.notV2!.message, /must be an instance of a subclass of AccumulatorV2/);
  assert.match(r.notZero!.message, /copyAndReset\(\) must return a zero value copy/);
  assert.match(r.innerClass!.message, /accumulator Inner .*cannot travel.*Move class Inner to the top level/);
  assert.equal(r.stillWorks, 3);
});
