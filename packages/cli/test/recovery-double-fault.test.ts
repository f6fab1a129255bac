// Faults in a row around a driver crash, on real processes (`sluice driver`, 3 `sluice worker`s,
// `sluice submit` of fixtures/recovery-job.ts: a file stream, updateStateByKey,
// reduceByKeyAndWindow with an inverse and mapWithState with a timeout, each checkpointed every
// 2 batches, and saveAsTextFiles):
// 1. the driver is killed with -9 while a state checkpoint is being written (its directory has
//    just appeared: the checkpoint job's tasks are writing it on the workers);
// 2. a driver started again on the port, the job submitted again, and during its recovery (the
//    pending and missed batches re-run back to back) the worker running a task of the first
//    recovered batch's output is killed with -9 while the task runs; the task's re-run is then
//    killed on its new worker too, and a fresh worker started after each kill. Each killed
//    worker held cached state partitions and shuffle outputs that the recovery had just
//    computed: they are computed again from the lineage.
// At the end every batch's outputs must equal a failure-free computation done here from the
// test's own input: every line read by exactly one batch, every state, window, mapWithState
// output and snapshot exact, every saved batch directory whole and once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mulberry32, sleep } from './harness.js';
import { exited, pollUntil, randomSecret, withProcessLogs, type SluiceProcess } from './sluice-processes.js';
import { Feeder, driverAndWorkers, driverOn, expectedMapWithState, expectedStates, expectedWindows, jobArgs, jobDirs, readEvents, readOutputs, submitDetached, untilJobDone, workersJoined, type JobDirs } from './recovery-support.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches
const WINDOW_BATCHES = 3;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-double-fault-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
let dirs: JobDirs;

interface Held {
  readonly time: number;
  readonly partition: number;
  readonly pid: number;
}
interface RunResult {
  jobs: string[];
  /** The state checkpoint being written when the driver was killed, and what it held then. */
  writing: string;
  writingAtKill: string[];
  /** When the second driver's job was submitted. */
  resubmittedAt: number;
  /** The two tasks held and killed with their workers, in order. */
  killed: Held[];
  /** Whether the recovered job had completed a batch (one whose save has a single partition is not held), and which later batches' state outputs existed, when the first worker was killed. */
  firstRecoveredAtKill: boolean;
  laterStatesAtKill: number[];
  fed: string[];
}
let result: RunResult | undefined;
let setupError: unknown;

before(async () => {
  let feeding = false;
  let feed: Promise<void> | undefined;
  try {
    dirs = jobDirs(root);
    // A key of its own every 4th file: mapWithState's timeouts are compared whatever the batches hold.
    const feeder = new Feeder(dirs.input, mulberry32(17), 4);
    const cluster = await driverAndWorkers(secret, procs, 3);
    const { port, address, workers, addWorker } = cluster;
    let driver = cluster.driver;
    const args = jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY);
    const jobs = [await submitDetached(address, secret, args)];
    const firstOf = (job: string): string => path.join(dirs.out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    feeding = true;
    feed = (async () => {
      while (feeding) {
        feeder.file();
        await sleep(250);
      }
    })();

    // 1. Past two state checkpoints, the driver killed as a new state checkpoint appears.
    const stateDir = path.join(dirs.ckpt, 'state');
    const checkpoints = (): string[] => (fs.existsSync(stateDir) ? fs.readdirSync(stateDir) : []);
    const states = (): number[] => [...readOutputs(dirs.out).state.keys()].sort((a, b) => a - b);
    await pollUntil(() => (states().length >= 3 * CHECKPOINT_EVERY ? true : undefined), 60_000, 'batches past two state checkpoints');
    const seen = new Set(checkpoints());
    const writing = await pollUntil(() => checkpoints().find((n) => !seen.has(n)), 30_000, 'a new state checkpoint', 2);
    driver.child.kill('SIGKILL');
    await exited(driver);
    const writingAtKill = fs.existsSync(path.join(stateDir, writing)) ? fs.readdirSync(path.join(stateDir, writing)).sort() : [];
    await sleep(3 * BATCH_MS); // batches pass while the driver is down; files keep arriving

    // 2. The recovery's first batch output held in its save stage (control/slow): its task's
    // worker killed, then the worker its re-run went to.
    const slow = path.join(dirs.control, 'slow');
    fs.writeFileSync(slow, '');
    driver = await driverOn(port, secret);
    procs.push(driver);
    await workersJoined(driver, 3);
    const resubmittedAt = Date.now();
    jobs.push(await submitDetached(address, secret, args));
    const killed: Held[] = [];
    let firstRecoveredAtKill = true;
    let laterStatesAtKill: number[] = [];
    for (let k = 0; k < 2; k++) {
      const held = await pollUntil(
        () =>
          fs
            .readdirSync(dirs.control)
            .map((n) => /^held-(\d+)-(\d+)-(\d+)$/.exec(n))
            .filter((m) => m !== null)
            .map((m) => ({ time: Number(m[1]), partition: Number(m[2]), pid: Number(m[3]) }))
            .find((h) => workers.has(h.pid) && !killed.some((x) => x.pid === h.pid)),
        60_000,
        `a held task of the recovery (kill ${k + 1})`,
        10,
      );
      if (k === 0) {
        firstRecoveredAtKill = fs.existsSync(firstOf(jobs[1]));
        laterStatesAtKill = states().filter((t) => t > held.time);
      }
      const victim = workers.get(held.pid)!;
      victim.child.kill('SIGKILL');
      await exited(victim);
      workers.delete(held.pid);
      killed.push(held);
      await addWorker();
    }
    fs.rmSync(slow);

    // 3. The recovery done and a few batches after it, then every line read and the job stopped.
    await pollUntil(() => (fs.existsSync(firstOf(jobs[1])) ? true : undefined), 60_000, 'the first recovered batch');
    const resumed = await pollUntil(() => states().find((t) => t >= resubmittedAt), 90_000, 'a batch due after the resubmission');
    await pollUntil(() => (states().some((t) => t >= resumed + 4 * BATCH_MS) ? true : undefined), 60_000, 'four more batches');
    feeding = false;
    await feed;
    const fed = [...feeder.lines];
    await pollUntil(
      () => {
        const read = new Set([...readOutputs(dirs.out).input.values()].flat());
        return fed.every((l) => read.has(l)) ? true : undefined;
      },
      20_000,
      'every fed line in some batch',
      100,
    ).catch(() => undefined); // a line never read fails the checks below, which say which
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    await untilJobDone(dirs.out, jobs[1]);
    result = { jobs, writing, writingAtKill, resubmittedAt, killed, firstRecoveredAtKill, laterStatesAtKill, fed };
  } catch (err) {
    setupError = withProcessLogs(err, procs);
  } finally {
    feeding = false;
    await feed;
  }
}, { timeout: 280_000 });

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): RunResult {
  if (setupError !== undefined) throw setupError;
  return result!;
}

test('the faults landed where meant: the driver during a state checkpoint, then two workers in a row during the recovery, each running a task of a recovered batch', () => {
  const r = ready();
  console.log(`# driver killed with ${r.writing} holding ${JSON.stringify(r.writingAtKill)}; workers killed holding ${JSON.stringify(r.killed)} (a recovered batch done at the first kill: ${r.firstRecoveredAtKill}); jobs ${r.jobs.join(', ')}`);
  assert.match(r.writing, /^stream-\d+-\d+$/);
  assert.equal(r.killed.length, 2);
  assert.notEqual(r.killed[0].pid, r.killed[1].pid, 'two worker processes killed');
  // The held tasks ran batches due before the job was submitted again: pending or missed ones,
  // re-run by the recovery (not yet output when the first worker was killed).
  for (const h of r.killed) assert.ok(h.time < r.resubmittedAt, `held batch ${h.time} is one the recovery re-ran (resubmitted at ${r.resubmittedAt})`);
  assert.deepEqual(r.laterStatesAtKill, [], 'no later batch had run');
  const ev = readEvents(dirs.out);
  assert.ok(ev.some((e) => e.time === r.killed[0].time && e.job === r.jobs[1]), 'the recovered job wrote the held batch');
});

test('every batch from the first to the last has all its outputs, at consecutive batch times', () => {
  ready();
  const o = readOutputs(dirs.out);
  const times = [...o.input.keys()].sort((a, b) => a - b);
  assert.ok(times.length > 15, `${times.length} batches`);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], BATCH_MS, `no batch time missing after ${times[i - 1]}`);
  for (const kind of ['state', 'window', 'mapped', 'snapshot'] as const) assert.deepEqual([...o[kind].keys()].sort(), [...times].sort(), `every batch has its ${kind} output`);
  assert.deepEqual(fs.readdirSync(dirs.ckpt).sort(), ['metadata', 'state'], 'the checkpoint directory holds only metadata/ and state/');
});

test('every line fed was read by exactly one batch: none lost, none twice', () => {
  const r = ready();
  const read = [...readOutputs(dirs.out).input.values()].flat();
  const counts = new Map<string, number>();
  for (const l of read) counts.set(l, (counts.get(l) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, c]) => c > 1).map(([l]) => l), [], 'lines read by more than one batch');
  assert.deepEqual([...counts.keys()].sort(), [...r.fed].sort(), 'the lines read are exactly the lines fed');
  console.log(`# compared ${r.fed.length} lines over ${readOutputs(dirs.out).input.size} batches`);
});

test('every state (updateStateByKey), window (reduceByKeyAndWindow with an inverse) and mapWithState output and snapshot equals the failure-free computation', () => {
  ready();
  const o = readOutputs(dirs.out);
  const states = expectedStates(o.input);
  const windows = expectedWindows(o.input, BATCH_MS, WINDOW_BATCHES);
  const mws = expectedMapWithState(o.input, BATCH_MS);
  for (const t of [...o.input.keys()].sort((a, b) => a - b)) {
    assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
    assert.deepEqual(o.window.get(t), windows.get(t), `window at ${t}`);
    assert.deepEqual(o.mapped.get(t), mws.mapped.get(t), `mapped at ${t}`);
    assert.deepEqual(o.snapshot.get(t), mws.snapshot.get(t), `state snapshot at ${t}`);
  }
});

test('every saved batch directory is whole and holds its batch\'s lines once; an output written twice is the same both times', () => {
  ready();
  const o = readOutputs(dirs.out);
  const saveDir = path.join(dirs.out, 'save');
  const names = fs.readdirSync(saveDir);
  assert.deepEqual(names.filter((n) => n.startsWith('.')), [], 'no temporary directory left behind');
  assert.deepEqual(names.sort(), [...o.input.keys()].map((t) => `batch-${t}`).sort(), 'one directory per batch');
  for (const t of o.input.keys()) {
    const d = path.join(saveDir, `batch-${t}`);
    const files = fs.readdirSync(d);
    assert.ok(files.includes('_SUCCESS'), `${d} is whole`);
    const lines = files.filter((f) => f.startsWith('part-')).flatMap((f) => fs.readFileSync(path.join(d, f), 'utf8').split('\n').filter(Boolean));
    assert.deepEqual(lines.sort(), o.input.get(t)!.map((l) => l.toUpperCase()).sort(), `${d} holds its batch's lines once`);
  }
  const hashes = new Map<string, Set<string>>();
  for (const e of readEvents(dirs.out)) hashes.set(`${e.kind}-${e.time}`, (hashes.get(`${e.kind}-${e.time}`) ?? new Set()).add(e.hash));
  assert.deepEqual([...hashes].filter(([, h]) => h.size > 1).map(([k]) => k), [], 'outputs that differ between runs of a batch');
});
