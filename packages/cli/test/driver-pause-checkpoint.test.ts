// The driver stopped (SIGSTOP) for 20 s while a state checkpoint is being written, then
// resumed (SIGCONT): nothing lost, nothing twice, the stream goes on. Real processes: `sluice
// driver`, two `sluice worker`s and `sluice submit` of fixtures/stream-stateful.ts
// (updateStateByKey, mapWithState with a timeout, reduceByKeyAndWindow with an inverse, each
// checkpointed every 2-3 batches; a queueStream whose batch i always takes RDD i). The driver
// is frozen as soon as a new state checkpoint's directory appears (its job's tasks are
// writing it on the workers); its worker timeout is 5 s. Resumed, it declares no worker lost, it generates the batches it missed; every batch's
// state, input, mapped values, snapshots and windows equal the computation done here
// (stateful-outputs.ts), each printed once, and the state checkpoints are those expected.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { fixture, freePort, runCli, sleep, within, type JobRun } from './harness.js';
import { assertStateCheckpoints, assertStatefulOutputs, expectedStatefulOutputs } from './stateful-outputs.js';
import { pause, resume } from '@sluice/test-disk/pause';

const env = { ...process.env, SLUICE_SECRET: 'driver-pause-checkpoint-0123456789abcdef' };
const PAUSE_MS = 20_000;
const BATCHES = 24;

const start = (args: string[]): Proc => startSluice(args, env);

test('a 20 s SIGSTOP of the driver while a state checkpoint is written: every batch output exact and once, the state checkpoints complete, the stream goes on', { timeout: 240_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-pause-ckpt-'));
  const ckpt = path.join(dir, 'ckpt');
  const driverAddr = `127.0.0.1:${await freePort()}`;
  const procs: Proc[] = [];
  let driver: Proc | undefined;
  try {
    // A 5 s worker timeout: the driver's own 20 s pause must not count against the workers.
    driver = start(['driver', '--port', driverAddr.split(':')[1], '--web-port', '0', '--log-level', 'warn', '--worker-timeout-ms', '5000']);
    procs.push(driver);
    for (let i = 0; i < 2; i++) procs.push(start(['worker', '--driver', driverAddr, '--cores', '1', '--log-level', 'warn']));
    await until('two workers', 60_000, async () => ((await runCli(['workers', '--driver', driverAddr], { env, timeoutMs: 20_000 })).stdout.match(/worker-/g) ?? []).length === 2);

    const submit = start(['submit', fixture('stream-stateful.ts'), '--driver', driverAddr, '--', ckpt, '500', String(BATCHES), String(BATCHES), '10']);
    procs.push(submit);
    await until('batch 3', 60_000, () => submit.stdout.some((l) => l.startsWith('STATE {"i":3,')));
    // Frozen as soon as a state checkpoint not there before appears: its tasks are writing it.
    const stateDir = path.join(ckpt, 'state');
    const list = (): string[] => (fs.existsSync(stateDir) ? fs.readdirSync(stateDir) : []);
    const before = new Set(list());
    let writing: string | undefined;
    await until('a new state checkpoint', 60_000, () => (writing = list().find((n) => !before.has(n))) !== undefined, 2);
    pause(driver.child);
    const stoppedAt = Date.now();
    const parts = (): string[] => fs.readdirSync(path.join(stateDir, writing!));
    t.diagnostic(`driver stopped with ${writing} holding ${JSON.stringify(parts())}`);
    const printedAtStop = submit.stdout.filter((l) => l.startsWith('STATE ')).length;
    await sleep(PAUSE_MS);
    t.diagnostic(`after ${PAUSE_MS} ms: ${writing} holds ${JSON.stringify(parts())}`);
    resume(driver.child);
    const code = await within(submit.exited, 150_000, 'the stream to run its batches and stop');
    assert.equal(code, 0, `sluice submit exits 0:\n${submit.stderr.slice(-3000)}`);
    const run = { lines: submit.stdout } as unknown as JobRun;
    assert.ok(submit.stdout.filter((l) => l.startsWith('STATE ')).length > printedAtStop, 'batches completed after the resume');
    // Every batch output once and exact (a batch printed twice or missing fails the comparison).
    assertStatefulOutputs(run, expectedStatefulOutputs(BATCHES, BATCHES), 'after the driver was stopped during a state checkpoint');
    assertStateCheckpoints(run, ckpt);
    // The checkpoint written during the pause is whole: no temporary file is left in it.
    const left = fs.existsSync(path.join(stateDir, writing!)) ? parts().filter((f) => f.includes('sluice-tmp')) : [];
    assert.deepEqual(left, [], `no half-written file left in ${writing}`);
    assert.doesNotMatch(driver.stderr, /worker lost/, 'no worker was declared lost for the driver\'s own pause');
    t.diagnostic(`stopped ${Date.now() - stoppedAt} ms before the end; submit said: ${submit.stderr.split('\n').filter((l) => l.startsWith('sluice:')).join(' | ')}`);
  } finally {
    resume(driver?.child);
    for (const p of procs) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => within(p.exited, 10_000, 'a process to exit').catch(() => undefined)));
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
});
