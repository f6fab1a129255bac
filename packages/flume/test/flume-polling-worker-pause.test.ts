// The Flume row's worker SIGSTOP cell of docs/fault-matrix.md, polling (createPollingStream): the
// worker running the polling receiver frozen with SIGSTOP while it pulls 6,000 events from a
// SparkSink (the tests' own, support/spark-sink.ts, answering each getEventBatch after 40 ms,
// its transaction timeout 2 s), past the driver's worker timeout (3 s here), until the receiver
// moved and 10 more batches were acked without it; then woken (SIGCONT). The batches the frozen
// receiver pulled and never acked are rolled back by the sink's timeout and pulled again by its
// replacement; woken, the old receiver is stopped, and an ack it sends late for a transaction
// already rolled back changes nothing. Checked against what the sink held: every event read
// (at least once: the doubles are counted), each body exact, none that was never sent, the
// channel empty with no transaction open.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { test } from 'node:test';
import { WORKER_TIMEOUT_MS, pause, receiverStartedOn, receiverWorkers, resume, workerPauseCluster } from '@sluice/test-servers/worker-pause';
import { fixture, jsonLines, pollUntil, startJob } from './job-runner.js';
import { TestSparkSink } from './support/spark-sink.js';

const frozen = workerPauseCluster(3);

test("SIGSTOP of the polling receiver's worker past the worker timeout, then SIGCONT: its unacked batches rolled back and pulled again by its replacement, the woken one stopped; nothing lost", { timeout: 180_000 }, async (t) => {
  const N = 6000;
  const sink = new TestSparkSink('p', 2000, 40);
  await sink.start();
  let victim: ChildProcess | undefined;
  let contAt: number | undefined;
  try {
    const events = Array.from({ length: N }, (_, j) => ({ headers: { sink: 'p', id: String(j) }, body: Buffer.from(`event ${j}`) }));
    sink.put(events);
    const args = { host: '', port: 0, batchMs: 500, expect: N, distinct: true, storageLevel: 'MEMORY_AND_DISK_SER_2', enableDecompression: false, sinks: [`127.0.0.1:${sink.port}`], maxBatchSize: 50, parallelism: 5 };
    const job = await startJob(frozen.cluster, fixture('flume-spark-job.ts'), [JSON.stringify(args)]);
    const startedOn = await receiverStartedOn(job, 30_000);
    victim = frozen.procs.get(startedOn)!;
    // Frozen with a transaction open (a batch pulled, not yet acked).
    await pollUntil(() => (sink.stats.acks >= 10 && sink.openSequences().length > 0) || undefined, 60_000, '10 batches acked and one pulled', 1);
    pause(victim);
    const openAtFreeze = sink.openSequences();
    const frozenAt = Date.now();
    const ackedBefore = sink.stats.acks;
    await receiverStartedOn(job, 10 * WORKER_TIMEOUT_MS, startedOn);
    const movedAt = Date.now();
    await pollUntil(() => (sink.stats.acks >= ackedBefore + 10 ? true : undefined), 60_000, '10 more batches acked by the moved receiver while the old one is frozen', 5);
    const timeoutsFrozen = sink.stats.timeouts;
    resume(victim);
    contAt = Date.now();
    const end = await job.finished(90_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
    assert.ok(ackedBefore < N / 50, `frozen mid-stream (${ackedBefore} of ${N / 50} batches acked)`);
    const receivers = receiverWorkers(end.lines);
    assert.equal(receivers.length, 2, `the receiver started on its first worker and on one other, not again at the wake: ${receivers.join(', ')}`);
    assert.notEqual(receivers[1], startedOn);
    const output = jsonLines<[Record<string, string>, string][]>(end.lines, 'EVENTS ').flat();
    const distinct = new Map(output.map(([h, body]) => [h.id!, body]));
    const missing = events.filter((e) => !distinct.has(e.headers.id));
    assert.deepEqual(missing.slice(0, 10).map((e) => e.headers.id), [], `no event lost (${missing.length} missing)`);
    assert.equal(distinct.size, N, 'no event that was never sent');
    for (const e of events) assert.equal(distinct.get(e.headers.id), e.body.toString('utf8'));
    // A transaction open at the freeze was rolled back by the sink's timeout, unless its ack was already on its way as the worker froze.
    const ackedLate = openAtFreeze.filter((seq) => sink.committed.has(seq));
    assert.ok(timeoutsFrozen > 0 || ackedLate.length === openAtFreeze.length, `the frozen receiver's open transactions (${openAtFreeze.join(', ')}) rolled back by the sink's timeout (${timeoutsFrozen}) or acked before the freeze`);
    assert.deepEqual(sink.pending, { channel: 0, transactions: 0 }, 'the channel ends empty, no transaction open');
    t.diagnostic(`moved ${movedAt - frozenAt} ms after the freeze, frozen ${contAt - frozenAt} ms, ${openAtFreeze.length} transactions open at the freeze (${ackedLate.length} of them acked); ${sink.stats.timeouts} transactions rolled back by the timeout, ${sink.stats.nacks - sink.stats.timeouts} by nack; ${output.length} events delivered, ${output.length - N} twice (at least once); the job ended ${Date.now() - contAt} ms after the wake`);
  } finally {
    resume(victim);
    sink.close();
  }
});
