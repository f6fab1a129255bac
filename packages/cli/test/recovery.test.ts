// kill -9 of the driver in the middle of a stateful stream (updateStateByKey,
// reduceByKeyAndWindow with an inverse and mapWithState with a timeout, fed by a file stream), twice: once while a
// batch's saveAsTextFiles output is half written, once at an arbitrary moment. Each time
// a driver is started again on the same port, the workers register again, and the same
// job is submitted again: StreamingContext.getOrCreate recovers it from its checkpoint.
// At the end every batch's outputs must equal a failure-free computation done here from
// the test's own input: no record lost, none counted twice, every batch directory whole.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, mulberry32, sleep } from './harness.js';
import { pollUntil, randomSecret, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import {
  Feeder,
  driverOn,
  expectedMapWithState,
  expectedStates,
  expectedWindows,
  jobArgs,
  jobDirs,
  readEvents,
  readOutputs,
  submitDetached,
  untilJobDone,
  workersJoined,
  type JobDirs,
} from './recovery-support.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 4; // batches
const WINDOW_BATCHES = 3;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-recovery-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
let dirs: JobDirs;

interface RunResult {
  jobs: string[];
  halfWrittenBatch: number;
  halfWrittenParts: string[];
  finalDirVisibleAtKill: boolean;
  firstRecovered: { batchTime: number; programStart: number; created: number; processingStart: number; outputsDone: number[]; completedAt: number }[];
  /** The first run's (a fresh start, on the same machine under the same load): its program's start to its first batch's completion (ms). */
  freshFirst: number;
  driverStartToFirstBatch: number[];
  fed: string[];
}
let result: RunResult | undefined;
let setupError: unknown;
let stopFeeding: (() => void) | undefined;

const saveDir = (): string => path.join(dirs.out, 'save');
const stateCount = (): number => fs.readdirSync(dirs.out).filter((n) => n.startsWith('state-')).length;

async function killDriver(driver: SluiceProcess): Promise<void> {
  driver.child.kill('SIGKILL');
  await new Promise<void>((r) => (driver.child.exitCode !== null || driver.child.signalCode !== null ? r() : driver.child.once('exit', () => r())));
}

before(async () => {
  try {
    dirs = jobDirs(root);
    // A key of its own every 4th file: mapWithState's timeouts are compared whatever the batches hold.
    const feeder = new Feeder(dirs.input, mulberry32(8), 4);
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    let driver = await driverOn(port, secret);
    procs.push(driver);
    for (let i = 0; i < 2; i++) procs.push(await startWorkerProcess(address, secret));
    const args = jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY);
    const jobs = [await submitDetached(address, secret, args)];
    const firstOf = (job: string): string => path.join(dirs.out, `first-${job}.json`);
    // Files already in the directory at the first start are not read (newFilesOnly): feed after it.
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');

    // Feed a file every ~250 ms until told to stop.
    let feeding = true;
    stopFeeding = () => (feeding = false);
    const feed = (async () => {
      while (feeding) {
        feeder.file();
        await sleep(250);
      }
    })();

    // 1. Past two state checkpoints, make the save stage slow and kill the driver while a
    // batch's directory is half written (part 0 in its temporary directory, part 1 not).
    await pollUntil(() => (stateCount() >= 2 * CHECKPOINT_EVERY + 1 ? true : undefined), 60_000, 'batches past two state checkpoints');
    fs.writeFileSync(path.join(dirs.control, 'slow'), '');
    feeder.file();
    feeder.file();
    // A batch whose second part's task started before the flag (under load) is not held: it
    // completes during the wait below and is no batch killed half-written; then the next one,
    // whose tasks all start after the flag, is taken.
    let half: { time: number; parts: string[] } | undefined;
    let finalDirVisibleAtKill = false;
    for (let after = -Infinity; ; after = half.time) {
      const later = after;
      half = await pollUntil(
        () => {
          for (const n of fs.existsSync(saveDir()) ? fs.readdirSync(saveDir()) : []) {
            // Under its temporary name (or, were the write not atomic, under its own).
            const m = /^\.batch-(\d+)\.sluice-tmp-|^batch-(\d+)$/.exec(n);
            if (!m || Number(m[1] ?? m[2]) <= later) continue;
            const files = fs.readdirSync(path.join(saveDir(), n));
            const parts = files.filter((f) => f.startsWith('part-'));
            if (parts.includes('part-00000') && !parts.includes('part-00001') && !files.includes('_SUCCESS')) return { time: Number(m[1] ?? m[2]), parts };
          }
          return undefined;
        },
        30_000,
        'a half-written batch directory',
        5,
      );
      finalDirVisibleAtKill = fs.existsSync(path.join(saveDir(), `batch-${half.time}`));
      // Two more batch times pass with that batch held: they are generated (their files
      // taken) but none of their outputs runs before the kill.
      await sleep(2 * BATCH_MS);
      // (Visible under its name while half written: a write that is not atomic, which the test below reports.)
      if (finalDirVisibleAtKill || !fs.existsSync(path.join(saveDir(), `batch-${half.time}`))) break;
    }
    await killDriver(driver);
    fs.rmSync(path.join(dirs.control, 'slow'));
    await sleep(3 * BATCH_MS); // batches pass while the driver is down; files keep arriving

    const restarts: number[] = [];
    const restart = async (): Promise<void> => {
      restarts.push(Date.now());
      driver = await driverOn(port, secret);
      procs.push(driver);
      await workersJoined(driver, 2);
      jobs.push(await submitDetached(address, secret, args));
    };
    await restart();

    // 2. Once the recovered job has run a few batches, kill the driver again, anywhere.
    await pollUntil(() => (fs.existsSync(firstOf(jobs[1])) ? true : undefined), 60_000, 'the first recovered batch');
    const before2 = stateCount();
    await pollUntil(() => (stateCount() >= before2 + 5 ? true : undefined), 60_000, 'five more batches');
    await sleep(Math.floor(mulberry32(3)() * BATCH_MS));
    await killDriver(driver);
    await sleep(2 * BATCH_MS);
    await restart();
    await pollUntil(() => (fs.existsSync(firstOf(jobs[2])) ? true : undefined), 60_000, 'the first batch of the second recovery');

    // 3. A few more files, then stop feeding, wait until every line was read, stop the job.
    await sleep(6 * BATCH_MS);
    feeding = false;
    await feed;
    const fed = [...feeder.lines];
    // A line never read fails the checks below, which say which; here, stop waiting.
    await pollUntil(
      () => {
        const seen = new Set([...readOutputs(dirs.out).input.values()].flat());
        return fed.every((l) => seen.has(l)) ? true : undefined;
      },
      20_000,
      'every fed line in some batch',
      100,
    ).catch(() => undefined);
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    await untilJobDone(dirs.out, jobs[2]);
    const firstRecovered = jobs.slice(1).map((j) => JSON.parse(fs.readFileSync(firstOf(j), 'utf8')) as RunResult['firstRecovered'][number]);
    result = {
      jobs,
      halfWrittenBatch: half.time,
      halfWrittenParts: half.parts,
      finalDirVisibleAtKill,
      firstRecovered,
      freshFirst: ((f: RunResult['firstRecovered'][number]) => f.completedAt - f.programStart)(JSON.parse(fs.readFileSync(firstOf(jobs[0]), 'utf8')) as RunResult['firstRecovered'][number]),
      driverStartToFirstBatch: firstRecovered.map((f, i) => f.completedAt - restarts[i]),
      fed,
    };
  } catch (err) {
    // What the drivers logged about the job, to see why.
    if (process.env.SLUICE_TEST_DUMP) procs.forEach((p, i) => fs.writeFileSync(`${process.env.SLUICE_TEST_DUMP}-${i}.log`, p.logLines.join('\n')));
    const logs = procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-40).map((l) => `[${i}] ${l}`));
    setupError = new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
  } finally {
    stopFeeding?.();
  }
}, { timeout: 540_000 });

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  if (!process.env.SLUICE_TEST_DUMP) fs.rmSync(root, { recursive: true, force: true });
});

function ready(): RunResult {
  if (setupError !== undefined) throw setupError;
  return result!;
}

test('every batch from the first to the last has all its outputs, at consecutive batch times', () => {
  ready();
  const o = readOutputs(dirs.out);
  const times = [...o.input.keys()].sort((a, b) => a - b);
  assert.ok(times.length > 20, `${times.length} batches`);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], BATCH_MS, `no batch time missing after ${times[i - 1]}`);
  for (const t of times) {
    assert.ok(o.state.has(t), `state output of batch ${t}`);
    assert.ok(o.window.has(t), `window output of batch ${t}`);
  }
  assert.deepEqual([...o.state.keys()].sort(), [...o.input.keys()].sort());
});

test('every line fed was read by exactly one batch: none lost, none twice', () => {
  const r = ready();
  const read = [...readOutputs(dirs.out).input.values()].flat();
  const counts = new Map<string, number>();
  for (const l of read) counts.set(l, (counts.get(l) ?? 0) + 1);
  const twice = [...counts].filter(([, c]) => c > 1).map(([l]) => l);
  assert.deepEqual(twice, [], 'lines read by more than one batch');
  assert.deepEqual([...counts.keys()].sort(), [...r.fed].sort(), 'the lines read are exactly the lines fed');
  console.log(`# compared ${r.fed.length} lines over ${readOutputs(dirs.out).input.size} batches, jobs ${r.jobs.join(', ')}`);
});

test('every batch state (updateStateByKey) and window (reduceByKeyAndWindow with an inverse) equals the failure-free computation', () => {
  ready();
  const o = readOutputs(dirs.out);
  const states = expectedStates(o.input);
  const windows = expectedWindows(o.input, BATCH_MS, WINDOW_BATCHES);
  for (const t of [...o.input.keys()].sort((a, b) => a - b)) {
    assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
    assert.deepEqual(o.window.get(t), windows.get(t), `window at ${t}`);
  }
});

test('every batch of mapWithState (a timeout of one batch, state.remove) equals the failure-free computation: what it mapped and its state', () => {
  ready();
  const o = readOutputs(dirs.out);
  const want = expectedMapWithState(o.input, BATCH_MS, BATCH_MS, CHECKPOINT_EVERY);
  const all = [...want.mapped.values()].flat();
  assert.ok(all.some((x) => x.startsWith('T:')) && all.some((x) => x.startsWith('R:')), 'some keys timed out and some were removed');
  for (const t of [...o.input.keys()].sort((a, b) => a - b)) {
    assert.deepEqual(o.mapped.get(t), want.mapped.get(t), `mapped at ${t}`);
    assert.deepEqual(o.snapshot.get(t), want.snapshot.get(t), `state snapshot at ${t}`);
  }
});

test('the batch killed half-written is re-run with its time and input: every batch directory is whole, none duplicated', () => {
  const r = ready();
  assert.equal(r.finalDirVisibleAtKill, false, 'while half written, the batch directory is not visible under its name');
  const o = readOutputs(dirs.out);
  const names = fs.readdirSync(saveDir());
  assert.deepEqual(names.filter((n) => n.startsWith('.')), [], 'no temporary directory left behind');
  assert.deepEqual(names.sort(), [...o.input.keys()].map((t) => `batch-${t}`).sort(), 'one directory per batch');
  for (const t of o.input.keys()) {
    const d = path.join(saveDir(), `batch-${t}`);
    const files = fs.readdirSync(d);
    assert.ok(files.includes('_SUCCESS'), `${d} is whole`);
    const lines = files.filter((f) => f.startsWith('part-')).flatMap((f) => fs.readFileSync(path.join(d, f), 'utf8').split('\n').filter(Boolean));
    assert.deepEqual(lines.sort(), o.input.get(t)!.map((l) => l.toUpperCase()).sort(), `${d} holds its batch's lines once`);
  }
  assert.ok(o.input.get(r.halfWrittenBatch)!.length >= 2, 'the half-written batch had data in both partitions');
  // The first driver wrote that batch's other outputs before the kill; the recovered one wrote them again, alike.
  const ev = readEvents(dirs.out).filter((e) => e.time === r.halfWrittenBatch && e.kind === 'input');
  assert.deepEqual([...new Set(ev.map((e) => e.job))].sort(), [r.jobs[0], r.jobs[1]].sort(), 'the batch ran in the first job and again in the recovered one');
  assert.ok(r.firstRecovered[0].batchTime <= r.halfWrittenBatch, 'the recovered job started with the pending batches, at their original times');
  // The batch after it was generated before the kill and ran only in the recovered job.
  const next = readEvents(dirs.out).filter((e) => e.time === r.halfWrittenBatch + BATCH_MS);
  assert.ok(next.length > 0 && next.every((e) => e.job === r.jobs[1]), `batch ${r.halfWrittenBatch + BATCH_MS} ran in the recovered job only`);
});

test('an output written again by a re-run batch is the same as the first time', () => {
  ready();
  const byKey = new Map<string, Set<string>>();
  for (const e of readEvents(dirs.out)) {
    const k = `${e.kind}-${e.time}`;
    if (!byKey.has(k)) byKey.set(k, new Set());
    byKey.get(k)!.add(e.hash);
  }
  const differing = [...byKey].filter(([, h]) => h.size > 1).map(([k]) => k);
  assert.deepEqual(differing, []);
});

test('the first recovered batch completes within 2 batch intervals of the driver program starting (bound 10x loose), or 10x the fresh start\'s first batch under load', () => {
  const r = ready();
  const fromProgram = r.firstRecovered.map((f) => f.completedAt - f.programStart);
  // Where each recovery's time went, from its program's start: the context recovered from the
  // checkpoint, the first batch's processing started, each of its outputs done, the batch done.
  const phases = r.firstRecovered.map((f) => `created +${f.created - f.programStart}, processing +${f.processingStart - f.programStart}, outputs +${f.outputsDone.map((o) => o - f.programStart).join('/')}, done +${f.completedAt - f.programStart}`);
  console.log(`# first recovered batch: ${fromProgram.join(', ')} ms after the driver program started (${phases.join('; ')}); ${r.driverStartToFirstBatch.join(', ')} ms after the driver process was started; the fresh start's first batch ${r.freshFirst} ms (batch interval ${BATCH_MS} ms)`);
  // A recovery is no slower to its first batch than a fresh start of the same program (which
  // also loads the job's bundle on the workers first), give or take the load. The bound is 20
  // intervals or 10x the fresh start's time measured in this run, whichever is larger: on a
  // quiet machine (fresh starts of ~1 s) a recovery waiting out a 10-30 s timeout still fails
  // it, while one merely slowed by the load does not. 3x failed in a loop at load 33 (beside
  // two CPU hogs): the second recovery's first batch took 28,848 ms against a fresh start of
  // 4,663 ms (the first recovery 12,449 ms); at load 22-25 beside the hogs a passing run's
  // recoveries took 16.4 and 13.2 s against a fresh 3.0 s (over 3x too), 7-9 s of it before
  // the first batch's processing started. The message says where the time went.
  const bound = Math.max(20 * BATCH_MS, 10 * r.freshFirst);
  fromProgram.forEach((ms, i) => assert.ok(ms < bound, `${ms} ms, bound ${bound} ms (fresh start: ${r.freshFirst} ms); ${phases[i]}`));
});

test('the checkpoint directory holds only metadata/ and state/, a bounded number of metadata files', () => {
  ready();
  assert.deepEqual(fs.readdirSync(dirs.ckpt).sort(), ['metadata', 'state']);
  const md = fs.readdirSync(path.join(dirs.ckpt, 'metadata'));
  assert.ok(md.length <= 3, `metadata files: ${md.join(', ')}`);
  assert.ok(md.every((n) => /^checkpoint-\d{12}$/.test(n)), md.join(', '));
});
