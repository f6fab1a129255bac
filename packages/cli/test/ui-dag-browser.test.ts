// Spark's "DAG Visualization" and "Event Timeline" in a real browser (Debian's Chromium through
// playwright-core) on `sluice run`'s cluster: the fixture ui-dag.ts counts its lines (one action,
// one stage), then counts words with reduceByKey over 3 partitions (lines -> flatMap -> map, a
// shuffle, the ShuffledRDD), and holds. The test knows the RDDs from the fixture's own lines:
// - the jobs page's Event Timeline: a bar for each of the 2 actions, each its action's, in
//   submission order, succeeded;
// - the shuffle action's page (linked from the actions table): its Event Timeline has a bar for each
//   of its 2 stages; its DAG has 2 stage boxes, the map stage holding lines [id] (its name, with
//   markup, as text), the flatMap's and
//   the map's MapPartitionsRDDs (narrow edges lines -> words -> pairs), the result stage holding the
//   ShuffledRDD, and one shuffle edge from pairs' box (map stage) to counts' box (result stage),
//   drawn from the one box's side to the other's; each RDD's call site the fixture's line;
// - the map stage's page: its RDD chain (3 RDDs, 2 edges, no shuffle edge) and its Event Timeline,
//   a bar for each of its tasks (REST taskList's), in its worker's lane;
// - REST stages' rddIds (Spark's StageData.rddIds) the same RDDs.
// Screenshots go to test-artifacts/ (ui-jobs-timeline.png, ui-job-dag.png, ui-stage-dag.png).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, follow, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil } from './harness.js';
import { withHeldRun } from './held-run.js';

interface ShownRdd {
  id: number;
  name: string;
  site: string;
  title: string;
}

/** The RDD boxes of stage `stageId` in the DAG `svg` (an element id): id, name line, call-site line, tooltip. */
function rddsShown(page: Page, svg: string, stageId: number): Promise<ShownRdd[]> {
  return inPage(
    page,
    `[...document.querySelectorAll('#${svg} g.stage[data-stage="${stageId}"] g.rdd')].map((g) => ({ id: Number(g.dataset.rdd), name: g.querySelector('.rdd-name').textContent, site: g.querySelector('.rdd-site').textContent, title: g.querySelector('title').textContent }))`,
  );
}

/** The edges of the DAG `svg`: from and to (RDD ids), whether a shuffle's, its stages. */
function edgesShown(page: Page, svg: string): Promise<[number, number, boolean, string, string][]> {
  return inPage(
    page,
    `[...document.querySelectorAll('#${svg} path.edge')].map((p) => [Number(p.dataset.from), Number(p.dataset.to), p.classList.contains('shuffle'), p.dataset.fromStage ?? '', p.dataset.toStage ?? ''])`,
  );
}

test('DAG Visualization and Event Timeline pages in Chromium, for a job with a shuffle', { timeout: 200_000 }, async () => {
  const browser = await launchChromium();
  // Held, and its lines read (the output may come after the file).
  await withHeldRun('ui-dag', (dir) => ['--conf', 'spark.app.name=ui-dag', fixture('ui-dag.ts'), dir], { holdMs: 120_000, ready: (run) => run.stdout.some((l) => l.startsWith('SHUFFLE ')) }, async (run) => {
    const line = run.line;
    const [lines, words, pairs, counts] = line('RDDS').slice(1).map(Number);
    assert.equal(line('COUNT')[1], '3');
    assert.equal(line('SHUFFLE')[1], '3', 'the words a, b, c');
    const countJob = Number(line('COUNT')[2]);
    const shuffleJob = Number(line('SHUFFLE')[2]);
    // Where the fixture made each RDD: its line (1-based) in the fixture's source.
    const src = fs.readFileSync(fixture('ui-dag.ts'), 'utf8').split('\n');
    const lineOf = (text: string): number => src.findIndex((l) => l.includes(text)) + 1;
    const siteRe = (op: string, text: string): RegExp => new RegExp(`^${op} at .*ui-dag\\.ts:${lineOf(text)}:\\d+$`);

    const root = run.root;
    const apps = (await (await fetch(`${root}/api/v1/applications`)).json()) as { id: string; name: string }[];
    const app = apps.find((a) => a.name === 'ui-dag');
    assert.ok(app, JSON.stringify(apps));
    const rest = `${root}/api/v1/applications/${app.id}`;
    const stageIds = ((await (await fetch(`${rest}/jobs/${shuffleJob}`)).json()) as { stageIds: number[] }).stageIds;
    assert.equal(stageIds.length, 2, JSON.stringify(stageIds));
    // Spark's numbering: the map stage before the result stage that reads it.
    const [mapStage, resultStage] = [...stageIds].sort((a, b) => a - b);
    const restRdds = async (sid: number): Promise<number[]> => ((await (await fetch(`${rest}/stages/${sid}/0`)).json()) as { rddIds: number[] }).rddIds;
    assert.deepEqual(await restRdds(mapStage), [lines, words, pairs]);
    assert.deepEqual(await restRdds(resultStage), [counts]);

    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    // The jobs page: a bar for each action, in submission order (left edges not decreasing), succeeded.
    await page.goto(`${root}/jobs/${app.id}/`);
    const bars = await inPage<[string, string, number, number][]>(
      page,
      `[...document.querySelectorAll('#job-timeline g.lane[data-lane^="Job "] rect.tl-bar')].map((r) => [r.dataset.id, r.dataset.status, Number(r.getAttribute('x')), Number(r.getAttribute('width'))])`,
    );
    assert.deepEqual(bars.map((b) => [b[0], b[1]]), [[String(countJob), 'SUCCEEDED'], [String(shuffleJob), 'SUCCEEDED']]);
    assert.ok(bars[0][2] <= bars[1][2], `the count's bar starts first: ${JSON.stringify(bars)}`);
    for (const b of bars) assert.ok(b[3] > 0, `a bar with a width: ${JSON.stringify(b)}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-jobs-timeline.png'), fullPage: true });

    // The shuffle action's page, from the actions table.
    await follow(page, `table.actions a[href$="/job/?id=${shuffleJob}"]`);
    assert.equal(await page.locator('h1').textContent(), `Details for Job ${shuffleJob}`);
    const stageBars = await inPage<string[]>(page, `[...document.querySelectorAll('#stage-timeline rect.tl-bar')].map((r) => r.dataset.id)`);
    assert.deepEqual(stageBars.sort(), [`${mapStage}.0`, `${resultStage}.0`].sort());
    const boxes = await inPage<string[]>(page, `[...document.querySelectorAll('#job-dag g.stage')].map((g) => g.dataset.stage)`);
    assert.deepEqual(boxes.sort(), [String(mapStage), String(resultStage)].sort());
    const mapRdds = await rddsShown(page, 'job-dag', mapStage);
    assert.deepEqual(mapRdds.map((r) => [r.id, r.name]), [
      [lines, `<i>lines</i> [${lines}]`],
      [words, `MapPartitionsRDD [${words}]`],
      [pairs, `MapPartitionsRDD [${pairs}]`],
    ]);
    assert.match(mapRdds[0].title.split('\n')[1], siteRe('parallelize', "sc.parallelize(['a b'"));
    assert.match(mapRdds[1].site, /^flatMap at /);
    assert.equal(await page.locator('#job-dag i').count(), 0, 'the RDD name is text, not markup');
    assert.match(mapRdds[1].title.split('\n')[1], siteRe('flatMap', 'lines.flatMap('));
    assert.match(mapRdds[2].title.split('\n')[1], siteRe('map', 'words.map('));
    const resultRdds = await rddsShown(page, 'job-dag', resultStage);
    assert.deepEqual(resultRdds.map((r) => [r.id, r.name]), [[counts, `ShuffledRDD [${counts}]`]]);
    assert.match(resultRdds[0].title.split('\n')[1], siteRe('reduceByKey', 'pairs.reduceByKey('));
    const edges = await edgesShown(page, 'job-dag');
    assert.deepEqual(
      edges.sort(),
      [
        [lines, words, false, '', ''],
        [words, pairs, false, '', ''],
        [pairs, counts, true, String(mapStage), String(resultStage)],
      ].sort(),
    );
    // The shuffle edge runs from pairs' box (its right side) to counts' box (its left side), the map stage left of the result stage.
    const geometry = await inPage<{ from: number[]; to: number[]; pairsBox: number[]; countsBox: number[] }>(
      page,
      `(() => {
        const svg = document.querySelector('#job-dag');
        const p = svg.querySelector('path.edge.shuffle');
        const a = p.getPointAtLength(0), b = p.getPointAtLength(p.getTotalLength());
        const box = (s, r) => { const e = svg.querySelector('g.stage[data-stage="' + s + '"] g.rdd[data-rdd="' + r + '"] rect'); return ['x', 'y', 'width', 'height'].map((k) => Number(e.getAttribute(k))); };
        return { from: [a.x, a.y], to: [b.x, b.y], pairsBox: box(${mapStage}, ${pairs}), countsBox: box(${resultStage}, ${counts}) };
      })()`,
    );
    const near = (a: number, b: number): boolean => Math.abs(a - b) < 1;
    const [px, py, pw, ph] = geometry.pairsBox;
    const [cx, cy, , ch] = geometry.countsBox;
    assert.ok(near(geometry.from[0], px + pw) && near(geometry.from[1], py + ph / 2), `starts at pairs' right side: ${JSON.stringify(geometry)}`);
    assert.ok(near(geometry.to[0], cx) && near(geometry.to[1], cy + ch / 2), `ends at counts' left side: ${JSON.stringify(geometry)}`);
    assert.ok(px + pw < cx, 'the map stage is drawn left of the result stage');
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-job-dag.png'), fullPage: true });

    // The map stage's page: its RDD chain, and a bar for each task in its worker's lane.
    await follow(page, `#action-stages a[href$="stage/?id=${mapStage}&attempt=0"]`);
    assert.deepEqual((await rddsShown(page, 'stage-dag', mapStage)).map((r) => r.id), [lines, words, pairs]);
    assert.deepEqual((await edgesShown(page, 'stage-dag')).sort(), [[lines, words, false, '', ''], [words, pairs, false, '', '']].sort());
    const tasks = (await (await fetch(`${rest}/stages/${mapStage}/0/taskList`)).json()) as { taskId: string; executorId: string }[];
    assert.equal(tasks.length, 2, 'a task a partition of lines');
    const taskBars = await inPage<[string, string, string][]>(
      page,
      `[...document.querySelectorAll('#task-timeline g.lane')].flatMap((g) => [...g.querySelectorAll('rect.tl-bar')].map((r) => [g.dataset.lane, r.dataset.id, r.dataset.status]))`,
    );
    assert.deepEqual(taskBars.sort(), tasks.map((t) => [t.executorId, t.taskId, 'SUCCESS']).sort());
    await page.screenshot({ path: path.join(ARTIFACTS, 'ui-stage-dag.png'), fullPage: true });

    // A bad action id, an unknown one.
    assert.equal((await fetch(`${root}/jobs/${app.id}/job/?id=x`)).status, 400);
    assert.equal((await fetch(`${root}/jobs/${app.id}/job/?id=999`)).status, 404);

  }).finally(() => browser.close());
});
