// RDDs' creation sites (Spark's RDDInfo.callSite, the DAG Visualization's `map at job.ts:14:23`) are formatted by
// the program's thread only when a page or REST call asks, not for every RDD of every action: on a cluster of 2
// workers, the fixture call-sites-lazy.ts runs 30 counts of fresh 10-map chains while counting the stacks V8
// formats in its thread. An action formats its own call site (its stage's name) and each map's function is
// shipped with where it was given (a stack formatted as the map is called: closure capture, not this): 11 an
// action. Formatting each RDD's creation site too as the action starts would add one an RDD (21 an action); at
// most 13 an action are allowed. Then the REST stage of the last count
// gives each of its RDDs' call site: the maps' the fixture's `r.map(` line, the parallelized RDD's its
// `sc.parallelize(` line, formatted now that they are asked.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, pollUntil, siteAt, withCluster } from './harness.js';

test("an action formats none of its RDDs' creation sites; REST stages give them when asked", { timeout: 200_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-call-sites-'));
  try {
    await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0 } }, async (h) => {
      const run = h.run(fixture('call-sites-lazy.ts'), [dir]);
      let ended = false;
      void run.finally(() => (ended = true));
      const holding = path.join(dir, 'holding');
      await pollUntil(() => (fs.existsSync(holding) ? true : ended ? assert.fail('the job ended before it held') : undefined), 120_000, 'the job to hold');
      const [label, formats, actions, chain, last, jobId] = fs.readFileSync(holding, 'utf8').split(' ');
      assert.equal(label, 'FORMATS');
      const [f, a, c] = [formats, actions, chain].map(Number);
      assert.ok(f <= a * (c + 3), `${f} stacks formatted over ${a} actions of ${c + 1} RDDs each (${c} maps): an RDD's site is formatted only when asked`);

      const job = [...h.cluster.driver.jobs.values()][0];
      const rest = `http://127.0.0.1:${h.cluster.driver.webPort}/api/v1/applications/${job.id}`;
      const [stageId] = ((await (await fetch(`${rest}/jobs/${jobId}`)).json()) as { stageIds: number[] }).stageIds;
      const stage = (await (await fetch(`${rest}/stages/${stageId}/0`)).json()) as { rddInfos: { id: number; name: string; callSite?: string }[] };
      const ids = stage.rddInfos.map((r) => r.id);
      const lastId = Number(last);
      assert.deepEqual(ids.slice(-c), Array.from({ length: c }, (_, i) => lastId - c + 1 + i));
      const file = fixture('call-sites-lazy.ts');
      for (const r of stage.rddInfos.slice(-c)) assert.match(r.callSite ?? '', siteAt('map', file, 'r = r.map('), `RDD ${r.id}`);
      assert.match(stage.rddInfos[0].callSite ?? '', siteAt('parallelize', file, 'sc.parallelize('));

      fs.writeFileSync(path.join(dir, 'release'), '');
      const r = await run;
      assert.ok(r.ok, `${r.state}: ${String(r.failure)}`);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
