// A checkpoint store that fails or hangs under a running stream. A batch's jobs run only
// once the metadata recording it is durable, so a store that never answers would hold every
// later batch in memory, and one that fails would leave them unrun: a write that fails is
// tried again (3 attempts, as Spark's CheckpointWriter), and one that still fails, or does
// not complete within StreamingContext's checkpointWriteTimeout, stops the context with a
// SLUICE_CHECKPOINT error naming the checkpoint directory and the cause; `sluice submit`
// prints it and exits non-zero. Faults from the test store (fixtures/slow-checkpoint-store.ts:
// its metadata writes hang or fail while control/metadata-fault says so) and from a real
// file system (the metadata directory replaced by a file: every write fails with ENOTDIR).
// Real processes: `sluice driver`, one `sluice worker`, `sluice submit` (attached).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, freePort, mulberry32, runCli, sleep, type CliResult } from './harness.js';
import { Feeder, driverOn, expectedStates, jobDirs, readEvents, readOutputs, type JobDirs } from './recovery-support.js';
import { pollUntil, randomSecret, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import { writeWhole } from './fixtures/write-whole.js';

const BATCH_MS = 200;
const JOB = fixture('stream-slow-checkpoint.ts');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-faults-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
let address: string;

before(async () => {
  const port = await freePort();
  address = `127.0.0.1:${port}`;
  procs.push(await driverOn(port, secret));
  procs.push(await startWorkerProcess(address, secret));
});

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
});

interface Running {
  readonly d: JobDirs;
  readonly feeder: Feeder;
  /** The attached submit's end. */
  readonly result: Promise<CliResult>;
  /** Stops feeding (a file every 150 ms until then). */
  stopFeeding(): Promise<void>;
}

/** Submits the fixture attached (writes bounded by `writeTimeoutMs`) and feeds it once it runs; resolves once a batch with lines ran. */
async function start(name: string, writeTimeoutMs: number): Promise<Running> {
  const d = jobDirs(path.join(root, name));
  const feeder = new Feeder(d.input, mulberry32(name.length));
  const result = runCli(['submit', JOB, '--driver', address, '--', d.ckpt, d.input, d.out, d.control, String(BATCH_MS), '0', String(writeTimeoutMs)], {
    env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' },
    timeoutMs: 90_000, // under the tests' own 120 s: a job that never ends is killed and reported (timedOut)
  });
  const ended = result.then((r) => ({ ended: r }));
  // Files are fed once the stream runs (a file stream ignores the files there before it started).
  const generated = path.join(d.out, 'generated.log');
  const began = await Promise.race([pollUntil(() => (fs.existsSync(generated) ? true : undefined), 60_000, 'the first batch', 50), ended]);
  if (typeof began === 'object') throw new Error(`the job ended before its first batch (${began.ended.code}):\n${began.ended.stdout}\n${began.ended.stderr}`);
  let feeding = true;
  const fed = (async () => {
    while (feeding) {
      feeder.file(3);
      await sleep(150);
    }
  })();
  const stopFeeding = async (): Promise<void> => {
    feeding = false;
    await fed;
  };
  const first = await Promise.race([pollUntil(() => ([...readOutputs(d.out).input.values()].some((l) => l.length > 0) ? true : undefined), 60_000, 'a first batch with lines', 50), ended]);
  if (typeof first === 'object') {
    await stopFeeding();
    throw new Error(`the job ended before its first lines were read (${first.ended.code}):\n${first.ended.stdout}\n${first.ended.stderr}`);
  }
  return { d, feeder, result, stopFeeding };
}

const metadataFiles = (d: JobDirs): string[] => fs.readdirSync(path.join(d.ckpt, 'metadata')).filter((n) => /^checkpoint-\d{12}$/.test(n));

/** Every output ran after a metadata checkpoint recorded its batch (the fixture's `durable`). */
function assertNoUndurableOutput(d: JobDirs): void {
  const early = readEvents(d.out).filter((e) => !(e as unknown as { durable: boolean }).durable);
  assert.deepEqual(early.map((e) => `${e.kind}-${e.time}`), [], 'outputs that ran before a metadata checkpoint recorded their batch');
}

test('metadata writes failing twice, then succeeding: each failure is tried again (a warning), the stream goes on, and every line is read once with the right state', { timeout: 120_000 }, async () => {
  const run = await start('transient', 60_000);
  const fault = path.join(run.d.control, 'metadata-fault');
  try {
    writeWhole(fault, 'fail 2'); // whole: the driver reads it at each metadata write
    // Both failures used (the store counts them down), then batches fed after them.
    await pollUntil(() => (fs.readFileSync(fault, 'utf8') === 'fail 0' ? true : undefined), 60_000, 'the two failures', 50);
    const fedBefore = run.feeder.lines.length;
    await pollUntil(() => ([...readOutputs(run.d.out).input.values()].flat().length >= fedBefore + 6 ? true : undefined), 60_000, 'lines fed after the failures read', 100);
  } finally {
    await run.stopFeeding();
  }
  await pollUntil(() => (new Set([...readOutputs(run.d.out).input.values()].flat()).size >= run.feeder.lines.length ? true : undefined), 60_000, 'every line read', 100).catch(() => undefined);
  fs.writeFileSync(path.join(run.d.control, 'stop'), '');
  const r = await run.result;
  const out = r.stdout + r.stderr + procs[0].logLines.join('\n');
  assert.equal(r.code, 0, `the job succeeded:\n${r.stdout}\n${r.stderr}`);
  for (const attempt of [1, 2]) assert.match(out, new RegExp(`metadata checkpoint write failed \\(attempt ${attempt} of 3\\); trying again: cannot write metadata checkpoint '[^']*': 500 Internal Server Error`), `attempt ${attempt}'s warning`);
  const o = readOutputs(run.d.out);
  const read = [...o.input.values()].flat();
  assert.equal(read.length, new Set(read).size, 'no line read twice');
  assert.deepEqual([...new Set(read)].sort(), [...run.feeder.lines].sort(), 'every line read');
  const states = expectedStates(o.input);
  for (const t of o.input.keys()) assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
  assertNoUndurableOutput(run.d);
});

test('metadata writes failing for good (object storage answering 500): after 3 attempts the job fails with SLUICE_CHECKPOINT naming the directory and the cause; no batch runs unrecorded', { timeout: 120_000 }, async () => {
  const run = await start('failing', 60_000);
  writeWhole(path.join(run.d.control, 'metadata-fault'), 'fail');
  const r = await run.result.finally(() => run.stopFeeding());
  const err = r.stdout + r.stderr;
  assert.equal(r.timedOut, false, 'the job ended by itself');
  assert.notEqual(r.code, 0, `the job failed:\n${err}`);
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.ok(err.includes(`the checkpoint directory 'slowckpt://${run.d.ckpt}' failed 3 attempts to write the metadata checkpoint of batch`), `names the directory and the attempts:\n${err}`);
  assert.match(err, /Last error: cannot write metadata checkpoint '[^']*metadata\/checkpoint-\d{12}': 500 Internal Server Error/);
  assertNoUndurableOutput(run.d);
});

test('a metadata write that never completes: past checkpointWriteTimeout the job fails with SLUICE_CHECKPOINT naming the directory and the timeout, instead of holding batches forever', { timeout: 120_000 }, async () => {
  const run = await start('hanging', 2_000);
  writeWhole(path.join(run.d.control, 'metadata-fault'), 'hang');
  const r = await run.result.finally(() => run.stopFeeding());
  const err = r.stdout + r.stderr;
  assert.equal(r.timedOut, false, 'the job ended by itself (it did not wait forever)');
  assert.notEqual(r.code, 0, `the job failed:\n${err}`);
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.ok(err.includes(`the checkpoint directory 'slowckpt://${run.d.ckpt}' did not complete the metadata checkpoint of batch`), `names the directory:\n${err}`);
  assert.match(err, /within 2 s .*checkpointWriteTimeout/);
  assertNoUndurableOutput(run.d);
});

test('a real file system refusing the writes (the metadata directory replaced by a file: ENOTDIR): the job fails with SLUICE_CHECKPOINT naming the directory and the cause', { timeout: 120_000 }, async () => {
  const run = await start('enotdir', 60_000);
  const mdDir = path.join(run.d.ckpt, 'metadata');
  try {
    assert.ok(metadataFiles(run.d).length > 0, 'metadata checkpoints were written');
    // The directory moved away and a file put in its place, each atomically (the driver may
    // make the directory again in between: then again).
    const file = path.join(root, 'not-a-directory');
    for (let i = 0; fs.statSync(mdDir).isDirectory(); i++) {
      fs.renameSync(mdDir, `${mdDir}-moved-${i}`);
      fs.writeFileSync(file, 'not a directory');
      try {
        fs.renameSync(file, mdDir);
      } catch {
        // made again meanwhile
      }
    }
  } finally {
    await run.stopFeeding();
  }
  const r = await run.result;
  const err = r.stdout + r.stderr;
  assert.equal(r.timedOut, false, 'the job ended by itself');
  assert.notEqual(r.code, 0, `the job failed:\n${err}`);
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.ok(err.includes(`the checkpoint directory 'slowckpt://${run.d.ckpt}' failed 3 attempts`), `names the directory:\n${err}`);
  assert.match(err, /ENOTDIR|EEXIST/);
  assertNoUndurableOutput(run.d);
});
