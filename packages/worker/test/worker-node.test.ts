// WorkerNode's lifecycle against a driver of the test's own (the Driver service on loopback,
// answering RegisterWorker when the test says): a stop() that begins while the worker waits
// for its registration's answer ends cleanly, and leaves the worker stopped, not running. And
// a released job's garbage: collected at once only when the job left JOB_GARBAGE_MIN_BYTES.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import { THIS_BUILD, loadProto, secretMetadata } from '@sluice/core/internal';
import { WorkerNode } from '../src/index.js';
import { JOB_GARBAGE_MIN_BYTES } from '../src/worker-node.js';
import type { MemoryReleaser } from '../src/storage/memory-release.js';

const SECRET = 'worker-node-test-secret-0123456789abcdef';
const log = pino({ level: 'silent' });

test("stop() while the driver has not answered the worker's registration: the answer that comes meanwhile starts nothing, and stop() resolves", async () => {
  const proto = loadProto();
  let asked!: () => void;
  const registering = new Promise<void>((r) => (asked = r));
  let answer: (() => void) | undefined;
  const driver = new grpc.Server();
  driver.addService(proto.sluice.v1.Driver.service, {
    RegisterWorker(_call: unknown, cb: (err: null, res: { heartbeat_interval_ms: number; driver_instance: string; sluice_version: string; protocol: string }) => void) {
      answer = () => cb(null, { heartbeat_interval_ms: 1000, driver_instance: 'test-driver', sluice_version: THIS_BUILD.sluiceVersion, protocol: THIS_BUILD.protocol });
      asked();
    },
  });
  const port = await new Promise<number>((res, rej) => driver.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
  const worker = new WorkerNode({ driver: `127.0.0.1:${port}`, cores: 1, security: { secret: SECRET }, log, taskThreads: 1 });
  let put: grpc.ClientWritableStream<unknown> | undefined;
  let client: InstanceType<typeof proto.sluice.v1.Worker> | undefined;
  try {
    const started = worker.start();
    await registering;
    // A peer's PutBlock left open holds the worker's server shutdown, so stop() is still
    // running when the registration's answer arrives (as a `sluice run` whose job failed at
    // once stopped its workers while they registered). A GetBlock answered after it on the same
    // connection shows the worker's server has the PutBlock open.
    client = new proto.sluice.v1.Worker(worker.address, grpc.credentials.createInsecure());
    put = client.PutBlock(secretMetadata(SECRET), () => undefined) as grpc.ClientWritableStream<unknown>;
    await new Promise<void>((resolve) => {
      const s = client!.GetBlock({ block_id: 'none' }, secretMetadata(SECRET));
      s.on('data', () => undefined);
      s.on('error', () => resolve());
      s.on('end', () => resolve());
    });
    let stopError: unknown;
    let stopDone = false;
    const stopped = worker.stop().then(
      () => (stopDone = true),
      (e: unknown) => ((stopDone = true), (stopError = e)),
    );
    assert.ok(answer, 'the driver was asked');
    answer();
    await started;
    assert.equal(stopDone, false, 'stop() waits for the open PutBlock');
    put.end();
    await stopped;
    assert.equal(stopError, undefined, `stop() resolves: ${String((stopError as Error | undefined)?.stack)}`);
    // Not running: it asks the driver nothing (a running worker would heartbeat on its timer).
    const left = await worker.decommission();
    assert.equal(left.state, 'unreachable', JSON.stringify(left));
  } finally {
    put?.cancel();
    client?.close();
    await worker.stop().catch(() => undefined);
    driver.forceShutdown();
  }
});

test("stop() goes on when the block store cannot be closed: the error is logged, the worker's scratch directory is removed, and stop() resolves", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-stop-blocks-'));
  const lines: { level: number; msg: string }[] = [];
  const captured = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  // Never started: nothing answers at the driver's address, and stop() needs none.
  const worker = new WorkerNode({ driver: '127.0.0.1:1', cores: 1, security: { secret: SECRET }, log: captured, taskThreads: 1, localDir: root });
  const scratch = fs.readdirSync(root);
  assert.equal(scratch.length, 1, `the worker's scratch directory under --local-dir: ${scratch.join(', ')}`);
  // The block store's directory refuses its removal (as a file held open on some file systems).
  const { rmSync } = fs;
  fs.rmSync = ((p: fs.PathLike, o?: fs.RmOptions) => {
    if (path.basename(String(p)) === 'blocks') throw Object.assign(new Error(`EBUSY: resource busy or locked, rmdir '${String(p)}'`), { code: 'EBUSY' });
    rmSync(p, o);
  }) as typeof fs.rmSync;
  try {
    await worker.stop();
  } finally {
    fs.rmSync = rmSync;
  }
  try {
    assert.deepEqual(fs.readdirSync(root), [], 'the scratch directory is removed all the same');
    const warned = lines.filter((l) => l.level === 40 && l.msg.includes('the block store could not be closed'));
    assert.equal(warned.length, 1, JSON.stringify(lines));
    assert.match(warned[0].msg, /EBUSY: resource busy or locked, rmdir '.*blocks'/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("a released job's garbage on the main thread is collected at once only when it is JOB_GARBAGE_MIN_BYTES or more: a job that left little forces no collection (which would drop the task path's optimized code)", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-job-garbage-'));
  // Never started: the executor's releaseJob and the releaser are all this needs.
  const worker = new WorkerNode({ driver: '127.0.0.1:1', cores: 1, security: { secret: SECRET }, log, taskThreads: 1, localDir: root });
  const inside = worker as unknown as { memory: MemoryReleaser; executor: { releaseJob(jobId: string): void } };
  try {
    // Whatever the process held before is the baseline the floor is counted from.
    inside.memory.collectSoon(0);
    await sleep(300);
    const before = inside.memory.collections;
    inside.executor.releaseJob('job-little');
    await sleep(400);
    assert.equal(inside.memory.collections, before, 'a job that left under the floor: no collection');
    assert.equal(inside.memory.skipped, 1, 'its collectSoon was skipped');
    // A job that left twice the floor in Buffers (garbage once it is released): collected, and the Buffers freed.
    let left: Buffer[] | undefined = Array.from({ length: (2 * JOB_GARBAGE_MIN_BYTES) / (1024 * 1024) }, () => Buffer.alloc(1024 * 1024, 1));
    const held = process.memoryUsage().arrayBuffers;
    left = undefined;
    void left;
    inside.executor.releaseJob('job-much');
    await sleep(400);
    assert.equal(inside.memory.collections, before + 1, 'a job that left twice the floor: collected');
    assert.ok(process.memoryUsage().arrayBuffers < held - JOB_GARBAGE_MIN_BYTES, 'its garbage Buffers were freed');
  } finally {
    await worker.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
