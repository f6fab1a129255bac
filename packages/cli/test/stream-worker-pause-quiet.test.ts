// A receiver's worker frozen (SIGSTOP) past the driver's worker timeout while its source sends
// nothing, then woken (SIGCONT): declared lost, its receiver is started on another worker, and
// woken, the worker learns from its next heartbeat that the driver does not know it and stops
// the receiver it still runs. Before, a receiver heard it was replaced only in the answer to
// its next block's report: one storing nothing (a quiet source) ran on beside its replacement
// for good, holding its connection to the source, and an MQTT receiver so woken reconnected
// with the session's client id before its first report was answered, taking the session back
// from its replacement for a second or more (mqtt-worker-pause's log-off case at load 35).
// The source is a TCP server of the test's own that sends nothing and notes each connection's
// close: the woken receiver's must close, its replacement's stay open.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pause, resume } from '@sluice/test-disk/pause';
import { addWorkers } from './cluster-workers.js';
import { fixture, pollUntil, startJob, withCluster, within } from './harness.js';

const WORKER_TIMEOUT_MS = 3000;

interface Conn {
  readonly openedAt: number;
  closedAt?: number;
}

test("a receiver's worker frozen past the worker timeout with its source quiet, then woken: the woken receiver stops (its connection to the source closes), its replacement's stays", { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-quiet-pause-'));
  const conns: Conn[] = [];
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => {
    const c: Conn = { openedAt: Date.now() };
    conns.push(c);
    sockets.push(s);
    s.on('close', () => (c.closedAt = Date.now()));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    await withCluster({ workers: 0, logLevel: 'error', driver: { workerTimeoutMs: WORKER_TIMEOUT_MS, heartbeatIntervalMs: 500 } }, async (h) => {
      const procs = new Map<string, ChildProcess>();
      await addWorkers(h, 3, procs);
      const stop = path.join(dir, 'stop');
      const job = await startJob(h.cluster, fixture('stream-stateful-socket.ts'), ['127.0.0.1', String(port), '500', path.join(dir, 'ckpt'), '2000', stop]);
      const startedOn = (line: string): string => (JSON.parse(line.slice('RECEIVER started '.length)) as { workerId: string }).workerId;
      const first = startedOn(await job.waitLine('RECEIVER started ', 120_000));
      await pollUntil(() => (conns.length >= 1 ? true : undefined), 60_000, 'the receiver to connect to the source');
      const victim = procs.get(first);
      assert.ok(victim, `the receiver's worker ${first} is a known worker process`);
      pause(victim);
      let movedTo: string;
      try {
        movedTo = startedOn(await job.waitLine('RECEIVER started ', 120_000, (l) => startedOn(l) !== first));
        await pollUntil(() => (conns.length >= 2 ? true : undefined), 60_000, 'the replacement receiver to connect to the source');
        assert.equal(conns[0]!.closedAt, undefined, "the frozen receiver's connection is open while it is frozen");
      } finally {
        resume(victim);
      }
      const wokenAt = Date.now();
      // A bound, not a wait: the woken worker's first heartbeat is answered at once (quiet: within a second).
      await pollUntil(() => (conns[0]!.closedAt !== undefined ? true : undefined), 60_000, 'the woken receiver to close its connection to the source');
      assert.equal(conns[1]!.closedAt, undefined, "the replacement's connection stays open");
      assert.equal(conns.length, 2, 'no receiver connected to the source again');
      fs.writeFileSync(stop, '');
      const run = await within(job.done, 60_000, 'the job to stop');
      assert.equal(run.ok, true, `${JSON.stringify(run.failure)}\n${run.lines.slice(-20).join('\n')}`);
      const starts = run.lines.filter((l) => l.startsWith('RECEIVER started ')).map(startedOn);
      assert.deepEqual(starts, [first, movedTo], 'the receiver started on its first worker and on one other, not again at the wake');
      console.log(`# the woken receiver's connection closed ${conns[0]!.closedAt! - wokenAt} ms after the wake`);
    });
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
