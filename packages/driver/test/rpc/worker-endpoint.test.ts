// GrpcWorkerEndpoint's housekeeping calls (removals, kills) after close(): a burst past the
// in-flight limit still waiting when the driver closes the endpoint. Found by dstream-fuzz
// (200 programs, seed 517): 16 unhandled rejections 'Channel has been shut down' after the
// cluster stopped, from the removals still queued.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { GrpcWorkerEndpoint, HOUSEKEEPING_CALLS } from '../../src/rpc/worker-endpoint.js';

test('housekeeping calls still waiting for the in-flight limit at close() resolve, none rejecting unhandled', async () => {
  // A peer that takes the connection and never answers: the first calls hold the limit until closed.
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const unhandled: unknown[] = [];
  const onUnhandled = (err: unknown): void => void unhandled.push(err);
  process.on('unhandledRejection', onUnhandled);
  try {
    const endpoint = new GrpcWorkerEndpoint(`127.0.0.1:${port}`, { secret: 'x'.repeat(32) });
    const extra = 6;
    const removals = Array.from({ length: HOUSEKEEPING_CALLS + extra }, (_, i) => endpoint.removeRdd('job-1', i));
    for (let i = 0; i < extra; i++) endpoint.killTask(`task-${i}`);
    endpoint.close();
    // The running calls end at their 5 s deadline (or when the channel closes); the waiting ones start then.
    const settled = await Promise.allSettled(removals);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rejected = settled.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason));
    assert.deepEqual(rejected, [], 'every removal resolves');
    assert.deepEqual(unhandled.map(String), [], 'no unhandled rejection (the kills nobody awaits)');
  } finally {
    process.off('unhandledRejection', onUnhandled);
    for (const s of sockets) s.destroy();
    server.close();
  }
});
