// Spark's UI tabs other than Jobs and Streaming, in a real browser (Debian's Chromium through
// playwright-core) on `sluice run`'s cluster of 2 worker processes: a batch job (fixture
// ui-tabs.ts) caches 1,000 numbers in 4 partitions under the name '<b>nums</b>', sums them by
// x % 10 over 3 reduce partitions, counts 120 one-number partitions, then holds in a 1-task stage
// while the test walks the pages by their tabs, from the overview, as a user would:
// - Environment: the properties set by the test's --conf (spark.task.maxFailures 3, spark.app.name)
//   and its --web-port (spark.ui.port); the cluster secret nowhere on the page;
// - Storage: the cached RDD with 4 of 4 partitions (100%), its name as text; its page lists
//   blocks rdd_ID_0..3, each on a worker of this cluster;
// - Stages: the 5 completed stages with 4, 4, 3, 120 and 2 tasks (the actions' partitions), 2 a page
//   sorted by Duration the longest first (from REST stages), the held one active with its task running (its page: the task RUNNING, no summary yet); the
//   120-task stage's page: its summary over 120 tasks (min and max the tasks' own, read from
//   REST taskList), by executor 120 tasks, and the tasks table paged (100 a page: every index
//   once over the 2 pages) and sorted by duration both ways, by launch order both ways and by
//   Launch Time, the latest first; the shuffle's reduce stage sorted by Shuffle Read both ways;
//   the shuffle's map and reduce stages' Summary Metrics Result Size (and REST taskSummary's)
//   the quantiles of REST taskList's resultSize, computed here;
//   the retried stage's page: its failed attempt with the error as text and the fixture's line that
//   threw, sorted by Status, Attempt and Errors (the failed attempt first);
// - Executors: 2 workers, 2 cores, 133 completed tasks (4 + 4 + 3 + 120 + 2), 1 failed, the held one active,
//   the RDD's 4 blocks;
// - the job page's actions 2 a page (action.pageSize), newest first, every action REST jobs lists once;
//   its stages link to their pages, and the overview links the job's four pages.
// Plus what needs no browser: bad and unknown page parameters (400, 404).
// Screenshots go to test-artifacts/ (ui-environment.png, ui-storage.png, ui-rdd.png, ui-stages.png,
// ui-stage.png, ui-stage-retried.png, ui-executors.png, ui-stages-sorted.png, ui-job-actions-paged.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, follow, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil } from './harness.js';
import { withHeldRun } from './held-run.js';
import { shownBytes, shownMs } from './page-format.js';

/** The rows of the table matching `selector`, each cell's text. */
function rows(page: Page, selector: string): Promise<string[][]> {
  return inPage(page, `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)})].map((tr) => [...tr.cells].map((td) => td.textContent))`);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });
}

test("Environment, Storage, Stages and Executors pages in Chromium, on sluice run's cluster", { timeout: 200_000 }, async () => {
  const browser = await launchChromium();
  await withHeldRun('ui-tabs', (dir) => ['--conf', 'spark.task.maxFailures=3', '--conf', 'spark.app.name=ui-tabs <app>', fixture('ui-tabs.ts'), dir], { holdMs: 120_000, ready: (run) => run.stdout.some((l) => l.startsWith('RETRIED ')) }, async (run) => {
    const line = run.line;
    const [, cached, rddId] = line('CACHED');
    assert.equal(cached, '1000');
    const manyJob = Number(line('MANY')[2]);
    const root = run.root;
    const apps = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string; name: string }[];
    const app = apps.find((a) => a.name === 'ui-tabs <app>');
    assert.ok(app, JSON.stringify(apps));
    const rest = `${root}/api/v1/applications/${app.id}`;
    const jobBase = `${root}/jobs/${app.id}/`;
    const [manyStage] = ((await (await fetch(`${rest}/jobs/${manyJob}`)).json()) as { stageIds: number[] }).stageIds;
    const workerIds = ((await (await fetch(`${root}/api/v1/workers`)).json()) as { id: string }[]).map((w) => w.id).sort();
    assert.equal(workerIds.length, 2);

    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    // From the overview to the job's page, then by its tabs.
    await page.goto(`${root}/`);
    // The overview links the job's pages, each where its tab does.
    const overviewLinks = await inPage<[string, string][]>(
      page,
      `[...document.querySelectorAll('#jobs tbody tr')].filter((tr) => tr.cells[0].textContent === ${JSON.stringify(app.id)}).flatMap((tr) => [...tr.cells[tr.cells.length - 1].querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href')]))`,
    );
    assert.deepEqual(overviewLinks, ['stages', 'storage', 'environment', 'executors'].map((t) => [t[0].toUpperCase() + t.slice(1), `/jobs/${app.id}/${t}/`]));
    await follow(page, `#jobs a[href="/jobs/${app.id}/"]`);
    assert.deepEqual(await page.locator('#job-tabs a').allTextContents(), ['Jobs', 'Stages', 'Storage', 'Environment', 'Executors']);
    assert.equal(await page.locator('#job-tabs a.active').textContent(), 'Jobs');
    // Its actions paged, 2 a page, newest first: every action REST jobs lists, once, over the pages.
    const actionIds = ((await (await fetch(`${rest}/jobs`)).json()) as { jobId: number }[]).map((a) => String(a.jobId)).sort((a, b) => Number(b) - Number(a));
    assert.ok(actionIds.length >= 5, actionIds.join(','));
    const shownActions = async (): Promise<string[]> => (await rows(page, 'table.actions')).map((r) => r[0]);
    await page.goto(`${jobBase}?action.pageSize=2`);
    assert.deepEqual(await shownActions(), actionIds.slice(0, 2), 'the newest 2');
    assert.equal(await page.locator('#actions-title').textContent(), `Actions (1 to 2 of ${actionIds.length} kept, newest first)`);
    await follow(page, '#action-paging a:text-is("2")');
    assert.deepEqual(await shownActions(), actionIds.slice(2, 4), 'page 2: the next 2');
    const lastPage = Math.ceil(actionIds.length / 2);
    await follow(page, `#action-paging a:text-is("${lastPage}")`);
    assert.deepEqual(await shownActions(), actionIds.slice((lastPage - 1) * 2), 'the last page: the oldest');
    await shot(page, 'ui-job-actions-paged.png');
    assert.equal((await fetch(`${jobBase}?action.page=0`)).status, 400);
    await page.goto(jobBase);

    // Environment: what --conf and --web-port set; sorted by key; the secret nowhere.
    await follow(page, '#job-tabs a[data-tab=environment]');
    assert.equal(await page.locator('#job-tabs a.active').textContent(), 'Environment');
    const props = await rows(page, '#spark-properties');
    const byKey = new Map(props.map(([k, v]) => [k, v]));
    assert.equal(byKey.get('spark.task.maxFailures'), '3');
    assert.equal(byKey.get('spark.app.name'), 'ui-tabs <app>');
    assert.equal(byKey.get('spark.ui.port'), String(run.port));
    assert.equal(byKey.get('spark.app.id'), app.id);
    assert.deepEqual(props.map(([k]) => k), [...byKey.keys()].sort(), 'sorted by key, as Spark lists them');
    assert.deepEqual(await rows(page, '#runtime'), [['Node.js Version', process.versions.node]]);
    assert.ok(!(await page.content()).includes(run.secret), 'the secret is not shown');
    await shot(page, 'ui-environment.png');

    // Storage: the cached RDD, its name as text (no <b> element), 4 of 4 partitions.
    await follow(page, '#job-tabs a[data-tab=storage]');
    const rdds = await rows(page, '#rdds');
    assert.equal(rdds.length, 1, JSON.stringify(rdds));
    assert.deepEqual(rdds[0].slice(0, 5), [rddId, '<b>nums</b>', 'Memory Serialized 1x Replicated', '4', '100%']);
    assert.equal(await page.locator('#rdds b').count(), 0, 'the name is text, not markup');
    await shot(page, 'ui-storage.png');
    await follow(page, `#rdds a:text-is("<b>nums</b>")`);
    assert.equal(await page.locator('[data-field="Cached Partitions"]').textContent(), '4');
    assert.equal(await page.locator('[data-field="Total Partitions"]').textContent(), '4');
    const parts = await rows(page, '#partitions');
    assert.deepEqual(parts.map((p) => p[0]), [0, 1, 2, 3].map((p) => `rdd_${rddId}_${p}`));
    for (const p of parts) for (const w of p[4].split(', ')) assert.ok(workerIds.includes(w), `${p[0]} on ${w}, a worker of ${workerIds.join(', ')}`);
    const holders = new Set(parts.flatMap((p) => p[4].split(', ')));
    assert.equal((await rows(page, '#data-distribution')).length, holders.size, 'one distribution row for each worker holding a block');
    await shot(page, 'ui-rdd.png');

    // Stages: 4 completed, with the actions' partitions as their task counts.
    await follow(page, '#job-tabs a[data-tab=stages]');
    const completed = await rows(page, 'table[data-status=COMPLETE]');
    assert.deepEqual(completed.map((r) => r[4].split(' ')[0]).sort(), ['120/120', '2/2', '3/3', '4/4', '4/4']);
    const active = await rows(page, 'table[data-status=ACTIVE]');
    assert.equal(active.length, 1, JSON.stringify(active));
    assert.equal(active[0][4], '0/1 (1 running)');
    assert.equal(await page.locator('h2#active').textContent(), 'Active Stages (1)');
    await shot(page, 'ui-stages.png');
    // Completed Stages paged and sorted as Spark's StagePagedTable (completedStage.*): 2 a page, by
    // Duration the longest first (ties in REST's order), from REST stages.
    type RestStage = { stageId: number; status: string; duration: number };
    const restCompleted = ((await (await fetch(`${rest}/stages?status=complete`)).json()) as RestStage[]).map((st, i) => ({ st, i }));
    const longest = [...restCompleted].sort((a, b) => b.st.duration - a.st.duration || a.i - b.i).map((x) => String(x.st.stageId));
    const shownStages = async (): Promise<string[]> => (await rows(page, 'table[data-status=COMPLETE]')).map((r) => r[0]);
    await page.goto(`${jobBase}stages/?completedStage.pageSize=2`);
    assert.deepEqual(await shownStages(), restCompleted.map((x) => x.st.stageId).sort((a, b) => b - a).slice(0, 2).map(String), 'by default the newest (highest Stage Id) first');
    assert.equal(await page.getAttribute('#completed-paging', 'data-pages'), '3');
    await follow(page, 'table[data-status=COMPLETE] a[data-sort=Duration]');
    await follow(page, 'table[data-status=COMPLETE] a[data-sort=Duration]');
    assert.deepEqual(await shownStages(), longest.slice(0, 2), 'the longest stages first');
    await follow(page, '#completed-paging a:text-is("2")');
    assert.deepEqual(await shownStages(), longest.slice(2, 4), 'page 2: the next longest');
    assert.equal(await page.locator('h2#completed').textContent(), 'Completed Stages (5)');
    assert.equal(await page.locator('table[data-status=ACTIVE] tbody tr').count(), 1, "the other tables as they were");
    await shot(page, 'ui-stages-sorted.png');
    const badStageSort = await fetch(`${jobBase}stages/?completedStage.sort=Tasks`);
    assert.equal(badStageSort.status, 400);
    assert.match(await badStageSort.text(), /completedStage\.sort: &#39;Tasks&#39; is none of Stage Id, Pool Name, Description, Submitted, Duration, Shuffle Read and Shuffle Write/);
    await follow(page, '#job-tabs a[data-tab=stages]');
    await follow(page, 'table[data-status=ACTIVE] tbody a >> nth=0');
    assert.equal(await page.getAttribute('body', 'data-status'), 'ACTIVE');
    const running = await rows(page, '#tasks');
    assert.deepEqual(running.map((r) => [r[0], r[3]]), [['0', 'RUNNING']]);
    assert.equal(await page.locator('#no-summary').count(), 1, 'no summary before a task succeeded');
    await follow(page, '#job-tabs a[data-tab=stages]');
    await follow(page, `table[data-status=COMPLETE] a[href$="stage/?id=${manyStage}&attempt=0"] >> nth=0`);
    assert.equal(await page.locator('h1').textContent(), `Details for Stage ${manyStage} (Attempt 0)`);
    assert.equal(await page.locator('#tasks-title').textContent(), 'Tasks (120)');
    // The summary's min and max: the tasks' own durations, from REST taskList.
    const durations = ((await (await fetch(`${rest}/stages/${manyStage}/0/taskList?length=1000`)).json()) as { duration: number }[]).map((t) => t.duration);
    assert.equal(durations.length, 120);
    const summary = await rows(page, '#summary-metrics');
    assert.equal(summary[0][0], 'Duration');
    assert.equal(summary[0][1], shownMs(Math.min(...durations)));
    assert.equal(summary[0][5], shownMs(Math.max(...durations)));
    assert.match((await page.locator('h2', { hasText: 'Summary Metrics' }).textContent()) ?? '', /^Summary Metrics for 120 Completed Tasks$/);
    const byExec = await rows(page, '#executor-summary');
    assert.equal(byExec.reduce((a, r) => a + Number(r[3]), 0), 120, 'Total Tasks by executor sum to the stage\'s');
    assert.equal(byExec.reduce((a, r) => a + Number(r[6]), 0), 120, 'all succeeded');
    for (const r of byExec) assert.ok(workerIds.includes(r[0]), r[0]);
    // Paged 100 a page: every index once over pages 1 and 2.
    const first = await rows(page, '#tasks');
    assert.equal(first.length, 100);
    await shot(page, 'ui-stage.png');
    await follow(page, '#task-paging a:text-is("2")');
    const second = await rows(page, '#tasks');
    assert.equal(second.length, 20);
    assert.deepEqual([...first, ...second].map((r) => Number(r[0])).sort((a, b) => a - b), Array.from({ length: 120 }, (_, i) => i));
    // Sorted by duration: ascending, then (clicked again) descending.
    const shownDurations = (): Promise<number[]> => inPage(page, `[...document.querySelectorAll('#tasks tbody td[data-ms]')].map((td) => Number(td.dataset.ms))`);
    await follow(page, '#tasks a[data-sort=Duration]');
    const up = await shownDurations();
    assert.deepEqual(up, [...durations].sort((a, b) => a - b).slice(0, 100));
    await follow(page, '#tasks a[data-sort=Duration]');
    assert.deepEqual(await shownDurations(), [...durations].sort((a, b) => b - a).slice(0, 100));
    // By launch order (REST taskList's ID order), the newest first: the last 100, then the first 20, each reversed.
    const launched = ((await (await fetch(`${rest}/stages/${manyStage}/0/taskList?length=1000&sortBy=ID`)).json()) as { taskId: string }[]).map((t) => t.taskId);
    const shownIds = (): Promise<string[]> => inPage(page, `[...document.querySelectorAll('#tasks tbody tr')].map((tr) => tr.dataset.task)`);
    await follow(page, '#tasks a[data-sort=ID]');
    assert.deepEqual(await shownIds(), launched.slice(0, 100));
    await follow(page, '#tasks a[data-sort=ID]');
    assert.deepEqual(await shownIds(), launched.slice(20).reverse());
    await follow(page, '#task-paging a:text-is("2")');
    assert.deepEqual(await shownIds(), launched.slice(0, 20).reverse());
    // By Launch Time, the latest first (ties in launch order), from REST taskList's launchTime.
    const launchedAt = ((await (await fetch(`${rest}/stages/${manyStage}/0/taskList?length=1000&sortBy=ID`)).json()) as { taskId: string; launchTime: string }[]).map(
      (t, i) => ({ id: t.taskId, at: Date.parse(t.launchTime.replace(/GMT$/, 'Z')), i }),
    );
    await follow(page, '#tasks a[data-sort="Launch Time"]');
    await follow(page, '#tasks a[data-sort="Launch Time"]');
    assert.equal(await page.getAttribute('#tasks', 'data-desc'), 'true');
    assert.deepEqual(await shownIds(), [...launchedAt].sort((a, b) => b.at - a.at || a.i - b.i).slice(0, 100).map((t) => t.id), 'the latest launched first');
    assert.notDeepEqual(await shownIds(), launched.slice(0, 100), 'not launch order');

    // The shuffle's reduce stage sorted by Shuffle Read, the most first: the column's bytes as REST taskList gives them.
    const [mapStage, reduceStage] = ((await (await fetch(`${rest}/jobs/${Number(line('SHUFFLE')[2])}`)).json()) as { stageIds: number[] }).stageIds.sort((a, b) => a - b);
    const reads = ((await (await fetch(`${rest}/stages/${reduceStage}/0/taskList?sortBy=ID`)).json()) as { taskId: string; taskMetrics: { shuffleReadMetrics: { totalBytesRead: number } } }[]).map(
      (t, i) => ({ id: t.taskId, bytes: t.taskMetrics.shuffleReadMetrics.totalBytesRead, i }),
    );
    assert.equal(reads.length, 3);
    assert.ok(new Set(reads.map((t) => t.bytes)).size > 1, `the reduce tasks read different sizes: ${reads.map((t) => t.bytes).join(', ')}`);
    await page.goto(`${jobBase}stages/stage/?id=${reduceStage}&attempt=0`);
    await follow(page, '#tasks a[data-sort="Shuffle Read"]');
    assert.deepEqual(await shownIds(), [...reads].sort((a, b) => a.bytes - b.bytes || a.i - b.i).map((t) => t.id), 'the fewest shuffle bytes read first');
    await follow(page, '#tasks a[data-sort="Shuffle Read"]');
    assert.deepEqual(await shownIds(), [...reads].sort((a, b) => b.bytes - a.bytes || a.i - b.i).map((t) => t.id), 'the most shuffle bytes read first');
    assert.equal(await page.locator('#tasks a[data-sort="Shuffle Read"]').textContent(), 'Shuffle Read Size / Records ▾');

    // Summary Metrics' Result Size (Spark's resultSize: the bytes each task sent the driver), on the
    // shuffle's map stage (4 map statuses) and reduce stage (3 collected parts): Min, 25th
    // percentile, Median, 75th percentile, Max of the tasks' own sizes from REST taskList, at
    // Spark's index min(floor(q * n), n - 1); REST taskSummary the same figures.
    for (const [st, n] of [[mapStage, 4], [reduceStage, 3]] as const) {
      const sizes = ((await (await fetch(`${rest}/stages/${st}/0/taskList`)).json()) as { taskMetrics: { resultSize: number } }[]).map((t) => t.taskMetrics.resultSize);
      assert.equal(sizes.length, n);
      assert.ok(sizes.every((b) => b > 0), `every task of stage ${st} sent the driver something: ${sizes.join(', ')}`);
      const sorted = [...sizes].sort((a, b) => a - b);
      const quantiles = [0, 0.25, 0.5, 0.75, 1].map((q) => sorted[Math.min(Math.floor(q * n), n - 1)]);
      const restSummary = (await (await fetch(`${rest}/stages/${st}/0/taskSummary?quantiles=0,0.25,0.5,0.75,1`)).json()) as { resultSize: number[] };
      assert.deepEqual(restSummary.resultSize, quantiles, `REST taskSummary resultSize of stage ${st}`);
      await page.goto(`${jobBase}stages/stage/?id=${st}&attempt=0`);
      const summaryRows = await rows(page, '#summary-metrics');
      assert.deepEqual(summaryRows.find((r) => r[0] === 'Result Size'), ['Result Size', ...quantiles.map(shownBytes)], `stage ${st}'s Summary Metrics: ${JSON.stringify(summaryRows)}`);
    }

    // Executors: the driver and both workers, the job's 131 successful tasks, the RDD's 4 blocks (told by heartbeats).
    await follow(page, '#job-tabs a[data-tab=executors]');
    const execRows = await rows(page, '#executors');
    // The driver's row first (Spark's executor "driver"), then the workers.
    assert.deepEqual(execRows[0].slice(0, 3), ['driver', execRows[0][1], 'Active']);
    assert.deepEqual(execRows.slice(1).map((r) => r[0]).sort(), workerIds);
    const total = await pollUntil(
      async () => {
        await page.goto(`${jobBase}executors/`);
        const t = (await rows(page, '#executors-total')).find((r) => r[0].startsWith('Total('));
        return t?.[3] === '4' ? t : undefined;
      },
      60_000,
      'the executors to report the RDD\'s 4 blocks',
    );
    assert.equal(total[6], '2', 'cores');
    assert.equal(total[9], '133', 'complete tasks: 4 + 4 + 3 + 120 + 2');
    assert.equal(total[7], '1', 'active tasks: the held one');
    assert.equal(total[8], '1', 'failed tasks: the retried one');
    assert.equal(total[10], '135', 'total tasks');
    // Spark's Summary rows: Active (the driver and both workers), Dead (none), Total.
    assert.deepEqual((await rows(page, '#executors-total')).map((r) => r.slice(0, 3)), [
      ['Active(3)', '2 workers and the driver', '3 active'],
      ['Dead(0)', '0 workers', '0 dead'],
      ['Total(3)', '2 workers and the driver', '3 active'],
    ]);
    await shot(page, 'ui-executors.png');

    // The job page links each stage to its page (as Spark's job page does).
    await follow(page, '#job-tabs a[data-tab=jobs]');
    await follow(page, `table.stages a[href$="stage/?id=${manyStage}&attempt=0"] >> nth=0`);
    assert.equal(await page.locator('#tasks-title').textContent(), 'Tasks (120)');

    // The retried stage: its failed attempt, the error as text, where the fixture threw.
    const [retriedStage] = ((await (await fetch(`${rest}/jobs/${Number(line('RETRIED')[2])}`)).json()) as { stageIds: number[] }).stageIds;
    await page.goto(`${jobBase}stages/stage/?id=${retriedStage}&attempt=0`);
    const attempts = await rows(page, '#tasks');
    assert.deepEqual(attempts.map((r) => [r[0], r[2], r[3]]).sort(), [['0', '0', 'SUCCESS'], ['1', '0', 'FAILED'], ['1', '1', 'SUCCESS']]);
    assert.match(attempts.find((r) => r[3] === 'FAILED')!.at(-1)!, /<i>planned<\/i> failure of partition 1/);
    assert.equal(await page.locator('#tasks i, #failed-tasks i').count(), 0, 'the error is text, not markup');
    const failedRows = await rows(page, '#failed-tasks');
    assert.equal(failedRows.length, 1);
    assert.match(failedRows[0][4], /ui-tabs\.ts:\d+:\d+$/, 'thrown at the fixture\'s line');
    assert.equal(await page.locator('#summary-metrics').count(), 1, 'a summary over its 2 successful tasks');
    // Sorted by Status, then Attempt, as Spark's task table sorts any column: ties in launch order (REST taskList's ID order).
    const tries = (await (await fetch(`${rest}/stages/${retriedStage}/0/taskList?sortBy=ID`)).json()) as { taskId: string; status: string; attempt: number }[];
    const failedTry = tries.filter((t) => t.status === 'FAILED').map((t) => t.taskId);
    const succeededTries = tries.filter((t) => t.status === 'SUCCESS').map((t) => t.taskId);
    assert.deepEqual([failedTry.length, succeededTries.length], [1, 2]);
    await follow(page, '#tasks a[data-sort=Status]');
    assert.deepEqual(await shownIds(), [...failedTry, ...succeededTries], 'FAILED before SUCCESS');
    await follow(page, '#tasks a[data-sort=Status]');
    assert.deepEqual(await shownIds(), [...succeededTries, ...failedTry], 'descending: SUCCESS first');
    await follow(page, '#tasks a[data-sort=Attempt]');
    await follow(page, '#tasks a[data-sort=Attempt]');
    assert.deepEqual(await shownIds(), [...tries.filter((t) => t.attempt === 1), ...tries.filter((t) => t.attempt === 0)].map((t) => t.taskId), 'the retry first');
    assert.equal(await page.getAttribute('#tasks', 'data-sort'), 'Attempt');
    // By Errors, descending: the failed attempt first, as a user looks for it; ascending: last.
    await follow(page, '#tasks a[data-sort=Errors]');
    assert.deepEqual(await shownIds(), [...succeededTries, ...failedTry], 'no error before an error');
    await follow(page, '#tasks a[data-sort=Errors]');
    assert.deepEqual(await shownIds(), [...failedTry, ...succeededTries], 'the failed attempt first');
    await shot(page, 'ui-stage-retried.png');

    // Without a browser: bad parameters and unknown pages.
    const status = async (p: string): Promise<number> => (await fetch(`${jobBase}${p}`)).status;
    assert.equal(await status(`stages/stage/?id=${manyStage}&task.page=0`), 400);
    // GC Time, a column of Spark's that Sluice does not measure: refused naming the columns it sorts by.
    const badSort = await fetch(`${jobBase}stages/stage/?id=${manyStage}&task.sort=GC%20Time`);
    assert.equal(badSort.status, 400);
    assert.match(await badSort.text(), /task\.sort: &#39;GC Time&#39; is none of ID \(launch order\), Duration, Index, Attempt, Status, Locality Level, Worker, Host, Launch Time, Scheduler Delay, Task Deserialization Time, Result Serialization Time, Getting Result Time, Input, Output, Shuffle Read Blocked Time, Shuffle Read, Shuffle Write, Spill \(Memory\), Spill \(Disk\) and Errors/);
    assert.equal(await status('stages/stage/'), 400);
    assert.equal(await status('stages/stage/?id=999'), 404);
    assert.equal(await status('storage/rdd/?id=999'), 404);
    assert.equal(await status('storage/rdd/?id=x'), 400);
    assert.equal(await status('environment/more'), 404);
    assert.equal((await fetch(`${root}/jobs/no-such-job/stages/`)).status, 404);
    const outOfRange = await (await fetch(`${jobBase}stages/stage/?id=${manyStage}&task.page=3`)).text();
    assert.match(outOfRange, /Page 3 is out of range: the tasks are on pages 1 to 2\./);

  }).finally(() => browser.close());
});
