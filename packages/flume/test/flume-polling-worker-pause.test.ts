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
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { TestSparkSink } from './support/spark-sink.js';

const WORKER_TIMEOUT_MS = 3000;

let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;

before(async () => {
  ({ cluster, procs } = await startKillableCluster(3, { workerTimeoutMs: WORKER_TIMEOUT_MS }));
});

after(async () => {
  for (const p of procs.values()) if (p.pid && p.signalCode === null && p.exitCode === null) process.kill(p.pid, 'SIGCONT');
  await cluster?.stop();
});

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
    const job = await startJob(cluster, fixture('flume-spark-job.ts'), [JSON.stringify(args)]);
    const started = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
    victim = procs.get(started.workerId)!;
    // Frozen with a transaction open (a batch pulled, not yet acked).
    await pollUntil(() => (sink.stats.acks >= 10 && sink.openSequences().length > 0) || undefined, 60_000, '10 batches acked and one pulled', 1);
    process.kill(victim.pid!, 'SIGSTOP');
    const openAtFreeze = sink.openSequences();
    const frozenAt = Date.now();
    const ackedBefore = sink.stats.acks;
    await job.waitLine('RECEIVER started ', 10 * WORKER_TIMEOUT_MS, (l) => !l.includes(`"${started.workerId}"`));
    const movedAt = Date.now();
    await pollUntil(() => (sink.stats.acks >= ackedBefore + 10 ? true : undefined), 60_000, '10 more batches acked by the moved receiver while the old one is frozen', 5);
    const timeoutsFrozen = sink.stats.timeouts;
    process.kill(victim.pid!, 'SIGCONT');
    contAt = Date.now();
    const end = await job.finished(90_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
    assert.ok(ackedBefore < N / 50, `frozen mid-stream (${ackedBefore} of ${N / 50} batches acked)`);
    const receivers = jsonLines<{ workerId: string }>(end.lines, 'RECEIVER started ').map((s) => s.workerId);
    assert.equal(receivers.length, 2, `the receiver started on its first worker and on one other, not again at the wake: ${receivers.join(', ')}`);
    assert.notEqual(receivers[1], started.workerId);
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
    if (victim && contAt === undefined) process.kill(victim.pid!, 'SIGCONT');
    sink.close();
  }
});
