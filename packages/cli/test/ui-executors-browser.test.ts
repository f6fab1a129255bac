// Spark's Executors tab and REST executors/allexecutors with the driver's row and the dead workers, on a
// cluster of 2 worker processes (the driver in this process), in a real browser (Debian's Chromium through
// playwright-core). The fixture ui-dag.ts runs 2 actions and holds (until <dir>/release exists).
// - While both workers live: executors lists the driver first (id "driver", the driver's own address, as the
//   cluster was told it; no cores, no tasks; the driver process's resident memory) and the 2 workers; the
//   workers' completed tasks are the REST stages' successful tasks on them (counted here).
// - Both worker processes killed (SIGKILL): executors lists the driver alone; allexecutors adds each worker
//   that ran the job's tasks, not active, with a removeTime not before the kill and a removeReason, its address
//   as it was listed and its completed tasks as before.
// - The Executors page shows those rows (driver Active, the workers Dead, their addresses) and the totals'
//   status "1 active, 2 dead", above them Spark's Summary rows Active(1), Dead(2) (the tasks the killed workers
//   completed) and Total(3); each dead worker's Exec Loss Reason (Spark's column) is why the driver removed
//   it, the REST removeReason, which for a killed process says its port refuses connections (or, on a machine
//   too slow to probe first, that its heartbeats stopped); the driver's is empty. Screenshot:
//   test-artifacts/ui-executors-dead.png.
// - The job's page's Event Timeline (Spark's AllJobsPage with its Executors group): a lane a worker atop the
//   actions', each a bar from the job's start (the workers registered before it: REST addTime, not after the
//   test started them) to its removal after the kill, REMOVED, its tooltip the removal's reason. Screenshot:
//   test-artifacts/ui-jobs-timeline-workers.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { fixture, pollUntil, withCluster } from './harness.js';

interface Executor {
  id: string;
  hostPort: string;
  isActive: boolean;
  totalCores: number;
  totalTasks: number;
  completedTasks: number;
  rssBytes: number;
  addTime?: string;
  removeTime?: string;
  removeReason?: string;
}

/** The rows of the table matching `selector`, each cell's text. */
function rows(page: Page, selector: string): Promise<string[][]> {
  return inPage(page, `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr`)})].map((tr) => [...tr.cells].map((td) => td.textContent))`);
}

test("the Executors page and REST executors list the driver, and allexecutors the workers removed, in Chromium", { timeout: 200_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ui-executors-'));
  const testStart = Date.now();
  const browser = await launchChromium();
  try {
    await withCluster({ workers: 2, coresPerWorker: 2, driver: { webPort: 0 } }, async (h) => {
      const run = h.run(fixture('ui-dag.ts'), [dir]);
      let ended = false;
      void run.finally(() => (ended = true));
      await pollUntil(() => (fs.existsSync(path.join(dir, 'holding')) ? true : ended ? assert.fail('the job ended before it held') : undefined), 120_000, 'the job to hold');
      const root = `http://127.0.0.1:${h.cluster.driver.webPort}`;
      const jobId = [...h.cluster.driver.jobs.keys()][0];
      const rest = `${root}/api/v1/applications/${jobId}`;
      const get = async <T>(p: string): Promise<T> => (await (await fetch(`${rest}/${p}`)).json()) as T;

      // Each worker's successful tasks, from the stages' tasks (every task ended: the job holds).
      const stages = await get<{ tasks: Record<string, { executorId: string; status: string }> }[]>('stages?details=true');
      const succeeded = new Map<string, number>();
      for (const t of stages.flatMap((s) => Object.values(s.tasks))) if (t.status === 'SUCCESS') succeeded.set(t.executorId, (succeeded.get(t.executorId) ?? 0) + 1);
      assert.ok(succeeded.size > 0);

      const live = await get<Executor[]>('executors');
      const workerIds = h.cluster.driver.registry.all().map((w) => w.id).sort();
      assert.equal(live[0].id, 'driver');
      assert.deepEqual([live[0].hostPort, live[0].isActive, live[0].totalCores, live[0].totalTasks], [h.cluster.driver.address, true, 0, 0]);
      assert.ok(live[0].rssBytes > 0);
      assert.deepEqual(live.slice(1).map((e) => e.id).sort(), workerIds);
      const sparkMs = (d: string | undefined): number => Date.parse((d ?? '').replace(/GMT$/, 'Z'));
      for (const e of live.slice(1)) assert.ok(sparkMs(e.addTime) >= testStart - 1000 && sparkMs(e.addTime) <= Date.now(), `${e.id} added when the test started it: ${e.addTime}`);
      for (const e of live.slice(1)) assert.equal(e.completedTasks, succeeded.get(e.id) ?? 0, e.id);
      assert.deepEqual(await get<Executor[]>('allexecutors').then((a) => a.map((e) => e.id)), live.map((e) => e.id), 'none removed yet');
      const addressOf = new Map(live.map((e) => [e.id, e.hostPort]));

      // Both workers killed: the driver hears of each (its connection dropped, its port probed).
      const killedAt = Date.now();
      for (const c of [...h.cluster.workerProcesses]) {
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGKILL');
        await exited;
      }
      const ran = [...succeeded.keys()].sort();
      const all = await pollUntil(async () => {
        const a = await get<Executor[]>('allexecutors');
        return a.filter((e) => e.removeTime !== undefined).length === ran.length ? a : undefined;
      }, 60_000, 'allexecutors to list the killed workers that ran tasks');
      assert.deepEqual((await get<Executor[]>('executors')).map((e) => e.id), ['driver']);
      assert.equal(all[0].id, 'driver');
      // In the order they were removed (the page lists them so too).
      const dead = all.slice(1);
      assert.deepEqual(dead.map((e) => e.id).sort(), ran);
      for (const e of dead) {
        assert.deepEqual([e.hostPort, e.isActive, e.completedTasks], [addressOf.get(e.id), false, succeeded.get(e.id)], e.id);
        assert.ok(Date.parse(e.removeTime!.replace(/GMT$/, 'Z')) >= killedAt - 1000, `${e.id} removed after the kill: ${e.removeTime}`);
        assert.ok((e.removeReason ?? '').length > 0, e.id);
      }

      // The page: the driver's row, then the dead workers', with their addresses.
      const page = await browser.newPage({ viewport: { width: 1400, height: 700 } });
      await page.goto(`${root}/jobs/${jobId}/executors/`);
      const shown = await rows(page, '#executors');
      assert.deepEqual(shown.map((r) => r.slice(0, 3)), [['driver', h.cluster.driver.address, 'Active'], ...dead.map((e) => [e.id, e.hostPort, 'Dead'])]);
      assert.deepEqual(shown.map((r) => r[9]), ['0', ...dead.map((e) => String(succeeded.get(e.id)))], 'complete tasks');
      const reasonAt = await inPage<number>(page, `[...document.querySelectorAll('#executors thead th')].findIndex((th) => th.textContent === 'Exec Loss Reason')`);
      assert.ok(reasonAt > 0, 'an Exec Loss Reason column');
      assert.deepEqual(shown.map((r) => r[reasonAt]), ['', ...dead.map((e) => e.removeReason)], 'loss reasons');
      for (const e of dead) assert.match(e.removeReason!, new RegExp(`its port ${e.hostPort.replace(/\./g, '\\.')} refuses connections: the worker process is gone|no heartbeat for \\d+ ms`), e.id);
      // Spark's Summary rows: Active (the driver alone), Dead (the killed workers, with the tasks they completed), Total.
      const summary = await rows(page, '#executors-total');
      const workersWord = `${dead.length} worker${dead.length === 1 ? '' : 's'}`;
      assert.deepEqual(summary.map((r) => r.slice(0, 3)), [
        ['Active(1)', '0 workers and the driver', '1 active'],
        [`Dead(${dead.length})`, workersWord, `${dead.length} dead`],
        [`Total(${dead.length + 1})`, `${workersWord} and the driver`, `1 active, ${dead.length} dead`],
      ]);
      const deadCompleted = dead.reduce((n, e) => n + (succeeded.get(e.id) ?? 0), 0);
      assert.deepEqual(summary.map((r) => r[9]), ['0', String(deadCompleted), String(deadCompleted)], 'complete tasks: none on the driver, all on the dead workers');
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-executors-dead.png'), fullPage: true });

      // The job's Event Timeline: the workers' lanes, then the actions'.
      await page.goto(`${root}/jobs/${jobId}/`);
      const lanes = await inPage<{ lane: string; id: string; status: string; start: number; end: string; title: string }[]>(
        page,
        `[...document.querySelectorAll('#job-timeline g.lane')].map((g) => { const r = g.querySelector('rect.tl-bar'); return { lane: g.dataset.lane, id: r.dataset.id, status: r.dataset.status, start: Number(r.dataset.start), end: r.dataset.end, title: g.querySelector('title').textContent }; })`,
      );
      const workerLanes = lanes.filter((l) => l.lane.startsWith('Worker '));
      assert.deepEqual(lanes.slice(0, workerLanes.length), workerLanes, 'the workers atop');
      assert.deepEqual(workerLanes.map((l) => [l.lane, l.id, l.status]).sort(), dead.map((e) => [`Worker ${e.id}`, e.id, 'REMOVED']).sort());
      const firstAction = Math.min(...lanes.filter((l) => l.lane.startsWith('Job ')).map((l) => l.start));
      for (const l of workerLanes) {
        const e = dead.find((x) => x.id === l.id)!;
        assert.ok(l.start <= firstAction, `${l.id}'s bar starts by the first action: ${l.start} > ${firstAction}`);
        assert.ok(Number(l.end) >= killedAt - 1000 && Number(l.end) <= Date.now(), `${l.id} removed after the kill: ${l.end}`);
        assert.ok(l.title.endsWith(`Reason: ${e.removeReason}`), l.title);
      }
      await page.screenshot({ path: path.join(ARTIFACTS, 'ui-jobs-timeline-workers.png'), fullPage: true });

      fs.writeFileSync(path.join(dir, 'release'), '');
      const r = await run;
      assert.ok(r.ok, `${r.state}: ${String(r.failure)}`);
    });
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
