// The DAG Visualization's operation scopes (Spark's RDDOperationCluster: each RDD drawn inside a box named for
// the operation that made it, nested in its stage's box) and its cap on a long lineage, in a real browser
// (Debian's Chromium through playwright-core), on a cluster of 2 workers. The fixture ui-scopes.ts:
// - DISTINCT: parallelize -> map -> distinct(2), collected. The action's DAG: a 'parallelize' box holding the
//   parallelized RDD, a 'map' box holding the map's, and 'distinct' boxes (one in each stage: distinct's RDDs lie
//   on both sides of its shuffle) holding together exactly the RDDs the distinct call made (the ids after the
//   map's, up to distinct's result, as the fixture printed them); each RDD's box inside its scope's box, each
//   scope's inside its stage's. REST rddInfos name the same scopes.
// - LONG: 120 maps over a parallelized RDD, counted: one stage of 121 RDDs (REST rddIds, all of them); its
//   action's page and its stage's page draw the 20 nearest its output (the last 20 ids) and one box
//   '… and 101 more RDDs', an edge from it to the first RDD drawn.
// Screenshots: test-artifacts/ui-dag-scopes.png, ui-dag-long.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil, withCluster } from './harness.js';

interface ScopeShown {
  stage: number;
  name: string;
  label: string;
  rdds: number[];
  box: number[];
}

/** The scope boxes of the DAG `svg`: their stage, name, label, RDDs (data-rdds) and rect. */
function scopesShown(page: Page, svg: string): Promise<ScopeShown[]> {
  return inPage(
    page,
    `[...document.querySelectorAll('#${svg} g.scope')].map((g) => ({ stage: Number(g.closest('g.stage').dataset.stage), name: g.dataset.name, label: g.querySelector('.scope-label').textContent, rdds: g.dataset.rdds.split(',').map(Number), box: ['x', 'y', 'width', 'height'].map((k) => Number(g.querySelector('rect').getAttribute(k))) }))`,
  );
}

/** Each drawn RDD's rect, by id, and each stage's box, in the DAG `svg`. */
function boxesShown(page: Page, svg: string): Promise<{ rdds: Record<string, number[]>; stages: Record<string, number[]> }> {
  return inPage(
    page,
    `(() => {
      const r = (e) => ['x', 'y', 'width', 'height'].map((k) => Number(e.getAttribute(k)));
      const rdds = {}, stages = {};
      for (const g of document.querySelectorAll('#${svg} g.rdd')) rdds[g.dataset.rdd] = r(g.querySelector('rect'));
      for (const g of document.querySelectorAll('#${svg} g.stage')) stages[g.dataset.stage] = r(g.querySelector('rect.stage-box'));
      return { rdds, stages };
    })()`,
  );
}

const inside = (a: number[], b: number[]): boolean => a[0] >= b[0] && a[1] >= b[1] && a[0] + a[2] <= b[0] + b[2] && a[1] + a[3] <= b[1] + b[3];
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('the DAG Visualization draws operation scopes and caps a long lineage, in Chromium', { timeout: 200_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-scopes-'));
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0 } }, async (h) => {
      const run = h.run(fixture('ui-scopes.ts'), [dir]);
      let ended = false;
      void run.finally(() => (ended = true));
      await pollUntil(() => (fs.existsSync(path.join(dir, 'holding')) ? true : ended ? assert.fail('the job ended before it held') : undefined), 120_000, 'the job to hold');
      const job = [...h.cluster.driver.jobs.values()][0];
      const line = (label: string): number[] => {
        const l = fs.readFileSync(path.join(dir, 'holding'), 'utf8').split('\n').find((x) => x.startsWith(`${label} `));
        assert.ok(l, `no ${label} line`);
        return l.split(' ').slice(1).map(Number);
      };
      const [nums, mod, distinct, distinctCount, distinctJob] = line('DISTINCT');
      const [first, last, longCount, longJob] = line('LONG');
      assert.equal(distinctCount, 4, '0, 1, 2, 3');
      assert.equal(longCount, 3);
      const root = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      const rest = `${root}/api/v1/applications/${job.id}`;
      const get = async <T>(p: string): Promise<T> => (await (await fetch(`${rest}/${p}`)).json()) as T;

      // DISTINCT: the scopes drawn, and REST's.
      const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
      await page.goto(`${root}/jobs/${job.id}/job/?id=${distinctJob}`);
      const scopes = await scopesShown(page, 'job-dag');
      const byName = (n: string): ScopeShown[] => scopes.filter((s) => s.name === n);
      assert.deepEqual(byName('parallelize').map((s) => s.rdds), [[nums]]);
      assert.deepEqual(byName('map').map((s) => s.rdds), [[mod]]);
      const distinctBoxes = byName('distinct');
      assert.equal(distinctBoxes.length, 2, `a 'distinct' box in each stage: ${JSON.stringify(scopes)}`);
      assert.equal(new Set(distinctBoxes.map((s) => s.stage)).size, 2);
      assert.deepEqual(distinctBoxes.flatMap((s) => s.rdds).sort((a, b) => a - b), range(mod + 1, distinct), 'the RDDs the distinct call made');
      assert.deepEqual(scopes.map((s) => s.name).sort(), ['distinct', 'distinct', 'map', 'parallelize']);
      for (const s of scopes) assert.equal(s.label, s.name);
      const boxes = await boxesShown(page, 'job-dag');
      for (const s of scopes) {
        assert.ok(inside(s.box, boxes.stages[s.stage]), `${s.name}'s box in stage ${s.stage}'s`);
        for (const r of s.rdds) assert.ok(inside(boxes.rdds[r], s.box), `RDD ${r} inside ${s.name}'s box`);
      }
      // Each RDD drawn is in exactly one scope here (none nested in a batch job's operations).
      assert.deepEqual(scopes.flatMap((s) => s.rdds).sort((a, b) => a - b), Object.keys(boxes.rdds).map(Number).sort((a, b) => a - b));
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-dag-scopes.png'), fullPage: true });
      const stageIds = (await get<{ stageIds: number[] }>(`jobs/${distinctJob}`)).stageIds;
      const restScopes = new Map<number, string[]>();
      for (const sid of stageIds) {
        const st = await get<{ rddInfos: { id: number; scopes?: { name: string }[] }[] }>(`stages/${sid}/0`);
        for (const r of st.rddInfos) restScopes.set(r.id, (r.scopes ?? []).map((x) => x.name));
      }
      assert.deepEqual(restScopes.get(nums), ['parallelize']);
      assert.deepEqual(restScopes.get(mod), ['map']);
      for (const r of range(mod + 1, distinct)) assert.deepEqual(restScopes.get(r), ['distinct'], `RDD ${r}`);

      // LONG: one stage of 121 RDDs; the DAG draws the last 20 and a box for the 101 others.
      const [longStage] = (await get<{ stageIds: number[] }>(`jobs/${longJob}`)).stageIds;
      assert.deepEqual((await get<{ rddIds: number[] }>(`stages/${longStage}/0`)).rddIds, range(first, last));
      for (const [url, svg] of [[`${root}/jobs/${job.id}/job/?id=${longJob}`, 'job-dag'], [`${root}/jobs/${job.id}/stages/stage/?id=${longStage}&attempt=0`, 'stage-dag']]) {
        await page.goto(url);
        const drawn = await inPage<number[]>(page, `[...document.querySelectorAll('#${svg} g.rdd')].map((g) => Number(g.dataset.rdd))`);
        assert.deepEqual(drawn.sort((a, b) => a - b), range(last - 19, last), url);
        const more = await inPage<[string, string][]>(page, `[...document.querySelectorAll('#${svg} g.rdd-more')].map((g) => [g.dataset.more, g.querySelector('text').textContent])`);
        assert.deepEqual(more, [['101', '… and 101 more RDDs']], url);
        const fromMore = await inPage<number[]>(page, `[...document.querySelectorAll('#${svg} path.edge[data-from="-1"]')].map((p) => Number(p.dataset.to))`);
        assert.deepEqual(fromMore, [last - 19], url);
        if (svg === 'job-dag') await page.screenshot({ path: path.join(ARTIFACTS, 'ui-dag-long.png'), fullPage: true });
      }

      fs.writeFileSync(path.join(dir, 'release'), '');
      const r = await run;
      assert.ok(r.ok, `${r.state}: ${String(r.failure)}`);
    });
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
