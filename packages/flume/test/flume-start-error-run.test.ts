// A Flume stream that cannot listen, as a user meets it in `sluice run`: its receiver's onStart
// rejects (here the hostname does not resolve: `nonexistent.invalid`, never looked up outside),
// Sluice stops it as Spark's stop("Error starting receiver 0", error) and places it again every
// second. What `sluice run` prints is the driver's warning 'receiver lost; restarting it'; its
// reason must say what failed and where (the receiver, the host name, the fix), as Spark's
// "Deregistered receiver for stream 0: Error starting receiver 0 - <the error>". Before, it
// read "the receiver stopped by itself (Error starting receiver 0)" and nothing more, again
// and again.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fixture, freePort, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';

const runs: DriverProcess[] = [];

after(async () => {
  for (const r of runs) await r.kill9();
});

test("sluice run: a Flume hostname that does not resolve is named in the driver's warning, with the receiver and the fix", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const host = 'nonexistent.invalid';
  const started = Date.now();
  const run = runDriverProcess(fixture('flume-count-job.ts'), [JSON.stringify({ host, port, batchMs: 500, expectIds: 1 })], 1);
  runs.push(run);
  const warnings = (): Array<{ msg: string; reason?: string }> =>
    run
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; reason?: string })
      .filter((l) => l.msg === 'receiver lost; restarting it');
  const first = await pollUntil(() => warnings()[0], 60_000, "the driver's 'receiver lost; restarting it'");
  const seconds = (Date.now() - started) / 1000;
  const where = `flume receiver on ${host}:${port}: cannot listen (hostname "${host}" does not resolve on this worker`;
  assert.ok(first.reason?.startsWith('the receiver stopped by itself (Error starting receiver 0 - SluiceError: '), `the stop's message, then the error: ${first.reason}`);
  assert.ok(first.reason?.includes(where), `names the receiver, host and port: ${first.reason}\n(wanted ${where})`);
  // Said within a loose bound of the start (the cluster's start included), not after a long hang.
  assert.ok(seconds < 60, `${seconds} s`);
  // The job goes on (the receiver is placed again, as Spark's): the run has not exited.
  const exited = await Promise.race([run.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1500))]);
  assert.equal(exited, false, run.stderr());
});
