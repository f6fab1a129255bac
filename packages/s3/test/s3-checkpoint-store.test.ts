// S3CheckpointStore against s3rver (a separate process on loopback): the store interface
// core's checkpoints use, through the real S3 API — listings past one page, deletes past
// one DeleteObjects call, a root that is a prefix of another, the error for a missing bucket,
// calls tried again while the server's connections are reset (retryTimeoutMs), and an
// endpoint that accepts and never answers given up after socketTimeoutMs.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { SluiceError } from '@sluice/core';
import { S3CheckpointStore } from '../src/s3-checkpoint-store.js';
import { resolveS3Options } from '../src/s3-options.js';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';

const BUCKET = 'store-test';
let s3: S3rverProcess | undefined;
const stores: S3CheckpointStore[] = [];

function open(location: string): S3CheckpointStore {
  const store = new S3CheckpointStore(location, resolveS3Options({}, s3!.env));
  stores.push(store);
  return store;
}

before(async () => {
  s3 = await startS3rver([BUCKET]);
});

after(async () => {
  for (const s of stores) s.destroy();
  await s3?.stop();
});

test('objects are written, read, listed past one page and deleted past one call, under the root prefix only', async () => {
  const store = open(`s3://${BUCKET}/jobs/a/`);
  const sibling = open(`s3://${BUCKET}/jobs/ab`);
  assert.equal(store.location, `s3://${BUCKET}/jobs/a`);
  await store.ensure();
  await sibling.write('state/1/part-0', 'sibling');
  await store.write('metadata/checkpoint-1', 'hello');
  assert.equal((await store.read('metadata/checkpoint-1'))?.toString(), 'hello');
  assert.equal(await store.read('metadata/none'), undefined);
  assert.equal(store.describe('state/x'), `s3://${BUCKET}/jobs/a/state/x`);
  // 1005 objects: ListObjectsV2 pages at 1000 keys, DeleteObjects takes 1000 a call.
  const keys = Array.from({ length: 1005 }, (_, i) => `state/${String(i).padStart(4, '0')}/part-0`);
  for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.write(k, k)));
  const listed = await store.list('state/');
  assert.deepEqual(listed.map((o) => o.key), keys);
  assert.ok(listed.every((o) => o.size === o.key.length));
  assert.deepEqual((await store.list('')).length, 1006);
  assert.equal(await store.deletePrefix('state/'), 1005);
  assert.deepEqual(await s3!.list(BUCKET, 'jobs/a/state/'), []);
  assert.deepEqual((await s3!.list(BUCKET, 'jobs/')).map((o) => o.key), ['jobs/a/metadata/checkpoint-1', 'jobs/ab/state/1/part-0'], "the sibling prefix 'jobs/ab' is untouched");
  await store.delete(['metadata/checkpoint-1', 'metadata/never-there']);
  assert.deepEqual((await s3!.list(BUCKET, 'jobs/')).map((o) => o.key), ['jobs/ab/state/1/part-0']);
});

test('a missing bucket is an error naming the bucket, the endpoint and the fix; a bad bucket name is refused up front', async () => {
  const store = open('s3://not-a-bucket-here/p');
  await assert.rejects(store.ensure(), (e: unknown) => {
    assert.ok(e instanceof SluiceError && e.code === 'SLUICE_CHECKPOINT');
    assert.match(e.message, new RegExp(`bucket 'not-a-bucket-here' at endpoint ${s3!.endpoint.replace(/\./g, '\\.')} does not exist`));
    assert.match(e.message, /aws s3 mb s3:\/\/not-a-bucket-here/);
    return true;
  });
  await assert.rejects(store.write('k', 'v'), /does not exist/);
  assert.throws(() => open('s3://Bad_Bucket/p'), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT' && /'Bad_Bucket' is not an S3 bucket name/.test(e.message));
});

/**
 * A front for s3rver on loopback that resets (RST) the first `resets` connections made to
 * it, as a server restarting does, and forwards every later one to s3rver.
 */
async function flakyFront(target: string, resets: number): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  const { port } = new URL(target);
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    if (++n <= resets) {
      c.resetAndDestroy();
      return;
    }
    const up = net.connect({ host: '127.0.0.1', port: Number(port) });
    sockets.add(up);
    up.on('close', () => sockets.delete(up));
    up.on('error', () => c.destroy());
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => n,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('a call whose connections are reset (the server restarting) is tried again past the SDK attempts, within retryTimeoutMs; one that never passes fails naming the endpoint', async () => {
  // 7 resets: more than the SDK's 3 attempts of one call, or of two (the store's first retry)
  const front = await flakyFront(s3!.endpoint, 7);
  const options = (retryTimeoutMs: number): ReturnType<typeof resolveS3Options> => resolveS3Options({ endpoint: front.endpoint, retryTimeoutMs }, s3!.env);
  try {
    const store = new S3CheckpointStore(`s3://${BUCKET}/flaky`, options(120_000));
    stores.push(store);
    await store.write('metadata/checkpoint-000000000001', 'after the resets');
    assert.ok(front.connections() > 7, `connections made: ${front.connections()}`);
    assert.deepEqual((await s3!.list(BUCKET, 'flaky/')).map((o) => o.key), ['flaky/metadata/checkpoint-000000000001']);
    assert.equal((await store.read('metadata/checkpoint-000000000001'))?.toString(), 'after the resets');
  } finally {
    await front.close();
  }
  // Nothing listens at the front's port now: with no time to try again the call fails at
  // once, as before, naming the endpoint and the fix.
  const gone = new S3CheckpointStore(`s3://${BUCKET}/flaky`, options(0));
  stores.push(gone);
  await assert.rejects(gone.write('k', 'v'), (e: unknown) => {
    assert.ok(e instanceof SluiceError && e.code === 'SLUICE_CHECKPOINT');
    assert.match(e.message, new RegExp(`cannot reach the S3 endpoint ${front.endpoint.replace(/\./g, '\\.')} for bucket '${BUCKET}' \\(ECONNREFUSED`));
    return true;
  });
  // A failure that does not pass (a missing bucket) is not tried again: it fails at once.
  const missing = new S3CheckpointStore('s3://not-a-bucket-either/p', resolveS3Options({ retryTimeoutMs: 600_000 }, s3!.env));
  stores.push(missing);
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('a write to a missing bucket still had not failed after 60 s: tried again?')), 60_000)));
  await assert.rejects(Promise.race([missing.write('k', 'v'), stuck]), /does not exist/);
  clearTimeout(timer);
});

/**
 * A front on loopback that accepts connections and holds each `stallMs` before forwarding
 * it to s3rver (what arrives meanwhile is kept); `stallMs` undefined: never answers (a hung server).
 */
async function stallingFront(target: string, stallMs: number | undefined): Promise<{ endpoint: string; connections: () => number; close: () => Promise<void> }> {
  const { port } = new URL(target);
  let n = 0;
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = net.createServer((c) => {
    n++;
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => undefined);
    c.pause();
    if (stallMs === undefined) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const up = net.connect({ host: '127.0.0.1', port: Number(port) });
      sockets.add(up);
      up.on('close', () => sockets.delete(up));
      up.on('error', () => c.destroy());
      c.pipe(up).pipe(c);
      c.resume();
    }, stallMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => n,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test('an endpoint that accepts and never answers fails a checkpoint write within socketTimeoutMs x attempts + retryTimeoutMs, naming the endpoint; one that answers after a stall succeeds', { timeout: 120_000 }, async () => {
  const hung = await stallingFront(s3!.endpoint, undefined);
  let timer: NodeJS.Timeout | undefined;
  try {
    const store = new S3CheckpointStore(`s3://${BUCKET}/hung`, resolveS3Options({ endpoint: hung.endpoint, socketTimeoutMs: 300, retryTimeoutMs: 5000 }, s3!.env));
    stores.push(store);
    // The bound: 3 SDK attempts of 0.3 s, tried again for up to 5 s, is under 10 s; 60 s is far past it.
    const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('a write to an endpoint that never answers still had not failed after 60 s: no socket timeout?')), 60_000)));
    await assert.rejects(Promise.race([store.write('metadata/checkpoint-000000000001', 'never lands'), stuck]), (e: unknown) => {
      assert.ok(e instanceof SluiceError && e.code === 'SLUICE_CHECKPOINT', String(e));
      assert.match(e.message, new RegExp(`checkpoint write of s3://${BUCKET}/hung/metadata/checkpoint-000000000001 failed: the S3 endpoint ${hung.endpoint.replace(/\./g, '\\.')} for bucket '${BUCKET}' accepted the connection but did not answer within 300 ms`));
      assert.match(e.message, /configureS3\(\{ socketTimeoutMs \}\)/);
      return true;
    });
    // Each SDK attempt gave up its connection and made a new one, and the store tried again
    // (a timeout passes): more than the 3 attempts of one call.
    assert.ok(hung.connections() > 3, `connections made: ${hung.connections()}`);
  } finally {
    clearTimeout(timer);
    await hung.close();
  }
  // A server that answers after a stall shorter than the bound is waited for: the write lands.
  const slow = await stallingFront(s3!.endpoint, 300);
  try {
    const store = new S3CheckpointStore(`s3://${BUCKET}/slow`, resolveS3Options({ endpoint: slow.endpoint, socketTimeoutMs: 10_000, retryTimeoutMs: 0 }, s3!.env));
    stores.push(store);
    await store.write('metadata/checkpoint-000000000001', 'after a stall');
    assert.equal((await store.read('metadata/checkpoint-000000000001'))?.toString(), 'after a stall');
    assert.deepEqual((await s3!.list(BUCKET, 'slow/')).map((o) => o.key), ['slow/metadata/checkpoint-000000000001']);
  } finally {
    await slow.close();
  }
});
