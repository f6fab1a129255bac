// A socketTextStream's source that stops in the middle of a line, on real processes (a driver
// in this process, a worker process; the TCP server in this test). The first connection sends
// two lines and half a third, then closes (FIN): the half line is stored as a line, as Spark's
// SocketReceiver (BufferedReader.readLine) takes it, and the restart's reason says so. The
// second sends two lines and half a third, then, once the two lines were received, resets the
// connection (RST): the two lines are stored, the half line is not, and the restart's reason
// names the reset and the bytes dropped. The receiver reconnects each time; the third
// connection's line arrives; every line once, in order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalCluster } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import { fixture, jsonLines, pollUntil, startJob, within } from './harness.js';

let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-half-line-'));
  cluster = new LocalCluster({ workers: 1, coresPerWorker: 1, logLevel: 'warn', log: createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false }) });
  await cluster.start();
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('a source that closes, then resets, in the middle of a line: closed, the half line is stored as a line; reset, it is dropped; each restart says which and how many bytes; every other line once', { timeout: 120_000 }, async () => {
  const conns: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => undefined);
    const n = conns.push(s);
    if (n === 1) s.end('a1\na2\npart');
    else if (n === 2) s.write('b1\nb2\nhalf');
    else s.write('c1\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const where = `127.0.0.1:${port}`;
  const stopFile = path.join(tmp, 'stop');
  try {
    const job = await startJob(cluster, fixture('stream-socket-lines.ts'), ['127.0.0.1', String(port), '300', 'default', stopFile]);
    // Reset only once the second connection's lines are in a batch: its bytes were read (a reset drops what the kernel holds unread).
    await job.waitLine('REC ', 60_000, (l) => l.includes('"b2"'));
    conns[1].resetAndDestroy();
    await job.waitLine('REC ', 60_000, (l) => l.includes('"c1"'));
    await pollUntil(() => (conns.length === 3 ? true : undefined), 10_000, 'the third connection');
    fs.writeFileSync(stopFile, '');
    const run = await within(job.done, 60_000, 'the job to stop');
    assert.equal(run.ok, true, JSON.stringify(run.failure));
    assert.deepEqual(jsonLines<{ text: string }>(run.lines, 'REC ').map((r) => r.text), ['a1', 'a2', 'part', 'b1', 'b2', 'c1'], 'every line once, in order; the half line closed stored, the half line reset not');
    const restarts = jsonLines<{ reason: string }>(run.lines, 'RECEIVER stopped ').map((r) => r.reason).filter((r) => r.startsWith('Restarting receiver'));
    assert.equal(restarts.length, 2, JSON.stringify(restarts));
    assert.equal(restarts[0], `Restarting receiver with delay 2000ms: ${where} closed the connection in the middle of a line: its last 4 bytes, with no '\\n' after them, were stored as a line; reconnecting`);
    assert.match(restarts[1], new RegExp(`^Restarting receiver with delay 2000ms: socket receiver (cannot read from|failed reading) ${where.replace(/\./g, '\\.')}: read ECONNRESET; the 4 bytes of a line it had not ended \\(no '\\\\n' after them\\) are dropped: a socket source is not asked to send them again$`));
  } finally {
    for (const s of conns) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
