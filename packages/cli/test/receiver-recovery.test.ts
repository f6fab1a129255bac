// kill -9 of the driver in the middle of a stateful stream fed by a reliable custom
// receiver (the test's replayable TCP source, acknowledged only after `await store()`)
// with the receiver write-ahead log on. A driver is started again on the same port, the
// workers register again, and the same job is submitted again (contract point 6):
// StreamingContext.getOrCreate recovers it. Batches that were generated but not completed
// re-run with their blocks read back from the log; blocks logged after the last metadata
// checkpoint (the receiver kept storing and acknowledging while the driver was down) are
// found in the log and go into the first batch after recovery. At the end, every line the
// source generated was read by exactly one batch, and every batch's state equals a
// failure-free updateStateByKey computed here from the batches' input; no log segment of
// a forgotten batch is left.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32, sleep } from './harness.js';
import { pollUntil, randomSecret, type SluiceProcess } from './sluice-processes.js';
import { driverOn, untilJobDone, workersJoined, type Pairs } from './recovery-support.js';
import { assertEachLineReadOnce, assertStatesFailureFree, batchOutputs, startReceiverCluster, submitReceiverJob, untilEveryLineRead } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-receiver-recovery-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(11);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');
const logDir = path.join(ckpt, 'receivedData', '0');

interface RunResult {
  readonly jobs: string[];
  readonly ackedAtKill: number;
  readonly lastCompletedAtKill: number;
  readonly loggedAfterKill: number;
  readonly driverStartToFirstBatch: number;
  readonly segmentsLeft: string[];
  readonly segmentsSeen: Set<string>;
}
let result: RunResult | undefined;
let setupError: unknown;

const inputs = (): Map<number, string[]> => batchOutputs<string[]>(out, 'input');
const states = (): Map<number, Pairs> => batchOutputs<Pairs>(out, 'state');
const submit = (driver: string, args: readonly string[]): Promise<string> => submitReceiverJob(driver, secret, args);

before(async () => {
  const segmentsSeen = new Set<string>();
  const watch = setInterval(() => {
    for (const n of fs.existsSync(logDir) ? fs.readdirSync(logDir) : []) if (n.endsWith('.wal')) segmentsSeen.add(n);
  }, 50);
  try {
    const cluster = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY });
    const { port, address, args } = cluster;
    let driver = cluster.driver;
    const jobs = [await submit(address, args)];
    const firstOf = (job: string): string => path.join(out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    source.start(5, 25); // 200 lines/s

    // Past two state checkpoints, at a seeded moment inside a batch interval: kill -9 the driver.
    await pollUntil(() => (states().size >= 2 * CHECKPOINT_EVERY + 2 ? true : undefined), 60_000, 'batches past two state checkpoints');
    await sleep(Math.floor(mulberry32(5)() * BATCH_MS));
    driver.child.kill('SIGKILL');
    await new Promise<void>((r) => (driver.child.exitCode !== null || driver.child.signalCode !== null ? r() : driver.child.once('exit', () => r())));
    const ackedAtKill = source.acked;
    const lastCompletedAtKill = Math.max(...states().keys());
    // The receiver goes on storing into the log and acknowledging while the driver is down.
    await pollUntil(() => (source.acked >= ackedAtKill + 200 ? true : undefined), 30_000, 'lines logged and acknowledged while the driver is down');
    const loggedAfterKill = source.acked - ackedAtKill;

    const restartedAt = Date.now();
    driver = await driverOn(port, secret);
    procs.push(driver);
    await workersJoined(driver, 2);
    jobs.push(await submit(address, args));
    await pollUntil(() => (fs.existsSync(firstOf(jobs[1])) ? true : undefined), 60_000, 'the first recovered batch');
    const first = JSON.parse(fs.readFileSync(firstOf(jobs[1]), 'utf8')) as { completedAt: number };

    // A few more batches, then stop the source, wait until every line is in some batch, stop the job.
    await sleep(8 * BATCH_MS);
    source.stop();
    await untilEveryLineRead(out, source.lines);
    fs.writeFileSync(path.join(control, 'stop'), '');
    await untilJobDone(out, jobs[1]);
    result = {
      jobs,
      ackedAtKill,
      lastCompletedAtKill,
      loggedAfterKill,
      driverStartToFirstBatch: first.completedAt - restartedAt,
      segmentsLeft: fs.readdirSync(logDir).filter((n) => n.endsWith('.wal')),
      segmentsSeen,
    };
  } catch (err) {
    const logs = procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-40).map((l) => `[${i}] ${l}`));
    setupError = new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  } finally {
    clearInterval(watch);
    source.stop();
  }
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await source.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): RunResult {
  if (setupError !== undefined) throw setupError;
  return result!;
}

test('every batch time from the first to the last has its input and state, including batches that passed while the driver was down', () => {
  ready();
  const times = [...inputs().keys()].sort((a, b) => a - b);
  assert.ok(times.length > 20, `${times.length} batches`);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], BATCH_MS, `no batch time missing after ${times[i - 1]}`);
  assert.deepEqual([...states().keys()].sort(), [...inputs().keys()].sort());
});

test('every line the source generated was read by exactly one batch: none lost, none twice', () => {
  const r = ready();
  assertEachLineReadOnce(inputs(), source.lines);
  // Lines stored while the driver was down reached the recovered job through the log.
  const afterKill = new Set(source.lines.slice(r.ackedAtKill, r.ackedAtKill + r.loggedAfterKill));
  const firstRecoveredTimes = [...inputs()].filter(([, ls]) => ls.some((l) => afterKill.has(l))).map(([t]) => t);
  assert.ok(firstRecoveredTimes.length > 0 && Math.min(...firstRecoveredTimes) > r.lastCompletedAtKill, 'lines stored while the driver was down are in batches after the last completed one');
  console.log(
    `# compared ${source.lines.length} lines over ${inputs().size} batches, jobs ${r.jobs.join(', ')}; ${r.loggedAfterKill} lines logged and acknowledged while the driver was down; ` +
      `driver start to first recovered batch ${r.driverStartToFirstBatch} ms; ${r.segmentsSeen.size} segments written, ${r.segmentsLeft.length} left`,
  );
});

test('every batch state (updateStateByKey) equals the failure-free computation from the batches\' input', () => {
  ready();
  assertStatesFailureFree(out);
});

test('log segments of forgotten batches are deleted: few are left, none of the first driver\'s receiver', () => {
  const r = ready();
  assert.ok(r.segmentsSeen.size >= 15, `segments were rolled (${r.segmentsSeen.size})`);
  assert.ok(r.segmentsLeft.length <= 10, `at most 10 segments left (${r.segmentsLeft.join(', ')})`);
  const writers = [...new Set([...r.segmentsSeen].map((n) => n.slice(0, n.indexOf('.'))))];
  assert.ok(writers.length >= 2, `the first and the recovered job's receivers wrote (${writers.join(', ')})`);
  // Writer names start with their placement's time in base 36: the first one sorts first.
  const firstWriter = writers.sort()[0];
  assert.deepEqual(r.segmentsLeft.filter((n) => n.startsWith(`${firstWriter}.`)), [], 'no segment of the first receiver is left');
});
