// A test file ended on its timeout leaves no `sluice run` behind: on Node 20 a file's
// --test-timeout bounds the file as a whole and the runner ends it with SIGTERM, which runs no
// after() hook, and `sluice run` (its standard input ignored) does not notice its test is gone.
// flume-run-kill under the mutant restored-batch-blocks-reallocated (both tests waiting out 90 s
// on events that never came) left its run and that run's 3 workers running for good.
// @sluice/test-servers' runDriverProcess now kills every run still running as its test process
// exits or is told to end. Here: support/cancelled-run-file.ts (a run started, then a wait for
// ever) run with --test-timeout=20000; once it ended, its run and the run's worker are gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { pollUntil, processAlive } from './job-runner.js';

test("a test file ended on its timeout (SIGTERM) takes its `sluice run` and the run's workers with it", { timeout: 120_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-run-cancelled-'));
  const pidFile = path.join(dir, 'pids.json');
  let pids: { run: number; workers: number[] } | undefined;
  try {
    const file = fileURLToPath(new URL('./support/cancelled-run-file.js', import.meta.url));
    // A runner of its own (without NODE_TEST_CONTEXT, node --test inside a test file runs nothing).
    const env: NodeJS.ProcessEnv = { ...process.env, CANCELLED_RUN_DIR: dir, CANCELLED_RUN_PID_FILE: pidFile };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn(process.execPath, ['--test', '--test-timeout=20000', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    assert.ok(fs.existsSync(pidFile), `the file started its run before it timed out (exit ${code}):\n${out.slice(-2000)}`);
    pids = JSON.parse(fs.readFileSync(pidFile, 'utf8')) as { run: number; workers: number[] };
    assert.match(out, /timed out after 20000ms/, 'the file was ended on its timeout');
    const all = [pids.run, ...pids.workers];
    await pollUntil(() => (all.every((p) => !processAlive(p)) ? true : undefined), 15_000, `the run ${pids.run} and its workers ${pids.workers.join(' ')} gone`).catch((err: Error) => {
      throw new Error(`${err.message}: still running ${all.filter(processAlive).join(' ')}`);
    });
  } finally {
    // What the cleanup missed (a failing case) is killed here, by pid.
    for (const p of pids ? [pids.run, ...pids.workers] : []) if (processAlive(p)) process.kill(p, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
