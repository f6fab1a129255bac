// Receivers and spark.excludeOnFailure on real processes: a driver, two healthy worker processes
// (3 cores each) and a sick one (SLUICE_TEST_SICK_WORKER=1, on which the fixture's map tasks
// throw). The program's shuffle rounds get the sick worker excluded for every job; then it starts
// 3 receivers. Spread over the live workers fewest-first, one would land on each worker, the sick
// one too; as Spark's, whose receivers run as tasks an excluded executor is not offered, none is
// placed there: every record is stored on a healthy worker (each record says where it was stored),
// and every record arrives once; the sick worker lives on (killExcludedExecutors off). The figures are computed here from the fixture's inputs alone.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_EXCLUDE_ON_FAILURE } from '@sluice/driver';
import { addWorkers } from './cluster-workers.js';
import { fixture, pollUntil, withCluster } from './harness.js';

const N = 3_000;
const KEYS = 30;

test('spark.excludeOnFailure: receivers started after a worker is excluded for every job are placed on the other workers only; every record once', { timeout: 240_000 }, async () => {
  let weighted = 0;
  for (let i = 0; i < N; i++) weighted += i % KEYS;
  await withCluster({ workers: 2, coresPerWorker: 3, driver: { tasks: { excludeOnFailure: DEFAULT_EXCLUDE_ON_FAILURE } } }, async (h) => {
    const byId = new Map<string, ChildProcess>();
    process.env.SLUICE_TEST_SICK_WORKER = '1';
    try {
      await addWorkers(h, 1, byId);
    } finally {
      delete process.env.SLUICE_TEST_SICK_WORKER;
    }
    const [sickId] = byId.keys();
    const driver = h.cluster.driver;
    const gate = path.join(await mkdtemp(path.join(os.tmpdir(), 'sluice-exclude-receivers-')), 'excluded');
    const opened = pollUntil(() => (driver.taskScheduler.excludedWorkers().has(sickId) ? true : undefined), 120_000, 'the sick worker excluded for every job').then(() => writeFile(gate, ''));
    const run = await h.run(fixture('exclude-receivers.ts'), [String(N), String(KEYS), gate]);
    await opened;
    assert.ok(run.ok, JSON.stringify(run.failure));
    const rounds = run.lines.filter((l) => l.startsWith('ROUND '));
    assert.ok(rounds.length >= 1 && rounds.length < 20, run.lines.join('\n'));
    assert.deepEqual(rounds, rounds.map((_, r) => `ROUND ${r} ${N} ${KEYS} ${weighted}`));
    assert.ok(driver.taskScheduler.excludedWorkers().has(sickId), 'the sick worker is still excluded (spark.excludeOnFailure.timeout 1 h)');
    // 3 receivers x 100 records, each once; none stored on the sick worker.
    assert.deepEqual(run.lines.filter((l) => l.startsWith('RECEIVED ')), ['RECEIVED 300 300 0'], run.lines.join('\n'));
    // killExcludedExecutors off (Spark's default): the excluded worker lives on, registered (exclude-kill has it on).
    assert.equal(byId.get(sickId)!.exitCode, null, 'the sick worker process still runs');
    assert.ok(driver.registry.get(sickId) !== undefined, 'the sick worker is still registered');
  });
});
