// The driver frozen (SIGSTOP) for 10 s in the middle of an RDD job, then resumed (SIGCONT): real
// processes (`sluice driver` with a 5 s worker timeout, 2 `sluice worker`s, `sluice submit` of
// fixtures/fault-pipeline.ts: two shuffles and a cached RDD read by two actions). The driver is
// frozen while action 2's tasks wait at their gate (each holding a task slot, the cached RDD's
// blocks and shuffle 1's outputs on the workers); the gate is opened during the pause, so the
// tasks run, end and report to a stopped driver. Resumed, it declares no worker lost, the job
// goes on, and `sluice submit` (attached all along) exits 0 with every result equal to the
// failure-free computation here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { expectedPipeline } from './fault-pipeline-expected.js';
import { fixture, freePort, runCli, sleep, within } from './harness.js';
import { pause, resume } from '@sluice/test-disk/pause';

const env = { ...process.env, SLUICE_SECRET: 'rdd-driver-pause-0123456789abcdef' };
const PAUSE_MS = 10_000;
const N = 20_000;

test('the driver frozen (SIGSTOP) for 10 s while an RDD job\'s tasks wait, their gate opened during the pause: no worker lost, the job ends with every result exact, sluice submit exits 0', { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-driver-pause-'));
  const gate = path.join(dir, 'gate');
  const driverAddr = `127.0.0.1:${await freePort()}`;
  const procs: Proc[] = [];
  try {
    const driver = startSluice(['driver', '--port', driverAddr.split(':')[1], '--web-port', '0', '--log-level', 'warn', '--worker-timeout-ms', '5000'], env);
    procs.push(driver);
    for (let i = 0; i < 2; i++) procs.push(startSluice(['worker', '--driver', driverAddr, '--cores', '1', '--log-level', 'warn'], env));
    await until('two workers', 60_000, async () => ((await runCli(['workers', '--driver', driverAddr], { env, timeoutMs: 20_000 })).stdout.match(/worker-/g) ?? []).length === 2);

    // Action 2's tasks each leave a directory in atGate as they reach their gate (args 4-5: no
    // map spin, no spread), so the driver is frozen with tasks waiting there, however loaded
    // the machine (a fixed 500 ms after the first action could come before any was launched).
    const atGate = path.join(dir, 'at-gate');
    fs.mkdirSync(atGate);
    const submit = startSluice(['submit', fixture('fault-pipeline.ts'), '--driver', driverAddr, '--', String(N), '16', '20', gate, '0', '', atGate], env);
    procs.push(submit);
    await until('the first action', 60_000, () => submit.stdout.includes('MARK first-action-done'));
    await until("action 2's first tasks at their gate", 60_000, () => fs.readdirSync(atGate).length > 0, 10);
    pause(driver.child);
    try {
      await sleep(1_000);
      fs.writeFileSync(gate, '');
      await sleep(PAUSE_MS - 1_000);
      assert.ok(!submit.stdout.some((l) => l.startsWith('RESULT2 ')), 'action 2 did not end while the driver was stopped');
    } finally {
      resume(driver.child);
    }
    const code = await within(submit.exited, 60_000, 'the job to end after the resume');
    assert.equal(code, 0, `sluice submit exits 0:\n${submit.stderr.slice(-3000)}`);
    const want = expectedPipeline(N);
    const line = (prefix: string): unknown => JSON.parse(submit.stdout.find((l) => l.startsWith(prefix))!.slice(prefix.length));
    assert.equal(line('COUNT '), want.count);
    assert.deepEqual(line('RESULT2 '), want.result2);
    assert.deepEqual(line('RESULT1 '), want.result1);
    assert.doesNotMatch(driver.stderr, /worker lost/, "no worker was declared lost for the driver's own pause");
  } finally {
    for (const p of procs) {
      resume(p.child);
      p.child.kill('SIGKILL');
    }
    await Promise.all(procs.map((p) => within(p.exited, 10_000, 'a process to exit').catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
