// A direct Kafka stream started at offsets past its partitions' end (startingOffsets given:
// it waits for the log to reach them) under `sluice run` (embedded driver, 2 worker
// processes), killed with -9 while it waits and run again from its checkpoint before the log
// reached those offsets: the recovered stream waits as the first run did (a warning, no
// failure), and once records arrive at and past the offsets it reads each of them once, and
// none before them. fixtures/recover-job.ts with startingOffsets, the test broker in this
// process. Expected totals are computed here from the numbering of the records sent (value v
// to partition v % 2, so a partition's k-th record is its k-th value).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture, processAlive } from './job-runner.js';
import { pollUntil, randomSecret, spawnSluice, type SluiceProcess } from './sluice-process.js';
import { assertRecoverJobExact, batchEvents, batchFiles, nothing, numberedRecords, type BatchEvent, type Produced } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

const PARTITIONS = 2;
const START = 60;
const procs: SluiceProcess[] = [];
const orphans: number[] = [];
let kafka: KafkaTestCluster | undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-ahead-'));

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  for (const pid of orphans) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** What records 1..n (value v to partition v % PARTITIONS) hold at offsets START and past, summed. */
function fromStart(n: number): Produced {
  const want = nothing();
  const seen = new Array<number>(PARTITIONS).fill(0);
  for (let v = 1; v <= n; v++) {
    const offset = seen[v % PARTITIONS]!++;
    if (offset < START) continue;
    want.count++;
    want.sum += v;
    want.sumSq += v * v;
  }
  return want;
}

test('a direct stream waiting for its startingOffsets, killed with -9 and run again from its checkpoint before the log reached them: it waits again, then reads every record past them once', { timeout: 150_000 }, async () => {
  kafka = await KafkaTestCluster.start({ brokers: 1 });
  kafka.createTopic('ahead', PARTITIONS);
  const sent = nothing();
  const produce = numberedRecords(kafka, 'ahead', PARTITIONS, sent);
  await produce(40); // offsets 0-19 of each partition
  const out = path.join(root, 'out');
  const ckpt = path.join(root, 'ckpt');
  const startingOffsets = { ahead: Object.fromEntries(Array.from({ length: PARTITIONS }, (_, p) => [p, START])) };
  const args = ['run', '--no-progress', '--log-level', 'warn', fixture('recover-job.ts'), JSON.stringify({ brokers: kafka.bootstrap, topics: ['ahead'], groupId: 'g-ahead', ckpt, out, batchMs: 500, maxRatePerPartition: 200, startingOffsets })];
  const secret = randomSecret();
  const waiting = /startingOffsets is past the partition's end; waiting/;

  const first = await spawnSluice(args, secret, waiting);
  procs.push(first);
  const batchesOf = (): number => batchFiles(out).length;
  await pollUntil(() => (batchesOf() >= 2 ? true : undefined), 60_000, 'two batches of the first run');
  await produce(40); // offsets 20-39: still short of START
  const written = batchesOf();
  await pollUntil(() => (batchesOf() >= written + 2 && fs.readdirSync(path.join(ckpt, 'metadata')).some((f) => /^checkpoint-\d+$/.test(f)) ? true : undefined), 60_000, 'two more batches and a metadata checkpoint');
  assert.equal(batchFiles(out).reduce((n, b) => n + b.count, 0), 0, 'nothing read before the log reaches startingOffsets');
  const workers = execFileSync('pgrep', ['-P', String(first.child.pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  orphans.push(...workers);
  await first.kill9();
  await pollUntil(() => (workers.every((p) => !processAlive(p)) ? true : undefined), 60_000, `the killed run's workers (${workers.join(' ')}) to exit`);
  await produce(20); // offsets 40-49 while nothing runs: still short of START
  const firstRun = new Set(batchFiles(out).map((b) => b.time));

  let second: SluiceProcess;
  try {
    second = await spawnSluice(args, secret, waiting);
  } catch (err) {
    assert.fail(`the recovered stream does not wait for the log to reach startingOffsets: ${(err as Error).message.slice(-2500)}`);
  }
  procs.push(second);
  const events = (): BatchEvent[] => batchEvents(out);
  const recovered = (): number => batchFiles(out).filter((b) => !firstRun.has(b.time)).length;
  await pollUntil(() => (recovered() >= 3 ? true : undefined), 60_000, 'three batches of the recovered run');
  await produce(100); // offsets 50-99: the log passes START
  const want = fromStart(200);
  const counted = (): number => batchFiles(out).reduce((n, b) => n + b.count, 0);
  await pollUntil(() => (counted() >= want.count || second.child.exitCode !== null ? true : undefined), 60_000, `the ${want.count} records at offsets ${START} and past counted`);
  assert.equal(second.child.exitCode, null, `the recovered run is still running:\n${second.logLines.slice(-40).join('\n')}`);
  const atWant = batchFiles(out).length;
  await pollUntil(() => (batchFiles(out).length >= atWant + 2 ? true : undefined), 30_000, 'two batches more (a record read twice would show by then)');

  assert.equal(sent.count, 200);
  await assertRecoverJobExact(kafka, 'ahead', 'g-ahead', out, want, 100, () => START);
  assert.ok(events().some((e) => !firstRun.has(e.time) && e.ranges.length > 0), 'the recovered run read the records');
  assert.ok(second.logLines.every((l) => !/deleted/.test(l)), 'no failure of the recovered run');
});
