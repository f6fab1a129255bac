// A driver-program thread kept after a job serves a later job of the same bundle
// (SpareJobThreads). The earlier job's RDDs become garbage there while the later job runs,
// and their SluiceContext's FinalizationRegistry (Spark's ContextCleaner) then drops their
// shuffles: it must not drop the later job's shuffles, whose ids are the same (each context
// numbers its shuffles from 0). On a real cluster (driver here, one worker process): job A
// and job B run the same program (kept-thread-shuffle.ts): a 4 x 4 shuffle of n records
// counted twice with a full garbage collection between the counts. As in Spark, the second
// count reuses the map outputs (its map stage is skipped): the map side computed n records
// in all, in A and in B (B on A's thread: A's shuffle RDD is garbage by then). The same for a
// persisted RDD of the same id in both jobs (the context cleaner unpersists a collected one):
// B's second count reads its cached blocks, computing nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalCluster, bundleJob, createRootLogger } from '../src/index.js';
import { fixture, within } from './harness.js';

interface Probe {
  readonly threadId: number;
  readonly first: number;
  readonly second: number;
  readonly mapped: number;
  readonly cachedFirst: number;
  readonly cachedSecond: number;
  readonly cachedMapped: number;
}

test("a job on a kept driver-program thread keeps its shuffles and cached blocks when the earlier job's RDDs are collected", { timeout: 120_000 }, async () => {
  const cluster = new LocalCluster({ workers: 1, coresPerWorker: 2, logLevel: 'warn', log: createRootLogger('warn', { pretty: false }) });
  try {
    await cluster.start();
    const bundle = await bundleJob(fixture('kept-thread-shuffle.ts'));
    const n = 40;
    const run = async (): Promise<Probe> => {
      const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args: [String(n)] });
      const out: string[] = [];
      job.on('output', (l) => out.push(l));
      const [state, err] = await within(new Promise<[string, { readonly message: string } | undefined]>((resolve) => job.once('end', (s, e) => resolve([s, e]))), 60_000, 'the job');
      assert.equal(state, 'succeeded', `${err?.message}\n${out.join('\n')}`);
      const line = out.find((l) => l.startsWith('KEPT_SHUFFLE '));
      assert.ok(line, out.join('\n'));
      return JSON.parse(line.slice('KEPT_SHUFFLE '.length)) as Probe;
    };
    const a = await run();
    const b = await run();
    assert.equal(b.threadId, a.threadId, 'job B ran on the thread job A left');
    // Four keys (x % 4) each time; the map side ran once per job: the second count read the first's map outputs.
    assert.deepEqual([a.first, a.second, a.mapped], [4, 4, n]);
    assert.deepEqual([b.first, b.second, b.mapped], [4, 4, n]);
    // The persisted RDD was computed once a job: A's, collected while B runs, is not unpersisted in B (same id).
    assert.deepEqual([a.cachedFirst, a.cachedSecond, a.cachedMapped], [n, n, n]);
    assert.deepEqual([b.cachedFirst, b.cachedSecond, b.cachedMapped], [n, n, n]);
  } finally {
    await cluster.stop();
  }
});
