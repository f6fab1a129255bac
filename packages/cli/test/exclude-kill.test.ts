// spark.excludeOnFailure.killExcludedExecutors on real processes: a driver, two healthy worker
// processes (3 cores each) and a sick one (SLUICE_TEST_SICK_WORKER=1, on which the fixture's map
// tasks throw). The program's 3 receivers start first, one on each worker; its shuffle rounds get
// the sick worker excluded for a stage attempt, then for every job. Its SparkListener is told
// (onExecutorExcludedForStage naming a stage attempt it ran; onExecutorExcluded once, naming the
// sick worker and its 2+ failed tasks; each with its deprecated ...Blacklisted twin);
// the driver releases the worker as `sluice workers decommission` does: the worker process exits
// 0, its receiver moves to a healthy worker and stores there, every record arrives once, every
// round exact (computed here from the fixture's inputs alone). exclude-receivers is the same
// setup with killExcludedExecutors off: there the sick worker lives on.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_EXCLUDE_ON_FAILURE } from '@sluice/driver';
import { addWorkers, exited } from './cluster-workers.js';
import { fixture, withCluster, within } from './harness.js';

const N = 3_000;
const KEYS = 30;

test('spark.excludeOnFailure.killExcludedExecutors: the excluded worker is released (exits 0), its receiver moves to a healthy worker; the program is told onExecutorExcluded; every record once, every round exact', { timeout: 240_000 }, async () => {
  let weighted = 0;
  for (let i = 0; i < N; i++) weighted += i % KEYS;
  await withCluster({ workers: 2, coresPerWorker: 3, driver: { tasks: { excludeOnFailure: { ...DEFAULT_EXCLUDE_ON_FAILURE, killExcludedExecutors: true } } } }, async (h) => {
    const byId = new Map<string, ChildProcess>();
    process.env.SLUICE_TEST_SICK_WORKER = '1';
    try {
      await addWorkers(h, 1, byId);
    } finally {
      delete process.env.SLUICE_TEST_SICK_WORKER;
    }
    const [[sickId, sick]] = byId;
    const driver = h.cluster.driver;
    const gate = path.join(await mkdtemp(path.join(os.tmpdir(), 'sluice-exclude-kill-')), 'exited');
    const sickExit = exited(sick);
    const opened = within(sickExit, 120_000, 'the excluded sick worker to exit').then(async (code) => {
      await writeFile(gate, '');
      return code;
    });
    const run = await h.run(fixture('exclude-kill.ts'), [String(N), String(KEYS), gate]);
    assert.equal(await opened, 0, 'the sick worker exits 0, released as a decommissioned worker');
    assert.ok(run.ok, JSON.stringify(run.failure));
    const rounds = run.lines.filter((l) => l.startsWith('ROUND '));
    assert.ok(rounds.length >= 1 && rounds.length < 20, run.lines.join('\n'));
    assert.deepEqual(rounds, rounds.map((_, r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`));
    const told = (word: string): string[] => run.lines.filter((l) => l.startsWith(`${word} `));
    assert.equal(told('EXCLUDED').length, 1, run.lines.join('\n'));
    const [, executor, failures] = told('EXCLUDED')[0].split(' ');
    assert.equal(executor, sickId);
    assert.ok(Number(failures) >= 2, `taskFailures ${failures}`);
    assert.deepEqual(told('BLACKLISTED'), [`BLACKLISTED ${sickId} ${failures}`]);
    // Before that, excluded in a stage attempt of the program's (2 of its tasks failed there): told
    // onExecutorExcludedForStage and its deprecated twin, naming a stage attempt the program ran.
    const forStage = told('STAGE_EXCLUDED');
    assert.ok(forStage.length >= 1, run.lines.join('\n'));
    const stagesDone = new Set(told('STAGE_DONE').map((l) => l.split(' ')[1]));
    for (const l of forStage) {
      const [, ex, n, stage] = l.split(' ');
      assert.equal(ex, sickId, l);
      assert.ok(Number(n) >= 2, l);
      assert.ok(stagesDone.has(stage), `${l}: a stage attempt the program ran`);
    }
    assert.deepEqual(told('STAGE_BLACKLISTED'), forStage.map((l) => l.replace('STAGE_EXCLUDED', 'STAGE_BLACKLISTED')));
    assert.equal(driver.registry.get(sickId), undefined, 'the sick worker is no longer registered');
    // Every receiver stored on a healthy worker after the sick one exited; no record twice.
    assert.deepEqual(told('MOVED'), ['MOVED 3'], run.lines.join('\n'));
    const [received] = told('RECEIVED');
    const [, total, distinct] = received.split(' ');
    assert.ok(Number(total) > 0 && total === distinct, received);
  });
});
