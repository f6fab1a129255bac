// A task that exhausts its thread's JavaScript heap, on real processes (`sluice run`: the
// driver and two worker processes, NODE_OPTIONS=--max-old-space-size bounding each isolate):
// Node stops the thread (ERR_WORKER_OUT_OF_MEMORY), the attempt fails, and after
// --task-max-failures attempts the job fails naming the task, its partition, the heap limit
// and the option that raises it (Spark: ExecutorLostFailure "... caused by one of the running
// tasks", spark.executor.memory). Only the thread dies: no worker is lost, and the next
// action on the same workers runs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fixture, runCli } from './harness.js';

const HEAP_MIB = 96;
const PARTITIONS = 4;
const VICTIM = 5;

test('a task out of heap fails its job naming the task, the partition, the heap limit and NODE_OPTIONS=--max-old-space-size; the workers live on', { timeout: 240_000 }, async () => {
  // V8's limit under that option, as a fresh node process reports it (each isolate of a process gets it).
  const limitMiB = Number(execFileSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, '-p', 'Math.round(require("v8").getHeapStatistics().heap_size_limit / 1048576)'], { encoding: 'utf8' }).trim());
  const r = await runCli(['run', '--no-progress', '--log-level', 'info', '--workers', '2', '--cores', '2', fixture('task-out-of-heap.ts'), String(VICTIM)], {
    env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` },
    timeoutMs: 200_000,
  });
  assert.equal(r.timedOut, false, `sluice run hung:\n${r.stderr.slice(-4000)}`);
  assert.equal(r.code, 0, r.stderr.slice(-4000));
  const stdout = r.stdout.split('\n');
  const failed = stdout.find((l) => l.startsWith('FAILED '));
  assert.ok(failed, r.stdout);
  const message = JSON.parse(failed.slice('FAILED '.length)) as string;
  // range(0, 8, 1, 4): partition p holds 2p and 2p+1.
  const partition = Math.floor(VICTIM / (8 / PARTITIONS));
  assert.match(message, new RegExp(`Task ${partition} in stage \\d+\\.\\d+ failed 4 times`), message);
  assert.match(message, new RegExp(`Lost task ${partition}\\.3 in stage`), message);
  assert.match(message, /ran out of JavaScript heap/, message);
  assert.ok(message.includes(`${limitMiB} MiB`), `the heap limit (${limitMiB} MiB) named:\n${message}`);
  assert.ok(message.includes('NODE_OPTIONS=--max-old-space-size=MIB'), message);
  assert.ok(message.includes('spark.executor.memory'), message);
  // A hot key's values all go to one task whatever the partition count: the fix named for it.
  assert.ok(message.includes('more partitions do not split one key'), message);
  // The threads died, not the workers: four attempts each lost a thread, no worker was lost,
  // and the next action ran on the same workers: 3 * (0 + ... + 7).
  const logs = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; why?: string });
  assert.equal(logs.filter((l) => l.msg === 'task thread died' && /ERR_WORKER_OUT_OF_MEMORY/.test(l.why ?? '')).length, 4, r.stderr.slice(-4000));
  assert.equal(logs.filter((l) => l.msg === 'worker lost').length, 0, r.stderr.slice(-4000));
  assert.equal(logs.filter((l) => l.msg === 'worker joined').length, 2, r.stderr.slice(-4000));
  assert.ok(stdout.includes(`AFTER ${3 * 28}`), r.stdout);
});
