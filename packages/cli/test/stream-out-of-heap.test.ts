// A task that exhausts its thread's JavaScript heap inside a stateful stream, on real processes
// (`sluice run`: the driver and two worker processes, NODE_OPTIONS=--max-old-space-size bounding
// each isolate; fixtures/stream-out-of-heap.ts: updateStateByKey checkpointed every 2 batches
// over a queueStream, batch 3's task holding the victim number filling its heap).
// - On its first attempt only (a transient spike): Node stops that thread alone, the attempt
//   fails naming the heap limit, the retry succeeds, the stream goes on, and every batch's state
//   equals the sums computed here; no worker lost.
// - On every attempt: the stream stops with an error naming the task, the heap limit and
//   NODE_OPTIONS=--max-old-space-size (task-out-of-heap's batch case, here in a batch of a
//   stream); the batches before it exact, none after it output.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, runCli } from './harness.js';

const HEAP_MIB = 96;
const BATCHES = 8;
/** In batch 3 (40 numbers a batch), its partition 0 (10 numbers a partition). */
const VICTIM = 125;
const VICTIM_BATCH = 3;

/** Each batch's state as the fixture prints it: key n % 7 to the sum of every n so far, computed here. */
function expectedStates(): [number, number][][] {
  const sums = new Map<number, number>();
  const out: [number, number][][] = [];
  for (let i = 0; i < BATCHES; i++) {
    for (let n = 40 * i; n < 40 * i + 40; n++) sums.set(n % 7, (sums.get(n % 7) ?? 0) + n);
    out.push([...sums].sort((a, b) => a[0] - b[0]));
  }
  return out;
}

interface Ran {
  readonly states: { i: number; state: [number, number][] }[];
  readonly failed: string | undefined;
  readonly logs: { msg?: string; why?: string }[];
  readonly stderr: string;
}

async function runStream(mode: 'once' | 'always'): Promise<Ran> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-stream-heap-'));
  try {
    const r = await runCli(['run', '--no-progress', '--log-level', 'info', '--workers', '2', '--cores', '2', fixture('stream-out-of-heap.ts'), path.join(dir, 'ckpt'), mode, String(VICTIM), String(BATCHES)], {
      env: { NODE_OPTIONS: `--max-old-space-size=${HEAP_MIB}` },
      timeoutMs: 150_000,
    });
    assert.equal(r.timedOut, false, `sluice run hung:\n${r.stderr.slice(-4000)}`);
    const lines = r.stdout.split('\n');
    const states = lines.filter((l) => l.startsWith('STATE ')).map((l) => JSON.parse(l.slice('STATE '.length)) as { i: number; state: [number, number][] });
    const failedLine = lines.find((l) => l.startsWith('FAILED '));
    const logs = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg?: string; why?: string });
    return { states, failed: failedLine === undefined ? undefined : (JSON.parse(failedLine.slice('FAILED '.length)) as string), logs, stderr: `exit ${r.code}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-4000)}` };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('a task out of heap in a stateful stream: once, retried and every state exact; on every attempt, the stream stops naming the task, the heap limit and the option', { timeout: 300_000 }, async (t) => {
  // V8's limit under that option, as a fresh node process reports it.
  const limitMiB = Number(execFileSync(process.execPath, [`--max-old-space-size=${HEAP_MIB}`, '-p', 'Math.round(require("v8").getHeapStatistics().heap_size_limit / 1048576)'], { encoding: 'utf8' }).trim());
  const expected = expectedStates();
  const died = (ran: Ran): number => ran.logs.filter((l) => l.msg === 'task thread died' && /ERR_WORKER_OUT_OF_MEMORY/.test(l.why ?? '')).length;

  await t.test('first attempt only: the retry succeeds, the stream goes on, every state exact', async () => {
    const ran = await runStream('once');
    assert.equal(ran.failed, undefined, ran.stderr);
    assert.deepEqual(ran.states.map((s) => s.i), Array.from({ length: BATCHES }, (_, i) => i), ran.stderr);
    for (const s of ran.states) assert.deepEqual(s.state, expected[s.i], `the state after batch ${s.i}`);
    assert.equal(died(ran), 1, ran.stderr);
    assert.equal(ran.logs.filter((l) => l.msg === 'worker lost').length, 0, ran.stderr);
    const failure = ran.logs.find((l) => /ran out of JavaScript heap/.test(JSON.stringify(l)));
    assert.ok(failure !== undefined && JSON.stringify(failure).includes(`${limitMiB} MiB`), `the failed attempt is logged naming the heap limit (${limitMiB} MiB):\n${ran.stderr}`);
  });

  await t.test('every attempt: the stream stops naming the task, the heap limit and the option; the batches before it exact', async () => {
    const ran = await runStream('always');
    assert.ok(ran.failed !== undefined, ran.stderr);
    t.diagnostic(ran.failed);
    assert.match(ran.failed, /Task 0 in stage \d+\.\d+ failed 4 times/);
    assert.match(ran.failed, /ran out of JavaScript heap/);
    assert.ok(ran.failed.includes(`${limitMiB} MiB`), `the heap limit (${limitMiB} MiB) named:\n${ran.failed}`);
    assert.ok(ran.failed.includes('NODE_OPTIONS=--max-old-space-size=MIB'), ran.failed);
    assert.match(ran.failed, /in the streaming batch of \d+ ms \([^)]+\), output operation 0 \(foreachRDD at [^)]*stream-out-of-heap\.ts:\d+:\d+\)/, 'the batch and its output operation named');
    assert.deepEqual(ran.states.map((s) => s.i), Array.from({ length: VICTIM_BATCH }, (_, i) => i), ran.stderr);
    for (const s of ran.states) assert.deepEqual(s.state, expected[s.i], `the state after batch ${s.i}`);
    assert.equal(died(ran), 4, ran.stderr);
    assert.equal(ran.logs.filter((l) => l.msg === 'worker lost').length, 0, ran.stderr);
  });
});
