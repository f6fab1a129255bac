// Not a test of its own (no .test. in its name): the test file run-cancelled-cleanup.test.ts
// runs this with a short --test-timeout. Its one test starts `sluice run` of a Flume push job
// (fixture flume-recover-job.ts, 1 worker), writes that run's pid to $CANCELLED_RUN_PID_FILE once
// its worker runs, and waits for ever: the runner ends this file with SIGTERM at its timeout,
// before any after() hook could stop the run.
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, freePort, pollUntil, runDriverProcess, workerPids } from '../job-runner.js';

test('a `sluice run` left running when the file times out', async () => {
  const root = process.env.CANCELLED_RUN_DIR!;
  const d = { ckpt: path.join(root, 'ckpt'), out: path.join(root, 'out'), control: path.join(root, 'control') };
  for (const x of [d.out, d.control]) fs.mkdirSync(x, { recursive: true });
  const run = runDriverProcess(fixture('flume-recover-job.ts'), [JSON.stringify({ host: '127.0.0.1', port: await freePort(), ...d, batchMs: 500 })], 1);
  const workers = await pollUntil(() => (workerPids(run).length >= 1 ? workerPids(run) : undefined), 60_000, 'the run\'s worker process');
  fs.writeFileSync(process.env.CANCELLED_RUN_PID_FILE!, JSON.stringify({ run: run.pid, workers }));
  await new Promise(() => undefined);
});
