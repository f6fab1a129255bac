// Spark (Streaming) semantics on a real local cluster (a driver with its web port and 2 worker
// processes, started once for the file; one job runs every case). What each case expects is
// Spark's, worked out here from Spark's sources, not from Sluice's code:
// - JobGenerator.generateJobs / JobScheduler.submitJobSet: a batch where no output operation
//   makes a job (ForEachDStream.generateJob gives None when its parent has no RDD at the time,
//   as a window whose slide is not due) is an empty JobSet, which submitJobSet only logs ("No
//   jobs added for time ..."): no StreamingListenerBatchSubmitted/Started/Completed, so the
//   StreamingJobProgressListener (the UI, the REST API's streaming/batches and statistics)
//   never hears of it. generateJobs still posts DoCheckpoint for it, and the next batches'
//   clearMetadata forget its RDDs (DStream.clearMetadata unpersists generated RDDs older than
//   the remember duration).
// - DAGScheduler.updateAccumulators: for each successful task, its updates are merged into the
//   driver's accumulators; a named accumulator (acc.name.isDefined) whose update is not zero
//   sets stage.latestInfo.accumulables(id) = acc.toInfo(None, Some(acc.value)): the
//   accumulator's whole value after that task (so a later job's stage shows the running
//   total). AppStatusListener/LiveStage.toApi gives them as StageData.accumulatorUpdates, each
//   v1.AccumulableInfo(id, name, update = None, value = value.toString): a Long as "10", a
//   Double as Scala prints it ("55.0"). Unnamed accumulators and named ones no task of the
//   stage changed are not listed. Each successful task's updates are merged as it ends
//   (handleTaskCompletion, Success), so an action that then fails has still added what its
//   successful tasks, its shuffle map tasks included, added; their stage lists the value.
// - RDD.sample: require(fraction >= 0, s"Fraction must be nonnegative, but got ${fraction}");
//   without replacement BernoulliSampler's require(fraction <= 1 + roundingEpsilon, s"Sampling
//   fraction ($fraction) must be on interval [0, 1]") (1 itself accepted); with replacement
//   PoissonSampler takes any fraction >= 0. RDD.randomSplit: require(weights.forall(_ >= 0),
//   s"Weights must be nonnegative, but got ${weights.mkString("[", ",", "]")}") then
//   require(weights.sum > 0, s"Sum of weights must be positive, but got ..."), the weights
//   Doubles (Scala prints 2 as 2.0). RDD.takeSample: require(num >= 0, "Negative number of
//   elements requested"). Each an IllegalArgumentException when the call is made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertCasesDone, fixture, jsonLine, siteAt, startJob, withCluster, type JobRun } from './harness.js';

const SUITE = fixture('streaming-spark-suites12.ts');

test('Spark Streaming semantics, suite 12 (one job on a local cluster)', { timeout: 300_000 }, async (t) => {
  await withCluster({ workers: 2, driver: { webPort: 0 } }, async (h) => {
    const run: JobRun = await (await startJob(h.cluster, SUITE, [String(h.cluster.driver.webPort)])).done;
    assertCasesDone(run);

    await t.test('JobScheduler.submitJobSet: a batch where no output makes a job posts no listener event and is not in REST streaming/batches; its RDDs are still cleaned up', () => {
      const e = jsonLine<{ events: [string, number][]; ran: [number, number[]][]; persisted: number; restBatchIds: number[]; numTotalCompletedBatches: number }>(run.lines, 'X empty-batches ');
      // A window of 2 batches sliding by 2: due at 2 s, 4 s, 6 s, 8 s only.
      const due = [2, 4, 6, 8].map((i) => i * 1000);
      assert.deepEqual(
        e.events,
        due.flatMap((t) => [
          ['batchSubmitted', t],
          ['batchStarted', t],
          ['outputStarted', t],
          ['outputCompleted', t],
          ['batchCompleted', t],
        ]),
      );
      // Each due window holds batch t/1000 - 1's record and batch t/1000's.
      assert.deepEqual(
        e.ran,
        due.map((t) => [t, [t / 1000 - 1, t / 1000]]),
      );
      assert.deepEqual(e.restBatchIds, due);
      assert.equal(e.numTotalCompletedBatches, due.length);
      // DStream.initialize/remember: the output remembers its slide (2 s), the window that plus
      // its length (WindowedDStream.parentRememberDuration, 4 s), so once batch 8 s ended the
      // queue stream keeps the RDDs of (4 s, 8 s]: 4 of the 8 it generated.
      assert.equal(e.persisted, 4, 'persisted RDDs after 8 batches');
    });

    await t.test('DAGScheduler.updateAccumulators / StageData.accumulatorUpdates: a stage lists the named accumulators its tasks changed, each with its whole value after them', () => {
      type Acc = { id: number; name: string; value: string; update?: string };
      const a = jsonLine<{ ids: Record<string, number>; named: { name: string; accumulatorUpdates: Acc[] }[]; totals: number[] }>(run.lines, 'X accumulables ');
      // Stages named as Spark's StageInfo.name (StageData.name): a map stage by its map side's creation
      // site, a result stage by its job's action, each on the fixture's own line.
      const FILE = fixture('streaming-spark-suites12.ts');
      const names = [
        siteAt('map', FILE, 'const pairs = sc.parallelize(Array.from({ length: 10 }, (_, i) => i + 1), 2).map((x) => {'),
        siteAt('collect', FILE, 'await summed.collect();'),
        siteAt('count', FILE, 'await pairs.count();'),
      ];
      assert.equal(a.named.length, names.length, JSON.stringify(a.named));
      a.named.forEach((s, i) => assert.match(s.name, names[i]));
      const records = Array.from({ length: 10 }, (_, i) => i + 1);
      const keySums = [records.filter((x) => x % 2 === 0), records.filter((x) => x % 2 === 1)].map((xs) => xs.reduce((p, x) => p + x, 0));
      const total = keySums.reduce((p, x) => p + x, 0);
      const afterMap = records.length;
      const afterCollect = afterMap + keySums.length;
      const afterCount = afterCollect + records.length;
      // The driver program's own view: the counter over collect's map side, its 2 keys and count's pass; the key sums once.
      assert.deepEqual(a.totals, [afterCount, total, 2 * records.length, 0]);
      assert.deepEqual(a.named.map((s) => s.accumulatorUpdates), [
        // collect's shuffle map stage (its tasks end first): the row counter after its 10 records.
        [{ id: a.ids.rows, name: 'rows seen', value: String(afterMap) }],
        // collect's result stage: the counter after its 2 keys too, and the key sums (a Double printed by Scala: 55.0).
        [
          { id: a.ids.rows, name: 'rows seen', value: String(afterCollect) },
          { id: a.ids.sums, name: 'key sums', value: `${total}.0` },
        ],
        // count's stage over the map side again: the counter's running total.
        [{ id: a.ids.rows, name: 'rows seen', value: String(afterCount) }],
      ]);
    });

    await t.test("DAGScheduler.handleTaskCompletion: an action that fails still merges what its successful tasks added (its map stage's), and their stage's accumulatorUpdates show it", () => {
      type Acc = { id: number; name: string; value: string };
      const f = jsonLine<{ failed: { code?: string | null; error?: string }; valueAfter: number; id: number; shown: { name: string; accumulatorUpdates: Acc[] }[] }>(run.lines, 'X failed-action ');
      assert.equal(f.failed.code, 'SLUICE_TASK_FAILED', JSON.stringify(f.failed));
      assert.match(f.failed.error ?? '', /result task fails/);
      const records = 10;
      assert.equal(f.valueAfter, records, 'the accumulator right after the failed action');
      // The map stage alone (named by its map side's creation site, the fixture's line).
      assert.equal(f.shown.length, 1, JSON.stringify(f.shown));
      assert.match(f.shown[0].name, siteAt('map', fixture('streaming-spark-suites12.ts'), 'const pairs = sc.parallelize(Array.from({ length: 10 }, (_, i) => i), 2).map((x) => {'));
      assert.deepEqual(f.shown[0].accumulatorUpdates, [{ id: f.id, name: 'seen before the failure', value: String(records) }]);
    });

    await t.test('RDD.sample / randomSplit / takeSample: arguments their requires refuse carry Spark\'s sentences; a fraction of 1 without replacement is accepted', () => {
      type Outcome = { code: string | null; error: string } | { value?: unknown };
      const s = jsonLine<Record<string, Outcome>>(run.lines, 'X sampling-args ');
      const refused = (what: string, sentence: string): void => {
        const o = s[what];
        assert.ok(o !== undefined && 'error' in o, `${what} was accepted: ${JSON.stringify(o)}`);
        assert.equal(o.code, 'SLUICE_BAD_ARGUMENT', `${what}: ${o.error}`);
        assert.ok(o.error.includes(sentence), `${what}: '${o.error}' lacks '${sentence}'`);
      };
      refused('negative', 'Fraction must be nonnegative, but got -0.1');
      refused('negativeWithReplacement', 'Fraction must be nonnegative, but got -1.0');
      refused('notANumber', 'Fraction must be nonnegative, but got NaN');
      refused('aboveOne', 'Sampling fraction (2.0) must be on interval [0, 1]');
      refused('negativeWeight', 'Weights must be nonnegative, but got [0.5,-1.0,2.0]');
      refused('zeroWeights', 'Sum of weights must be positive, but got [0.0,0.0]');
      refused('negativeNum', 'Negative number of elements requested');
      for (const ok of ['one', 'aboveOneWithReplacement']) assert.ok(!('error' in s[ok]!), `${ok}: ${JSON.stringify(s[ok])}`);
    });
  });
});
