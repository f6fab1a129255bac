// A worker frozen with SIGSTOP while it reads a Kafka range, past the driver's worker timeout,
// then resumed: a zombie whose late outcomes must change nothing. Real processes (`sluice
// driver --worker-timeout-ms 3000`, 2 `sluice worker`s, `sluice submit` of
// fixtures/recover-job.ts: checkpointed, an idempotent batch file, then the commit), the test
// broker in this process with every fetch answered 300 ms late (so the workers spend their
// tasks in fetches), records produced all along. The victim is a worker with a fetch in
// flight. The driver declares it lost (by its timeout, from its last heartbeat), runs its tasks on the other
// worker and goes on with the batches; resumed, the zombie registers again and takes tasks,
// and its late results (the read it was in, the batch's count) are not counted: every record
// counted exactly once (count, sum and sum of squares, computed here), ranges adjacent from 0
// to each partition's end, each batch time written once, commits at the ends.
// Spark: an executor lost by heartbeat timeout has its tasks resubmitted
// (TaskSetManager.executorLost); a result from it after that is ignored (the task is no
// longer running on it).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startRecoverJob } from './recover-job-run.js';
import { pollUntil, type SluiceProcess } from './sluice-process.js';
import { assertRecoverJobExact, batchFiles, nothing, steadyProducer, tcpPortsOf } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { pause, resume } from '@sluice/test-disk/pause';

const WORKER_TIMEOUT_MS = 3000;
const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-worker-pause-'));

after(async () => {
  for (const p of procs) resume(p.child);
  for (const p of procs.reverse()) await p.stop();
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const count = (p: SluiceProcess, what: string): number => p.logLines.filter((l) => l.includes(`"${what}"`)).length;

test('a worker frozen (SIGSTOP) in a fetch past the worker timeout, then resumed: declared lost, its ranges read elsewhere, its late results not counted, every record counted once', { timeout: 150_000 }, async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  kafka.createTopic('in', 4);
  const want = nothing();
  const producing = steadyProducer(kafka, 'in', 4, want);
  try {
    const out = path.join(root, 'out');
    const before = procs.length;
    const { driver } = await startRecoverJob(kafka, { topic: 'in', groupId: 'g', ckpt: path.join(root, 'ckpt'), out }, procs, ['--worker-timeout-ms', String(WORKER_TIMEOUT_MS)]);
    const workers = procs.slice(before + 1);
    await pollUntil(() => (batchFiles(out).filter((b) => b.count > 0).length >= 3 ? true : undefined), 60_000, 'three batches with records');
    kafka.delayFetches(300);
    const victim = await pollUntil(() => {
      const fetching = kafka!.fetchingClientPorts();
      return fetching.length === 0 ? undefined : workers.find((w) => fetching.some((p) => tcpPortsOf(w.child.pid!).has(p)));
    }, 60_000, 'a worker with a fetch in flight');
    const lostBefore = count(driver, 'worker lost');
    const joinedBefore = count(driver, 'worker joined');
    pause(victim.child);
    const stoppedAt = Date.now();
    let lostAfter: number;
    let writtenWhileFrozen: number;
    try {
      await pollUntil(() => (count(driver, 'worker lost') > lostBefore ? true : undefined), 60_000, 'the frozen worker declared lost');
      lostAfter = Date.now() - stoppedAt;
      const written = batchFiles(out).length;
      await pollUntil(() => (batchFiles(out).length >= written + 3 ? true : undefined), 60_000, 'batches going on without the frozen worker');
      writtenWhileFrozen = batchFiles(out).length - written;
    } finally {
      resume(victim.child);
    }
    await pollUntil(() => (count(driver, 'worker joined') > joinedBefore ? true : undefined), 60_000, 'the resumed worker registered again');
    kafka.delayFetches(0);
    const written = batchFiles(out).length;
    await pollUntil(() => (batchFiles(out).length >= written + 3 ? true : undefined), 60_000, 'batches going on after it resumed');
    await producing.stop();
    await pollUntil(() => (batchFiles(out).reduce((n, b) => n + b.count, 0) >= want.count ? true : undefined), 60_000, `every record counted (${want.count})`);
    await new Promise((r) => setTimeout(r, 1_000)); // a batch counted twice would show up by now
    const { all, events } = await assertRecoverJobExact(kafka, 'in', 'g', out, want, 100);
    assert.equal(events.length, new Set(events.map((e) => e.time)).size, 'each batch written once');
    // The timeout runs from its last heartbeat, which came up to an interval before the freeze.
    assert.ok(lostAfter >= WORKER_TIMEOUT_MS / 2 && lostAfter < 10 * WORKER_TIMEOUT_MS, `declared lost after about the worker timeout (${lostAfter} ms)`);
    console.log(`# worker ${victim.child.pid} frozen in a fetch: declared lost after ${lostAfter} ms (timeout ${WORKER_TIMEOUT_MS}), ${writtenWhileFrozen} batches written without it; ${all.length} batches, ${want.count} records`);
  } finally {
    await producing.stop();
  }
});
