// The Flume row's worker SIGSTOP cell of docs/fault-matrix.md, push (createStream): the worker
// running the receiver frozen with SIGSTOP mid-stream while three avro sinks push, past the
// driver's worker timeout (3 s here), for 15 s, then woken (SIGCONT). The frozen receiver's
// calls get no OK (its sinks time out after 3 s and send them again, as Flume's AvroSink rolls
// back its transaction); the driver declares the worker lost and starts the receiver on another
// worker, which on this one host cannot listen: the frozen process still holds the port (the
// kernel even completes the sinks' connections into its backlog). Each start fails naming the
// port and is tried again (as Spark's, whose push receiver is placed on the host the agents send
// to). Woken, the old receiver is stopped and lets go of the port, the receiver starts on
// another worker, the sinks get OK again. Checked against what the sinks sent: no event lost,
// none that was never sent (at least once, README: a call without OK is sent again; the doubles
// are counted).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WORKER_TIMEOUT_MS, pause, receiverStartedOn, resume, workerPauseCluster } from '@sluice/test-servers/worker-pause';
import { fixture, freePort, jsonLines, pollUntil, startJob } from './job-runner.js';
import { FlumeSink } from './support/flume-avro-client.js';
import { emptySent, sendAll } from './support/events.js';

/** How long the worker stays frozen. */
const PAUSE_MS = 15_000;

const frozen = workerPauseCluster(3);

test("SIGSTOP of the Flume push receiver's worker past the worker timeout, then SIGCONT: calls without OK sent again, nothing lost", { timeout: 180_000 }, async (t) => {
  const N = 12_000;
  const port = await freePort();
  const job = await startJob(frozen.cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 500, expectIds: N })]);
  const startedOn = await receiverStartedOn(job, 30_000);
  const victim = frozen.procs.get(startedOn)!;
  const sent = emptySent();
  const sinks = [0, 1, 2].map(() => new FlumeSink({ host: '127.0.0.1', port, requestTimeoutMs: 3000, retryDelayMs: 200, giveUpAfterMs: 120_000 }));
  let frozenAt: number | undefined;
  let contAt: number | undefined;
  try {
    const sending = Promise.all(
      sinks.map((s, i) =>
        sendAll(s, i * (N / 3), N / 3, 7 + i, `agent-${i}`, sent, 100, async () => {
          if (frozenAt === undefined && sent.ids.length >= N / 4) {
            pause(victim);
            frozenAt = Date.now();
          }
          await new Promise((r) => setTimeout(r, 30));
        }),
      ),
    );
    await pollUntil(() => frozenAt, 60_000, 'the receiver frozen mid-stream');
    await job.waitLine('RECEIVER error ', 10 * WORKER_TIMEOUT_MS, (l) => l.includes(`worker ${startedOn} was lost`));
    t.diagnostic(`declared lost ${Date.now() - frozenAt!} ms after the freeze`);
    // The restarted receiver cannot listen while the frozen process holds the port: each start
    // fails naming it, and is tried again.
    const inUse = (): { workerId: string; lastErrorMessage: string; lastError: string }[] =>
      jsonLines<{ workerId: string; lastErrorMessage: string; lastError: string }>(job.lines.filter((l) => l.includes(`port ${port} is in use`)), 'RECEIVER stopped ');
    await pollUntil(() => (inUse().length >= 2 ? true : undefined), 30_000, 'starts of the moved receiver refused (the port held by the frozen process)');
    assert.ok(inUse().every((e) => e.workerId !== startedOn), 'tried on the other workers');
    // The error says why the port is taken here (the stream's own receiver on a worker declared lost, still running), not only to change the port.
    for (const e of inUse()) assert.match(e.lastError, /this stream's receiver on a worker of this host declared lost that still runs \(frozen, or cut off from the driver: it lets go of the port once it is woken and told to stop/);
    const ackedFrozen = sent.ids.length;
    await new Promise((r) => setTimeout(r, Math.max(0, frozenAt! + PAUSE_MS - Date.now())));
    t.diagnostic(`frozen ${Date.now() - frozenAt!} ms: ${inUse().length} starts refused, e.g. ${JSON.stringify(inUse()[0])}; ${sent.ids.length - ackedFrozen} events answered OK meanwhile`);
    resume(victim);
    contAt = Date.now();
    // Woken, the old receiver is stopped (its worker registers again, its placement replaced)
    // and lets go of the port; the receiver starts on another worker and the sinks get OK again.
    const ackedAtWake = sent.ids.length;
    await pollUntil(() => (sent.ids.length >= ackedAtWake + 500 ? true : undefined), 60_000, '500 more events answered OK after the wake');
    t.diagnostic(`OK again ${Date.now() - contAt} ms after the wake`);
    await sending;
    for (const s of sinks) s.close();
    const end = await job.finished(60_000);
    assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
    const last = jsonLines<{ workerId: string; active: boolean }>(end.lines, 'RECEIVER started ').at(-1)!;
    assert.notEqual(last.workerId, startedOn, 'the receiver runs on another worker at the end');
    const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
    const distinct = new Set(ids);
    const missing = sent.ids.filter((id) => !distinct.has(id));
    assert.deepEqual(missing.slice(0, 20), [], `no event lost (${missing.length} missing)`);
    assert.equal(distinct.size, N, 'no id counted that was never sent');
    t.diagnostic(`${ids.length} delivered, ${ids.length - N} twice; ${sinks.reduce((n, s) => n + s.stats.resent, 0)} calls sent again`);
  } finally {
    resume(victim);
    job.cancel();
    for (const s of sinks) s.close();
  }
});
