// A stream whose metadata checkpoints go to a slow store (every metadata write waits 3 batch
// intervals first: a loaded disk, fsync, object storage; fixtures/slow-checkpoint-store.ts).
// Batches must still be generated on their times (the writes are grouped, and a batch's jobs
// wait for the write recording it, not the next batch's generation), a batch's outputs must
// run only once a metadata checkpoint recording it is durable, and a driver killed with -9
// while writes are queued must recover with no batch lost or re-cut. Checked against the
// test's own input: every line read by exactly one batch, the running sums as computed here,
// an output written again by a re-run batch the same as the first time. Real processes:
// `sluice driver` (killed and started again on its port), two `sluice worker`s, `sluice submit`.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { completeLines } from './complete-lines.js';
import { fixture, freePort, mulberry32, runCli, sleep } from './harness.js';
import { Feeder, driverOn, expectedStates, jobDirs, readEvents, readOutputs, workersJoined, type JobDirs } from './recovery-support.js';
import { pollUntil, randomSecret, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';

/** Batches and metadata writes of the on-time test (short batches) and of the kill test (longer, so that processing keeps up on a loaded machine). */
const BATCH_MS = 100;
const WRITE_MS = 3 * BATCH_MS;
const KILL_BATCH_MS = 500;
const KILL_WRITE_MS = 3 * KILL_BATCH_MS;
const JOB = fixture('stream-slow-checkpoint.ts');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-slow-ckpt-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
let port: number;
let address: string;

before(async () => {
  port = await freePort();
  address = `127.0.0.1:${port}`;
  procs.push(await driverOn(port, secret));
  for (let i = 0; i < 2; i++) procs.push(await startWorkerProcess(address, secret));
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
});

function dirsOf(name: string): JobDirs {
  return jobDirs(path.join(root, name));
}

async function submit(d: JobDirs, batchMs: number, writeMs: number): Promise<string> {
  const r = await runCli(['submit', JOB, '--driver', address, '--detach', '--', d.ckpt, d.input, d.out, d.control, String(batchMs), String(writeMs)], {
    env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' },
  });
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`submit failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return id;
}

interface Generated {
  readonly job: string;
  readonly time: number;
  readonly at: number;
}

function generated(d: JobDirs, job?: string, log = 'generated.log'): Generated[] {
  // Complete lines only: polled while the driver appends (a line seen cut short is left for the next read).
  const all = completeLines(path.join(d.out, log)).map((l) => JSON.parse(l) as Generated);
  return job === undefined ? all : all.filter((g) => g.job === job);
}

/** The newest metadata checkpoint's nextBatchTime: every batch before it is recorded as generated. */
function durableNextBatchTime(d: JobDirs): number {
  const mdDir = path.join(d.ckpt, 'metadata');
  const files = fs.readdirSync(mdDir).filter((n) => /^checkpoint-\d{12}$/.test(n)).sort();
  assert.ok(files.length > 0, 'a metadata checkpoint was written');
  const text = fs.readFileSync(path.join(mdDir, files[files.length - 1]), 'utf8');
  return (JSON.parse(text.slice(text.indexOf('\n') + 1)) as { nextBatchTime: number }).nextBatchTime;
}

async function stopJob(d: JobDirs, job: string): Promise<{ writes: number; longestWriteMs: number }> {
  fs.writeFileSync(path.join(d.control, 'stop'), '');
  const done = path.join(d.out, `done-${job}.json`);
  await pollUntil(() => (fs.existsSync(done) ? true : undefined), 60_000, `${job} to stop`);
  return JSON.parse(fs.readFileSync(done, 'utf8')) as { writes: number; longestWriteMs: number };
}

/** Every line fed read by exactly one batch; the running sums as computed here; outputs written again alike; every output ran after its batch's metadata was durable. */
function checkOutputs(d: JobDirs, fed: readonly string[], batchMs: number): { batches: number } {
  const o = readOutputs(d.out);
  const times = [...o.input.keys()].sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], batchMs, `no batch time missing after ${times[i - 1]}`);
  assert.deepEqual([...o.state.keys()].sort(), [...o.input.keys()].sort(), 'every batch wrote its state');
  const counts = new Map<string, number>();
  for (const l of [...o.input.values()].flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, c]) => c > 1).map(([l]) => l), [], 'lines read by more than one batch');
  assert.deepEqual([...counts.keys()].sort(), [...fed].sort(), 'the lines read are exactly the lines fed');
  const states = expectedStates(o.input);
  for (const t of times) assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
  const hashes = new Map<string, Set<string>>();
  for (const e of readEvents(d.out)) {
    const k = `${e.kind}-${e.time}`;
    if (!hashes.has(k)) hashes.set(k, new Set());
    hashes.get(k)!.add(e.hash);
  }
  assert.deepEqual([...hashes].filter(([, h]) => h.size > 1).map(([k]) => k), [], 'outputs written again differently (a re-cut batch)');
  const early = readEvents(d.out).filter((e) => !(e as unknown as { durable: boolean }).durable);
  assert.deepEqual(early.map((e) => `${e.kind}-${e.time} (${e.job})`), [], 'outputs that ran before a metadata checkpoint recorded their batch');
  return { batches: times.length };
}

function feedEvery(feeder: Feeder, ms: number): () => Promise<void> {
  let feeding = true;
  const run = (async () => {
    while (feeding) {
      feeder.file(3);
      await sleep(ms);
    }
  })();
  return async () => {
    feeding = false;
    await run;
  };
}

async function allRead(d: JobDirs, fed: readonly string[]): Promise<void> {
  await pollUntil(
    () => {
      const seen = new Set([...readOutputs(d.out).input.values()].flat());
      return fed.every((l) => seen.has(l)) ? true : undefined;
    },
    30_000,
    'every fed line in some batch',
    100,
  ).catch(() => undefined); // a line never read fails the checks, which say which
}

test(`with every metadata write taking ${WRITE_MS} ms, ${BATCH_MS} ms batches are generated on their times, each batch's outputs run once its metadata is durable, and writes are grouped`, { timeout: 120_000 }, async () => {
  const d = dirsOf('on-time');
  const job = await submit(d, BATCH_MS, WRITE_MS);
  await pollUntil(() => (generated(d, job).length > 0 ? true : undefined), 60_000, 'the first batch');
  const feeder = new Feeder(d.input, mulberry32(5));
  const stopFeeding = feedEvery(feeder, 250);
  // 60 batch intervals of generation against 20 writes' time.
  await sleep(60 * BATCH_MS);
  const windowEnd = Date.now();
  await stopFeeding();
  await allRead(d, feeder.lines);
  const store = await stopJob(d, job);

  const gen = generated(d, job).filter((g) => g.at <= windowEnd);
  for (let i = 1; i < gen.length; i++) assert.equal(gen[i].time - gen[i - 1].time, BATCH_MS, `batch ${gen[i].time} generated after ${gen[i - 1].time}`);
  const lags = gen.map((g) => g.at - g.time);
  const due = Math.floor((windowEnd - gen[0].time) / BATCH_MS) + 1;
  process.stdout.write(
    `# ${gen.length} of ${due} batches due generated in the window; generation lag p50 ${lags.sort((a, b) => a - b)[lags.length >> 1]} ms, max ${lags[lags.length - 1]} ms; ${store.writes} metadata writes, the longest ${store.longestWriteMs} ms\n`,
  );
  // Were each batch's generation to wait for its metadata write (two writes a batch, one
  // recording the batch before as completed), it would fall 2 x 300 - 100 ms further behind
  // every batch: seconds behind within this window.
  assert.ok(lags[lags.length - 1] < 10 * WRITE_MS, `a batch was generated ${lags[lags.length - 1]} ms after its time (bound 10 writes' time)`);
  assert.ok(store.longestWriteMs >= WRITE_MS, `the store was slow: its longest metadata write took ${store.longestWriteMs} ms`);
  checkOutputs(d, feeder.lines, BATCH_MS);
  // Two snapshots a batch (generated, completed), each write 3 intervals or more: were each
  // written alone, the batches would be submitted ever later (5 intervals more each batch).
  // Grouped, a batch waits for at most the write under way and the one recording it.
  const submitted = generated(d, job, 'submitted.log').filter((s) => s.time <= gen[gen.length - 1].time);
  assert.deepEqual(submitted.map((s) => s.time), gen.map((g) => g.time), 'every batch generated in the window was submitted, in order');
  const waits = submitted.map((s) => s.at - s.time).sort((a, b) => a - b);
  process.stdout.write(`# submitted after their times: p50 ${waits[waits.length >> 1]} ms, max ${waits[waits.length - 1]} ms\n`);
  const bound = 4 * store.longestWriteMs + 10 * BATCH_MS;
  assert.ok(waits[waits.length - 1] < bound, `a batch was submitted ${waits[waits.length - 1]} ms after its time (bound ${bound} ms: 4 of the longest write, ${store.longestWriteMs} ms, and 10 intervals)`);
});

test('a driver killed with -9 while metadata writes are queued behind the slow store recovers with no batch lost, none read twice, none re-cut', { timeout: 240_000 }, async () => {
  const d = dirsOf('killed');
  const jobs = [await submit(d, KILL_BATCH_MS, KILL_WRITE_MS)];
  await pollUntil(() => (generated(d, jobs[0]).length > 0 ? true : undefined), 60_000, 'the first batch');
  const feeder = new Feeder(d.input, mulberry32(9));
  const stopFeeding = feedEvery(feeder, 400);
  try {
    await pollUntil(() => (readOutputs(d.out).input.size >= 8 ? true : undefined), 60_000, '8 batches before the kill');
    // Kill while batches are generated past what the metadata records (their writes queued).
    await pollUntil(() => {
      const gen = generated(d, jobs[0]);
      let next: number;
      try {
        next = durableNextBatchTime(d);
      } catch {
        return undefined; // read while the driver deleted an old file
      }
      return gen.length > 0 && gen[gen.length - 1].time >= next + KILL_BATCH_MS ? true : undefined;
    }, 30_000, 'two batches generated past the durable metadata', 5);
    const driver = procs[0];
    driver.child.kill('SIGKILL');
    await new Promise<void>((r) => (driver.child.exitCode !== null || driver.child.signalCode !== null ? r() : driver.child.once('exit', () => r())));
    const durableAtKill = durableNextBatchTime(d);
    const generatedAtKill = generated(d, jobs[0]).map((g) => g.time);
    const queued = generatedAtKill.filter((t) => t >= durableAtKill);
    assert.ok(queued.length > 0, `batches generated but not durable at the kill (metadata up to ${durableAtKill}, generated up to ${generatedAtKill[generatedAtKill.length - 1]})`);
    await sleep(3 * KILL_BATCH_MS); // files keep arriving while the driver is down

    procs[0] = await driverOn(port, secret);
    await workersJoined(procs[0], 2);
    jobs.push(await submit(d, KILL_BATCH_MS, KILL_WRITE_MS));
    await pollUntil(() => (generated(d, jobs[1]).length > 0 ? true : undefined), 60_000, 'the first batch of the recovered job');
    const fedAtRestart = feeder.lines.length;
    await pollUntil(() => ([...readOutputs(d.out).input.values()].flat().length >= fedAtRestart + 9 ? true : undefined), 90_000, 'the recovered job to read lines fed after the restart');
    await stopFeeding();
    await allRead(d, feeder.lines);
    await stopJob(d, jobs[1]);

    const { batches } = checkOutputs(d, feeder.lines, KILL_BATCH_MS);
    // The batches whose metadata was not durable at the kill never ran there: the recovered job ran them.
    const ranAt = new Map<number, Set<string>>();
    for (const e of readEvents(d.out)) ranAt.set(e.time, (ranAt.get(e.time) ?? new Set()).add(e.job));
    for (const t of queued) assert.deepEqual([...(ranAt.get(t) ?? [])], [jobs[1]], `batch ${t} (not durable at the kill) ran in the recovered job only`);
    process.stdout.write(`# ${feeder.lines.length} lines over ${batches} batches; ${queued.length} batches generated but not durable at the kill (${queued.join(', ')})\n`);
  } finally {
    await stopFeeding();
  }
});
