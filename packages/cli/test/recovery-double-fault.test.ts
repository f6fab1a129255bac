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
import { mulberry32, runCli, sleep, within } from './harness.js';
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

// The hook's own bound, below its limit: past it the hook fails naming the step it was on
// (once it hit its limit saying nothing of where it stood).
const HOOK_MS = 280_000;
const SETUP_MS = 250_000;

/** Where the cluster stood: the processes alive, the job's outputs, the control files, and what the driver says of its workers and jobs (`sluice workers`, `sluice jobs`). */
async function clusterState(driver: string | undefined, workers: ReadonlyMap<number, SluiceProcess>, procsNow: readonly SluiceProcess[]): Promise<string> {
  const alive = (p: SluiceProcess): string => `${p.child.pid}${p.child.exitCode === null && p.child.signalCode === null ? '' : ' (exited)'}`;
  const o = readOutputs(dirs.out);
  const times = [...o.state.keys()].sort((a, b) => a - b);
  const ask = async (command: string): Promise<string> => {
    if (driver === undefined) return `${command}: no driver yet`;
    const r = await runCli([command, '--driver', driver], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' }, timeoutMs: 10_000 });
    return `sluice ${command} (${r.timedOut ? 'timed out' : `exit ${r.code}`}):\n${(r.stdout + r.stderr).trim().slice(0, 1500)}`;
  };
  return [
    `processes: ${procsNow.map(alive).join(', ')}; workers in use ${[...workers.keys()].join(', ')}`,
    `outputs: ${o.input.size} input, ${o.state.size} state (last ${times.at(-1) ?? 'none'}, ${Date.now() - (times.at(-1) ?? Date.now())} ms ago); control: ${fs.readdirSync(dirs.control).join(' ') || 'nothing'}`,
    await ask('workers'),
    await ask('jobs'),
  ].join('\n');
}

before(async () => {
  let feeding = false;
  let feed: Promise<void> | undefined;
  const t0 = Date.now();
  let step = { name: 'the cluster started', at: t0 };
  /** Names the step the hook is on (a failure says which, and for how long). */
  const at = (name: string): string => {
    step = { name, at: Date.now() };
    return name;
  };
  /** What is left of the hook's bound (a step's own bound is at most this). */
  const left = (ms = SETUP_MS): number => Math.max(1, Math.min(ms, SETUP_MS - (Date.now() - t0)));
  let addressNow: string | undefined;
  let workersNow: ReadonlyMap<number, SluiceProcess> = new Map();
  try {
    dirs = jobDirs(root);
    // A key of its own every 4th file: mapWithState's timeouts are compared whatever the batches hold.
    const feeder = new Feeder(dirs.input, mulberry32(17), 4);
    const cluster = await within(driverAndWorkers(secret, procs, 3), left(), at('a driver and 3 workers started'));
    const { port, address, workers, addWorker } = cluster;
    let driver = cluster.driver;
    [addressNow, workersNow] = [address, workers];
    const args = jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY);
    const jobs = [await within(submitDetached(address, secret, args), left(), at('the job submitted'))];
    const firstOf = (job: string): string => path.join(dirs.out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), left(60_000), at('the first batch'));
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
    await pollUntil(() => (states().length >= 3 * CHECKPOINT_EVERY ? true : undefined), left(60_000), at('batches past two state checkpoints'));
    const seen = new Set(checkpoints());
    const writing = await pollUntil(() => checkpoints().find((n) => !seen.has(n)), left(30_000), at('a new state checkpoint'), 2);
    driver.child.kill('SIGKILL');
    await within(exited(driver), left(), at('the killed driver exited'));
    const writingAtKill = fs.existsSync(path.join(stateDir, writing)) ? fs.readdirSync(path.join(stateDir, writing)).sort() : [];
    await sleep(3 * BATCH_MS); // batches pass while the driver is down; files keep arriving

    // 2. The recovery's first batch output held in its save stage (control/slow): its task's
    // worker killed, then the worker its re-run went to.
    const slow = path.join(dirs.control, 'slow');
    fs.writeFileSync(slow, '');
    driver = await within(driverOn(port, secret), left(), at('a driver started again on the port'));
    procs.push(driver);
    await workersJoined(driver, 3, left(30_000));
    at('the 3 workers joined the new driver');
    const resubmittedAt = Date.now();
    jobs.push(await within(submitDetached(address, secret, args), left(), at('the job submitted again')));
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
        left(60_000),
        at(`a held task of the recovery (kill ${k + 1})`),
        10,
      );
      if (k === 0) {
        firstRecoveredAtKill = fs.existsSync(firstOf(jobs[1]));
        laterStatesAtKill = states().filter((t) => t > held.time);
      }
      const victim = workers.get(held.pid)!;
      victim.child.kill('SIGKILL');
      await within(exited(victim), left(), at(`the killed worker ${held.pid} exited (kill ${k + 1})`));
      workers.delete(held.pid);
      killed.push(held);
      await within(addWorker(), left(), at(`a fresh worker started (kill ${k + 1})`));
    }
    fs.rmSync(slow);

    // 3. The recovery done and a few batches after it, then every line read and the job stopped.
    await pollUntil(() => (fs.existsSync(firstOf(jobs[1])) ? true : undefined), left(60_000), at('the first recovered batch'));
    const resumed = await pollUntil(() => states().find((t) => t >= resubmittedAt), left(90_000), at('a batch due after the resubmission'));
    await pollUntil(() => (states().some((t) => t >= resumed + 4 * BATCH_MS) ? true : undefined), left(60_000), at('four more batches'));
    feeding = false;
    await feed;
    const fed = [...feeder.lines];
    await pollUntil(
      () => {
        const read = new Set([...readOutputs(dirs.out).input.values()].flat());
        return fed.every((l) => read.has(l)) ? true : undefined;
      },
      left(20_000),
      at('every fed line in some batch'),
      100,
    ).catch(() => undefined); // a line never read fails the checks below, which say which
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    at('the job stopped (a graceful stop)');
    await untilJobDone(dirs.out, jobs[1], 'the job to stop', left());
    result = { jobs, writing, writingAtKill, resubmittedAt, killed, firstRecoveredAtKill, laterStatesAtKill, fed };
  } catch (err) {
    const where = `at step '${step.name}' (${Math.round((Date.now() - step.at) / 1000)} s into it, ${Math.round((Date.now() - t0) / 1000)} s into the hook)`;
    let state: string;
    try {
      state = await clusterState(addressNow, workersNow, procs);
    } catch (e) {
      state = `(the cluster's state unread: ${(e as Error).message})`;
    }
    setupError = withProcessLogs(new Error(`${(err as Error).message}, ${where}\n${state}`, { cause: err }), procs);
  } finally {
    feeding = false;
    await feed;
  }
}, { timeout: HOOK_MS });

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
  const mws = expectedMapWithState(o.input, BATCH_MS, BATCH_MS, CHECKPOINT_EVERY);
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
