// The receiver's bounded buffer, end to end with real processes: a socketTextStream whose
// receiver may hold 2,000 records not yet durable, fed by a source that writes as fast as
// the socket drains. With the write-ahead log off a block is durable once the driver has
// its report; while the driver is stopped (SIGSTOP) nothing becomes durable, the buffer
// fills, store() waits, the receiver stops reading its socket, and the source can write
// nothing more (once the kernel's socket buffers are full): the receiver's memory stays
// bounded and the peer is slowed down instead. After SIGCONT the flow resumes.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { fixture, runCli, sleep } from './harness.js';
import { pollUntil, randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import { pause, resume } from '@sluice/test-disk/pause';

const LINE = Buffer.from('x'.repeat(99) + '\n');
const CHUNK = Buffer.concat(Array.from({ length: 1000 }, () => LINE)); // 1,000 lines, 100 KB

/** Writes CHUNKs to its client whenever the socket drains; counts the bytes the kernel took. */
class FloodSource {
  accepted = 0;
  connections = 0;
  private readonly sockets: net.Socket[] = [];
  private readonly server = net.createServer((s) => {
    this.connections++;
    this.sockets.push(s);
    s.on('error', () => undefined);
    const pump = (): void => {
      while (!s.destroyed) {
        const ok = s.write(CHUNK, () => (this.accepted += CHUNK.length));
        if (!ok) return;
      }
    };
    s.on('drain', pump);
    pump();
  });

  async listen(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

test('a receiver whose buffer is full stops reading its socket while nothing becomes durable (driver stopped), and goes on after', { timeout: 200_000 }, async () => {
  const secret = randomSecret();
  const procs: SluiceProcess[] = [];
  const source = new FloodSource();
  try {
    const port = await source.listen();
    const driver = await startDriverProcess(secret);
    procs.push(driver);
    procs.push(await startWorkerProcess(driver.address, secret));
    const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
    const sub = await runCli(['submit', fixture('stream-socket-backpressure.ts'), '--driver', driver.address, '--detach', '--', '127.0.0.1', String(port), '2000'], { env });
    assert.equal(sub.code, 0, sub.stderr);
    await pollUntil(() => (source.accepted > 2_000_000 ? true : undefined), 60_000, 'the receiver reading the source');

    pause(driver.child);
    try {
      // Blocks in flight wait for the driver; the buffer and the kernel's socket buffers fill.
      // Waited for as a state (the source's writes held still for 1 s), not for a fixed time:
      // a worker starved of CPU takes longer to fill them, and may stall for a second before
      // they are full (a copy with no bound held still once at load 29, then took 32 MB in
      // 3 s), so up to 3 such measurements; without the bound every one sees megabytes.
      const seen: number[] = [];
      for (let attempt = 0; attempt < 3 && !(seen.length > 0 && seen[seen.length - 1] < 1_000_000); attempt++) {
        let last = { bytes: source.accepted, at: Date.now() };
        await pollUntil(
          () => {
            if (source.accepted !== last.bytes) last = { bytes: source.accepted, at: Date.now() };
            return Date.now() - last.at >= 1000 ? true : undefined;
          },
          30_000,
          `the source's writes to stop while nothing became durable (3 s measured before: ${seen.join(', ')} bytes)`,
        );
        const before = source.accepted;
        await sleep(3000);
        seen.push(source.accepted - before);
      }
      // Without the bound the receiver reads on at loopback speed (hundreds of MB in 3 s).
      assert.ok(seen[seen.length - 1] < 1_000_000, `the source could write ${seen.join(', ')} bytes in 3 s (each after 1 s of no writes) while nothing became durable`);
    } finally {
      resume(driver.child);
    }
    const resumedFrom = source.accepted;
    await pollUntil(() => (source.accepted > resumedFrom + 2_000_000 ? true : undefined), 30_000, 'the flow to resume after SIGCONT');
    assert.equal(source.connections, 1, 'the receiver kept its connection');
  } finally {
    for (const p of procs.reverse()) await p.stop();
    await source.close();
  }
});
