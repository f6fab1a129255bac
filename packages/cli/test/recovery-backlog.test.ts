// Recovery under a backlog: a stateful stream's outputs are held (control/hold) while its
// batches go on being generated on the clock, so every metadata file lists them all as
// pending (Spark's pendingTimes); then the driver is killed with -9 and the job resubmitted
// to a driver started again on the same port. The recovered job re-runs every pending
// batch with its time and its files, then the batches missed while the driver was down,
// then new ones: every line is read exactly once and each batch's state is the running sum
// of the batches' input (computed here), and the metadata files stay under a fixed size
// however long the backlog. One driver and two worker processes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, mulberry32, sleep } from './harness.js';
import { pollUntil, randomSecret, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import { driverOn, expectedStates, Feeder, jobArgs, jobDirs, pendingBatchTimes, readOutputs, submitDetached, workersJoined, type JobDirs } from './recovery-support.js';

const BATCH_MS = Number(process.env.SLUICE_BACKLOG_BATCH_MS ?? 20);
const CHECKPOINT_EVERY = 10; // batches
/**
 * Pending batches the kill waits for. 300: the metadata's pending times and the file
 * stream's empty batches listed one by one would be ~10 KB more, past the 8 KiB bound
 * below (so the bound still tells merged runs from a list); every pending batch is re-run
 * as with more. The test's cost grows with it (1,000: 61 s of CPU, 78 s of wall at load
 * 12); SLUICE_BACKLOG_BATCHES=1000 runs README's figure.
 */
const BACKLOG = Number(process.env.SLUICE_BACKLOG_BATCHES ?? 300);
/** Files fed while the outputs are held (the first 10 batch intervals of the hold; 5 before it). */
const HELD_FILES = 10;
/**
 * The most a metadata file may hold, whatever the backlog: its fixed part (fingerprint,
 * state references, batch times) is ~1.5 KB here, and each of the 15 files fed ~220 bytes
 * (the file stream's read files, and the batches that took them: input, which stays). A
 * pending batch listed one by one costs ~15 bytes and each of the file stream's empty
 * batches ~20: 300 pending would be ~10 KB more, 1,000 ~35 KB.
 */
const MAX_METADATA_BYTES = 8 * 1024;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-recovery-backlog-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
let dirs: JobDirs;
let setupError: unknown;
const m = { maxPending: 0, maxMetadataBytes: 0, pendingAtKill: 0, firstRecoveredMs: 0, rerunMs: 0, recoverMs: 0, batchesRun: 0 };
let pendingTimes: number[] = [];
let fed: string[] = [];
let recoveredJob = '';

/** The newest readable metadata file: its size and pending batch times. */
function newestMetadata(): { bytes: number; pending: number[] } | undefined {
  const mdDir = path.join(dirs.ckpt, 'metadata');
  const files = (fs.existsSync(mdDir) ? fs.readdirSync(mdDir) : []).filter((n) => /^checkpoint-\d+$/.test(n)).sort().reverse();
  for (const n of files) {
    try {
      const data = fs.readFileSync(path.join(mdDir, n));
      const md = JSON.parse(data.subarray(data.indexOf(0x0a) + 1).toString('utf8')) as Parameters<typeof pendingBatchTimes>[0];
      return { bytes: data.length, pending: pendingBatchTimes(md) };
    } catch {
      // deleted or being replaced meanwhile: the one before it
    }
  }
  return undefined;
}

/** The largest metadata file now. */
function sampleMetadata(): void {
  const mdDir = path.join(dirs.ckpt, 'metadata');
  for (const n of fs.existsSync(mdDir) ? fs.readdirSync(mdDir) : []) {
    if (!/^checkpoint-\d+$/.test(n)) continue;
    try {
      m.maxMetadataBytes = Math.max(m.maxMetadataBytes, fs.statSync(path.join(mdDir, n)).size);
    } catch {
      // deleted meanwhile
    }
  }
}

async function killDriver(driver: SluiceProcess): Promise<void> {
  driver.child.kill('SIGKILL');
  await new Promise<void>((r) => (driver.child.exitCode !== null || driver.child.signalCode !== null ? r() : driver.child.once('exit', () => r())));
}

/** Waits until `probe` holds; fails when the job wrote no output for 60 s, or after `maxMs`. */
async function whileProgressing(probe: () => boolean, what: string, maxMs: number): Promise<void> {
  const events = path.join(dirs.out, 'events.log');
  const size = (): number => (fs.existsSync(events) ? fs.statSync(events).size : 0);
  let [last, at] = [size(), Date.now()];
  const deadline = Date.now() + maxMs;
  while (!probe()) {
    sampleMetadata();
    if (size() !== last) [last, at] = [size(), Date.now()];
    if (Date.now() - at > 60_000) throw new Error(`no batch output for 60 s while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`batches ran for ${maxMs / 1000} s without ${what}`);
    await sleep(100);
  }
}

before(async () => {
  try {
    dirs = jobDirs(root);
    const feeder = new Feeder(dirs.input, mulberry32(31));
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const driver = await driverOn(port, secret);
    procs.push(driver);
    for (let i = 0; i < 2; i++) procs.push(await startWorkerProcess(address, secret));
    const args = jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY, 'light');
    const first = await submitDetached(address, secret, args);
    await pollUntil(() => (fs.existsSync(path.join(dirs.out, `first-${first}.json`)) ? true : undefined), 60_000, 'the first batch');
    // A few batches with lines, then the outputs held: a file now and then while the backlog grows.
    for (let i = 0; i < 5; i++) {
      feeder.file(3);
      await sleep(3 * BATCH_MS);
    }
    fs.writeFileSync(path.join(dirs.control, 'hold'), '');
    const held = Date.now();
    let i = 0;
    for (;;) {
      if (i++ < 10 * HELD_FILES && i % 10 === 1) feeder.file(3);
      sampleMetadata();
      const md = newestMetadata();
      m.maxPending = Math.max(m.maxPending, md?.pending.length ?? 0);
      if ((md?.pending.length ?? 0) >= BACKLOG) break;
      if (Date.now() - held > Math.max(6 * BACKLOG * BATCH_MS, 120_000)) throw new Error(`the backlog reached only ${m.maxPending} pending batches in ${(Date.now() - held) / 1000} s`);
      await sleep(BATCH_MS);
    }
    await killDriver(driver);
    const md = newestMetadata()!;
    pendingTimes = md.pending;
    m.pendingAtKill = pendingTimes.length;
    fs.rmSync(path.join(dirs.control, 'hold'));
    // New lines while the driver is down (the first batch after the pending ones takes
    // them), and the stop asked for at once: the recovered job re-runs the pending batches,
    // generates those missed meanwhile up to the stop, processes them all, and ends.
    feeder.file(3);
    feeder.file(3);
    fed = [...feeder.lines];
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');

    const restarted = await driverOn(port, secret);
    procs.push(restarted);
    await workersJoined(restarted, 2);
    const t0 = Date.now();
    recoveredJob = await submitDetached(address, secret, args);
    await whileProgressing(() => fs.existsSync(path.join(dirs.out, `first-${recoveredJob}.json`)), 'the first recovered batch', 120_000);
    m.firstRecoveredMs = Date.now() - t0;
    const last = pendingTimes[pendingTimes.length - 1];
    await whileProgressing(() => fs.existsSync(path.join(dirs.out, `state-${last}.json`)), 'the pending batches re-run', 450_000);
    m.rerunMs = Date.now() - t0;
    await whileProgressing(() => fs.existsSync(path.join(dirs.out, `done-${recoveredJob}.json`)), 'the recovered job to stop', 450_000);
    m.recoverMs = Date.now() - t0;
    m.batchesRun = readOutputs(dirs.out).state.size;
    console.log(`# ${BATCH_MS} ms batches: ${JSON.stringify(m)}`);
  } catch (err) {
    setupError = err;
  }
}, { timeout: 580_000 });

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

test(`a backlog of ${BACKLOG} pending batches recovers after kill -9: every line read exactly once, the state equal to the running sums`, () => {
  ready();
  assert.ok(m.pendingAtKill >= BACKLOG, `pending at the kill: ${m.pendingAtKill}`);
  const o = readOutputs(dirs.out);
  // Every pending batch ran again with its own time.
  for (const t of pendingTimes) assert.ok(o.input.has(t) && o.state.has(t), `pending batch ${t} re-run`);
  const read = [...o.input.values()].flat();
  assert.equal(read.length, new Set(read).size, 'no line read twice');
  assert.deepEqual([...new Set(read)].sort(), [...fed].sort(), 'every line read');
  const states = expectedStates(o.input);
  for (const t of o.input.keys()) assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
});

test(`the metadata files stay under ${MAX_METADATA_BYTES} bytes with ${BACKLOG} batches pending`, () => {
  ready();
  assert.ok(m.maxMetadataBytes > 0);
  assert.ok(m.maxMetadataBytes <= MAX_METADATA_BYTES, `a metadata file of ${m.maxMetadataBytes} bytes with ${m.maxPending} pending batches`);
});
