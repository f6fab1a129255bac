// Spark's ContextCleaner for persisted RDDs and broadcasts (spark.cleaner.referenceTracking,
// on by default): what the driver program can no longer reach is removed once the program's
// thread has garbage collected it: a persisted RDD is unpersisted (doCleanupRDD: its blocks
// leave the workers, the REST API's storage/rdd and getPersistentRDDs), a broadcast removed from
// the workers and the driver (doCleanupBroadcast). What the program still reaches stays: a
// persisted RDD it holds, and a broadcast only a held RDD's function captures (as a Spark
// closure holds its Broadcast). The counts are read from the REST API (storage/rdd, and the
// executors' rddBlocks and broadcastBlocks, which the workers' heartbeats report) on a cluster
// of 2 worker processes while the job (context-cleaner.ts) waits.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { DriverOptions } from '@sluice/driver';
import { appRest, fixture, freePort, jsonLine, pollUntil, runCli, startJob, withCluster } from './harness.js';

const LOOPS = 20;
/** Cached RDDs dropped together: more removals at once than a worker takes calls from one peer (256) unless they are sent one after another. */
const BURST = 300;
/** Dropped RDDs or broadcasts that may outlive the collection (the last one's may still be referenced by what its action left). */
const SLACK = 2;

interface Executor {
  readonly id: string;
  readonly rddBlocks: number;
  readonly broadcastBlocks: number;
}

interface Held {
  readonly cachedId: number;
  readonly dropped: number[];
  readonly droppedBroadcasts: number[];
}

interface Counts {
  readonly storedRdds: number[];
  readonly workerRddBlocks: number;
  readonly workerBroadcastBlocks: number;
  readonly driverBroadcasts: number;
}

/** Run the fixture; `settled` decides from the REST counts (polled while the job waits) when they are final. */
async function run(driver: Partial<DriverOptions>, burst: number, settled: (c: Counts, held: Held) => boolean, burstMode: 'drop' | 'unpersist' = 'drop'): Promise<{ held: Held; counts: Counts; after: { cached: number[]; viaBroadcast: number[]; persistent: number[] } }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-context-cleaner-'));
  const [marker, go] = [path.join(dir, 'marker'), path.join(dir, 'go')];
  try {
    return await withCluster({ workers: 2, coresPerWorker: 1, driver: { webPort: 0, ...driver } }, async (h) => {
      const job = await startJob(h.cluster, fixture('context-cleaner.ts'), [marker, go, String(LOOPS), String(burst), burstMode]);
      const line = await job.waitLine('CLEANER_HELD ', 180_000);
      await pollUntil(() => fs.existsSync(marker) || undefined, 10_000, 'the marker');
      const held = JSON.parse(line.slice('CLEANER_HELD '.length)) as Held;
      const rest = appRest(h.cluster, job.id);
      let last: Counts | undefined;
      const read = async (): Promise<Counts> => {
        const stored = await rest<{ id: number }[]>('storage/rdd');
        const executors = await rest<Executor[]>('executors');
        const workers = executors.filter((e) => e.id !== 'driver');
        assert.equal(workers.length, 2);
        return {
          storedRdds: stored.map((r) => r.id).sort((a, b) => a - b),
          workerRddBlocks: workers.reduce((a, e) => a + e.rddBlocks, 0),
          workerBroadcastBlocks: workers.reduce((a, e) => a + e.broadcastBlocks, 0),
          driverBroadcasts: executors.find((e) => e.id === 'driver')!.broadcastBlocks,
        };
      };
      try {
        // The workers' counts come with their heartbeats (every second): polled until they say it.
        await pollUntil(async () => ((last = await read()), settled(last, held) || undefined), 60_000, 'the counts', 200);
      } catch (err) {
        throw new Error(`${(err as Error).message}: last read ${JSON.stringify(last)}`);
      }
      if (process.env.CLEANER_DEBUG) console.log(JSON.stringify({ held, last }));
      fs.writeFileSync(go, 'go');
      const end = await job.done;
      assert.ok(end.ok, `job failed: ${end.failure?.message}\n${end.lines.join('\n')}`);
      return { held, counts: last!, after: jsonLine(end.lines, 'CLEANER_AFTER ') };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the counts are those of a cleaned job: what it holds, and at most SLACK of what it dropped. */
const cleaned = (c: Counts, held: Held): boolean =>
  c.storedRdds.includes(held.cachedId) &&
  c.storedRdds.length <= 1 + SLACK &&
  // The held RDD's 2 partitions, and the dropped ones that may remain.
  c.workerRddBlocks <= 2 * (1 + SLACK) &&
  // The broadcast a held RDD captures, fetched by both workers (one partition each), and the dropped ones that may remain.
  c.workerBroadcastBlocks <= 2 * (1 + SLACK) &&
  c.driverBroadcasts <= 1 + SLACK;

test('persisted RDDs and broadcasts the program dropped are removed from the workers and the driver once collected; what it holds stays', { timeout: 240_000 }, async () => {
  const { held, counts, after } = await run({}, BURST, cleaned);
  assert.equal(held.dropped.length, LOOPS);
  assert.ok(cleaned(counts, held), JSON.stringify(counts));
  // The held RDD's blocks and the captured broadcast are still there: the results are right.
  assert.deepEqual(after.cached, [10, 20, 30, 40]);
  assert.deepEqual(after.viaBroadcast, [101, 201, 301, 401]);
  assert.ok(after.persistent.includes(held.cachedId), JSON.stringify(after.persistent));
  assert.ok(after.persistent.filter((id) => held.dropped.includes(id)).length <= SLACK, JSON.stringify(after.persistent));
});

test('spark.cleaner.referenceTracking false: nothing is cleaned, as Spark', { timeout: 240_000 }, async () => {
  // Every dropped RDD's 2 blocks (the burst's 1) and every broadcast stay (each fetched by both workers).
  const burst = 10;
  const kept = (c: Counts, held: Held): boolean =>
    held.dropped.every((id) => c.storedRdds.includes(id)) && c.workerRddBlocks === 2 * (1 + LOOPS) + burst && c.workerBroadcastBlocks === 2 * (1 + LOOPS) && c.driverBroadcasts === 1 + LOOPS;
  const { counts, after } = await run({ referenceTracking: false }, burst, kept);
  assert.equal(counts.storedRdds.length, 1 + LOOPS + burst);
  assert.deepEqual(after.cached, [10, 20, 30, 40]);
  assert.deepEqual(after.viaBroadcast, [101, 201, 301, 401]);
});

test('a burst of unpersist(false) calls, none awaited, removes every block: the driver sends a worker at most 32 removals at once (past its 256 calls per peer the rest were refused and their blocks stayed)', { timeout: 240_000 }, async () => {
  // The cleaner is off, so the burst's blocks go only by the explicit unpersists; the loops' dropped RDDs (2 blocks each) stay.
  const gone = (c: Counts, held: Held): boolean =>
    c.storedRdds.length === 1 + LOOPS && held.dropped.every((id) => c.storedRdds.includes(id)) && c.workerRddBlocks === 2 * (1 + LOOPS);
  const { counts, after } = await run({ referenceTracking: false }, BURST, gone, 'unpersist');
  assert.equal(counts.workerRddBlocks, 2 * (1 + LOOPS));
  assert.deepEqual(after.cached, [10, 20, 30, 40]);
});

test("sluice run --conf spark.cleaner.referenceTracking=false: the dropped persisted RDDs stay in storage/rdd; .blocking is taken; a value that is not a boolean is refused", { timeout: 240_000 }, async () => {
  const loops = 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-context-cleaner-run-'));
  const [marker, go] = [path.join(dir, 'marker'), path.join(dir, 'go')];
  const port = await freePort();
  const conf = ['--conf', 'spark.cleaner.referenceTracking=false', '--conf', 'spark.cleaner.referenceTracking.blocking=true'];
  const running = runCli(['run', '--workers', '1', '--web-port', String(port), ...conf, fixture('context-cleaner.ts'), marker, go, String(loops)], { timeoutMs: 180_000 });
  try {
    await pollUntil(() => fs.existsSync(marker) || undefined, 150_000, 'the loops and the collection');
    const rest = async <T>(p: string): Promise<T> => (await fetch(`http://127.0.0.1:${port}/api/v1${p}`)).json() as Promise<T>;
    const [app] = await rest<{ id: string }[]>('/applications');
    const rdds = await rest<{ id: number }[]>(`/applications/${app.id}/storage/rdd`);
    // The held RDD and every dropped one (the collection ran; nothing was cleaned).
    assert.equal(rdds.length, 1 + loops, JSON.stringify(rdds));
    fs.writeFileSync(go, 'go');
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(jsonLine<{ cached: number[] }>(r.stdout.split('\n'), 'CLEANER_AFTER ').cached, [10, 20, 30, 40]);
  } finally {
    fs.writeFileSync(go, 'go');
    await running.catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const bad = await runCli(['run', '--conf', 'spark.cleaner.referenceTracking=off', fixture('context-cleaner.ts'), marker, go, '1'], { timeoutMs: 60_000 });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /spark\.cleaner\.referenceTracking=off: not a boolean; give true or false/);
});
