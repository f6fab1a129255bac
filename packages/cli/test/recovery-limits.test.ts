// The limits of recovery: 200 batches of a stateful stream keep the checkpoint directory
// under a fixed bound (old metadata files and state checkpoints are deleted as batches
// complete); a damaged newest metadata file falls back to the previous one; changed job
// code against an existing checkpoint is refused before any batch runs; with every file
// damaged the job fails with a clear error. One driver and two worker processes. The
// recovery runs right after the first job stopped: a recovered job first runs every batch
// due since the checkpoint (100 ms batches: at load 25, 20 s apart took 100 s to run). The
// first job's graceful stop leaves no batch pending: until the stop generated no batch past
// the one holding the last data, a stop under a backlog left the batches generated while it
// worked the backlog off pending (~1,500 at load 20-40), and the recovery re-ran them all
// before the new lines were read (past the test's 300 s).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, mulberry32, runCli, sleep } from './harness.js';
import { pollUntil, randomSecret, startDriverProcess, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import { Feeder, expectedStates, jobArgs, jobDirs, pendingBatchTimes, readEvents, readOutputs, submitAttached, submitDetached, type JobDirs } from './recovery-support.js';

const BATCH_MS = 100;
const CHECKPOINT_EVERY = 5; // batches
const BATCHES = 200;
// The bound: 3 metadata files kept (4 for a moment: a new one is written before the oldest
// is deleted), and per stateful stream (2) at most STATE_PER_STREAM state checkpoints of 2
// part files each. A state checkpoint is kept while
//  - a metadata file refers to it: one each of the 3 kept and, for a moment, of the 4th, the
//    oldest, deleted once the newest is written, its state checkpoint after that (metadata
//    first: a recovery never meets a file referring to a deleted checkpoint). Since writes
//    are grouped (166c79d) one write records every batch completed while the one before it
//    was written, so under a backlog 4 files can refer to 4 checkpoints; before, each batch
//    wrote two files and 3 files spanned at most 2 checkpoints;
//  - it is the latest completed and its metadata write waits behind the one under way: 1;
//  - the batch running writes it (not completed, so never pruned): 1.
// 6 in all. Seen at load 27 (main at 2161657): 7 for both streams, stream-4's 4 being
// 479800 (the 4th file's, deleted; stream-2-479800 was pruned already, stream-4's next),
// 480300 and 480800 (the 3 kept files'), and 481300 (the running batch's). A checkpoint
// that is never deleted grows the directory by 2 every 5 batches (80 over 200 batches),
// and at the end, the job stopped, exactly those the kept metadata files refer to remain.
const STATE_PER_STREAM = 4 + 1 + 1;
const MAX_STATE_DIRS = 2 * STATE_PER_STREAM;
const MAX_FILES = 4 + MAX_STATE_DIRS * 2;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-recovery-limits-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
let driver: SluiceProcess & { address: string };
let dirs: JobDirs;
let feeder: Feeder;
let setupError: unknown;
const sampled = { maxFiles: 0, maxBytes: 0, maxMetadata: 0, maxStateDirs: 0, samples: 0 };
let firstJob = '';

/** Files and bytes under `dir` now (entries deleted while walking are skipped). */
function usage(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (d: string): void => {
    let names: fs.Dirent[] = [];
    try {
      names = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of names) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        try {
          bytes += fs.statSync(p).size;
          files++;
        } catch {
          // deleted meanwhile
        }
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

function names(dir: string): string[] {
  try {
    return fs.readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** A metadata file's name, the batch and event it records, and the state checkpoints it refers to (read now: it may be gone). */
function describeMetadata(name: string): string {
  let data: Buffer;
  try {
    data = fs.readFileSync(path.join(dirs.ckpt, 'metadata', name));
  } catch {
    return `${name} (gone)`;
  }
  const body = data.subarray(data.indexOf(0x0a) + 1).toString('utf8');
  try {
    const md = JSON.parse(body) as Parameters<typeof pendingBatchTimes>[0] & { reason: string; batchTime: number; stateCheckpoints: Record<string, { dir: string }> };
    const refs = Object.values(md.stateCheckpoints).map((r) => r.dir.replace(/^state\//, ''));
    return `${name} (${md.reason} ${md.batchTime}, ${pendingBatchTimes(md).length} pending, refers to ${refs.join(' ')})`;
  } catch {
    return `${name} (being written)`;
  }
}

/** The state checkpoints (`stream-<id>-<time>`) the metadata file `file` refers to. */
function refsOf(file: string): string[] {
  const data = fs.readFileSync(file);
  const md = JSON.parse(data.subarray(data.indexOf(0x0a) + 1).toString('utf8')) as { stateCheckpoints: Record<string, { dir: string }>; rememberedStateCheckpoints?: Record<string, { dir: string }[]> };
  // The latest state checkpoint of each stream, and the older ones it still remembered (as Spark's checkpoint lists every checkpointed RDD of generatedRDDs).
  return [...Object.values(md.stateCheckpoints), ...Object.values(md.rememberedStateCheckpoints ?? {}).flat()].map((r) => r.dir.replace(/^state\//, ''));
}

function count(dir: string): number {
  return names(dir).length;
}

const args = (variant: string): string[] => jobArgs(dirs, BATCH_MS, CHECKPOINT_EVERY, variant);
/**
 * Waits until `probe` holds (asked every `everyMs`). Under load batches complete far behind
 * the clock, and a graceful stop or a recovery first runs every batch already due: the wait
 * fails only when the job wrote no output for 60 s (it stopped making progress), or after
 * `maxMs` in all.
 */
async function whileProgressing(probe: () => boolean | Promise<boolean>, what: string, { everyMs = 50, maxMs = 300_000 } = {}): Promise<void> {
  const events = path.join(dirs.out, 'events.log');
  const size = (): number => (fs.existsSync(events) ? fs.statSync(events).size : 0);
  let [last, at] = [size(), Date.now()];
  const deadline = Date.now() + maxMs;
  while (!(await probe())) {
    if (size() !== last) [last, at] = [size(), Date.now()];
    if (Date.now() - at > 60_000) throw new Error(`no batch output for 60 s while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`batches ran for ${maxMs / 1000} s without ${what}`);
    await sleep(everyMs);
  }
}

const stopAndWait = async (job: string, maxMs = 300_000): Promise<void> => {
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  try {
    await whileProgressing(() => fs.existsSync(path.join(dirs.out, `done-${job}.json`)), `job ${job} to stop`, { maxMs });
  } finally {
    fs.rmSync(path.join(dirs.control, 'stop'));
  }
};

/** Batches the driver's REST API counts for `job`: completed, and submitted but not completed yet. */
async function batchesGenerated(web: string, job: string): Promise<number> {
  const r = await fetch(`${web}api/v1/applications/${job}/streaming/statistics`);
  if (r.status !== 200) return 0;
  const s = (await r.json()) as { numTotalCompletedBatches: number; numActiveBatches: number };
  return s.numTotalCompletedBatches + s.numActiveBatches;
}

before(async () => {
  try {
    dirs = jobDirs(root);
    feeder = new Feeder(dirs.input, mulberry32(21));
    // With its web UI (the REST API's streaming statistics below).
    driver = await startDriverProcess(secret, ['--web-port', String(await freePort())]);
    procs.push(driver);
    const web = /"url":"(http:[^"]+)"/.exec(driver.logLines.find((l) => l.includes('web UI listening')) ?? '')?.[1];
    if (web === undefined) throw new Error(`the driver logged no web UI address:\n${driver.logLines.join('\n')}`);
    for (let i = 0; i < 2; i++) procs.push(await startWorkerProcess(driver.address, secret));
    firstJob = await submitDetached(driver.address, secret, args('light'));
    await pollUntil(() => (fs.existsSync(path.join(dirs.out, `first-${firstJob}.json`)) ? true : undefined), 60_000, 'the first batch');
    // Under load batches complete far behind the clock (at load 25, 200 of them took 80 s
    // while 800 were generated), and a graceful stop first runs every batch already
    // generated: the stop is asked once BATCHES batches are generated (the driver's REST
    // statistics), not completed, and the directory is sampled until the job is done.
    let n = 0;
    let stopping = false;
    await whileProgressing(
      async () => {
        if (!stopping && n % 3 === 0) feeder.file(3);
        const u = usage(dirs.ckpt);
        sampled.maxFiles = Math.max(sampled.maxFiles, u.files);
        sampled.maxBytes = Math.max(sampled.maxBytes, u.bytes);
        const metadata = names(path.join(dirs.ckpt, 'metadata'));
        const state = names(path.join(dirs.ckpt, 'state'));
        sampled.maxMetadata = Math.max(sampled.maxMetadata, metadata.length);
        sampled.maxStateDirs = Math.max(sampled.maxStateDirs, state.length);
        sampled.samples++;
        // Past a bound: fail now, not after the 200 batches (minutes under load), naming what was there.
        if (sampled.maxMetadata > 4 || sampled.maxStateDirs > MAX_STATE_DIRS || sampled.maxFiles > MAX_FILES) {
          throw new Error(`the checkpoint directory passed its bound after ${count(dirs.out)} output files: ${JSON.stringify(sampled)}; metadata ${metadata.map(describeMetadata).join(' ')}; state ${state.join(' ')}`);
        }
        if (!stopping && n % 5 === 0 && (await batchesGenerated(web, firstJob)) >= BATCHES) {
          fs.writeFileSync(path.join(dirs.control, 'stop'), '');
          stopping = true;
        }
        n++;
        return fs.existsSync(path.join(dirs.out, `done-${firstJob}.json`));
      },
      `${BATCHES} batches and the stop`,
      { everyMs: 100 },
    );
    fs.rmSync(path.join(dirs.control, 'stop'));
  } catch (err) {
    setupError = err;
  }
}, { timeout: 400_000 });

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

test(`${BATCHES} batches of a stateful stream (${BATCH_MS} ms, state checkpointed every ${CHECKPOINT_EVERY} batches) keep the checkpoint directory under a fixed bound`, { timeout: 30_000 }, () => {
  ready();
  const end = usage(dirs.ckpt);
  console.log(
    `# ${readOutputs(dirs.out).state.size} batches, ${sampled.samples} samples: at most ${sampled.maxFiles} files, ${sampled.maxBytes} bytes, ${sampled.maxMetadata} metadata files, ${sampled.maxStateDirs} state checkpoints; at the end ${end.files} files, ${end.bytes} bytes`,
  );
  assert.ok(readOutputs(dirs.out).state.size >= BATCHES);
  assert.ok(sampled.maxMetadata <= 4, `metadata files: ${sampled.maxMetadata}`);
  assert.ok(count(path.join(dirs.ckpt, 'metadata')) <= 3, 'metadata files kept at the end');
  assert.ok(sampled.maxStateDirs <= MAX_STATE_DIRS, `state checkpoints: ${sampled.maxStateDirs}`);
  // Stopped: what remains is exactly what the kept metadata files refer to (nothing leaked, nothing they need deleted).
  const mdDir = path.join(dirs.ckpt, 'metadata');
  const referred = new Set(names(mdDir).filter((n) => /^checkpoint-\d{12}$/.test(n)).flatMap((n) => refsOf(path.join(mdDir, n))));
  assert.deepEqual(names(path.join(dirs.ckpt, 'state')), [...referred].sort(), 'the state checkpoints left are those the kept metadata files refer to');
  // A graceful stop generates no batch past the one holding the last data (Spark's timer
  // stops): the newest file lists none pending, however far behind the batches ran.
  const newest = names(mdDir).filter((n) => /^checkpoint-\d{12}$/.test(n)).pop()!;
  assert.match(describeMetadata(newest), / 0 pending/, `the newest metadata file after the stop: ${describeMetadata(newest)}`);
  assert.ok(sampled.maxFiles <= MAX_FILES, `files: ${sampled.maxFiles} > ${MAX_FILES}`);
  assert.ok(sampled.maxBytes <= 256 * 1024, `bytes: ${sampled.maxBytes}`);
  assert.deepEqual(fs.readdirSync(dirs.ckpt).sort(), ['metadata', 'state'], 'nothing else in the checkpoint directory');
  const tmp = fs.readdirSync(path.join(dirs.ckpt, 'metadata')).filter((n) => n.endsWith('.tmp'));
  assert.deepEqual(tmp, [], 'the job left no temporary file');
});

/**
 * Ends `job` now if it still runs (`sluice stop`, not graceful: no backlog run first), and
 * waits up to 30 s for it to end: a test that failed mid-run must not leave its job running
 * on the checkpoint the file's next tests read (they then failed on it, one failure shown as three).
 */
async function stopIfRunning(job: string): Promise<void> {
  if (fs.existsSync(path.join(dirs.out, `done-${job}.json`))) return;
  const env = { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  await runCli(['stop', job, '--driver', driver.address], { env, timeoutMs: 20_000 }).catch(() => undefined);
  // `sluice jobs`: JOB NAME STATE ... (a stopped job's program writes no done file).
  const state = async (): Promise<string | undefined> => (await runCli(['jobs', '--driver', driver.address], { env, timeoutMs: 20_000 })).stdout.split('\n').find((l) => l.startsWith(`${job} `))?.split(/\s+/)[2];
  await pollUntil(async () => ((await state()) === 'running' ? undefined : true), 30_000, `job ${job} to end after sluice stop`, 200).catch(() => undefined);
}

// The recovery's own bound, well below the test's limit: past it the test fails saying where
// the recovered job stood, and its job is stopped before the next test (at load 27-34 the
// recovery ran past the limit and tests 3 and 4 then failed on its still-running job).
const RECOVERY_WAIT_MS = 220_000;

test('a truncated newest metadata file: the previous one is used (logged), and the stream goes on with its state', { timeout: 300_000 }, async () => {
  ready();
  const mdDir = path.join(dirs.ckpt, 'metadata');
  const [newest, previous] = fs.readdirSync(mdDir).filter((n) => /^checkpoint-\d{12}$/.test(n)).sort().reverse();
  const file = path.join(mdDir, newest);
  const fellBackTo = describeMetadata(previous);
  const fromTime = Number(/ (\d+), /.exec(fellBackTo)?.[1]);
  fs.truncateSync(file, Math.floor(fs.statSync(file).size / 2));
  const t0 = Date.now();
  let job: string | undefined;
  // Where the recovered job stands: its batches done of those due from the checkpoint's time
  // to now (the backlog it runs first: at 100 ms batches, ~10 a second since the first job's last).
  const stood = (): string => {
    const done = job === undefined ? 0 : readEvents(dirs.out).filter((e) => e.job === job && e.kind === 'input').length;
    const due = Number.isFinite(fromTime) ? Math.round((Date.now() - fromTime) / BATCH_MS) : NaN;
    return `job ${job ?? '(not submitted)'} recovered from ${fellBackTo}: ${done} batches done of ${due} due since its time; ${Math.round((Date.now() - t0) / 1000)} s since the submit`;
  };
  const left = (): number => Math.max(1, RECOVERY_WAIT_MS - (Date.now() - t0));
  try {
    job = await submitDetached(driver.address, secret, args('light'));
    await pollUntil(() => (fs.existsSync(path.join(dirs.out, `first-${job}.json`)) ? true : undefined), Math.min(60_000, left()), 'the first recovered batch');
    // Logged before that batch ran, but it comes through the driver's log pipe, which can reach
    // this process after the file the job wrote: waited for (10 s at most), not read at once.
    const warned = await pollUntil(() => driver.logLines.find((l) => l.includes('metadata checkpoint is damaged') && l.includes(newest)), 10_000, 'the damaged file logged').catch(() => undefined);
    assert.ok(warned, 'the damaged file is logged');
    assert.match(warned, /truncated/);
    const fed = feeder.lines.length;
    feeder.file(3);
    feeder.file(3);
    // The recovered job first runs the batches due since the checkpoint (a backlog under load).
    await whileProgressing(
      () => {
        const seen = new Set([...readOutputs(dirs.out).input.values()].flat());
        return feeder.lines.slice(fed).every((l) => seen.has(l));
      },
      'the new lines read',
      { everyMs: 200, maxMs: left() },
    );
    await stopAndWait(job, left());
  } catch (err) {
    const at = stood();
    if (job !== undefined) await stopIfRunning(job);
    throw new Error(`${err instanceof Error ? err.message : String(err)} (${at})`, { cause: err });
  }
  const o = readOutputs(dirs.out);
  const read = [...o.input.values()].flat();
  assert.equal(read.length, new Set(read).size, 'no line read twice');
  assert.deepEqual([...new Set(read)].sort(), [...feeder.lines].sort(), 'every line read');
  const states = expectedStates(o.input);
  for (const t of o.input.keys()) assert.deepEqual(o.state.get(t), states.get(t), `state at ${t}`);
});

test('changed job code against the checkpoint: a clear error before any batch runs', { timeout: 180_000 }, async () => {
  ready();
  const mdDir = path.join(dirs.ckpt, 'metadata');
  const before = fs.readdirSync(mdDir).map((n) => [n, fs.readFileSync(path.join(mdDir, n), 'utf8')]);
  const events = readEvents(dirs.out).length;
  const r = await submitAttached(driver.address, secret, args('light-wider'));
  assert.notEqual(r.code, 0, 'the job failed');
  const err = r.stdout + r.stderr;
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.match(err, /stream \d+: checkpoint has ReducedWindowedDStream\(windowMs 300, .*code has ReducedWindowedDStream\(windowMs 400/);
  assert.match(err, /move or delete '.*ckpt'/);
  assert.equal(readEvents(dirs.out).length, events, 'no batch ran');
  assert.deepEqual(
    fs.readdirSync(mdDir).map((n) => [n, fs.readFileSync(path.join(mdDir, n), 'utf8')]),
    before,
    'the checkpoint is left as it was',
  );
  // An added output is a changed graph too ('base' adds the mapWithState's output and
  // saveAsTextFiles to 'light''s three: outputs 3 and 4).
  const added = await submitAttached(driver.address, secret, args('base'));
  assert.notEqual(added.code, 0);
  assert.match(added.stdout + added.stderr, /output 3: not in the checkpoint, code has foreachRDD\(of stream \d+\); output 4: not in the checkpoint, code has saveAsTextFiles/);
});

test('every metadata file damaged: the job fails with a clear error naming them', { timeout: 120_000 }, async () => {
  ready();
  const mdDir = path.join(dirs.ckpt, 'metadata');
  for (const n of fs.readdirSync(mdDir)) {
    const f = path.join(mdDir, n);
    const data = fs.readFileSync(f);
    data[data.length - 2] ^= 0xff;
    fs.writeFileSync(f, data);
  }
  const events = readEvents(dirs.out).length;
  const r = await submitAttached(driver.address, secret, args('light'));
  assert.notEqual(r.code, 0);
  const err = r.stdout + r.stderr;
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.match(err, /no usable metadata checkpoint .*checkpoint-\d{12} \(checksum mismatch/);
  assert.match(err, /move or delete the checkpoint directory/);
  assert.equal(readEvents(dirs.out).length, events, 'no batch ran');
});
