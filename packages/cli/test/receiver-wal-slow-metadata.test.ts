// The receiver write-ahead log's segments of forgotten batches are deleted only once the
// metadata recording those batches as completed is durable (0b72951). With every metadata
// write taking WRITE_MS (the test store in place of the plain checkpoint directory's; the log
// needs a directory with no scheme), a batch is completed and forgotten (past its remember
// duration) seconds before a metadata file records its completion. The driver is killed with
// -9 while the newest metadata file still lists as pending a batch that completed and was
// forgotten WINDOW_MS before: the recovered job re-runs that batch from the log, so its
// segments must still be there. At the end every line the source generated (a replayable
// TCP source acknowledged after `await store()`) was read, none by two batch times, and the
// state equals a failure-free updateStateByKey. Real processes: `sluice driver` (killed and
// started again on its port), two `sluice worker`s, `sluice submit`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fixture, runCli } from './harness.js';
import { pollUntil, randomSecret, type SluiceProcess } from './sluice-processes.js';
import { driverOn, expectedStates, newestMetadata, pendingBatchTimes, untilJobDone, workersJoined, type Pairs } from './recovery-support.js';
import { startReceiverCluster } from './receiver-fault-support.js';
import { ReplayableSource } from './replayable-source.js';

const JOB = fixture('stream-receiver-recovery.ts');
const BATCH_MS = 500;
const CHECKPOINT_EVERY = 2; // batches: the stream remembers 2 checkpoint intervals, 2 s
const WRITE_MS = 3_000;
/** How long before the newest completed batch the pending, completed batch must be (past its 2 s remember duration; a completion waits up to 2 writes, 6 s). */
const WINDOW_MS = 2_600;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-wal-slow-md-'));
const secret = randomSecret();
const procs: SluiceProcess[] = [];
const source = new ReplayableSource(23);
const out = path.join(root, 'out');
const control = path.join(root, 'control');
const ckpt = path.join(root, 'ckpt');

const byTime = (kind: string): Map<number, unknown> => {
  const m = new Map<number, unknown>();
  for (const n of fs.readdirSync(out)) {
    const x = new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n);
    if (x) m.set(Number(x[1]), JSON.parse(fs.readFileSync(path.join(out, n), 'utf8')));
  }
  return m;
};

/** The newest metadata file's pending batch times (undefined while none can be read). */
function durablePending(): number[] | undefined {
  try {
    const md = newestMetadata<Parameters<typeof pendingBatchTimes>[0]>(path.join(ckpt, 'metadata'));
    return md && pendingBatchTimes(md);
  } catch {
    // being replaced as it was read
    return undefined;
  }
}

async function submit(driver: string, args: readonly string[]): Promise<string> {
  const r = await runCli(['submit', JOB, '--driver', driver, '--detach', '--', ...args], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`submit failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return id;
}

let killedWith: { pending: number; newestCompleted: number; blocks: string; segments: string[] } | undefined;

before(async () => {
  const cluster = await startReceiverCluster({ out, control, ckpt, source, secret, procs, batchMs: BATCH_MS, checkpointEvery: CHECKPOINT_EVERY });
  const { port, address } = cluster;
  let driver = cluster.driver;
  const args = [...cluster.args, String(WRITE_MS)];
  const jobs = [await submit(address, args)];
  await pollUntil(() => (fs.existsSync(path.join(out, `first-${jobs[0]}.json`)) ? true : undefined), 60_000, 'the first batch');
  source.start(5, 25); // 200 lines/s
  // Kill while the durable metadata lists as pending a batch completed and forgotten long before.
  await pollUntil(
    () => {
      const pending = durablePending();
      const done = [...byTime('state').keys()];
      if (pending === undefined || done.length === 0) return undefined;
      const newestCompleted = Math.max(...done);
      const input = byTime('input') as Map<number, string[]>;
      const p = pending.find((t) => (input.get(t)?.length ?? 0) > 0 && byTime('state').has(t) && newestCompleted - t >= WINDOW_MS);
      if (p === undefined) return undefined;
      const dir = path.join(ckpt, 'receivedData', '0');
      const files = fs.readdirSync(path.join(ckpt, 'metadata')).filter((n) => /^checkpoint-\d{12}$/.test(n)).sort();
      const text = fs.readFileSync(path.join(ckpt, 'metadata', files[files.length - 1]), 'utf8');
      const md = JSON.parse(text.slice(text.indexOf('\n') + 1)) as { inputs: Record<string, { batches: [number, unknown][] }> };
      killedWith = { pending: p, newestCompleted, blocks: JSON.stringify(md.inputs['0']?.batches.find(([t]) => t === p)), segments: fs.existsSync(dir) ? fs.readdirSync(dir) : [] };
      return true;
    },
    90_000,
    'a completed, forgotten batch still pending in the durable metadata',
    20,
  );
  driver.child.kill('SIGKILL');
  await new Promise<void>((r) => (driver.child.exitCode !== null || driver.child.signalCode !== null ? r() : driver.child.once('exit', () => r())));
  driver = await driverOn(port, secret);
  procs[0] = driver;
  await workersJoined(driver, 2);
  jobs.push(await submit(address, args));
  await pollUntil(() => (fs.existsSync(path.join(out, `first-${jobs[1]}.json`)) ? true : undefined), 90_000, 'the first recovered batch');
  source.stop();
  await pollUntil(
    () => {
      const seen = new Set([...byTime('input').values()].flat() as string[]);
      return source.lines.every((l) => seen.has(l)) ? true : undefined;
    },
    60_000,
    'every generated line in some batch',
    100,
  ).catch(() => undefined); // a line never read fails the test, which says which
  fs.writeFileSync(path.join(control, 'stop'), '');
  await untilJobDone(out, jobs[1]);
}, { timeout: 300_000 });

after(async () => {
  source.stop();
  for (const p of procs.reverse()) await p.stop();
  await source.close();
  if (!process.env.SLUICE_TEST_KEEP) fs.rmSync(root, { recursive: true, force: true });
});

test('a driver killed while a forgotten batch is pending in the durable metadata recovers it from the log: every line read, none by two batches, the state right', { timeout: 30_000 }, () => {
  assert.ok(killedWith, 'the kill happened as planned');
  const input = byTime('input') as Map<number, string[]>;
  const read = [...input.values()].flat();
  process.stdout.write(`# at the kill: batch ${killedWith.pending}'s blocks ${killedWith.blocks}; segments ${killedWith.segments.join(' ')}\n`);
  process.stdout.write(`# killed with batch ${killedWith.pending} pending, ${killedWith.newestCompleted - killedWith.pending} ms before the newest completed; ${source.lines.length} lines over ${input.size} batches\n`);
  const missing = source.lines.filter((l) => !read.includes(l));
  assert.deepEqual(missing.slice(0, 10), [], `${missing.length} lines never read`);
  assert.equal(read.length, new Set(read).size, 'no line read by two batch times');
  const words = new Map([...input].map(([t, ls]) => [t, ls.flatMap((l) => l.split(' ').slice(1).map((w) => `${w} 1`))]));
  const states = expectedStates(words);
  const got = byTime('state') as Map<number, Pairs>;
  for (const t of input.keys()) assert.deepEqual(got.get(t), states.get(t), `state at ${t}`);
});
