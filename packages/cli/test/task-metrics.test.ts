// A task's metrics as Spark's (TaskMetrics, AppStatusUtils.schedulerDelay), on `sluice run`'s
// cluster of 2 worker processes, through REST and the stage page in Chromium. The fixture
// (task-metrics.ts) takes at least LOAD_MS to load, which a worker's task thread does for the
// job's first task there (its deserialization), and sums 3 partitions of numbers by i % 7 over 4
// reduce partitions, partition 1's map task computing at least COMPUTE_MS more. Checked:
// - records: each map task wrote its partition's distinct keys (map-side combine), each reduce
//   task read, for each of its keys (the job's own output says which), one record from every
//   map partition holding that key: both computed here from the numbers alone;
// - times: every one 0 or more; what the worker measured (deserialization, run, result
//   serialization) and the driver's getting of the result within the duration the driver
//   measured, the scheduler delay the rest; some map task's deserialization at least LOAD_MS,
//   partition 1's run time at least COMPUTE_MS, shuffle read blocked time within the run time;
// - taskSummary: each metric at Spark's quantile index min(floor(q * n), n - 1) of taskList's;
// - executorSummary: each worker's records the sums of its tasks';
// - the stage pages (Chromium): Spark's Summary Metrics rows (Scheduler Delay, Task
//   Deserialization Time, Result Serialization Time, Getting Result Time, Shuffle Read Blocked
//   Time, Shuffle Read Size / Records, Shuffle Write Size / Records) with taskList's quantiles,
//   the tasks table's columns with each task's figures, the executors' records. Screenshots
//   test-artifacts/ui-stage-task-metrics-map.png and -reduce.png.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture } from './harness.js';
import { withHeldRun } from './held-run.js';
import { shownBytes, shownMs } from './page-format.js';

const N = 3000;
const MAPS = 3;
const KEYS = 7;
/** As the fixture's. */
const LOAD_MS = 400;
const COMPUTE_MS = 300;
const FAIL_MS = 300;
const QUANTILES = [0, 0.25, 0.5, 0.75, 1];

interface Task {
  taskId: string;
  partitionId: number;
  status: string;
  duration: number;
  executorId: string;
  schedulerDelay: number;
  gettingResultTime: number;
  taskMetrics: {
    executorDeserializeTime: number;
    executorRunTime: number;
    resultSerializationTime: number;
    shuffleReadMetrics: { totalBytesRead: number; recordsRead: number; fetchWaitTime: number };
    shuffleWriteMetrics: { bytesWritten: number; recordsWritten: number };
  };
}

/** A SparkListener's taskEnd.taskMetrics (core's TaskMetrics), as the fixture prints them. */
type ListenerMetrics = Task['taskMetrics'] & { resultSize: number; shuffleWriteBytes: number; shuffleReadBytes: number };

/** Spark's quantiles of `values` (AppStatusUtils.getQuantilesValue): the value at min(floor(q * n), n - 1) of the sorted values. */
function quantiles(values: readonly number[]): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return QUANTILES.map((q) => sorted[Math.min(Math.floor(q * sorted.length), sorted.length - 1)]);
}

function rows(page: Page, selector: string): Promise<string[][]> {
  return inPage(page, `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)})].map((tr) => [...tr.cells].map((td) => td.textContent))`);
}

test("task metrics as Spark's: shuffle records, deserialization, run time, scheduler delay, in REST and on the stage page (Chromium)", { timeout: 200_000 }, async () => {
  await withHeldRun('task-metrics', (dir) => [fixture('task-metrics.ts'), dir, String(N)], { holdMs: 120_000, ready: (run) => run.stdout.some((l) => l.startsWith('FAILEDEND ')) }, async (run) => {
    const keysLine = run.stdout.find((l) => l.startsWith('KEYS '));
    assert.ok(keysLine, run.stdout.join('\n'));
    const [, keysJson, jobId] = keysLine.split(' ');
    const keysOf = new Map((JSON.parse(keysJson) as [number, number[]][]).map(([p, ks]) => [p, ks]));
    assert.deepEqual([...keysOf.values()].flat().sort(), Array.from({ length: KEYS }, (_, k) => k).sort(), 'every key once');

    // Expected from the numbers alone: parallelize's slices (Spark's: [floor(i * n / p), floor((i + 1) * n / p))), their keys.
    const slices = Array.from({ length: MAPS }, (_, i) => Array.from({ length: Math.floor(((i + 1) * N) / MAPS) - Math.floor((i * N) / MAPS) }, (_, j) => Math.floor((i * N) / MAPS) + j));
    const sliceKeys = slices.map((s) => new Set(s.map((x) => x % KEYS)));
    const written = sliceKeys.map((ks) => ks.size);
    const read = Array.from({ length: 4 }, (_, p) => (keysOf.get(p) ?? []).reduce((a, k) => a + sliceKeys.filter((ks) => ks.has(k)).length, 0));

    const root = run.root;
    const [app] = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string }[];
    const rest = `${root}/api/v1/applications/${app.id}`;
    const [mapStage, reduceStage] = ((await (await fetch(`${rest}/jobs/${jobId}`)).json()) as { stageIds: number[] }).stageIds.sort((a, b) => a - b);
    const tasksOf = async (stage: number): Promise<Task[]> => ((await (await fetch(`${rest}/stages/${stage}/0/taskList?length=100`)).json()) as Task[]).sort((a, b) => a.partitionId - b.partitionId);
    const maps = await tasksOf(mapStage);
    const reduces = await tasksOf(reduceStage);
    assert.deepEqual(maps.map((t) => t.status), ['SUCCESS', 'SUCCESS', 'SUCCESS']);
    assert.deepEqual(reduces.map((t) => t.status), ['SUCCESS', 'SUCCESS', 'SUCCESS', 'SUCCESS']);

    // Records.
    assert.deepEqual(maps.map((t) => t.taskMetrics.shuffleWriteMetrics.recordsWritten), written, "each map task's distinct keys");
    assert.deepEqual(reduces.map((t) => t.taskMetrics.shuffleReadMetrics.recordsRead), read, "each reduce task's keys, one record from each map partition holding it");
    assert.deepEqual(maps.map((t) => t.taskMetrics.shuffleReadMetrics.recordsRead), [0, 0, 0]);
    assert.deepEqual(reduces.map((t) => t.taskMetrics.shuffleWriteMetrics.recordsWritten), [0, 0, 0, 0]);

    // The program's SparkListener: onTaskEnd's taskMetrics in Spark's shape, the same records (its
    // sums the counts from the numbers), its times whole and 0 or more, and the same figures REST gives.
    const endsLine = run.stdout.find((l) => l.startsWith('TASKENDS '));
    assert.ok(endsLine, run.stdout.join('\n'));
    const ends = JSON.parse(endsLine.slice('TASKENDS '.length)) as { stageId: number; index: number; taskId: string; taskMetrics: ListenerMetrics }[];
    const endsOf = (stage: number): ListenerMetrics[] => ends.filter((e) => e.stageId === stage).sort((a, b) => a.index - b.index).map((e) => e.taskMetrics);
    assert.deepEqual(ends.map((e) => e.stageId).sort(), [...Array<number>(MAPS).fill(mapStage), ...Array<number>(4).fill(reduceStage)], 'one end for each successful task of the two stages');
    const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
    assert.equal(sum(ends.map((e) => e.taskMetrics.shuffleWriteMetrics.recordsWritten)), sum(written), "the listener's records written: the map tasks' distinct keys");
    assert.equal(sum(ends.map((e) => e.taskMetrics.shuffleReadMetrics.recordsRead)), sum(read), "the listener's records read: the reduce tasks' keys from each map partition");
    assert.deepEqual(endsOf(mapStage).map((m) => [m.shuffleWriteMetrics.recordsWritten, m.shuffleReadMetrics.recordsRead]), written.map((w) => [w, 0]));
    assert.deepEqual(endsOf(reduceStage).map((m) => [m.shuffleReadMetrics.recordsRead, m.shuffleWriteMetrics.recordsWritten]), read.map((r) => [r, 0]));
    for (const e of ends) {
      const m = e.taskMetrics;
      assert.ok([m.executorDeserializeTime, m.executorRunTime, m.resultSerializationTime, m.shuffleReadMetrics.fetchWaitTime].every((v) => Number.isInteger(v) && v >= 0), `whole ms, 0 or more: ${JSON.stringify(e)}`);
      assert.ok(m.resultSize > 0, `a successful task sent the driver something: ${JSON.stringify(e)}`);
      const t = [...maps, ...reduces].find((x) => x.taskId === e.taskId);
      assert.ok(t, `REST has task ${e.taskId}`);
      const { shuffleWriteBytes: _w, shuffleReadBytes: _r, ...spark } = m;
      assert.deepEqual(spark, t.taskMetrics, `task ${e.taskId}: the listener's taskMetrics, REST's`);
      assert.deepEqual([m.shuffleWriteBytes, m.shuffleReadBytes], [m.shuffleWriteMetrics.bytesWritten, m.shuffleReadMetrics.totalBytesRead], 'the old fields, the same bytes');
    }
    assert.ok(endsOf(mapStage)[1].executorRunTime >= COMPUTE_MS, `partition 1's run time, the worker's compute (${COMPUTE_MS} ms at least): ${JSON.stringify(endsOf(mapStage)[1])}`);

    // Times: the worker's within the driver's duration, the scheduler delay the rest.
    for (const t of [...maps, ...reduces]) {
      const m = t.taskMetrics;
      const parts = [m.executorDeserializeTime, m.executorRunTime, m.resultSerializationTime, t.gettingResultTime, m.shuffleReadMetrics.fetchWaitTime, t.schedulerDelay];
      assert.ok(parts.every((v) => Number.isInteger(v) && v >= 0), `whole ms, 0 or more: ${JSON.stringify(t)}`);
      const measured = m.executorDeserializeTime + m.executorRunTime + m.resultSerializationTime + t.gettingResultTime;
      assert.ok(measured <= t.duration, `deserialization + run + serialization + getting result within the duration the driver saw: ${JSON.stringify(t)}`);
      assert.equal(t.schedulerDelay, t.duration - measured, `scheduler delay, the rest: ${JSON.stringify(t)}`);
      assert.ok(m.shuffleReadMetrics.fetchWaitTime <= m.executorRunTime, `waiting for shuffle segments is part of the run: ${JSON.stringify(t)}`);
    }
    assert.ok(Math.max(...maps.map((t) => t.taskMetrics.executorDeserializeTime)) >= LOAD_MS, `a thread's first task loads the module (${LOAD_MS} ms at least): ${JSON.stringify(maps)}`);
    assert.ok(maps[1].taskMetrics.executorRunTime >= COMPUTE_MS, `partition 1 computes ${COMPUTE_MS} ms at least: ${JSON.stringify(maps[1])}`);

    // taskSummary: Spark's quantiles of taskList's figures.
    for (const [stage, ts] of [[mapStage, maps], [reduceStage, reduces]] as const) {
      const s = (await (await fetch(`${rest}/stages/${stage}/0/taskSummary?quantiles=${QUANTILES.join(',')}`)).json()) as Record<string, unknown> & { shuffleReadMetrics: Record<string, number[]>; shuffleWriteMetrics: Record<string, number[]> };
      assert.deepEqual(
        {
          schedulerDelay: s.schedulerDelay,
          executorDeserializeTime: s.executorDeserializeTime,
          executorRunTime: s.executorRunTime,
          resultSerializationTime: s.resultSerializationTime,
          gettingResultTime: s.gettingResultTime,
          readRecords: s.shuffleReadMetrics.readRecords,
          fetchWaitTime: s.shuffleReadMetrics.fetchWaitTime,
          writeRecords: s.shuffleWriteMetrics.writeRecords,
        },
        {
          schedulerDelay: quantiles(ts.map((t) => t.schedulerDelay)),
          executorDeserializeTime: quantiles(ts.map((t) => t.taskMetrics.executorDeserializeTime)),
          executorRunTime: quantiles(ts.map((t) => t.taskMetrics.executorRunTime)),
          resultSerializationTime: quantiles(ts.map((t) => t.taskMetrics.resultSerializationTime)),
          gettingResultTime: quantiles(ts.map((t) => t.gettingResultTime)),
          readRecords: quantiles(ts.map((t) => t.taskMetrics.shuffleReadMetrics.recordsRead)),
          fetchWaitTime: quantiles(ts.map((t) => t.taskMetrics.shuffleReadMetrics.fetchWaitTime)),
          writeRecords: quantiles(ts.map((t) => t.taskMetrics.shuffleWriteMetrics.recordsWritten)),
        },
        `stage ${stage}'s taskSummary`,
      );
      // executorSummary: each worker's records, its tasks' sums.
      const byExec = ((await (await fetch(`${rest}/stages/${stage}/0`)).json()) as { executorSummary: Record<string, { shuffleReadRecords: number; shuffleWriteRecords: number }> }).executorSummary;
      const sums: Record<string, { shuffleReadRecords: number; shuffleWriteRecords: number }> = {};
      for (const t of ts) {
        const e = (sums[t.executorId] ??= { shuffleReadRecords: 0, shuffleWriteRecords: 0 });
        e.shuffleReadRecords += t.taskMetrics.shuffleReadMetrics.recordsRead;
        e.shuffleWriteRecords += t.taskMetrics.shuffleWriteMetrics.recordsWritten;
      }
      assert.deepEqual(Object.fromEntries(Object.entries(byExec).map(([id, e]) => [id, { shuffleReadRecords: e.shuffleReadRecords, shuffleWriteRecords: e.shuffleWriteRecords }])), sums, `stage ${stage}'s executorSummary`);
    }

    // A failed attempt (Spark's ExceptionFailure carries the task's metrics): the FAILING job's
    // reduce partition 0 read its shuffle records and computed FAIL_MS before it threw.
    const failingLine = run.stdout.find((l) => l.startsWith('FAILING '));
    assert.ok(failingLine, run.stdout.join('\n'));
    const [, failingJson, failingJob] = failingLine.split(' ');
    const failingKeys = new Map((JSON.parse(failingJson) as [number, number[]][]).map(([p, ks]) => [p, ks]));
    const failedRead = (failingKeys.get(0) ?? []).reduce((a, k) => a + sliceKeys.filter((ks) => ks.has(k)).length, 0);
    assert.ok(failedRead > 0, failingLine);
    const failingReduce = Math.max(...((await (await fetch(`${rest}/jobs/${failingJob}`)).json()) as { stageIds: number[] }).stageIds);
    const failingTasks = await tasksOf(failingReduce);
    const failed = failingTasks.find((t) => t.status === 'FAILED');
    assert.ok(failed && failed.partitionId === 0, JSON.stringify(failingTasks));
    const fm = failed.taskMetrics;
    assert.ok(fm.executorRunTime >= FAIL_MS, `the failed attempt's run time, to its throw (${FAIL_MS} ms at least): ${JSON.stringify(failed)}`);
    assert.equal(fm.shuffleReadMetrics.recordsRead, failedRead, `the failed attempt read partition 0's keys, one record from each map partition holding one: ${JSON.stringify(failed)}`);
    assert.deepEqual([fm.executorDeserializeTime, fm.resultSerializationTime, fm.shuffleWriteMetrics.recordsWritten], [0, 0, 0], "as Spark's: no deserialization time, nothing serialized or written");
    assert.ok(fm.executorRunTime <= failed.duration && fm.shuffleReadMetrics.fetchWaitTime <= fm.executorRunTime, JSON.stringify(failed));
    assert.equal(failed.schedulerDelay, failed.duration - fm.executorRunTime, `scheduler delay, the rest: ${JSON.stringify(failed)}`);
    // The shuffle bytes it read before it threw: the same map outputs its successful retry read whole.
    const retry = failingTasks.find((t) => t.status === 'SUCCESS' && t.partitionId === 0);
    assert.ok(retry && retry.taskMetrics.shuffleReadMetrics.totalBytesRead > 0, JSON.stringify(failingTasks));
    assert.equal(fm.shuffleReadMetrics.totalBytesRead, retry.taskMetrics.shuffleReadMetrics.totalBytesRead, `the failed attempt's shuffle bytes read: ${JSON.stringify(failed)}`);
    // The stage's total counts every attempt, the failed one's too, as Spark's stage metrics add each task end's.
    const failingStage = ((await (await fetch(`${rest}/stages/${failingReduce}`)).json()) as { shuffleReadBytes: number }[])[0]!;
    assert.equal(failingStage.shuffleReadBytes, failingTasks.reduce((n, t) => n + t.taskMetrics.shuffleReadMetrics.totalBytesRead, 0), 'the stage total: every attempt');
    // So does each executor's totalShuffleRead (Spark's AppStatusListener adds every task end's but a Resubmitted one's): the two reduce stages' attempts, the failed one's too (the maps and the held count read none).
    const executors = (await (await fetch(`${rest}/executors`)).json()) as { totalShuffleRead: number }[];
    const allRead = [...reduces, ...failingTasks].reduce((n, t) => n + t.taskMetrics.shuffleReadMetrics.totalBytesRead, 0);
    assert.equal(executors.reduce((n, e) => n + e.totalShuffleRead, 0), allRead, `the executors' shuffle read: every attempt's: ${JSON.stringify(executors)}`);
    const failedEndLine = run.stdout.find((l) => l.startsWith('FAILEDEND '));
    assert.ok(failedEndLine, run.stdout.join('\n'));
    const failedEnds = JSON.parse(failedEndLine.slice('FAILEDEND '.length)) as { taskId: string; reason: string; taskMetrics: ListenerMetrics }[];
    assert.deepEqual(failedEnds.map((e) => [e.taskId, e.reason, e.taskMetrics.executorRunTime, e.taskMetrics.shuffleReadMetrics.recordsRead]), [[failed.taskId, 'ExceptionFailure', fm.executorRunTime, failedRead]], "the listener's onTaskEnd for the failed attempt");
    // taskSummary stays over the successful attempts (Spark's SPARK-26260).
    const failingOk = failingTasks.filter((t) => t.status === 'SUCCESS');
    const failingSummary = (await (await fetch(`${rest}/stages/${failingReduce}/0/taskSummary?quantiles=${QUANTILES.join(',')}`)).json()) as { executorRunTime: number[] };
    assert.deepEqual(failingSummary.executorRunTime, quantiles(failingOk.map((t) => t.taskMetrics.executorRunTime)), 'the summary: successful attempts only');

    // The stage pages in Chromium.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      for (const [stage, ts, name] of [[mapStage, maps, 'map'], [reduceStage, reduces, 'reduce']] as const) {
        await page.goto(`${root}/jobs/${app.id}/stages/stage/?id=${stage}&attempt=0`);
        const summary = new Map((await rows(page, '#summary-metrics')).map(([metric, ...cells]) => [metric, cells]));
        const timesRow = (f: (t: Task) => number): string[] => quantiles(ts.map(f)).map(shownMs);
        const sizeRecords = (b: (t: Task) => number, r: (t: Task) => number): string[] => {
          const [bs, rs] = [quantiles(ts.map(b)), quantiles(ts.map(r))];
          return bs.map((v, i) => `${shownBytes(v)} / ${rs[i]}`);
        };
        const want = new Map<string, string[]>([
          ['Scheduler Delay', timesRow((t) => t.schedulerDelay)],
          ['Task Deserialization Time', timesRow((t) => t.taskMetrics.executorDeserializeTime)],
          ['Result Serialization Time', timesRow((t) => t.taskMetrics.resultSerializationTime)],
          ['Getting Result Time', timesRow((t) => t.gettingResultTime)],
        ]);
        if (name === 'map') want.set('Shuffle Write Size / Records', sizeRecords((t) => t.taskMetrics.shuffleWriteMetrics.bytesWritten, (t) => t.taskMetrics.shuffleWriteMetrics.recordsWritten));
        else {
          want.set('Shuffle Read Blocked Time', timesRow((t) => t.taskMetrics.shuffleReadMetrics.fetchWaitTime));
          want.set('Shuffle Read Size / Records', sizeRecords((t) => t.taskMetrics.shuffleReadMetrics.totalBytesRead, (t) => t.taskMetrics.shuffleReadMetrics.recordsRead));
        }
        for (const [metric, cells] of want) assert.deepEqual(summary.get(metric), cells, `stage ${stage}'s Summary Metrics row ${metric}: ${JSON.stringify([...summary])}`);
        // The tasks table: each task's figures under Spark's headers.
        const head = await inPage<string[]>(page, `[...document.querySelectorAll('#tasks thead th')].map((th) => th.textContent)`);
        const col = (h: string): number => {
          const i = head.indexOf(h);
          assert.ok(i >= 0, `no column ${h} in ${JSON.stringify(head)}`);
          return i;
        };
        const byId = new Map((await inPage<[string, string[]][]>(page, `[...document.querySelectorAll('#tasks tbody tr')].map((tr) => [tr.dataset.task, [...tr.cells].map((td) => td.textContent)])`)).map(([id, cells]) => [id, cells]));
        for (const t of ts) {
          const cells = byId.get(t.taskId)!;
          const m = t.taskMetrics;
          assert.deepEqual(
            [cells[col('Scheduler Delay')], cells[col('Task Deserialization Time')], cells[col('Result Serialization Time')], cells[col('Getting Result Time')], cells[col('Shuffle Read Blocked Time')], cells[col('Shuffle Read Size / Records')], cells[col('Shuffle Write Size / Records')]],
            [
              shownMs(t.schedulerDelay),
              shownMs(m.executorDeserializeTime),
              shownMs(m.resultSerializationTime),
              shownMs(t.gettingResultTime),
              shownMs(m.shuffleReadMetrics.fetchWaitTime),
              `${shownBytes(m.shuffleReadMetrics.totalBytesRead)} / ${m.shuffleReadMetrics.recordsRead}`,
              `${shownBytes(m.shuffleWriteMetrics.bytesWritten)} / ${m.shuffleWriteMetrics.recordsWritten}`,
            ],
            `task ${t.taskId}'s row`,
          );
        }
        // Aggregated Metrics by Executor: each worker's records.
        const execRows = await rows(page, '#executor-summary');
        const recordsShown = (cell: string): number => Number(cell.split(' / ')[1]);
        assert.equal(
          execRows.reduce((a, r) => a + recordsShown(name === 'map' ? r[8] : r[7]), 0),
          name === 'map' ? written.reduce((a, b) => a + b, 0) : read.reduce((a, b) => a + b, 0),
          `stage ${stage}'s records by executor: ${JSON.stringify(execRows)}`,
        );
        await page.screenshot({ path: path.join(ARTIFACTS, `ui-stage-task-metrics-${name}.png`), fullPage: true });
      }
      // The failed attempt's row and timeline bar: the worker's figures, as Spark's stage page shows a failed task's.
      await page.goto(`${root}/jobs/${app.id}/stages/stage/?id=${failingReduce}&attempt=0`);
      const head = await inPage<string[]>(page, `[...document.querySelectorAll('#tasks thead th')].map((th) => th.textContent)`);
      const failedCells = await inPage<string[]>(page, `[...document.querySelector('#tasks tbody tr[data-task=${JSON.stringify(failed.taskId)}]').cells].map((td) => td.textContent)`);
      const cell = (h: string): string => failedCells[head.indexOf(h)];
      assert.deepEqual(
        [cell('Status'), cell('Scheduler Delay'), cell('Task Deserialization Time'), cell('Shuffle Read Blocked Time'), cell('Shuffle Read Size / Records')],
        ['FAILED', shownMs(failed.schedulerDelay), shownMs(0), shownMs(fm.shuffleReadMetrics.fetchWaitTime), `${shownBytes(fm.shuffleReadMetrics.totalBytesRead)} / ${failedRead}`],
        `the failed attempt's row: ${JSON.stringify(failedCells)}`,
      );
      const barTitle = await inPage<string>(page, `document.querySelector('#task-timeline rect.tl-bar[data-id=${JSON.stringify(failed.taskId)}]').parentElement.querySelector('title').textContent`);
      assert.ok(barTitle.includes(`\nExecutor Computing Time: ${shownMs(fm.executorRunTime)}\n`), `the failed attempt's timeline bar: ${barTitle}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-stage-task-metrics-failed.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
