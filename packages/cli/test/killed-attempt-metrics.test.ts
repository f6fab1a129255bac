// A task attempt the driver kills while it runs has what its worker measured until the kill, as
// Spark's TaskKilled carries the task's metrics (its task thread writes its counters into memory
// the worker's main thread reads when it kills the thread); and a stage's and an executor's
// shuffle read total count every attempt, killed and failed ones too, as Spark's AppStatusListener
// adds every task end's metrics. On `sluice run`'s cluster of 2 worker processes with speculation
// on: the fixture (killed-attempt-metrics.ts) sums 3 partitions of numbers by i % 7 over 4 reduce
// partitions, reduce partition 0's first attempt computing after it read its records until it is
// killed (its speculative copy wins). Checked through REST and the stage page in Chromium:
// - the killed attempt's shuffle records read: for each of partition 0's keys (the job's output
//   says which), one record from every map partition holding it, computed here from the numbers;
//   its bytes read those its winning copy read from the same map outputs; a run time, no
//   deserialization, nothing serialized or written;
// - the stage's shuffleReadBytes the sum over all its attempts (the killed one's too), the
//   executors' totalShuffleRead the sum over all the job's attempts;
// - the stage page: the killed attempt's row and timeline bar, the stage's Shuffle Read.
// Screenshot test-artifacts/ui-stage-killed-attempt.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil } from './harness.js';
import { withHeldRun } from './held-run.js';
import { shownBytes, shownMs } from './page-format.js';

const N = 3000;
const MAPS = 3;
const KEYS = 7;

interface Task {
  taskId: string;
  partitionId: number;
  status: string;
  speculative: boolean;
  duration: number;
  errorMessage?: string;
  schedulerDelay: number;
  taskMetrics: {
    executorDeserializeTime: number;
    executorRunTime: number;
    resultSerializationTime: number;
    shuffleReadMetrics: { totalBytesRead: number; recordsRead: number; fetchWaitTime: number };
    shuffleWriteMetrics: { bytesWritten: number; recordsWritten: number };
  };
}

test("a running attempt the driver kills (a speculation loser) has what its worker measured, in REST and on the stage page (Chromium); shuffle read totals count every attempt", { timeout: 200_000 }, async () => {
  const args = (dir: string): string[] => ['--speculation', '--speculation-min-runtime', '500ms', fixture('killed-attempt-metrics.ts'), dir, String(N)];
  await withHeldRun('killed-metrics', args, { holdMs: 150_000, ready: (run) => run.stdout.some((l) => l.startsWith('KEYS ')) }, async (run) => {
    assert.ok(fs.existsSync(path.join(run.dir, 'p0.copy')), 'partition 0 ran a second attempt');
    const keysLine = run.stdout.find((l) => l.startsWith('KEYS '));
    assert.ok(keysLine, run.stdout.join('\n'));
    const [, keysJson, jobId] = keysLine.split(' ');
    const keys0 = new Map(JSON.parse(keysJson) as [number, number[]][]).get(0) ?? [];
    assert.ok(keys0.length > 0, keysLine);
    // Expected from the numbers alone: parallelize's slices (Spark's: [floor(i * n / p), floor((i + 1) * n / p))), their keys;
    // partition 0 reads one record (map-side combined) of each of its keys from each slice holding it.
    const sliceKeys = Array.from({ length: MAPS }, (_, i) => new Set(Array.from({ length: Math.floor(((i + 1) * N) / MAPS) - Math.floor((i * N) / MAPS) }, (_, j) => (Math.floor((i * N) / MAPS) + j) % KEYS)));
    const read0 = keys0.reduce((a, k) => a + sliceKeys.filter((ks) => ks.has(k)).length, 0);

    const root = run.root;
    const [app] = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string }[];
    const rest = `${root}/api/v1/applications/${app.id}`;
    const get = async <T>(p: string): Promise<T> => (await (await fetch(`${rest}/${p}`)).json()) as T;
    const [mapStage, reduceStage] = (await get<{ stageIds: number[] }>(`jobs/${jobId}`)).stageIds.sort((a, b) => a - b);
    // The worker's answer to the kill comes after the kill's end: its figures amend the attempt's record.
    const tasks = await pollUntil(async () => {
      const ts = await get<Task[]>(`stages/${reduceStage}/0/taskList?length=100`);
      const k = ts.find((t) => t.status === 'KILLED');
      return k !== undefined && k.taskMetrics.shuffleReadMetrics.recordsRead > 0 ? ts : undefined;
    }, 30_000, "the killed attempt's figures in REST");
    const killed = tasks.find((t) => t.status === 'KILLED')!;
    const copy = tasks.find((t) => t.status === 'SUCCESS' && t.partitionId === 0);
    assert.ok(copy && copy.speculative && killed.partitionId === 0 && !killed.speculative, JSON.stringify(tasks));
    assert.equal(killed.errorMessage, 'another attempt succeeded', JSON.stringify(killed));
    const km = killed.taskMetrics;
    assert.equal(km.shuffleReadMetrics.recordsRead, read0, `the killed attempt read partition 0's keys, one record from each map partition holding one: ${JSON.stringify(killed)}`);
    assert.equal(copy.taskMetrics.shuffleReadMetrics.recordsRead, read0, JSON.stringify(copy));
    assert.ok(km.shuffleReadMetrics.totalBytesRead > 0, JSON.stringify(killed));
    assert.equal(km.shuffleReadMetrics.totalBytesRead, copy.taskMetrics.shuffleReadMetrics.totalBytesRead, "the killed attempt's bytes read: the same map outputs its copy read");
    assert.ok(km.executorRunTime > 0 && km.executorRunTime <= killed.duration, `a run time, within the attempt's duration: ${JSON.stringify(killed)}`);
    assert.ok(km.shuffleReadMetrics.fetchWaitTime <= km.executorRunTime, JSON.stringify(killed));
    assert.deepEqual([km.executorDeserializeTime, km.resultSerializationTime, km.shuffleWriteMetrics.recordsWritten, km.shuffleWriteMetrics.bytesWritten], [0, 0, 0, 0], "as Spark's TaskKilled: no deserialization time, nothing serialized or written");

    // Every attempt's reads in the totals (Spark's stage metrics and executor totals add each task end's).
    const allRead = tasks.reduce((a, t) => a + t.taskMetrics.shuffleReadMetrics.totalBytesRead, 0);
    const okRead = tasks.filter((t) => t.status === 'SUCCESS').reduce((a, t) => a + t.taskMetrics.shuffleReadMetrics.totalBytesRead, 0);
    assert.equal(allRead, okRead + km.shuffleReadMetrics.totalBytesRead, JSON.stringify(tasks));
    const [stage] = await get<{ shuffleReadBytes: number; executorRunTime: number }[]>(`stages/${reduceStage}`);
    assert.equal(stage.shuffleReadBytes, allRead, "the stage's shuffle read: every attempt's, the killed one's too");
    assert.equal(stage.executorRunTime, tasks.reduce((a, t) => a + t.taskMetrics.executorRunTime, 0), "the stage's run time: every attempt's");
    const mapTasks = await get<Task[]>(`stages/${mapStage}/0/taskList?length=100`);
    const executors = await get<{ id: string; totalShuffleRead?: number }[]>('executors');
    const jobRead = [...mapTasks, ...tasks].reduce((a, t) => a + t.taskMetrics.shuffleReadMetrics.totalBytesRead, 0);
    assert.equal(executors.reduce((a, e) => a + (e.totalShuffleRead ?? 0), 0), jobRead, `the executors' totalShuffleRead: every attempt's: ${JSON.stringify(executors)}`);

    // The stage page in Chromium: the killed attempt's row and timeline bar, the stage's Shuffle Read.
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      await page.goto(`${root}/jobs/${app.id}/stages/stage/?id=${reduceStage}&attempt=0`);
      const head = await inPage<string[]>(page, `[...document.querySelectorAll('#tasks thead th')].map((th) => th.textContent)`);
      const cells = await inPage<string[]>(page, `[...document.querySelector('#tasks tbody tr[data-task=${JSON.stringify(killed.taskId)}]').cells].map((td) => td.textContent)`);
      const cell = (h: string): string => {
        assert.ok(head.includes(h), `no column ${h} in ${JSON.stringify(head)}`);
        return cells[head.indexOf(h)];
      };
      assert.deepEqual(
        [cell('Status'), cell('Task Deserialization Time'), cell('Shuffle Read Blocked Time'), cell('Shuffle Read Size / Records')],
        ['KILLED', shownMs(0), shownMs(km.shuffleReadMetrics.fetchWaitTime), `${shownBytes(km.shuffleReadMetrics.totalBytesRead)} / ${read0}`],
        `the killed attempt's row: ${JSON.stringify(cells)}`,
      );
      const barTitle = await inPage<string>(page, `document.querySelector('#task-timeline rect.tl-bar[data-id=${JSON.stringify(killed.taskId)}]').parentElement.querySelector('title').textContent`);
      assert.ok(barTitle.includes(`\nExecutor Computing Time: ${shownMs(km.executorRunTime)}\n`), `the killed attempt's timeline bar: ${barTitle}`);
      const shuffleRead = await inPage<string>(page, `document.querySelector('[data-field="Shuffle Read"]').textContent`);
      assert.equal(shuffleRead, shownBytes(allRead), "the stage's Shuffle Read, every attempt's");
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-stage-killed-attempt.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
