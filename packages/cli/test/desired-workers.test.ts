// sluice_desired_workers on a real cluster (driver + 2 worker processes on loopback): a
// streaming job (1 s batches) whose batches are made slow, then middling, then fast by
// the test. Spark's rule (spark.streaming.dynamicAllocation), with the test's options:
// ratio = mean processing time / batch interval over each 3 s scaling interval; at or
// above 2.2 the 2 registered workers plus round(ratio), at most --max-workers 4; at or
// below 0.4 one fewer; in between (hysteresis) the 2 registered. So: batches of 2600 ms
// (ratio >= 2.6: 2 + 3) want 4 (the cap); of 1000 ms (ratio 1 plus overhead) want 2; doing
// nothing (ratio: overhead only) want 1. Each figure must hold over the next two intervals too.
// Only the slow batches count their records on the workers, within their 2.6 s (the fixture
// sleeps out the rest); the others only sleep, and the band is wide, so that a loaded machine
// (where a count took 0.1-2.7 s at load 25) does not move a phase's ratio across a threshold:
// the middling batches have 1.2 s of overhead to spare below 2.2, the fast ones 0.4 s below
// 0.4 (3-41 ms at load 16-29).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalCluster } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import { writeWhole } from './fixtures/write-whole.js';
import { appRest, fixture, jsonLines, sleep, startJob, type RunningJob } from './harness.js';

const BATCH_MS = 1000;
const INTERVAL_MS = 3000;
const WORKERS = 2;
const MAX_WORKERS = 4;

let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-desired-'));
  cluster = new LocalCluster({
    workers: WORKERS,
    coresPerWorker: 1,
    logLevel: process.env.SLUICE_TEST_LOG ?? 'warn',
    log: createRootLogger(process.env.SLUICE_TEST_LOG ?? 'silent', { pretty: false }),
    driver: { webPort: 0, workerAllocation: { minWorkers: 1, maxWorkers: MAX_WORKERS, scalingUpRatio: 2.2, scalingDownRatio: 0.4, scalingIntervalMs: INTERVAL_MS } },
  });
  await cluster.start();
});

after(async () => {
  await cluster?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function desired(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${cluster.driver.webPort}/metrics`);
  const m = /^sluice_desired_workers (\S+)$/m.exec(await res.text());
  assert.ok(m, 'the scrape has sluice_desired_workers');
  return Number(m[1]);
}

interface BatchInfo {
  readonly batchId: number;
  readonly processingTime?: number;
}

/** Each completed batch's target and processing time (the fixture's `BATCH {time,targetMs}` against the driver's REST API), shown when a check fails. */
async function processing(job: RunningJob): Promise<{ targetMs: number; processingMs: number }[]> {
  const batches = await appRest(cluster, job.id)<BatchInfo[]>('streaming/batches?status=completed');
  const target = new Map(jsonLines<{ time: number; targetMs: number }>(job.lines, 'BATCH ').map((b) => [b.time, b.targetMs]));
  return batches
    .filter((b) => target.has(b.batchId) && b.processingTime !== undefined)
    .sort((x, y) => x.batchId - y.batchId)
    .map((b) => ({ targetMs: target.get(b.batchId)!, processingMs: b.processingTime! }));
}

/**
 * Waits until the gauge reads `want` after the batches began to take `targetMs`, then checks
 * it still does over the next two intervals. The wait is bounded by the stream's progress,
 * not a fixed time: the figure must be there once batches of the phase have completed over
 * 3 scaling intervals (the gauge decides once an interval from the batches completed in it,
 * so one interval may still mix in the phase before), and 3 of them at least; on a loaded
 * machine batches complete late, and that is waited out. It fails at once if no batch
 * completes for 60 s (the stream stopped).
 */
async function settlesAt(job: RunningJob, want: number, targetMs: number, what: string): Promise<number> {
  const started = Date.now();
  const seen: number[] = [];
  let firstOfPhase: number | undefined;
  let progress = { batches: 0, at: Date.now() };
  for (;;) {
    const v = await desired();
    if (seen[seen.length - 1] !== v) seen.push(v);
    if (v === want) break;
    const batches = jsonLines<{ time: number; targetMs: number }>(job.lines, 'BATCH ');
    const ofPhase = batches.filter((b) => b.targetMs === targetMs).length;
    if (ofPhase > 0) firstOfPhase ??= Date.now();
    if (batches.length !== progress.batches) progress = { batches: batches.length, at: Date.now() };
    const shown = async (): Promise<string> => `it read ${seen.join(' → ')}; batches (target, processing ms) ${JSON.stringify((await processing(job)).slice(-12).map((b) => [b.targetMs, b.processingMs]))}`;
    if (firstOfPhase !== undefined && Date.now() - firstOfPhase > 3 * INTERVAL_MS && ofPhase >= 3) assert.fail(`${what}: sluice_desired_workers should read ${want} once batches of ${targetMs} ms completed over 3 intervals (${ofPhase} of them); ${await shown()}`);
    if (Date.now() - progress.at > 60_000) assert.fail(`${what}: no batch completed for 60 s; ${await shown()}`);
    await sleep(100);
  }
  const reached = Date.now() - started;
  for (let i = 0; i < 2; i++) {
    await sleep(INTERVAL_MS + 100);
    assert.equal(await desired(), want, `${what}: sluice_desired_workers stays ${want} (interval ${i + 1} after it got there); batches (target, processing ms) ${JSON.stringify((await processing(job)).slice(-12).map((b) => [b.targetMs, b.processingMs]))}`);
  }
  return reached;
}

test('sluice_desired_workers goes up while batches take longer than the interval, holds in the hysteresis band, and goes down when they are fast', { timeout: 480_000 }, async () => {
  const started = Date.now();
  const phase = path.join(tmp, 'phase');
  const stop = path.join(tmp, 'stop');
  assert.equal(await desired(), WORKERS, 'with no stream running: the registered workers');
  // The phase file written whole: each batch reads its target from it (found created but still
  // empty, a batch would take 0 ms in the middle of a slow phase).
  writeWhole(phase, '2600');
  const job = await startJob(cluster, fixture('stream-slow-then-fast.ts'), [String(BATCH_MS), phase, stop]);
  try {
    await job.waitLine('BATCH ', 120_000);
    // ratio >= 2600/1000 = 2.6: 2 + round(ratio) >= 5, capped at --max-workers 4.
    const up = await settlesAt(job, MAX_WORKERS, 2600, 'slow batches');
    writeWhole(phase, '1000');
    // 0.4 < ratio < 2.2: as many as registered.
    const band = await settlesAt(job, WORKERS, 1000, 'middling batches');
    writeWhole(phase, '0');
    // ratio <= 0.4: one fewer.
    const down = await settlesAt(job, WORKERS - 1, 0, 'fast batches');
    const all = await processing(job);
    const most = (ms: number): number => Math.max(...all.filter((b) => b.targetMs === ms).map((b) => b.processingMs));
    console.log(`# reached 4 after ${up} ms, 2 after ${band} ms, 1 after ${down} ms; wall ${Date.now() - started} ms; longest batch of each phase ${most(2600)} / ${most(1000)} / ${most(0)} ms`);
  } finally {
    fs.writeFileSync(stop, '');
    const run = await job.done;
    assert.ok(run.ok, JSON.stringify(run.failure));
  }
});
