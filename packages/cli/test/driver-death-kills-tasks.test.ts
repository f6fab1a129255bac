// A driver killed with -9 leaves no task running on its workers: each worker sees the
// task stream the driver opened to it close and kills the tasks it carried (their
// threads terminated, with what they held), as Spark's executors do when their driver is
// gone. Before, a task that never returns ran on until a new driver instance came (the
// workers drop the old jobs when they register with it) or forever. The workers then
// serve a new driver's job. Real processes: `sluice driver`, two `sluice worker`s of one
// core each, `sluice submit`, started once for the file.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { completeLines } from './complete-lines.js';
import { fixture, freePort, runCli, sleep } from './harness.js';
import { pollUntil, randomSecret, spawnSluice, startWorkerProcess, withProcessLogs, type SluiceProcess } from './sluice-processes.js';

/** Lines of a heartbeat file: `<pid> <threadId> <ms>`, one every 100 ms while its task runs. */
function beats(file: string): string[] {
  return completeLines(file); // polled as the tasks append: a beat seen cut short (its pid in part) waits for the next read
}

/** What `quick n` must print: 2 × (0 + 1 + ... + n-1), computed here. */
function expectedSum(n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += 2 * i;
  return s;
}

test('kill -9 of the driver: the workers kill the tasks of its task streams (their heartbeats stop), then serve a new driver', { timeout: 540_000 }, async () => {
  const secret = randomSecret();
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-driver-death-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const startDriver = (): Promise<SluiceProcess> => spawnSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '500'], secret, /driver listening/);
  const procs: SluiceProcess[] = [];
  try {
    procs.push(await startDriver());
    const workers = [await startWorkerProcess(addr, secret), await startWorkerProcess(addr, secret)];
    procs.push(...workers);
    const workerPids = workers.map((w) => String(w.child.pid));
    const submitted = await runCli(['submit', fixture('heartbeat-tasks.ts'), '--driver', addr, '--detach', '--', 'beat', dir], { env, timeoutMs: 120_000 });
    assert.equal(submitted.code, 0, submitted.stderr);
    const files = [path.join(dir, 'p0'), path.join(dir, 'p1')];
    await pollUntil(() => (files.every((f) => beats(f).length >= 5) ? true : undefined), 120_000, 'both tasks to beat 5 times');
    // Each task runs in a worker process (one core each: one task on each).
    const running = files.map((f) => beats(f).at(-1)!.split(' ')[0]);
    for (const pid of running) assert.ok(workerPids.includes(pid), `a task beats from pid ${pid}, not a worker's (${workerPids.join(', ')})`);
    const hosts = workers.filter((w) => running.includes(String(w.child.pid)));

    procs[0].child.kill('SIGKILL');
    // Each worker that ran a task says it killed it when the stream closed.
    await pollUntil(() => (hosts.every((w) => w.logLines.some((l) => l.includes('task stream closed with tasks running'))) ? true : undefined), 60_000, 'the workers to kill the tasks of the closed streams');
    // The heartbeats stop: no file grows for 3 s (at 10 beats a second), within 90 s.
    let last = files.map((f) => beats(f).length);
    let stillSince = Date.now();
    const deadline = Date.now() + 90_000;
    for (;;) {
      await sleep(250);
      const now = files.map((f) => beats(f).length);
      if (now.some((n, i) => n !== last[i])) {
        last = now;
        stillSince = Date.now();
      } else if (Date.now() - stillSince >= 3000) break;
      assert.ok(Date.now() < deadline, `the tasks beat on after the driver was killed: ${now.join(', ')} beats`);
    }
    const stopped = last;

    // A new driver instance on the same address: the workers register with it and run its job.
    procs[0] = await startDriver();
    // Each worker says so once it registered with it (a new instance: it drops the old job's leftovers).
    await pollUntil(() => (workers.every((w) => w.logLines.some((l) => l.includes('the driver restarted; dropping'))) ? true : undefined), 120_000, 'both workers to register with the new driver', 200);
    const n = 2000;
    const quick = await runCli(['submit', fixture('heartbeat-tasks.ts'), '--driver', addr, '--', 'quick', String(n)], { env, timeoutMs: 120_000 });
    assert.equal(quick.code, 0, quick.stderr);
    assert.match(quick.stdout, new RegExp(`^SUM ${expectedSum(n)}$`, 'm'));
    // The killed tasks stayed dead all along.
    assert.deepEqual(
      files.map((f) => beats(f).length),
      stopped,
    );
  } catch (err) {
    throw withProcessLogs(err, procs);
  } finally {
    for (const p of procs.reverse()) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
