// A worker that loses its driver finds a restarted one by itself, without waiting for its
// next heartbeat: the driver here asks for a heartbeat only every 600 s, so a worker that
// noticed the loss only on its heartbeat schedule would register with the new driver ten
// minutes later; it must do so within seconds (the quick retries start when the connection
// drops). Real processes: `sluice driver` (kill -9, then a new one on the same port) and
// one `sluice worker`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from './harness.js';
import { randomSecret, spawnSluice, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const driverArgs = (port: number): string[] => ['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--heartbeat-ms', '600000', '--worker-timeout-ms', '6000000'];

test('a worker re-registers with a driver restarted on the same port well before its next heartbeat is due', { timeout: 240_000 }, async () => {
  const secret = randomSecret();
  const port = await freePort();
  const procs: SluiceProcess[] = [];
  try {
    const first = await spawnSluice(driverArgs(port), secret, /driver listening/);
    procs.push(first);
    const worker = await startWorkerProcess(`127.0.0.1:${port}`, secret);
    procs.push(worker);
    const workerId = (JSON.parse(first.logLines.find((l) => l.includes('"worker joined"'))!) as { workerId: string }).workerId;

    const gone = new Promise<void>((r) => first.child.once('exit', () => r()));
    first.child.kill('SIGKILL');
    await gone;
    const second = await spawnSluice(driverArgs(port), secret, /driver listening/);
    procs.push(second);
    // 600 s heartbeats: the worker's next one is due ~600 s after it registered. 60 s is far
    // beyond the quick retries (at most 250 ms apart; a second or two on a quiet machine, where
    // 15 s could lapse at load 40) and far below that.
    const deadline = Date.now() + 60_000;
    let joined: { workerId: string } | undefined;
    while (joined === undefined && Date.now() < deadline) {
      // Both sides: the new driver took the registration, the worker had its answer.
      const line = second.logLines.find((l) => l.includes('"worker joined"'));
      if (line && worker.logLines.some((l) => l.includes('the driver restarted'))) joined = JSON.parse(line) as { workerId: string };
      else await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(joined, `the worker registered with the restarted driver within 60 s; new driver's log:\n${second.logLines.slice(-15).join('\n')}\nworker's log:\n${worker.logLines.slice(-15).join('\n')}`);
    assert.equal(joined.workerId, workerId, 'the same worker registered again');
  } finally {
    for (const p of procs.reverse()) await p.stop();
  }
});
