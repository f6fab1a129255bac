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
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';

/** The driver's worker timeout here: a frozen worker is declared lost after 3 s of silence. */
const WORKER_TIMEOUT_MS = 3000;
/** Batches with records that complete on the moved receiver while the old one is frozen. */
const FROZEN_BATCHES = 3;

interface Batch {
  readonly time: number;
  readonly counts: Record<string, number>;
  readonly ids: number[];
}

let kinesis: Kinesalite;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-worker-pause-'));

before(async () => {
  kinesis = new Kinesalite();
  await kinesis.start();
  ({ cluster, procs } = await startKillableCluster(3, { workerTimeoutMs: WORKER_TIMEOUT_MS }));
});

after(async () => {
  for (const p of procs.values()) if (p.pid && p.signalCode === null && p.exitCode === null) process.kill(p.pid, 'SIGCONT');
  await cluster?.stop();
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
    const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
      JSON.stringify({ endpoint: kinesis.endpoint, stream, app: `pause-${log}-app`, readers: 1, checkpointDir: path.join(tmp, log), batchMs: 500, expectIds: N, checkpointInterval: 200, writeAheadLog: log === 'wal' }),
    ]);
    const started = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
    const victim = procs.get(started.workerId)!;
    const sent = emptySent();
    const batches = (): Batch[] => jsonLines<Batch>(job.lines, 'BATCH ');
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
            process.kill(victim.pid!, 'SIGSTOP');
            frozenAt = Date.now();
          }
          await sleep(40);
        },
      });
      assert.ok(frozenAt !== undefined, `the receiver's worker was frozen mid-stream (${seen()} of ${PER_PHASE} counted as phase 1 ended)`);
      const moved = JSON.parse((await job.waitLine('RECEIVER started ', 10 * WORKER_TIMEOUT_MS, (l) => !l.includes(`"${started.workerId}"`))).slice('RECEIVER started '.length)) as { workerId: string };
      const movedAt = Date.now();
      t.diagnostic(`${log}: the receiver moved ${movedAt - frozenAt} ms after the freeze`);
      // Phase 2, while the old one is frozen.
      await put(c, stream, PER_PHASE, PER_PHASE, 17, sent, { batch: 100, onBatch: () => sleep(40) });
      await pollUntil(() => (batches().filter((b) => b.time > movedAt && b.ids.length > 0).length >= FROZEN_BATCHES ? true : undefined), 60_000, `${FROZEN_BATCHES} batches with records after the move while the old worker is frozen`);
      process.kill(victim.pid!, 'SIGCONT');
      contAt = Date.now();
      // Phase 3, with the old reader awake.
      await put(c, stream, 2 * PER_PHASE, PER_PHASE, 19, sent, { batch: 100, onBatch: () => sleep(40) });
      const end = await job.finished(60_000);
      assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
      const receivers = jsonLines<{ workerId: string }>(end.lines, 'RECEIVER started ').map((s) => s.workerId);
      assert.deepEqual(receivers, [started.workerId, moved.workerId], 'the receiver started on its first worker and on one other, not again when the old one woke');
      const all = jsonLines<Batch>(end.lines, 'BATCH ');
      const ids = all.flatMap((b) => b.ids);
      const distinct = new Set(ids);
      const missing = sent.ids.filter((id) => !distinct.has(id));
      assert.equal(sent.ids.length, N);
      assert.deepEqual(missing.slice(0, 20), [], `no record lost (${missing.length} missing)`);
      assert.equal(ids.length, N, `each record counted once (${ids.length - distinct.size} counted twice)`);
      const counts = new Map<string, number>();
      for (const b of all) for (const [k, n] of Object.entries(b.counts)) counts.set(k, (counts.get(k) ?? 0) + n);
      assert.deepEqual([...counts].sort(), [...sent.counts].sort(), 'per key counts equal what was put');
      t.diagnostic(`${log}: frozen ${contAt - frozenAt} ms; ${N} records, each once; the job ended ${Date.now() - contAt} ms after the wake`);
    } finally {
      if (contAt === undefined) process.kill(victim.pid!, 'SIGCONT');
      job.cancel();
      c.destroy();
    }
  });
}
