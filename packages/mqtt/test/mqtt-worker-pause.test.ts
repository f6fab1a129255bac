// The MQTT row's worker SIGSTOP cell of docs/fault-matrix.md: the worker running the MQTT
// receiver (QoS 1, a persistent session on mosquitto) frozen with SIGSTOP mid-stream, messages
// still published (some of them sent to the frozen process and never read: its socket's receive
// queue), past the driver's worker timeout (3 s here): the driver declares it lost and starts the
// receiver on another worker with the same client id, so mosquitto hands the session over and
// sends again every message not acknowledged; batches go on without it. Then it is woken
// (SIGCONT) while more messages are published: the replaced receiver must not take the session
// back (a reconnect with the same client id would close its replacement's connection, and the
// two would take turns) nor add what it reads. Checked against what was published: no message
// lost, none that was never sent, the receiver started twice (not again at the wake), and the
// woken worker holds no connection to the broker once it registered again. QoS 1 with no source
// positions is at least once (README's receivers table): the doubles are counted and printed.
// Log on (the write-ahead log, fenced: the replaced placement's stores after the seal are refused)
// and log off (blocks replicated to a peer, read from it while the worker is frozen).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WORKER_TIMEOUT_MS, batchesWithRecordsAfter, pause, receiverStartedOn, receiverWorkers, resume, workerPauseCluster } from '@sluice/test-servers/worker-pause';
import { fixture, jsonLines, pollUntil, startJob } from './job-runner.js';
import { toBroker } from './support/broker-connections.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

/** Batches with records that complete on the moved receiver while the old one is frozen. */
const FROZEN_BATCHES = 3;

let broker: Mosquitto;
// Four workers: the frozen one, the receiver's next, and two for tasks and blocks' copies.
const frozen = workerPauseCluster(4);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mqtt-worker-pause-'));

before(async () => {
  broker = new Mosquitto();
  await broker.start();
});

after(async () => {
  await broker?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Batch {
  readonly time: number;
  readonly ids: number[];
}

for (const log of ['wal', 'nowal'] as const) {
  test(`SIGSTOP of the MQTT receiver's worker (QoS 1, log ${log === 'wal' ? 'on' : 'off'}) past the worker timeout, then SIGCONT: the receiver moves, the woken one is stopped; none lost, none invented`, { timeout: 180_000 }, async (t) => {
    const topic = `sensors/pause-${log}`;
    const clientId = `sluice-pause-${log}`;
    const PER_PHASE = 3000;
    const N = 3 * PER_PHASE;
    await makeSession(broker.url, clientId, topic);
    const ckpt = log === 'wal' ? { ckpt: path.join(tmp, `ckpt-${log}`) } : {};
    const job = await startJob(frozen.cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: broker.url, topic, clientId, qos: 1, batchMs: 500, expectIds: N, ...ckpt })]);
    const startedOn = await receiverStartedOn(job, 30_000);
    const victim = frozen.procs.get(startedOn)!;
    const sent = emptySent();
    const batches = (): Batch[] => jsonLines<Batch>(job.lines, 'BATCH ');
    const seen = (): number => batches().reduce((n, b) => n + b.ids.length, 0);
    let frozenAt: number | undefined;
    let unread = 0;
    const pace = (ms: number) => async (): Promise<void> => {
      if (frozenAt === undefined && seen() >= 600) {
        pause(victim);
        frozenAt = Date.now();
      }
      if (frozenAt !== undefined) unread = Math.max(unread, toBroker(victim.pid!, broker.port).unread);
      await new Promise((r) => setTimeout(r, ms));
    };
    let contAt: number | undefined;
    try {
      // Phase 1 (once batches run): a steady flow, frozen once 600 are counted (the flow goes on into its socket).
      await job.waitLine('BATCH ', 30_000);
      await publish(broker.url, topic, 0, PER_PHASE, 31, sent, {}, pace(30), 100);
      assert.ok(frozenAt !== undefined, `the receiver's worker was frozen mid-stream (${seen()} of ${PER_PHASE} counted as phase 1 ended)`);
      // Declared lost, the receiver starts elsewhere; phase 2 is published while it is frozen.
      const movedTo = await receiverStartedOn(job, 10 * WORKER_TIMEOUT_MS, startedOn);
      const movedAt = Date.now();
      t.diagnostic(`${log}: the receiver moved ${movedAt - frozenAt!} ms after the freeze (${unread} bytes unread in the frozen worker's connection to the broker)`);
      await publish(broker.url, topic, PER_PHASE, PER_PHASE, 37, sent, {}, pace(30), 100);
      await batchesWithRecordsAfter(job, movedAt, FROZEN_BATCHES);
      assert.ok(unread > 0, 'messages were sent to the frozen worker and left unread in its connection');
      resume(victim);
      contAt = Date.now();
      // The woken receiver is stopped: its worker lets go of its connection to the broker and
      // does not connect again (a woken receiver reconnecting with the session's client id would
      // take the session over: its replacement's connection closed, the two taking turns).
      await pollUntil(() => (toBroker(victim.pid!, broker.port).connections === 0 ? true : undefined), 15_000, 'the woken worker to hold no connection to the broker');
      const movedProc = frozen.procs.get(movedTo)!;
      let victimConnected = 0;
      let movedDropped = 0;
      // Phase 3, with the old receiver awake: both workers' connections sampled as it goes.
      await publish(broker.url, topic, 2 * PER_PHASE, PER_PHASE, 41, sent, {}, async () => {
        victimConnected += toBroker(victim.pid!, broker.port).connections;
        if (toBroker(movedProc.pid!, broker.port).connections !== 1) movedDropped++;
        await new Promise((r) => setTimeout(r, 50));
      }, 100);
      assert.equal(victimConnected, 0, 'the woken worker never connected to the broker again');
      assert.equal(movedDropped, 0, "the moved receiver's worker held its one connection to the broker throughout");
      const end = await job.finished(60_000);
      assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
      assert.deepEqual(receiverWorkers(end.lines), [startedOn, movedTo], 'the receiver started on its first worker and on one other, not again when the old one woke');
      const ids = jsonLines<Batch>(end.lines, 'BATCH ').flatMap((b) => b.ids);
      const distinct = new Set(ids);
      const missing = sent.ids.filter((id) => !distinct.has(id));
      assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
      assert.equal(distinct.size, N, 'no id counted that was never sent');
      t.diagnostic(`${log}: frozen ${contAt - frozenAt!} ms; ${ids.length} delivered, ${ids.length - N} twice (at least once, deduped by id); the job ended ${Date.now() - contAt} ms after the wake`);
    } finally {
      resume(victim);
      job.cancel();
    }
  });
}
