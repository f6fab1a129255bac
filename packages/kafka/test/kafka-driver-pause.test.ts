// A direct Kafka stream under a driver frozen with SIGSTOP for 10 s (a GC pause, a stalled
// VM), then resumed with SIGCONT: real processes (`sluice driver` with a 5 s worker timeout, 2
// `sluice worker`s, `sluice submit` of fixtures/recover-job.ts), the test broker in this
// process, records produced all along. The driver is frozen between a batch's output and its
// offset commit (the fixture holds the batch there; the hold is let go during the pause).
// Resumed, it declares no worker lost and generates every batch time it missed, each within
// maxRatePerPartition x the interval, in order: every partition's ranges are adjacent from 0
// to the partition's end, every record counted exactly once (count, sum and sum of squares of
// the values, computed here), each batch time written once and none missing, and the group's
// commits end at the partitions' ends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startRecoverJob } from './recover-job-run.js';
import { pollUntil, type SluiceProcess } from './sluice-process.js';
import { assertRecoverJobExact, batchFiles, nothing, steadyProducer, type Batch } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';
import { pause, resume } from '@sluice/test-disk/pause';

const BATCH_MS = 500;
const RATE = 200; // records/s per partition: at most 100 a partition a batch
const PAUSE_MS = 10_000;


const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-driver-pause-'));

after(async () => {
  for (const p of procs) resume(p.child);
  for (const p of procs.reverse()) await p.stop();
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('the driver frozen (SIGSTOP) for 10 s between a batch\'s output and its commit, records produced all along: no worker lost, every missed batch generated within the rate, every record counted exactly once, commits at the ends', { timeout: 150_000 }, async () => {
  kafka = await KafkaTestCluster.start({ brokers: 2 });
  kafka.createTopic('pause', 4);
  const want = nothing();
  // 40 records every 100 ms (400/s, half of what 4 partitions at RATE may take): the backlog
  // of the pause is taken by the missed batches and those after them.
  const producing = steadyProducer(kafka, 'pause', 4, want);
  try {
    const out = path.join(root, 'out');
    const { driver } = await startRecoverJob(kafka, { topic: 'pause', groupId: 'g-pause', ckpt: path.join(root, 'ckpt'), out }, procs, ['--worker-timeout-ms', '5000']);

    const batches = (): Batch[] => batchFiles(out);
    const counted = (): number => batches().reduce((n, b) => n + b.count, 0);
    await pollUntil(() => (batches().filter((b) => b.count > 0).length >= 4 ? true : undefined), 60_000, 'four batches with records');

    // Frozen between a batch's output and its commit.
    fs.writeFileSync(path.join(out, 'hold'), '');
    const held = await pollUntil(() => fs.readdirSync(out).find((f) => f.startsWith('held-')), 60_000, 'a batch written and not committed');
    const heldTime = Number(held.slice('held-'.length));
    const lostBefore = driver.logLines.filter((l) => l.includes('"worker lost"')).length;
    pause(driver.child);
    const stoppedAt = Date.now();
    const producedAtStop = want.count;
    const writtenAtStop = batches().length;
    try {
      await new Promise((r) => setTimeout(r, 1_000));
      fs.rmSync(path.join(out, 'hold'));
      await new Promise((r) => setTimeout(r, PAUSE_MS - 1_000));
      assert.equal(batches().length, writtenAtStop, 'no batch written while the driver was stopped');
    } finally {
      resume(driver.child);
    }
    const producedInPause = want.count - producedAtStop;
    await new Promise((r) => setTimeout(r, 2_000));
    await producing.stop();
    await pollUntil(() => (counted() >= want.count ? true : undefined), 60_000, `every record counted (${want.count})`);
    await new Promise((r) => setTimeout(r, 1_000)); // a batch counted twice would show up by now

    const { all, events } = await assertRecoverJobExact(kafka, 'pause', 'g-pause', out, want, (RATE * BATCH_MS) / 1000);
    for (let i = 1; i < all.length; i++) assert.equal(all[i].time - all[i - 1].time, BATCH_MS, `no batch time missing after ${all[i - 1].time}`);
    assert.ok(all.filter((b) => b.time > stoppedAt && b.time < stoppedAt + PAUSE_MS).length >= PAUSE_MS / BATCH_MS - 2, 'the batch times of the pause were generated');
    assert.equal(events.length, new Set(events.map((e) => e.time)).size, 'each batch written once');
    assert.ok(events.some((e) => e.time === heldTime), `the held batch ${heldTime} was written`);
    assert.equal(driver.logLines.filter((l) => l.includes('"worker lost"')).length, lostBefore, "no worker declared lost for the driver's own pause");
    console.log(`# driver stopped ${PAUSE_MS} ms with batch ${heldTime} held before its commit; ${producedInPause} records produced during the pause, ${want.count} in all over ${all.length} batches`);
  } finally {
    await producing.stop();
  }
});
