// Unauthenticated memory exhaustion (issue 7, item 11): 20 concurrent calls without the
// secret, each announcing a 250 MB message and sending it, are refused without the
// server reading them, so its memory stays flat. The client speaks gRPC's wire format
// over node:http2 (a 5-byte frame header announcing 250 MB, then 1 MiB writes as fast
// as flow control lets it) so that it does not hold 20 copies of 250 MB itself; like
// any gRPC client it stops sending once the call's status arrives. (A client that
// goes on sending after the refusal has its data discarded as it arrives: 20 x 250 MB
// pushed that way left the driver's peak RSS at 118 MB; not run here, it takes ~17 s.)
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, test } from 'node:test';
import { DRIVER_MAX_REQUEST_BYTES, WORKER_MAX_REQUEST_BYTES } from '@sluice/core/internal';
import { within } from './harness.js';
import { peakRssBytes, randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

const BIG = 250 * 1000 * 1000;
const CALLS = 20;
const RSS_LIMIT = 200 * 1024 * 1024;
const piece = Buffer.alloc(1 << 20, 0x5a);

let driver: SluiceProcess & { address: string };
let worker: SluiceProcess & { address: string };
before(async () => {
  const secret = randomSecret();
  driver = await startDriverProcess(secret);
  worker = await startWorkerProcess(driver.address, secret);
});
after(async () => {
  await worker?.stop();
  await driver?.stop();
});

interface FloodResult {
  /** grpc-status of each call (from a trailers-only response or the trailers). */
  readonly statuses: string[];
  /** Bytes of message body each call got onto the wire before the server ended it. */
  readonly sent: number[];
}

/** `CALLS` concurrent calls of `path` (without a secret unless `headers` has one), each a message of `size` bytes. */
async function flood(address: string, path: string, size: number, headers: http2.OutgoingHttpHeaders = {}): Promise<FloodResult> {
  // The client's own session memory must hold 20 x 1 MiB of queued writes.
  const session = http2.connect(`http://${address}`, { maxSessionMemory: 1000 });
  session.on('error', () => undefined);
  try {
    const one = (): Promise<{ status: string; sent: number }> =>
      new Promise((resolve) => {
        const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
        let status = '';
        let sent = 0;
        let closed = false;
        req.on('response', (h) => {
          if (h['grpc-status'] === undefined) return;
          // A trailers-only response: the call is over; stop sending, as a gRPC client does.
          status = String(h['grpc-status']);
          closed = true;
          req.close(http2.constants.NGHTTP2_CANCEL);
        });
        req.on('trailers', (h) => {
          if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
        });
        req.on('data', () => undefined);
        req.on('error', () => undefined);
        req.on('close', () => {
          closed = true;
          resolve({ status, sent });
        });
        const frame = Buffer.alloc(5);
        frame.writeUInt32BE(size, 1);
        req.write(frame);
        // Keep sending until the whole message is out or the server closes the stream.
        const pump = (): void => {
          while (!closed && sent < size) {
            const n = Math.min(piece.length, size - sent);
            sent += n;
            if (!req.write(n === piece.length ? piece : piece.subarray(0, n))) {
              req.once('drain', pump);
              return;
            }
          }
          if (!closed) req.end();
        };
        pump();
      });
    const results = await Promise.all(Array.from({ length: CALLS }, one));
    return { statuses: results.map((r) => r.status), sent: results.map((r) => r.sent) };
  } finally {
    session.destroy();
  }
}

for (const [name, target, path, limit] of [
  ['driver', () => driver, '/sluice.v1.Driver/RegisterWorker', DRIVER_MAX_REQUEST_BYTES],
  ['worker', () => worker, '/sluice.v1.Worker/RunTasks', WORKER_MAX_REQUEST_BYTES],
] as const) {
  test(`the ${name} stays under 200 MB while ${CALLS} concurrent unauthenticated 250 MB ${path.split('/')[2]} calls are refused`, async () => {
    const p = target();
    const before = peakRssBytes(p.child.pid!);
    // 250 MB is past every server's request limit; the largest message the server takes
    // is refused too, so the secret (not the size) is what stops these calls.
    const noSecret = await within(flood(p.address, path, BIG), 120_000, 'the calls without a secret to end');
    const wrongSecret = await within(flood(p.address, path, limit - 1024, { 'x-sluice-secret': randomSecret() }), 120_000, 'the calls with a wrong secret to end');
    const peak = peakRssBytes(p.child.pid!);
    assert.ok(peak < RSS_LIMIT, `the ${name}'s peak RSS went from ${(before / 2 ** 20).toFixed(0)} MB to ${(peak / 2 ** 20).toFixed(0)} MB (limit 200 MB)`);
    // 16 = UNAUTHENTICATED: every call refused for its secret, none read, decoded or run.
    assert.deepEqual(noSecret.statuses, Array(CALLS).fill('16'), `statuses: ${noSecret.statuses.join(',')}`);
    assert.deepEqual(wrongSecret.statuses, Array(CALLS).fill('16'), `statuses: ${wrongSecret.statuses.join(',')}`);
    // The process is still serving (it was not merely slow to read).
    assert.equal(p.child.exitCode, null);
    process.stderr.write(
      `# ${name}: peak RSS ${(before / 2 ** 20).toFixed(0)} -> ${(peak / 2 ** 20).toFixed(0)} MB; body bytes on the wire per call (no secret) max ${Math.max(...noSecret.sent)}\n`,
    );
  });
}
