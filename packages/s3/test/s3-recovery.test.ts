// kill -9 of the driver in the middle of a stateful stream (updateStateByKey and
// reduceByKeyAndWindow with an inverse over a file stream) whose checkpoint directory is
// an S3 bucket (s3rver on loopback), twice. 1: a driver is started again on the same
// port (with --state-dir), the workers register again, the same job is submitted again,
// and StreamingContext.getOrCreate recovers it from the metadata and state checkpoints in
// the bucket. 2: that driver is killed too and started again on its state dir: it
// relaunches the job by itself, which recovers from the bucket again. Every batch's outputs
// must equal a failure-free computation done here from the batches' input; every line fed
// is read exactly once; the bucket holds only metadata/ and state/, a bounded number of
// objects, the state checkpoints of the first run deleted by the end.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { mulberry32 } from '@sluice/test-servers';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { fixture, startCluster, submit, type Cluster } from './sluice-cluster.js';

const BUCKET = 'sluice-recovery';
const LOCATION = `s3://${BUCKET}/wordcount`;
const BATCH_MS = 500;
const WINDOW_BATCHES = 3;

type Pairs = [string, number][];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-recovery-'));
const dirs = { input: path.join(root, 'in'), out: path.join(root, 'out'), control: path.join(root, 'control'), staging: path.join(root, 'staging'), driverState: path.join(root, 'driver-state') };
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });

let s3: S3rverProcess | undefined;
let cluster: Cluster | undefined;
let setupError: unknown;
const fed: string[] = [];
const jobs: string[] = [];
let keysAtKill: string[] = [];
let keysAtEnd: string[] = [];
let recoveredLog = '';
let relaunchLogs: string[] = [];

const rand = mulberry32(77);
let fileNo = 0;
/** A file of unique `key value id` lines, dated in the past and moved in (as a user should). */
function feedFile(): void {
  const id = fileNo++;
  const lines = Array.from({ length: 5 }, (_, i) => `k${Math.floor(rand() * 6)} ${1 + Math.floor(rand() * 9)} f${id}l${i}`);
  const tmp = path.join(dirs.staging, `f${String(id).padStart(5, '0')}.txt`);
  fs.writeFileSync(tmp, lines.join('\n') + '\n');
  // Settled (older than a batch interval) and inside the file stream's remember window (60 s).
  const past = new Date(Date.now() - 5_000);
  fs.utimesSync(tmp, past, past);
  fs.renameSync(tmp, path.join(dirs.input, path.basename(tmp)));
  fed.push(...lines);
}

function outputs(kind: 'input' | 'state' | 'window'): Map<number, unknown> {
  const m = new Map<number, unknown>();
  for (const n of fs.readdirSync(dirs.out)) {
    const x = new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n);
    if (x) m.set(Number(x[1]), JSON.parse(fs.readFileSync(path.join(dirs.out, n), 'utf8')));
  }
  return m;
}

async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function submitDetached(): Promise<string> {
  const job = submit(cluster!, fixture('s3-recoverable.ts'), [LOCATION, dirs.input, dirs.out, dirs.control, String(BATCH_MS)], { detach: true });
  const r = await job.done;
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`submit failed (${r.code}):\n${r.stderr}`);
  return id;
}

const bucketKeys = async (): Promise<string[]> => (await s3!.list(BUCKET, 'wordcount/')).map((o) => o.key);
const stateCount = (): number => outputs('state').size;

before(async () => {
  // Cleared in the finally as well: a failed wait below must not leave the feed running (it keeps the file's process alive).
  let feeding = true;
  try {
    s3 = await startS3rver([BUCKET]);
    cluster = await startCluster(2, s3.env);
    jobs.push(await submitDetached());
    await until(() => (stateCount() > 0 ? true : undefined), 60_000, 'the first batch');
    const feeding$ = (async () => {
      while (feeding) {
        feedFile();
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    // Past a few state checkpoints (every 2 batches), kill the driver.
    await until(() => (stateCount() >= 8 ? true : undefined), 60_000, '8 batches');
    keysAtKill = await bucketKeys();
    await cluster.driver.kill9();
    await new Promise((r) => setTimeout(r, 2 * BATCH_MS)); // batches pass while it is down; files keep arriving
    await cluster.restartDriver(['--state-dir', dirs.driverState]);
    jobs.push(await submitDetached());
    const atRestart = stateCount();
    await until(() => (stateCount() >= atRestart + 8 ? true : undefined), 60_000, '8 batches after recovery');
    recoveredLog = cluster.driver.logLines.find((l) => l.includes('recovered from a metadata checkpoint')) ?? '';
    // 2. Kill it too; started again on its state dir, the driver relaunches the job itself.
    await new Promise((r) => setTimeout(r, Math.floor(rand() * BATCH_MS)));
    await cluster.driver.kill9();
    await cluster.restartDriver(['--state-dir', dirs.driverState]);
    const atRelaunch = stateCount();
    await until(() => (stateCount() >= atRelaunch + 6 ? true : undefined), 60_000, '6 batches after the relaunch');
    relaunchLogs = cluster.driver.logLines.filter((l) => l.includes('relaunching a job of the previous driver') || l.includes('recovered from a metadata checkpoint'));
    feeding = false;
    await feeding$;
    await until(
      () => {
        const seen = new Set([...outputs('input').values()].flat() as string[]);
        return fed.every((l) => seen.has(l)) ? true : undefined;
      },
      60_000,
      'every fed line in some batch',
    );
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    await until(() => (fs.readdirSync(dirs.out).some((n) => n.startsWith('done-')) ? true : undefined), 60_000, 'the relaunched job to stop');
    keysAtEnd = await bucketKeys();
  } catch (err) {
    setupError = err;
  } finally {
    feeding = false;
  }
});

after(async () => {
  await cluster?.stop();
  await s3?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

function sumByKey(lines: readonly string[], into: Map<string, number>): Map<string, number> {
  for (const l of lines) {
    const [k, v] = l.split(' ');
    into.set(k, (into.get(k) ?? 0) + Number(v));
  }
  return into;
}

const sortedPairs = (m: Map<string, number>): Pairs => [...m].filter(([, v]) => v !== 0).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

test('the recovered job read its checkpoint from the bucket, and every batch from the first to the last has its outputs', (t) => {
  ready();
  t.diagnostic(`2 driver kills; ${outputs('input').size} batches, ${fed.length} lines fed; objects in the bucket at the kill ${keysAtKill.length}, at the end ${keysAtEnd.length}`);
  assert.equal(jobs.length, 2);
  assert.match(recoveredLog, /s3:\/\/sluice-recovery\/wordcount\/metadata\/checkpoint-\d+/, `the driver logged the recovery from the bucket: ${recoveredLog}`);
  assert.ok(
    relaunchLogs.some((l) => l.includes('relaunching a job of the previous driver') && l.includes(`"checkpointDir":"${LOCATION}"`)),
    `the driver started again on its state dir relaunched the job with its s3:// checkpoint directory:\n${relaunchLogs.join('\n')}`,
  );
  assert.ok(
    relaunchLogs.some((l) => l.includes('recovered from a metadata checkpoint') && /"file":"s3:\/\/sluice-recovery\/wordcount\/metadata\/checkpoint-\d+"/.test(l)),
    `the relaunched job recovered from the bucket:\n${relaunchLogs.join('\n')}`,
  );
  const times = [...outputs('input').keys()].sort((a, b) => a - b);
  assert.ok(times.length >= 16, `${times.length} batches`);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], BATCH_MS, `batch after ${times[i - 1]}`);
  for (const kind of ['state', 'window'] as const) assert.deepEqual([...outputs(kind).keys()].sort((a, b) => a - b), times, `every batch has its ${kind} output`);
});

test('every line fed was read by exactly one batch: none lost, none twice', () => {
  ready();
  const read = [...outputs('input').values()].flat() as string[];
  assert.equal(new Set(read).size, read.length, 'no line in two batches');
  assert.deepEqual([...read].sort(), [...fed].sort());
});

test('every batch state and window equals the failure-free computation over the batches input', () => {
  ready();
  const input = outputs('input') as Map<number, string[]>;
  const times = [...input.keys()].sort((a, b) => a - b);
  const acc = new Map<string, number>();
  const state = outputs('state');
  const window = outputs('window');
  for (const t of times) {
    assert.deepEqual(state.get(t), sortedPairs(sumByKey(input.get(t)!, acc)), `state at ${t}`);
    const w = new Map<string, number>();
    for (let i = 0; i < WINDOW_BATCHES; i++) sumByKey(input.get(t - i * BATCH_MS) ?? [], w);
    assert.deepEqual(window.get(t), sortedPairs(w), `window at ${t}`);
  }
});

test('the bucket holds only metadata/ and state/, a bounded number of objects; the first run\'s old state checkpoints are gone', () => {
  ready();
  assert.deepEqual(
    keysAtEnd.filter((k) => !/^wordcount\/(metadata\/checkpoint-\d+|state\/stream-\d+-\d+\/part-\d+)$/.test(k)),
    [],
    'nothing else under the checkpoint directory',
  );
  const metadata = keysAtEnd.filter((k) => k.startsWith('wordcount/metadata/'));
  assert.ok(metadata.length >= 1 && metadata.length <= 3, `metadata checkpoints kept: ${metadata.length}`);
  const checkpoints = (keys: string[]): Set<string> => new Set(keys.filter((k) => k.startsWith('wordcount/state/')).map((k) => k.slice(0, k.lastIndexOf('/'))));
  const atEnd = checkpoints(keysAtEnd);
  // Two checkpointed streams; each keeps what the 3 kept metadata files refer to, and its latest.
  assert.ok(atEnd.size <= 2 * 4, `state checkpoints kept: ${[...atEnd].join(', ')}`);
  const atKill = checkpoints(keysAtKill);
  assert.ok(atKill.size >= 2, `state checkpoints in the bucket when the driver was killed: ${[...atKill].join(', ')}`);
  const stillThere = [...atKill].filter((d) => atEnd.has(d));
  assert.deepEqual(stillThere, [], 'the state checkpoints of before the kill were deleted once newer ones were kept');
});

test('nothing was written to the working directory of the driver and workers', () => {
  ready();
  assert.deepEqual(fs.readdirSync(cluster!.cwd), []);
});
