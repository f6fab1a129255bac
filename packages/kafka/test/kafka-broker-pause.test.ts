// A Kafka broker that stops answering: the test broker in a process of its own
// (support/broker-process.ts) frozen with SIGSTOP, then resumed with SIGCONT, while a direct
// stream reads it and each batch's records are written back to it with saveToKafka. Real
// processes: `sluice driver`, 2 `sluice worker`s, `sluice submit` of fixtures/recover-job.ts
// (checkpointed, an idempotent batch file, saveToKafka to 'out', then the commit); records
// produced all along (the producer waits out the pause too).
// - Frozen 3x the client's requestTimeoutMs, within retryTimeoutMs, three times: the broker
//   stops itself as it reads a produce to 'out' (a worker's saveToKafka), a fetch (a worker
//   reading a range), a ListOffsets (the driver making a batch's ranges). Each request times
//   out and is asked again; resumed, the batches go on: every record counted exactly once
//   (count, sum and sum of squares, computed here), ranges adjacent from 0 to each
//   partition's end, commits at the ends, no task failed, and every record in 'out' exactly
//   once. Before, a timed-out produce was not retried (@platformatic/kafka does not retry
//   timeouts): the task failed, its re-run wrote its partition again with a new producer, and
//   the frozen request, appended on resume, made 50-100 records twice in 'out'.
// - Frozen past retryTimeoutMs as the driver lists offsets: the job fails naming the brokers
//   and what to do; resumed and run again, it recovers from its checkpoint: every record
//   counted exactly once over both runs, and in 'out' at least once (README: a re-run task
//   writes its partition again).
// Spark: the driver's offset lookups (spark.streaming.kafka.maxRetries; Sluice's
// retryTimeoutMs) and KafkaRDD's reads (its consumer's poll timeout, then
// spark.task.maxFailures) retry, then fail the job; Kafka's idempotent producer retries a
// timed-out request within delivery.timeout.ms, with the same sequence numbers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from './broker-process-run.js';
import { ApiKey } from './support/protocol/messages.js';
import { startRecoverJob } from './recover-job-run.js';
import { pollUntil, type SluiceProcess } from './sluice-process.js';
import { assertRecoverJobExact, batchFiles, nothing, steadyProducer, type Produced } from './stream-test-support.js';

const RATE = 200; // maxRatePerPartition of recover-job-run: at most 100 a partition a 500 ms batch
const procs: SluiceProcess[] = [];
const brokers: BrokerProcess[] = [];
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-broker-pause-'));

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  for (const b of brokers) await b.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** Each value produced (1..want.count) and how many times 'out' holds it. */
function outCopies(values: string[][], count: number): { missing: number[]; twice: number } {
  const seen = new Map<number, number>();
  for (const part of values) for (const v of part) seen.set(Number(v), (seen.get(Number(v)) ?? 0) + 1);
  const missing: number[] = [];
  let twice = 0;
  for (let v = 1; v <= count; v++) {
    const n = seen.get(v) ?? 0;
    if (n === 0) missing.push(v);
    if (n > 1) twice++;
  }
  assert.equal([...seen.keys()].filter((v) => !(v >= 1 && v <= count)).length, 0, "'out' holds only values produced");
  return { missing, twice };
}

const logged = (ps: SluiceProcess[], re: RegExp): string[] => ps.flatMap((p) => p.logLines.filter((l) => re.test(l)));

test('a broker frozen (SIGSTOP) 3x the request timeout, within retryTimeoutMs, under a direct stream and saveToKafka: batches resume, every record counted once and written once', { timeout: 120_000 }, async () => {
  const broker = await startBrokerProcess([['in', 4], ['out', 4]], ['g']);
  brokers.push(broker);
  const want: Produced = nothing();
  const producing = steadyProducer(broker, 'in', 4, want);
  const out = path.join(root, 'a-out');
  const requestTimeoutMs = 1000;
  const mine: SluiceProcess[] = [];
  try {
    const before = procs.length;
    await startRecoverJob(broker, { topic: 'in', groupId: 'g', ckpt: path.join(root, 'a-ckpt'), out, job: { requestTimeoutMs, retryTimeoutMs: 20_000, saveTopic: 'out' } }, procs);
    mine.push(...procs.slice(before));
    await pollUntil(() => (batchFiles(out).filter((b) => b.count > 0).length >= 4 ? true : undefined), 60_000, 'four batches with records');
    const pauses: string[] = [];
    // Frozen in the middle of a produce to 'out' (a worker's saveToKafka), of a fetch (a
    // worker's read of a range), of a ListOffsets (the driver making a batch's ranges).
    for (const [what, apiKey, topic] of [['a produce to out', ApiKey.Produce, 'out'], ['a fetch', ApiKey.Fetch, undefined], ['a ListOffsets', ApiKey.ListOffsets, undefined]] as const) {
      const file = path.join(root, `frozen-${apiKey}`);
      await broker.freezeAt(apiKey, file, topic);
      await pollUntil(() => (fs.existsSync(file) ? true : undefined), 60_000, `the broker frozen at ${what}`);
      const stoppedAt = Date.now();
      const writtenAtStop = batchFiles(out).length;
      try {
        await new Promise((r) => setTimeout(r, 3 * requestTimeoutMs));
      } finally {
        broker.child.kill('SIGCONT');
      }
      pauses.push(`${what}: ${Date.now() - stoppedAt} ms, ${batchFiles(out).length - writtenAtStop} batches written meanwhile`);
      await pollUntil(() => (batchFiles(out).length >= writtenAtStop + 3 ? true : undefined), 60_000, `batches going on after the broker resumed (frozen at ${what})`);
    }
    await producing.stop();
    await pollUntil(() => (batchFiles(out).reduce((n, b) => n + b.count, 0) >= want.count ? true : undefined), 60_000, `every record counted (${want.count})`);
    await new Promise((r) => setTimeout(r, 1_000)); // a batch counted twice would show up by now
    const { all } = await assertRecoverJobExact(await broker.view(), 'in', 'g', out, want, (RATE * 500) / 1000);
    const { missing, twice } = outCopies((await broker.state()).values.out!, want.count);
    const warned = logged(mine, /"level":(40|50)|task failed/);
    console.log(`# broker stopped (requestTimeoutMs ${requestTimeoutMs}) at ${pauses.join('; ')}; ${all.length} batches in all, ${want.count} records, ${twice} written twice to out; ${warned.length} warnings, e.g. ${warned[0]?.slice(0, 300)}`);
    assert.deepEqual(missing.slice(0, 10), [], `every record written to 'out' (${missing.length} missing)`);
    assert.equal(twice, 0, "no record written to 'out' twice (the producer's retries are idempotent; no task failed)");
    assert.equal(logged(mine, /task failed|job failed/i).length, 0, 'no task or job failed');
  } finally {
    await producing.stop();
  }
});

test('a broker frozen (SIGSTOP) past retryTimeoutMs as the driver lists offsets: the job fails naming the brokers and what to do; resumed and run again, it recovers from its checkpoint, every record counted once', { timeout: 150_000 }, async () => {
  const broker = await startBrokerProcess([['in', 4], ['out', 4]], ['g']);
  brokers.push(broker);
  const want: Produced = nothing();
  const producing = steadyProducer(broker, 'in', 4, want);
  const out = path.join(root, 'b-out');
  const retryTimeoutMs = 3000;
  try {
    const before = procs.length;
    const run = await startRecoverJob(broker, { topic: 'in', groupId: 'g', ckpt: path.join(root, 'b-ckpt'), out, job: { requestTimeoutMs: 1000, retryTimeoutMs, saveTopic: 'out' } }, procs);
    const mine = procs.slice(before);
    await pollUntil(() => (batchFiles(out).filter((b) => b.count > 0).length >= 4 ? true : undefined), 60_000, 'four batches with records');
    const file = path.join(root, 'frozen-past');
    await broker.freezeAt(ApiKey.ListOffsets, file);
    await pollUntil(() => (fs.existsSync(file) ? true : undefined), 60_000, 'the broker frozen at a ListOffsets');
    const stoppedAt = Date.now();
    let failure: string;
    try {
      failure = await pollUntil(() => run.driver.logLines.find((l) => l.includes('"job failed"')), 60_000, 'the job failed');
    } finally {
      broker.child.kill('SIGCONT');
    }
    const failedAfter = Date.now() - stoppedAt;
    const message = (JSON.parse(failure) as { message: string }).message;
    assert.match(message, new RegExp(`brokers ${broker.bootstrap[0]!.replace(/\./g, '\\.')}`), 'the error names the brokers');
    assert.match(message, /check that the brokers are up/, 'the error says what to do');
    assert.ok(failedAfter >= retryTimeoutMs, `not before retryTimeoutMs (${failedAfter} ms)`);
    const countedAtFailure = batchFiles(out).reduce((n, b) => n + b.count, 0);
    // `sluice run` ends with its job: the driver stopped, run again, the job recovers from its checkpoint.
    await run.driver.stop();
    await run.restart();
    await pollUntil(() => (batchFiles(out).reduce((n, b) => n + b.count, 0) > countedAtFailure ? true : undefined), 60_000, 'batches counted after the recovery');
    await producing.stop();
    await pollUntil(() => (batchFiles(out).reduce((n, b) => n + b.count, 0) >= want.count ? true : undefined), 60_000, `every record counted (${want.count})`);
    await new Promise((r) => setTimeout(r, 1_000)); // a batch counted twice would show up by now
    const { all } = await assertRecoverJobExact(await broker.view(), 'in', 'g', out, want, (RATE * 500) / 1000);
    const { missing, twice } = outCopies((await broker.state()).values.out!, want.count);
    console.log(`# the job failed ${failedAfter} ms after the broker stopped (retryTimeoutMs ${retryTimeoutMs}): ${message}\n# recovered: ${all.length} batches, ${want.count} records, ${twice} written twice to out`);
    assert.deepEqual(missing.slice(0, 10), [], `every record written to 'out' at least once (${missing.length} missing)`);
    assert.equal(logged(mine, /"job failed"/).length, 1, 'one job failure');
  } finally {
    await producing.stop();
  }
});
