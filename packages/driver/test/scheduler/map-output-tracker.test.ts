import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MapStatus, decode, encode, mapsWithData } from '@sluice/core/internal';
import { MapOutputTracker } from '../../src/scheduler/map-output-tracker.js';

const loc = (workerId: string) => ({ workerId, address: `10.0.0.${workerId.slice(1)}:7000` });

describe('MapOutputTracker', () => {
  test('register / missing / locations', () => {
    const t = new MapOutputTracker();
    assert.deepEqual(t.missing('j1', 0, 3), [0, 1, 2]);
    t.register('j1', 0, 3, 2, loc('w2'), MapStatus.of([10, 0]));
    t.register('j1', 0, 3, 0, loc('w1'), MapStatus.of([5, 5]));
    assert.deepEqual(t.missing('j1', 0, 3), [1]);
    assert.equal(t.locations('j1', 0), undefined, 'no locations while map output 1 is missing');
    t.register('j1', 0, 3, 1, loc('w1'), MapStatus.of([1, 1]));
    assert.deepEqual(t.missing('j1', 0, 3), []);
    assert.deepEqual(t.locations('j1', 0), [loc('w1'), loc('w1'), loc('w2')]);
    // A re-run map task replaces its output.
    t.register('j1', 0, 3, 1, loc('w3'), MapStatus.of([1, 1]));
    assert.deepEqual(t.locations('j1', 0)?.[1], loc('w3'));
  });

  test("a stale fetch failure (of a task given the locations before the outputs were computed again) removes only the outputs registered up to then, as Spark's epoch check", () => {
    const t = new MapOutputTracker();
    for (let m = 0; m < 4; m++) t.register('j1', 0, 4, m, loc(m < 3 ? 'w1' : 'w2'), MapStatus.of([1]));
    // A reduce stage attempt is made: its tasks read the outputs registered so far.
    const givenUpTo = t.epoch;
    // One of its tasks fails to fetch from w1: the outputs on w1 go, and are computed again, one
    // back on w1 already (the resubmitted map stage still running the other two).
    assert.equal(t.removeOutputsOn('j1', 0, 'w1', givenUpTo), 3);
    t.register('j1', 0, 4, 1, loc('w1'), MapStatus.of([1]));
    // Another task of the failed attempt (a zombie) fails on w1 too: the new output stays.
    assert.equal(t.removeOutputsOn('j1', 0, 'w1', givenUpTo), 0);
    assert.deepEqual(t.missing('j1', 0, 4), [0, 2]);
    // A failure of a task given the new output removes it.
    assert.equal(t.removeOutputsOn('j1', 0, 'w1', t.epoch), 1);
    assert.deepEqual(t.missing('j1', 0, 4), [0, 1, 2]);
    // A moved output keeps when it was registered.
    t.register('j1', 0, 4, 0, loc('w1'), MapStatus.of([1]));
    const upTo = t.epoch;
    assert.ok(t.updateLocation('j1', 0, 0, 'w1', loc('w3')));
    t.register('j1', 0, 4, 2, loc('w3'), MapStatus.of([1]));
    assert.equal(t.removeOutputsOn('j1', 0, 'w3', upTo), 1, 'the moved output, not the one registered after');
    assert.deepEqual(t.missing('j1', 0, 4), [0, 1]);
  });

  test("a reduce task's locations of 2,000 map outputs on 2 workers encode each worker once", () => {
    const t = new MapOutputTracker();
    const maps = 2000;
    for (let m = 0; m < maps; m++) t.register('j1', 0, maps, m, loc(m % 3 === 0 ? 'w1' : 'w2'), MapStatus.of([1]));
    const locs = t.locations('j1', 0)!;
    const bytes = encode({ mapOutputs: { 0: locs } });
    // Each copy of an id and an address would take about 30 bytes: 2,000 of them 60 KB.
    assert.ok(bytes.length < 8 * maps, `encoded in ${bytes.length} bytes, expected under ${8 * maps}`);
    // What the worker decodes is the same list, map output by map output.
    const back = decode<{ mapOutputs: Record<number, { workerId: string; address: string }[]> }>(bytes).mapOutputs[0];
    assert.equal(back.length, maps);
    for (let m = 0; m < maps; m++) assert.deepEqual(back[m], loc(m % 3 === 0 ? 'w1' : 'w2'), `map output ${m}`);
  });

  test('shuffles and jobs are independent', () => {
    const t = new MapOutputTracker();
    t.register('j1', 0, 2, 0, loc('w1'), MapStatus.of([]));
    t.register('j1', 1, 2, 1, loc('w1'), MapStatus.of([]));
    t.register('j2', 0, 2, 1, loc('w2'), MapStatus.of([]));
    assert.deepEqual(t.missing('j1', 0, 2), [1]);
    assert.deepEqual(t.missing('j1', 1, 2), [0]);
    assert.deepEqual(t.missing('j2', 0, 2), [0]);
    assert.equal(t.locations('j9', 0), undefined);
  });

  test('removeWorker forgets every output on that worker, in every job and shuffle', () => {
    const t = new MapOutputTracker();
    t.register('j1', 0, 3, 0, loc('w1'), MapStatus.of([]));
    t.register('j1', 0, 3, 1, loc('w2'), MapStatus.of([]));
    t.register('j1', 0, 3, 2, loc('w1'), MapStatus.of([]));
    t.register('j1', 4, 1, 0, loc('w1'), MapStatus.of([]));
    t.register('j2', 0, 2, 0, loc('w2'), MapStatus.of([]));
    t.register('j2', 0, 2, 1, loc('w1'), MapStatus.of([]));
    assert.equal(t.removeWorker('w1'), 4);
    assert.equal(t.locations('j1', 0), undefined, 'a shuffle with lost outputs has no locations to hand out');
    assert.deepEqual(t.missing('j1', 0, 3), [0, 2]);
    assert.deepEqual(t.missing('j1', 4, 1), [0]);
    assert.deepEqual(t.missing('j2', 0, 2), [1]);
    assert.equal(t.removeWorker('w1'), 0);
    assert.equal(t.removeWorker('nobody'), 0);
  });

  test('removeOutputsOn forgets one shuffle’s outputs on one worker only', () => {
    const t = new MapOutputTracker();
    t.register('j1', 0, 2, 0, loc('w1'), MapStatus.of([]));
    t.register('j1', 0, 2, 1, loc('w2'), MapStatus.of([]));
    t.register('j1', 1, 1, 0, loc('w1'), MapStatus.of([]));
    assert.equal(t.removeOutputsOn('j1', 0, 'w1'), 1);
    assert.deepEqual(t.missing('j1', 0, 2), [0]);
    assert.deepEqual(t.missing('j1', 1, 1), []);
    assert.equal(t.removeOutputsOn('j1', 7, 'w1'), 0);
  });

  test("removeJobOutputsOn forgets every shuffle's outputs of one job on one worker (Spark's removeOutputsOnExecutor); every removal moves the epoch on", () => {
    const t = new MapOutputTracker();
    t.register('j1', 0, 2, 0, loc('w1'), MapStatus.of([]));
    t.register('j1', 0, 2, 1, loc('w2'), MapStatus.of([]));
    t.register('j1', 1, 1, 0, loc('w1'), MapStatus.of([]));
    t.register('j10', 0, 1, 0, loc('w1'), MapStatus.of([]));
    const e0 = t.epoch;
    assert.equal(t.removeJobOutputsOn('j1', 'w1'), 2);
    assert.deepEqual(t.missing('j1', 0, 2), [0]);
    assert.deepEqual(t.missing('j1', 1, 1), [0]);
    assert.deepEqual(t.missing('j10', 0, 1), [], "another job's output on w1 stays");
    const e1 = t.epoch;
    assert.ok(e1 > e0);
    assert.equal(t.removeJobOutputsOn('j1', 'w1'), 0);
    assert.ok(t.epoch > e1, 'even when nothing was there');
    const e2 = t.epoch;
    t.removeOutputsOn('j1', 0, 'w9');
    assert.ok(t.epoch > e2);
    const e3 = t.epoch;
    t.removeWorker('w9');
    assert.ok(t.epoch > e3);
  });

  test('clearJob drops every shuffle of the job, and only of that job', () => {
    const t = new MapOutputTracker();
    t.register('j1', 0, 1, 0, loc('w1'), MapStatus.of([]));
    t.register('j1', 3, 1, 0, loc('w1'), MapStatus.of([]));
    t.register('j10', 0, 1, 0, loc('w1'), MapStatus.of([]));
    t.register('j2', 0, 1, 0, loc('w2'), MapStatus.of([]));
    assert.equal(t.size, 4);
    t.clearJob('j1');
    assert.equal(t.size, 2, 'j10 is a different job from j1');
    assert.deepEqual(t.missing('j10', 0, 1), []);
    assert.equal(t.locations('j1', 0), undefined);
    t.clearJob('j10');
    t.clearJob('j2');
    assert.equal(t.size, 0, 'every per-job entry is gone when the jobs end');
  });

  test('outputsOn lists a worker\'s map outputs; updateLocation moves one (sizes kept) only from where it was found', () => {
    const t = new MapOutputTracker();
    t.register('job-a', 0, 3, 0, loc('w1'), MapStatus.of([4, 0]));
    t.register('job-a', 0, 3, 1, loc('w2'), MapStatus.of([0, 7]));
    t.register('job-a', 0, 3, 2, loc('w1'), MapStatus.of([1, 1]));
    t.register('job-b', 5, 1, 0, loc('w1'), MapStatus.of([9]));
    assert.deepEqual(t.outputsOn('w1'), [
      { jobId: 'job-a', shuffleId: 0, mapPartition: 0 },
      { jobId: 'job-a', shuffleId: 0, mapPartition: 2 },
      { jobId: 'job-b', shuffleId: 5, mapPartition: 0 },
    ]);
    assert.equal(t.updateLocation('job-a', 0, 2, 'w1', loc('w3')), true);
    assert.deepEqual(t.locations('job-a', 0), [loc('w1'), loc('w2'), loc('w3')]);
    assert.deepEqual(
      t.statuses('job-a', 0).map((x) => [x?.isEmpty(0), x?.isEmpty(1)]),
      [
        [false, true],
        [true, false],
        [false, false],
      ],
      'a moved output keeps its status',
    );
    // Not where the mover found it (moved already, or lost and re-run elsewhere): nothing changes.
    assert.equal(t.updateLocation('job-a', 0, 2, 'w1', loc('w4')), false);
    assert.equal(t.updateLocation('job-a', 0, 9, 'w1', loc('w4')), false);
    t.removeWorker('w2');
    assert.equal(t.updateLocation('job-a', 0, 1, 'w2', loc('w4')), false);
    assert.deepEqual(t.missing('job-a', 0, 3), [1]);
    assert.deepEqual(t.outputsOn('w1').length, 2);
  });
});
