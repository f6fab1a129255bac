// kill -9 of the driver in the middle of a direct Kafka stream recovered with
// StreamingContext.getOrCreate: a driver process and 2 worker processes on loopback, the
// test broker in this process. The driver is killed after a few batches, records are
// produced while it is down, a driver is started again on the same port, the workers
// register with it, and the same job is submitted again. Checked against the broker's
// logs and the test's own records: every partition's ranges, over both runs, are adjacent
// from 0 to the partition's end; every record is counted exactly once; a batch written by
// both runs read the same ranges both times; the group's commits end at the partitions' ends.
// The kill falls between a batch's output and its commit (the fixture holds the batch there):
// that batch's output is written again by the recovered driver, with the same ranges
// (at-least-once output, made exact by the output being idempotent per batch time).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startRecoverJob } from './recover-job-run.js';
import { pollUntil, type SluiceProcess } from './sluice-process.js';
import { assertRecoverJobExact, batchFiles, nothing, numberedRecords, recoverAndCountAll, type Batch, type Range } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';


const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-recovery-'));

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

test('kill -9 of the driver mid-stream, a driver started again, the job submitted again: no record lost, none counted twice', async () => {
  kafka = await KafkaTestCluster.start({ brokers: 2 });
  kafka.createTopic('rec', 4);
  const want = nothing();
  const produce = numberedRecords(kafka, 'rec', 4, want);
  await produce(4000);

  const out = path.join(root, 'out');
  // 200 records per second per partition x 0.5 s: at most 100 per partition per batch.
  const run = await startRecoverJob(kafka, { topic: 'rec', groupId: 'g-rec', ckpt: path.join(root, 'ckpt'), out }, procs);

  const batches = (): Batch[] => batchFiles(out);
  const counted = () => batches().reduce((n, b) => n + b.count, 0);
  await pollUntil(() => (counted() >= 1200 ? true : undefined), 60_000, 'three batches of the first run');
  // The driver dies between a batch's output and its commit: the batch waits there (out/hold).
  fs.writeFileSync(path.join(out, 'hold'), '');
  const held = await pollUntil(() => fs.readdirSync(out).find((f) => f.startsWith('held-')), 60_000, 'a batch written and not committed');
  const heldTime = Number(held.slice('held-'.length));
  const heldRanges = JSON.parse(fs.readFileSync(path.join(out, held), 'utf8')) as Range[];
  await run.driver.kill9();
  fs.rmSync(path.join(out, 'hold'));
  const beforeKill = counted();
  assert.ok(beforeKill < 4000, 'the driver died mid-stream');
  assert.ok(heldRanges.length > 0, 'the held batch read records');
  for (const r of heldRanges) assert.equal(kafka.groups.committed('g-rec', 'rec', r.partition), BigInt(r.fromOffset), `rec/${r.partition}: the held batch's range ${r.fromOffset}-${r.untilOffset} was not committed`);
  await recoverAndCountAll(run, produce, out, want);

  const { events } = await assertRecoverJobExact(kafka, 'rec', 'g-rec', out, want, 100);
  // The held batch, written and not committed, run again after the recovery with the same ranges.
  const jobs = [...new Set(events.map((e) => e.job))];
  assert.equal(jobs.length, 2, 'two runs wrote batches');
  assert.deepEqual(
    events.filter((e) => e.time === heldTime).map((e) => [e.job, e.ranges]),
    jobs.map((j) => [j, heldRanges]),
    'the batch written but not committed is run again after the recovery, with the same ranges',
  );
});
