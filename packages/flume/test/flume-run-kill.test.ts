// The Flume row of docs/fault-matrix.md: `sluice run` (the driver, and 3 worker processes of its
// own) killed with -9 and run again on its checkpoint, under a Flume stream with the write-ahead
// log on, recovered with StreamingContext.getOrCreate (fixtures/flume-recover-job.ts). Batches
// are held in their output (control/hold) while events keep coming, until the receiver has
// acknowledged events that no written batch holds (answered OK to the avro sinks, or acked to the
// SparkSink: they are then only in the log, and the agent will not send them again); then more
// events are sent and the run is killed with calls (or transactions) in flight.
//  - push (createStream): two avro sinks of the tests' client, each sending a call again until
//    it is answered OK, as Flume's AvroSink over a file channel;
//  - polling (createPollingStream): the tests' SparkSink, which rolls back a transaction not
//    acked within its timeout (2 s) into its channel.
// Checked against the events sent: every event read (at least once, as README says; deduped by
// the `id` header, the doubles counted), none never sent; polling: the channel ends empty with
// no transaction open. (The receiver's worker killed -9: flume-kill and flume-polling-kill.)
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture, freePort, kill9WithWorkers, pollUntil, processAlive, runDriverProcess, workerPids, type DriverProcess } from './job-runner.js';
import { FlumeSink } from './support/flume-avro-client.js';
import { emptySent, sendAll } from './support/events.js';
import { TestSparkSink } from './support/spark-sink.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-flume-run-kill-'));
/** The runs of the test under way (each test stops its own as it ends, passed or failed). */
const runs: DriverProcess[] = [];

after(async () => {
  await stopRuns();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * kill -9 of every run in `runs` still running, and its worker processes gone (SIGKILL to those
 * not gone 30 s after their driver). Called as each test ends: a test that failed with its run
 * recovered and running left that run (a driver and 3 workers) beside the next test, to the
 * file's end, and past it when the file was ended on its timeout (job-runner.ts's
 * hookDriverCleanup now kills runs then too).
 */
async function stopRuns(): Promise<void> {
  for (const r of runs.splice(0)) {
    const workers = workerPids(r);
    await r.kill9();
    await pollUntil(() => workers.every((p) => !processAlive(p)) || undefined, 30_000, 'workers gone').catch(() => {
      for (const p of workers) if (processAlive(p)) process.kill(p, 'SIGKILL');
    });
  }
}

/**
 * Resolves once `d.out`'s batches read `n` distinct events; fails once none more were read for
 * 30 s (or after 90 s in all), naming how many: a recovery that lost events fails in 30 s, not
 * 90, so the file ends well inside its 240 s timeout when both tests fail.
 */
async function readAll(d: Dirs, n: number): Promise<void> {
  let seen = distinctRead(d.out);
  let since = Date.now();
  await pollUntil(
    () => {
      const now = distinctRead(d.out);
      if (now !== seen) [seen, since] = [now, Date.now()];
      if (now >= n) return true;
      if (Date.now() - since > 30_000) throw new Error(`no more events read for 30 s after the recovery: ${now} of ${n}`);
      return undefined;
    },
    90_000,
    `every event read after the recovery (${n})`,
  );
}

interface Dirs {
  readonly ckpt: string;
  readonly out: string;
  readonly control: string;
}

function dirsOf(name: string): Dirs {
  const root = path.join(tmp, name);
  const d = { ckpt: path.join(root, 'ckpt'), out: path.join(root, 'out'), control: path.join(root, 'control') };
  for (const x of [d.out, d.control]) fs.mkdirSync(x, { recursive: true });
  return d;
}

/** Every id each written batch read (a batch written twice counts once: its file is replaced). */
function idsRead(out: string): number[] {
  return fs
    .readdirSync(out)
    .filter((f) => /^input-\d+\.json$/.test(f))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as number[]);
}

const distinctRead = (out: string): number => new Set(idsRead(out)).size;

/** `sluice run` started; resolves once its job printed STARTED. */
async function startRun(args: string[]): Promise<DriverProcess> {
  const run = runDriverProcess(fixture('flume-recover-job.ts'), args, 3);
  runs.push(run);
  await pollUntil(() => run.lines.includes('STARTED') || (run.lines.length === 0 && !processAlive(run.pid) ? (() => { throw new Error(run.stderr()); })() : undefined), 60_000, 'the job to start');
  return run;
}

/** Holds the batches in their output; resolves once one is held. */
async function hold(d: Dirs): Promise<void> {
  fs.writeFileSync(path.join(d.control, 'hold'), '');
  await pollUntil(() => fs.readdirSync(d.control).some((f) => f.startsWith('held-')) || undefined, 30_000, 'a batch held in its output');
}

/** kill -9 of `sluice run` once `ready()` holds (polled every ms); resolves once its worker processes exited by themselves. */
async function killRun(run: DriverProcess, ready: () => boolean = () => true): Promise<void> {
  const workers = workerPids(run);
  assert.ok(workers.length >= 3, `the run's worker processes: ${workers.join(' ')}`);
  await pollUntil(() => ready() || undefined, 30_000, 'the moment of the kill', 1);
  await kill9WithWorkers(run, workers);
}

/** Stops the run through control/stop; it must exit 0. Returns how many reads were doubles. */
async function stopAndCheck(run: DriverProcess, d: Dirs, sentIds: readonly number[]): Promise<number> {
  fs.writeFileSync(path.join(d.control, 'stop'), '');
  assert.equal(await run.exited, 0, run.stderr().slice(-4000));
  const ids = idsRead(d.out);
  const distinct = new Set(ids);
  const missing = sentIds.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no event lost (${missing.length} of ${sentIds.length} missing)`);
  assert.equal(distinct.size, sentIds.length, 'no event that was never sent');
  return ids.length - distinct.size;
}

test('Flume push, log on: `sluice run` killed -9 with acknowledged events only in the log and calls in flight, run again: every event read', { timeout: 180_000 }, async () => {
  const d = dirsOf('push');
  const port = await freePort();
  const args = [JSON.stringify({ host: '127.0.0.1', port, ...d, batchMs: 500 })];
  const sinks = [0, 1].map(() => new FlumeSink({ host: '127.0.0.1', port, requestTimeoutMs: 10_000, retryDelayMs: 200, giveUpAfterMs: 90_000 }));
  const sent = emptySent();
  const pause = () => new Promise<void>((r) => setTimeout(r, 15));
  const send = (from: number, n: number, seed: number) => Promise.all(sinks.map((s, i) => sendAll(s, from + i * (n / 2), n / 2, seed + i, `agent-${i}`, sent, 50, pause)));
  try {
    const first = await startRun(args);
    await send(0, 1000, 10);
    await pollUntil(() => distinctRead(d.out) >= 1000 || undefined, 60_000, 'the first 1000 events read');
    await hold(d);
    // Answered OK (stored in the log) with every batch held: in no written batch.
    await send(1000, 600, 20);
    const acked = sent.ids.length;
    // More calls on their way as the run dies: no OK for them, their sinks send them again.
    let sentAtKill = 0;
    const third = send(1600, 800, 30);
    third.catch(() => undefined); // awaited below; a test failing before that must not leave it unhandled
    await pollUntil(() => sent.ids.length >= 1700 || undefined, 30_000, '100 more events answered OK');
    await killRun(first);
    sentAtKill = sent.ids.length;
    const writtenAtKill = distinctRead(d.out);
    assert.ok(acked - writtenAtKill > 0, `events answered OK and written by no batch at the kill (${acked - writtenAtKill})`);
    fs.rmSync(path.join(d.control, 'hold'));
    const second = await startRun(args);
    await third;
    await readAll(d, 2400);
    const twice = await stopAndCheck(second, d, sent.ids);
    const resent = sinks.reduce((n, s) => n + s.stats.resent, 0);
    assert.ok(resent > 0, 'a call in flight at the kill was sent again');
    console.log(`# killed with ${writtenAtKill} of ${sentAtKill} acknowledged events written (${acked - writtenAtKill} only in the log); ${resent} calls sent again; ${twice} events read twice (at least once)`);
  } finally {
    await stopRuns();
    for (const s of sinks) s.close();
  }
});

test('Flume polling, log on: `sluice run` killed -9 with acked batches only in the log and transactions open, run again: every event read, the channel empty', { timeout: 180_000 }, async () => {
  const d = dirsOf('polling');
  const sink = new TestSparkSink('p', 2000, 20);
  await sink.start();
  const event = (j: number) => ({ headers: { sink: 'p', id: String(j) }, body: Buffer.from(`event ${j}`) });
  const put = (from: number, n: number) => sink.put(Array.from({ length: n }, (_, i) => event(from + i)));
  const ids = Array.from({ length: 2400 }, (_, j) => j);
  try {
    const args = [JSON.stringify({ host: '', port: 0, sinks: [`127.0.0.1:${sink.port}`], ...d, batchMs: 500 })];
    const first = await startRun(args);
    put(0, 1000);
    await pollUntil(() => distinctRead(d.out) >= 1000 || undefined, 60_000, 'the first 1000 events read');
    await hold(d);
    const acksBefore = sink.stats.acks;
    put(1000, 600);
    // Every event taken and acked (stored in the log) with every batch held: in no written batch.
    await pollUntil(() => (sink.pending.channel === 0 && sink.pending.transactions === 0 && sink.stats.acks >= acksBefore + 6) || undefined, 30_000, 'the 600 events acked');
    put(1600, 800);
    await pollUntil(() => sink.stats.acks >= acksBefore + 8 || undefined, 30_000, 'more batches acked');
    let openAtKill = 0;
    // Killed with a batch given out and not acked: the sink must roll it back (its timeout) for it to be pulled again.
    await killRun(first, () => (openAtKill = sink.pending.transactions) > 0);
    const writtenAtKill = distinctRead(d.out);
    assert.ok(1600 - writtenAtKill > 0, `events acked and written by no batch at the kill (${1600 - writtenAtKill})`);
    fs.rmSync(path.join(d.control, 'hold'));
    const second = await startRun(args);
    await readAll(d, 2400);
    const twice = await stopAndCheck(second, d, ids);
    assert.deepEqual(sink.pending, { channel: 0, transactions: 0 }, 'the channel ends empty, no transaction open');
    assert.ok(sink.stats.timeouts >= 1, 'the transaction open at the kill was rolled back by the timeout');
    console.log(`# killed with ${writtenAtKill} of 1600+ acked events written, ${openAtKill} transactions open; ${sink.stats.timeouts} rolled back by the timeout; ${twice} events read twice (at least once)`);
  } finally {
    await stopRuns();
    sink.close();
  }
});
