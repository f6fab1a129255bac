// kill -9 of the worker running the Flume polling receiver (createPollingStream) while it
// pulls 6,000 events from a SparkSink (the tests' own, support/spark-sink.ts, answering
// each getEventBatch after 40 ms): nothing is lost. A batch is acked only once stored, so a
// batch in flight when the worker died is never acked; the sink's transaction timeout
// (2 s here) rolls it back into the channel and the receiver, restarted on another worker,
// pulls it again. At least once: the test dedupes by the id header and says how many came
// twice; the channel ends empty with no transaction open.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { TestSparkSink } from './support/spark-sink.js';

let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;

before(async () => {
  // Three workers: once the receiver's dies, two are left, so stored blocks still get a second copy.
  ({ cluster, procs } = await startKillableCluster(3));
});

after(async () => {
  await cluster?.stop();
});

test("kill -9 of the polling receiver's worker mid-stream: the batch never acked is rolled back by the SparkSink and pulled again, nothing lost", { timeout: 120_000 }, async () => {
  const N = 6000;
  const sink = new TestSparkSink('k', 2000, 40);
  await sink.start();
  try {
    const events = Array.from({ length: N }, (_, j) => ({ headers: { sink: 'k', id: String(j) }, body: Buffer.from(`event ${j}`) }));
    sink.put(events);
    const args = { host: '', port: 0, batchMs: 500, expect: N, distinct: true, storageLevel: 'MEMORY_AND_DISK_SER_2', enableDecompression: false, sinks: [`127.0.0.1:${sink.port}`], maxBatchSize: 100, parallelism: 5 };
    const job = await startJob(cluster, fixture('flume-spark-job.ts'), [JSON.stringify(args)]);
    const started = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
    await pollUntil(() => sink.stats.acks >= 10 || undefined, 60_000, '10 batches acked', 5);
    const ackedBefore = sink.stats.acks;
    procs.get(started.workerId)!.kill('SIGKILL');
    const end = await job.finished(90_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
    assert.ok(ackedBefore < N / 100, `killed mid-stream (${ackedBefore} of ${N / 100} batches acked)`);
    const restarted = end.lines.filter((l) => l.startsWith('RECEIVER started ')).map((l) => (JSON.parse(l.slice('RECEIVER started '.length)) as { workerId: string }).workerId);
    assert.ok(restarted.some((w) => w !== started.workerId), `the receiver restarted on another worker: ${restarted.join(', ')}`);
    const output = jsonLines<[Record<string, string>, string][]>(end.lines, 'EVENTS ').flat();
    const distinct = new Map(output.map(([h, body]) => [h.id!, body]));
    const missing = events.filter((e) => !distinct.has(e.headers.id));
    assert.deepEqual(missing.slice(0, 10).map((e) => e.headers.id), [], `no event lost (${missing.length} missing)`);
    assert.equal(distinct.size, N, 'no event that was never sent');
    for (const e of events) assert.equal(distinct.get(e.headers.id), e.body.toString('utf8'));
    assert.deepEqual(sink.pending, { channel: 0, transactions: 0 }, 'the channel ends empty, no transaction open');
    console.log(`# killed after ${ackedBefore} batches acked; ${sink.stats.timeouts} transactions rolled back by the timeout, ${sink.stats.nacks - sink.stats.timeouts} by nack; ${output.length} events delivered, ${output.length - N} twice (at least once)`);
  } finally {
    sink.close();
  }
});
