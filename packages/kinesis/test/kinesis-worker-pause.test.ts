// The Kinesis row's worker SIGSTOP cell of docs/fault-matrix.md: the worker running the Kinesis
// receiver (one reader taking both shards of a stream on kinesalite) frozen with SIGSTOP
// mid-stream, records still put, past the driver's worker timeout (3 s here): the driver
// declares it lost and starts the receiver on another worker, which reads each shard again from
// its checkpoint; batches go on without the frozen one. Then it is woken (SIGCONT) while more
// records are put: the replaced reader must add nothing (log on: its stores after the log's seal
// are refused; log off: its late blocks carry the shards' sequence numbers, and positions already
// counted are left out). Checked against what kinesalite accepted: every record in exactly one
// batch (README's receivers table: a worker dies, exactly once), each key's count exact, the
// receiver started twice (not again at the wake).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WORKER_TIMEOUT_MS, batchesWithRecordsAfter, pause, receiverStartedOn, receiverWorkers, resume, workerPauseCluster } from '@sluice/test-servers/worker-pause';
import { fixture, jsonLines, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { assertCountedExactlyOnce, type CountBatch } from './support/count-batches.js';
import { client, createStream, emptySent, put } from './support/producer.js';

/** Batches with records that complete on the moved receiver while the old one is frozen. */
const FROZEN_BATCHES = 3;

let kinesis: Kinesalite;
const frozen = workerPauseCluster(3);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-worker-pause-'));

before(async () => {
  kinesis = new Kinesalite();
  await kinesis.start();
});

after(async () => {
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

for (const log of ['wal', 'nowal'] as const) {
  test(`SIGSTOP of the Kinesis receiver's worker (log ${log === 'wal' ? 'on' : 'off'}) past the worker timeout, then SIGCONT: the readers move, the woken one adds nothing; every record once`, { timeout: 180_000 }, async (t) => {
    const stream = `pause-${log}`;
    const PER_PHASE = 2000;
    const N = 3 * PER_PHASE;
    const c = client(kinesis.endpoint);
    await createStream(c, stream, 2);
    const job = await startJob(frozen.cluster, fixture('kinesis-count-job.ts'), [
      JSON.stringify({ endpoint: kinesis.endpoint, stream, app: `pause-${log}-app`, readers: 1, checkpointDir: path.join(tmp, log), batchMs: 500, expectIds: N, checkpointInterval: 200, writeAheadLog: log === 'wal' }),
    ]);
    const startedOn = await receiverStartedOn(job, 30_000);
    const victim = frozen.procs.get(startedOn)!;
    const sent = emptySent();
    const batches = (): CountBatch[] => jsonLines<CountBatch>(job.lines, 'BATCH ');
    const seen = (): number => batches().reduce((n, b) => n + b.ids.length, 0);
    let frozenAt: number | undefined;
    let contAt: number | undefined;
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    try {
      await job.waitLine('BATCH ', 30_000);
      // Phase 1: a steady flow (batches of 100), frozen once 500 are counted; the flow goes on.
      await put(c, stream, 0, PER_PHASE, 13, sent, {
        batch: 100,
        onBatch: async () => {
          if (frozenAt === undefined && seen() >= 500) {
            pause(victim);
            frozenAt = Date.now();
          }
          await sleep(40);
        },
      });
      assert.ok(frozenAt !== undefined, `the receiver's worker was frozen mid-stream (${seen()} of ${PER_PHASE} counted as phase 1 ended)`);
      const movedTo = await receiverStartedOn(job, 10 * WORKER_TIMEOUT_MS, startedOn);
      const movedAt = Date.now();
      t.diagnostic(`${log}: the receiver moved ${movedAt - frozenAt} ms after the freeze`);
      // Phase 2, while the old one is frozen.
      await put(c, stream, PER_PHASE, PER_PHASE, 17, sent, { batch: 100, onBatch: () => sleep(40) });
      await batchesWithRecordsAfter(job, movedAt, FROZEN_BATCHES);
      resume(victim);
      contAt = Date.now();
      // Phase 3, with the old reader awake.
      await put(c, stream, 2 * PER_PHASE, PER_PHASE, 19, sent, { batch: 100, onBatch: () => sleep(40) });
      const end = await job.finished(60_000);
      assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
      assert.deepEqual(receiverWorkers(end.lines), [startedOn, movedTo], 'the receiver started on its first worker and on one other, not again when the old one woke');
      assert.equal(sent.ids.length, N);
      assertCountedExactlyOnce(end.lines, sent, N);
      t.diagnostic(`${log}: frozen ${contAt - frozenAt} ms; ${N} records, each once; the job ended ${Date.now() - contAt} ms after the wake`);
    } finally {
      resume(victim);
      job.cancel();
      c.destroy();
    }
  });
}
