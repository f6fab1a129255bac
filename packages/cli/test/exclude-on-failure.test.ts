// spark.excludeOnFailure on real processes: a driver, two healthy worker processes and one sick
// one (started with SLUICE_TEST_SICK_WORKER=1, on which the fixture's map tasks throw, as on a
// worker whose disk or modules are broken). On: the sick worker is excluded for every job once
// two of its tasks failed in stages that succeeded, and no task is launched on it after that;
// every round exact; REST executors and the Executors page (in Chromium; screenshot
// test-artifacts/ui-executors-excluded.png) show it Excluded. Off (Spark's
// default): every round still exact (a task avoids the worker it failed on), and the sick worker
// keeps being given tasks to the last round. The rounds' figures are computed here from the
// fixture's inputs alone.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_EXCLUDE_ON_FAILURE } from '@sluice/driver';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { addWorkers } from './cluster-workers.js';
import { appRest, fixture, withCluster, type JobRun } from './harness.js';

const ROUNDS = 4;
const N = 6_000;
const KEYS = 50;

function expectedRounds(): string[] {
  let weighted = 0;
  for (let i = 0; i < N; i++) weighted += i % KEYS;
  return Array.from({ length: ROUNDS }, (_, r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`);
}

interface Seen {
  readonly run: JobRun;
  readonly sickId: string;
  /** Launches on the sick worker: the round (0 first) and whether the worker was excluded then. */
  readonly sickStarts: { readonly round: number; readonly excluded: boolean }[];
  readonly sickFailures: number;
  readonly executors: { id: string; isExcluded: boolean; excludedInStages: number[] }[];
  /** The Executors page's rows in Chromium: executor id and status. */
  readonly shown: [string, string][];
}

async function runWithSickWorker(exclude: boolean): Promise<Seen> {
  const tasks = exclude ? { excludeOnFailure: DEFAULT_EXCLUDE_ON_FAILURE } : {};
  return withCluster({ workers: 2, coresPerWorker: 1, driver: { webPort: 0, tasks } }, async (h) => {
    const byId = new Map<string, ChildProcess>();
    process.env.SLUICE_TEST_SICK_WORKER = '1';
    try {
      await addWorkers(h, 1, byId);
    } finally {
      delete process.env.SLUICE_TEST_SICK_WORKER;
    }
    const [sickId] = byId.keys();
    const driver = h.cluster.driver;
    const sickStarts: { round: number; excluded: boolean }[] = [];
    let sickFailures = 0;
    // Each round is one action (one of the DAG scheduler's jobs).
    let actions = 0;
    driver.dag.addListener({
      onJobStart: () => void actions++,
      onTaskStart: (e) => {
        if (e.workerId === sickId) sickStarts.push({ round: actions - 1, excluded: driver.taskScheduler.excludedWorkers().has(sickId) });
      },
      onTaskEnd: (e) => {
        if (e.workerId === sickId && e.reason === 'error') sickFailures++;
      },
    });
    const run = await h.run(fixture('sick-worker.ts'), [String(ROUNDS), String(N), String(KEYS)]);
    assert.ok(run.jobId !== undefined, JSON.stringify(run.failure));
    const rest = appRest(h.cluster, run.jobId);
    const executors = await rest<{ id: string; isExcluded: boolean; excludedInStages: number[] }[]>('executors');
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 500 } });
      await page.goto(`http://127.0.0.1:${driver.webPort}/jobs/${run.jobId}/executors/`);
      const shown = await inPage<[string, string][]>(page, `[...document.querySelectorAll('#executors tbody tr')].map((tr) => [tr.cells[0].textContent, tr.cells[2].textContent])`);
      if (exclude) await page.screenshot({ path: path.join(ARTIFACTS, 'ui-executors-excluded.png'), fullPage: true });
      return { run, sickId, sickStarts, sickFailures, executors, shown };
    } finally {
      await browser.close();
    }
  });
}

test('spark.excludeOnFailure on: the sick worker is excluded once 2 of its tasks failed in stages that succeeded, no task goes to it after (none in the last round), REST and the Executors page show it Excluded; every round exact', { timeout: 240_000 }, async () => {
  const s = await runWithSickWorker(true);
  assert.ok(s.run.ok, JSON.stringify(s.run.failure));
  assert.deepEqual(s.run.lines.filter((l) => l.startsWith('ROUND ')), expectedRounds());
  assert.ok(s.sickFailures >= 2, `tasks failed on the sick worker: ${s.sickFailures}`);
  assert.deepEqual(s.sickStarts.filter((x) => x.excluded), [], 'no task launched on the sick worker once it was excluded');
  // Excluded once two of its tasks failed in stages that succeeded: in round 0, or in round 1 when a busy machine gave it
  // one task in round 0 (the others' slots were free first). Never in the last round (off, it gets tasks there too).
  assert.ok(s.sickStarts.every((x) => x.round < ROUNDS - 1), `the sick worker got no task in the last round: ${JSON.stringify(s.sickStarts)}`);
  assert.deepEqual(
    s.executors.filter((e) => e.id !== 'driver').map((e) => [e.id === s.sickId, e.isExcluded]).sort(),
    [[false, false], [false, false], [true, true]],
  );
  assert.deepEqual(
    s.shown.map(([id, status]) => [id === 'driver' ? 'driver' : id === s.sickId, status]).sort(),
    [[false, 'Active'], [false, 'Active'], [true, 'Excluded'], ['driver', 'Active']].sort(),
    'the Executors page (Chromium) shows the sick worker Excluded, the others Active; screenshot test-artifacts/ui-executors-excluded.png',
  );
});

test("spark.excludeOnFailure off (Spark's default): the sick worker keeps being given tasks to the last round and is never excluded; every round exact", { timeout: 240_000 }, async () => {
  const s = await runWithSickWorker(false);
  assert.ok(s.run.ok, JSON.stringify(s.run.failure));
  assert.deepEqual(s.run.lines.filter((l) => l.startsWith('ROUND ')), expectedRounds());
  assert.ok(s.sickStarts.some((x) => x.round === ROUNDS - 1), `the sick worker got tasks in the last round: ${JSON.stringify(s.sickStarts)}`);
  assert.ok(s.executors.every((e) => e.isExcluded !== true), JSON.stringify(s.executors));
  assert.deepEqual(s.shown.filter(([, status]) => status !== 'Active'), []);
});
