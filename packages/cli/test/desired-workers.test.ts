// sluice_desired_workers on a real cluster (driver + 2 worker processes on loopback): a
// streaming job (1 s batches) whose batches are made slow, then middling, then fast by
// the test. Spark's rule (spark.streaming.dynamicAllocation), with the test's options:
// ratio = mean processing time / batch interval over each 3 s scaling interval; at or
// above 0.9 the 2 registered workers plus round(ratio), at most --max-workers 4; at or
// below 0.4 one fewer; in between (hysteresis) the 2 registered. So: batches sleeping
// 2600 ms (ratio >= 2.6: 2 + 3) want 4 (the cap); sleeping 500 ms (ratio 0.5 plus overhead) want 2; not
// sleeping (ratio: overhead only, well under 0.4 s a batch) want 1. Each figure must hold over the next two intervals too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { LocalCluster } from '../src/local-cluster.js';
import { createRootLogger } from '../src/logger.js';
import { fixture, sleep, startJob } from './harness.js';

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
    driver: { webPort: 0, workerAllocation: { minWorkers: 1, maxWorkers: MAX_WORKERS, scalingDownRatio: 0.4, scalingIntervalMs: INTERVAL_MS } },
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

/** Waits (at most `ms`) until the gauge reads `want`, then checks it still does over the next two intervals. */
async function settlesAt(want: number, ms: number, what: string): Promise<number> {
  const started = Date.now();
  const seen: number[] = [];
  for (;;) {
    const v = await desired();
    if (seen[seen.length - 1] !== v) seen.push(v);
    if (v === want) break;
    assert.ok(Date.now() - started < ms, `${what}: sluice_desired_workers should reach ${want} within ${ms} ms; it read ${seen.join(' → ')}`);
    await sleep(100);
  }
  const reached = Date.now() - started;
  for (let i = 0; i < 2; i++) {
    await sleep(INTERVAL_MS + 100);
    assert.equal(await desired(), want, `${what}: sluice_desired_workers stays ${want} (interval ${i + 1} after it got there)`);
  }
  return reached;
}

test('sluice_desired_workers goes up while batches take longer than the interval, holds in the hysteresis band, and goes down when they are fast', { timeout: 120_000 }, async () => {
  const started = Date.now();
  const phase = path.join(tmp, 'phase');
  const stop = path.join(tmp, 'stop');
  assert.equal(await desired(), WORKERS, 'with no stream running: the registered workers');
  fs.writeFileSync(phase, '2600');
  const job = await startJob(cluster, fixture('stream-slow-then-fast.ts'), [String(BATCH_MS), phase, stop]);
  try {
    await job.waitLine('BATCH ', 30_000);
    // ratio >= 2600/1000 = 2.6: 2 + round(ratio) >= 5, capped at --max-workers 4.
    const up = await settlesAt(MAX_WORKERS, 20_000, 'slow batches');
    fs.writeFileSync(phase, '500');
    // 0.4 < ratio < 0.9: as many as registered.
    const band = await settlesAt(WORKERS, 30_000, 'middling batches');
    fs.writeFileSync(phase, '0');
    // ratio <= 0.4: one fewer.
    const down = await settlesAt(WORKERS - 1, 20_000, 'fast batches');
    console.log(`# reached 4 after ${up} ms, 2 after ${band} ms, 1 after ${down} ms; wall ${Date.now() - started} ms`);
  } finally {
    fs.writeFileSync(stop, '');
    const run = await job.done;
    assert.ok(run.ok, JSON.stringify(run.failure));
  }
});
