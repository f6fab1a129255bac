// Kills during a state checkpoint's write under a reliable receiver with the write-ahead log,
// on real processes (`sluice driver`, 3 `sluice worker`s, `sluice submit` of
// fixtures/stream-receiver-recovery.ts: a custom receiver over the test's replayable TCP
// source, acknowledged only after `await store()`; updateStateByKey checkpointed every 2
// batches):
// 1. the driver is killed with -9 as a worker writes a part of a new state checkpoint (the
//    part's temporary file has appeared); the receiver goes on logging and acknowledging
//    while it is down, and a driver started again on the port recovers the job from its
//    checkpoint (the one being written is not whole: the metadata still names the one before);
// 2. in the recovered job, a worker is killed with -9 at the moment it writes a part of a state
//    checkpoint (its temporary file, named with its pid, has appeared), and a fresh worker is
//    started: the checkpoint job's task runs again elsewhere.
// At the end every line the source generated was read by exactly one batch (each line's number
// is its source position) and every batch's state equals a failure-free updateStateByKey over
// the batches' input, computed here; no batch time is missing.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sleep } from './harness.js';
import { exited, pollUntil, randomSecret, withProcessLogs, type SluiceProcess } from './sluice-processes.js';
import { driverAndWorkers, driverOn, untilJobDone, workersJoined } from './recovery-support.js';
import { batchOutputs, receiverEndChecks, submitReceiverJob, untilEveryLineRead } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-receiver-checkpoint-kill-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(37);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');
const stateDir = path.join(ckpt, 'state');

interface RunResult {
  readonly jobs: string[];
  /** The state checkpoint being written when the driver was killed, and what it held once the driver was gone. */
  readonly writingAtDriverKill: string;
  readonly heldAtDriverKill: string[];
  readonly ackedAtKill: number;
  /** The worker killed writing a state checkpoint's part: the checkpoint and the temporary file. */
  readonly workerKill: { readonly dir: string; readonly file: string; readonly pid: number };
  /** State checkpoints tried before one was caught being written by a worker. */
  readonly tries: number;
}
let result: RunResult | undefined;
let setupError: unknown;

const checkpoints = (): string[] => (fs.existsSync(stateDir) ? fs.readdirSync(stateDir) : []);
const states = (): number => batchOutputs(out, 'state').size;

/**
 * Watches `stateDir` for the next new state checkpoint and, within it, for a part being written
 * by one of `pids` (a temporary `<part>.<pid>.<hex>.sluice-tmp`): calls `kill(pid)` in the
 * watcher's callback, before the write can end. Resolves with the part and its writer, or
 * undefined when the checkpoint was whole (every part renamed) before a write was seen.
 */
function killAtNextCheckpointWrite(pids: ReadonlySet<number>, kill: (writer: number) => void, ms: number): Promise<{ dir: string; file: string; pid: number } | undefined> {
  return new Promise((resolve, reject) => {
    const before = new Set(checkpoints());
    const watchers: fs.FSWatcher[] = [];
    let settled = false;
    const finish = (v: { dir: string; file: string; pid: number } | undefined, err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const w of watchers) w.close();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => finish(undefined, new Error(`no new state checkpoint within ${ms} ms`)), ms);
    const consider = (dir: string, name: string): void => {
      const m = /\.(\d+)\.[0-9a-f]+\.sluice-tmp$/.exec(name);
      if (settled || !m || !pids.has(Number(m[1]))) return;
      kill(Number(m[1]));
      finish({ dir, file: name, pid: Number(m[1]) });
    };
    const watchCheckpoint = (dir: string): void => {
      const full = path.join(stateDir, dir);
      try {
        watchers.push(fs.watch(full, (_ev, name) => name && consider(dir, name)));
        for (const n of fs.readdirSync(full)) consider(dir, n);
      } catch {
        // Deleted already (an old one pruned).
      }
      // Whole before a write was seen: give up on this one after a while.
      setTimeout(() => finish(undefined), 2 * BATCH_MS);
    };
    fs.mkdirSync(stateDir, { recursive: true });
    watchers.push(
      fs.watch(stateDir, (_ev, name) => {
        if (!name || before.has(name)) return;
        before.add(name);
        watchCheckpoint(name);
      }),
    );
  });
}

before(async () => {
  try {
    fs.mkdirSync(out, { recursive: true });
    fs.mkdirSync(control, { recursive: true });
    const srcPort = await source.listen();
    const cluster = await driverAndWorkers(secret, procs, 3);
    const { port, address, workers, addWorker } = cluster;
    let driver = cluster.driver;
    const args = [ckpt, out, control, String(BATCH_MS), String(CHECKPOINT_EVERY), '127.0.0.1', String(srcPort)];
    const jobs = [await submitReceiverJob(address, secret, args)];
    const firstOf = (job: string): string => path.join(out, `first-${job}.json`);
    await pollUntil(() => (fs.existsSync(firstOf(jobs[0])) ? true : undefined), 60_000, 'the first batch');
    source.start(5, 25); // 200 lines/s

    // 1. Past two state checkpoints, the driver killed as a worker writes a part of a new one.
    await pollUntil(() => (states() >= 3 * CHECKPOINT_EVERY ? true : undefined), 60_000, 'batches past two state checkpoints');
    let driverKill: RunResult['workerKill'] | undefined;
    for (let tries = 0; driverKill === undefined; tries++) {
      assert.ok(tries < 20, `no state checkpoint caught being written in ${tries} checkpoints`);
      driverKill = await killAtNextCheckpointWrite(new Set(workers.keys()), () => driver.child.kill('SIGKILL'), 30_000);
    }
    await exited(driver);
    const writing = driverKill.dir;
    const heldAtDriverKill = fs.existsSync(path.join(stateDir, writing)) ? fs.readdirSync(path.join(stateDir, writing)).sort() : [];
    const ackedAtKill = source.acked;
    await pollUntil(() => (source.acked >= ackedAtKill + 200 ? true : undefined), 30_000, 'lines logged and acknowledged while the driver is down');

    // 2. The job recovered on a driver started again; a worker killed writing a state checkpoint's part.
    driver = await driverOn(port, secret);
    procs.push(driver);
    await workersJoined(driver, 3);
    jobs.push(await submitReceiverJob(address, secret, args));
    await pollUntil(() => (fs.existsSync(firstOf(jobs[1])) ? true : undefined), 60_000, 'the first recovered batch');
    let workerKill: RunResult['workerKill'] | undefined;
    let tries = 0;
    while (workerKill === undefined) {
      assert.ok(tries < 20, `no worker caught writing a state checkpoint in ${tries} checkpoints`);
      tries++;
      workerKill = await killAtNextCheckpointWrite(new Set(workers.keys()), (pid) => process.kill(pid, 'SIGKILL'), 30_000);
    }
    await exited(workers.get(workerKill.pid)!);
    workers.delete(workerKill.pid);
    await addWorker();

    // A few batches after, then every line read and the job stopped.
    const atKill = states();
    await pollUntil(() => (states() >= atKill + 3 * CHECKPOINT_EVERY ? true : undefined), 60_000, 'three state checkpoints after the worker kill');
    await sleep(2 * BATCH_MS);
    source.stop();
    await untilEveryLineRead(out, source.lines);
    fs.writeFileSync(path.join(control, 'stop'), '');
    await untilJobDone(out, jobs[1]);
    result = { jobs, writingAtDriverKill: writing, heldAtDriverKill, ackedAtKill, workerKill, tries };
  } catch (err) {
    setupError = withProcessLogs(err, procs);
  } finally {
    source.stop();
  }
}, { timeout: 200_000 });

function ready(): RunResult {
  if (setupError !== undefined) throw setupError;
  return result!;
}

test('the kills landed where meant: the driver as a worker wrote a part of a state checkpoint, then a worker writing a part of one', () => {
  const r = ready();
  console.log(
    `# driver killed with ${r.writingAtDriverKill} holding ${JSON.stringify(r.heldAtDriverKill)} (${r.ackedAtKill} lines acknowledged); ` +
      `worker ${r.workerKill.pid} killed writing ${r.workerKill.dir}/${r.workerKill.file} (checkpoint ${r.tries} watched); ${source.lines.length} lines, ${source.connections} connections, ${source.resent} sent again`,
  );
  assert.match(r.writingAtDriverKill, /^stream-\d+-\d+$/);
  assert.match(r.workerKill.dir, /^stream-\d+-\d+$/);
  assert.equal(r.jobs.length, 2);
});

receiverEndChecks(ready, out, source, BATCH_MS, procs, root);
