// spark.excludeOnFailure on real processes: a driver, two healthy worker processes and one sick
// one (started with SLUICE_TEST_SICK_WORKER=1, on which the fixture's map tasks throw, as on a
// worker whose disk or modules are broken). On: the sick worker is excluded for every job once
// two of its tasks failed in stages that succeeded, and no task is launched on it after that;
// every round exact; REST executors and the Executors page (in Chromium; screenshot
// test-artifacts/ui-executors-excluded.png) show it Excluded; and before that, while round 0's
// map stage runs (its tasks on the healthy workers held by a gate file until the test has
// looked), REST excludedInStages names that stage and the page shows the sick worker 'Active
// (Excluded in Stages: [s])', as Spark's (screenshot ui-executors-excluded-in-stage.png). Off (Spark's
// default): every round still exact (a task avoids the worker it failed on), and the sick worker
// keeps being given tasks to the last round. The rounds' figures are computed here from the
// fixture's inputs alone.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_EXCLUDE_ON_FAILURE } from '@sluice/driver';
import { ARTIFACTS, inPage, launchChromium } from './browser-support.js';
import { addWorkers } from './cluster-workers.js';
import { appRest, fixture, pollUntil, withCluster, type JobRun } from './harness.js';

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
  /** On: while round 0's map stage ran with the sick worker excluded in it (healthy tasks held). */
  readonly midStage?: { readonly stageId: number; readonly executors: { id: string; isExcluded: boolean; excludedInStages: number[] }[]; readonly shown: [string, string][] };
}

type ExecutorRow = { id: string; isExcluded: boolean; excludedInStages: number[] };

/** The Executors page's rows in Chromium (executor id, status), with a full-page screenshot. */
async function executorsShown(url: string, screenshot: string | undefined): Promise<[string, string][]> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 500 } });
    await page.goto(url);
    const shown = await inPage<[string, string][]>(page, `[...document.querySelectorAll('#executors tbody tr')].map((tr) => [tr.cells[0].textContent, tr.cells[2].textContent])`);
    if (screenshot !== undefined) await page.screenshot({ path: path.join(ARTIFACTS, screenshot), fullPage: true });
    return shown;
  } finally {
    await browser.close();
  }
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
    // On: round 0's healthy map tasks wait for the gate; once the sick worker is excluded in
    // their stage, REST and the page are read, then the gate opened.
    const gate = path.join(await mkdtemp(path.join(os.tmpdir(), 'sluice-exclude-gate-')), 'open');
    const args = [String(ROUNDS), String(N), String(KEYS), ...(exclude ? [gate] : [])];
    const watch = async (): Promise<Seen['midStage']> => {
      if (!exclude) return undefined;
      try {
        await pollUntil(() => (driver.taskScheduler.excludedInStages(sickId).length > 0 ? true : undefined), 120_000, 'the sick worker excluded in round 0 map stage');
        const [jobId] = driver.jobs.keys();
        const rest = appRest(h.cluster, jobId);
        // The stage whose tasks failed on the sick worker, from REST's active stages.
        const active = await rest<{ stageId: number; numFailedTasks: number }[]>('stages?status=active');
        const failing = active.filter((st) => st.numFailedTasks >= 2);
        assert.equal(failing.length, 1, JSON.stringify(active));
        const executors = await rest<ExecutorRow[]>('executors');
        const shown = await executorsShown(`http://127.0.0.1:${driver.webPort}/jobs/${jobId}/executors/`, 'ui-executors-excluded-in-stage.png');
        return { stageId: failing[0].stageId, executors, shown };
      } finally {
        await writeFile(gate, '');
      }
    };
    const [run, midStage] = await Promise.all([h.run(fixture('sick-worker.ts'), args), watch()]);
    assert.ok(run.jobId !== undefined, JSON.stringify(run.failure));
    const rest = appRest(h.cluster, run.jobId);
    const executors = await rest<ExecutorRow[]>('executors');
    const shown = await executorsShown(`http://127.0.0.1:${driver.webPort}/jobs/${run.jobId}/executors/`, exclude ? 'ui-executors-excluded.png' : undefined);
    return { run, sickId, sickStarts, sickFailures, executors, shown, midStage };
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
  // Mid-stage: excluded in round 0's map stage only (not yet for every job).
  const mid = s.midStage!;
  assert.deepEqual(
    mid.executors.filter((e) => e.id !== 'driver').map((e) => [e.id === s.sickId, e.isExcluded, e.excludedInStages]).sort(),
    [[false, false, []], [false, false, []], [true, false, [mid.stageId]]],
  );
  assert.deepEqual(
    mid.shown.map(([id, status]) => [id === 'driver' ? 'driver' : id === s.sickId, status]).sort(),
    [[false, 'Active'], [false, 'Active'], [true, `Active (Excluded in Stages: [${mid.stageId}])`], ['driver', 'Active']].sort(),
    'mid-stage, the Executors page (Chromium) shows the sick worker Active (Excluded in Stages: [s]); screenshot test-artifacts/ui-executors-excluded-in-stage.png',
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
