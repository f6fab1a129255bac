// What the receiver fault tests with their own driver process share (receiver-recovery,
// receiver-double-fault, receiver-driver-pause, the receiver-wal-* tests, checkpoint-disk-full,
// the metadata-full-* tests, the graceful-stop-* tests): their standing cluster and its restart after a driver kill, the job
// (fixtures/stream-receiver-recovery.ts), submitting it detached and again until it recovered,
// a graceful stop held with batches pending, the frame of a file whose checkpoint (or metadata)
// directory is a tmpfs filled under the running job,
// its per-batch outputs read back, and the checks of its end: every line the source generated
// read by exactly one batch, every state a failure-free one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { holdDiskFull, mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { fixture, freePort, processAlive, runCli, sleep } from './harness.js';
import { driverOn, expectedStates, untilJobDone, workersJoined, type Pairs } from './recovery-support.js';
import { pollUntil, randomSecret, startWorkerProcess, type SluiceProcess } from './sluice-processes.js';
import { ReplayableSource } from './replayable-source.js';

export const RECEIVER_JOB = fixture('stream-receiver-recovery.ts');

/** The job's `<kind>-<time>.json` outputs in `out` ('input': a batch's lines; 'state': its word counts), by batch time. */
export function batchOutputs<T>(out: string, kind: string): Map<number, T> {
  const m = new Map<number, T>();
  for (const n of fs.readdirSync(out)) {
    const x = new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n);
    if (x) m.set(Number(x[1]), JSON.parse(fs.readFileSync(path.join(out, n), 'utf8')) as T);
  }
  return m;
}

/** A receiver test's standing cluster (startReceiverCluster). */
export interface ReceiverCluster {
  /** The driver's port, for a driver started again on it (driverOn). */
  readonly port: number;
  readonly address: string;
  readonly driver: SluiceProcess;
  readonly workers: readonly (SluiceProcess & { readonly address: string })[];
  /** The job's arguments up to the source's port: [ckpt, out, control, batch ms, checkpoint every, host, port]. */
  readonly args: readonly string[];
}

/**
 * The setup every receiver fault test begins with: `out` and `control` made, the source
 * listening, a `sluice driver` on a free port (`startDriver`'s, by default driverOn's) and 2
 * `sluice worker` processes registered with it, each pushed on `procs` (the driver first) for
 * the file's end to stop.
 */
export async function startReceiverCluster(o: {
  out: string;
  control: string;
  ckpt: string;
  source: ReplayableSource;
  secret: string;
  procs: SluiceProcess[];
  batchMs: number;
  checkpointEvery: number;
  startDriver?: (port: number) => Promise<SluiceProcess>;
}): Promise<ReceiverCluster> {
  fs.mkdirSync(o.out, { recursive: true });
  fs.mkdirSync(o.control, { recursive: true });
  const srcPort = await o.source.listen();
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const driver = await (o.startDriver ?? ((p: number) => driverOn(p, o.secret)))(port);
  o.procs.push(driver);
  const workers: (SluiceProcess & { readonly address: string })[] = [];
  for (let i = 0; i < 2; i++) workers.push(await startWorkerProcess(address, o.secret));
  o.procs.push(...workers);
  return { port, address, driver, workers, args: [o.ckpt, o.out, o.control, String(o.batchMs), String(o.checkpointEvery), '127.0.0.1', String(srcPort)] };
}

/**
 * The restart the receiver fault tests share after their driver was killed: a `sluice driver`
 * started again on the cluster's port (the same checkpoint and state), 2 fresh `sluice worker`
 * processes registered with it, each pushed on `procs`; returns the new driver.
 */
export async function restartReceiverCluster(cluster: Pick<ReceiverCluster, 'port' | 'address'>, secret: string, procs: SluiceProcess[]): Promise<SluiceProcess> {
  const driver = await driverOn(cluster.port, secret);
  procs.push(driver);
  for (let i = 0; i < 2; i++) procs.push(await startWorkerProcess(cluster.address, secret));
  await workersJoined(driver, 2);
  return driver;
}

/**
 * The job submitted again (its id pushed on `jobs`) until it recovered: its first batch written
 * (the fixture's first-<job>.json in `out`), then 4 batches more before the source stops, so the
 * recovered job reads live lines too.
 */
export async function resubmitUntilRecovered(o: { address: string; secret: string; args: readonly string[]; jobs: string[]; out: string; source: ReplayableSource; batchMs: number; what?: string }): Promise<string> {
  const job = await submitReceiverJob(o.address, o.secret, o.args);
  o.jobs.push(job);
  await pollUntil(() => (fs.existsSync(path.join(o.out, `first-${job}.json`)) ? true : undefined), 60_000, o.what ?? 'the first recovered batch');
  await sleep(4 * o.batchMs);
  o.source.stop();
  return job;
}

/** Kills `procs` (a cluster's driver and workers) with -9 and waits until each has exited. */
export async function killAll(procs: readonly SluiceProcess[]): Promise<void> {
  for (const p of procs) p.child.kill('SIGKILL');
  for (const p of procs) await pollUntil(() => (processAlive(p.child.pid!) ? undefined : true), 30_000, 'the killed processes to exit');
}

/**
 * The job submitted again until it recovered (resubmitUntilRecovered), then up to 150 s for every
 * line the source generated to be read (10x loose: a recovery at load 30 reads them all within
 * 15 s), then told to stop (control/stop) and its end awaited; returns the lines still unread and
 * how long the wait for them took.
 */
export async function recoverAndStop(o: { address: string; secret: string; args: readonly string[]; jobs: string[]; out: string; control: string; source: ReplayableSource; batchMs: number }): Promise<{ unread: number; readInMs: number }> {
  const job = await resubmitUntilRecovered(o);
  const waitFrom = Date.now();
  const unread = await unreadAfter(o.out, o.source.lines, 150_000);
  const readInMs = Date.now() - waitFrom;
  fs.writeFileSync(path.join(o.control, 'stop'), '');
  await pollUntil(() => (fs.existsSync(path.join(o.out, `done-${job}.json`)) ? true : undefined), 60_000, 'the recovered job to stop');
  return { unread, readInMs };
}

/** Every line `source` generated read by some batch, then the job told to stop (the fixture's control/stop file) and its end awaited. */
export async function stopWhenEveryLineRead(o: { out: string; control: string; source: ReplayableSource; job: string }): Promise<void> {
  await untilEveryLineRead(o.out, o.source.lines);
  fs.writeFileSync(path.join(o.control, 'stop'), '');
  await untilJobDone(o.out, o.job);
}

/**
 * A graceful stop held with batches pending (graceful-stop-wal-kill, graceful-stop-timeout):
 * the job's batches held in their outputs (the fixture's control/hold) until one is, then
 * `sluice stop --graceful` of `job` at `driver`; resolves once the driver's --state-dir
 * registry records the stop and the receiver has stopped (the source heard no new
 * acknowledgement for a second: its last stores logged and acknowledged), while the batches
 * of what it stored wait. The hold stays: the test removes control/hold to let them go.
 */
export async function holdGracefulStop(o: { driver: string; secret: string; job: string; control: string; stateDir: string; source: ReplayableSource }): Promise<void> {
  fs.writeFileSync(path.join(o.control, 'hold'), '');
  await pollUntil(() => (fs.readdirSync(o.control).some((n) => n.startsWith('held-')) ? true : undefined), 60_000, 'a batch held in its outputs');
  const stop = await runCli(['stop', o.job, '--driver', o.driver, '--graceful'], { env: { SLUICE_SECRET: o.secret, SLUICE_SECRET_FILE: '' } });
  assert.equal(stop.code, 0, stop.stderr);
  await pollUntil(() => (fs.readFileSync(path.join(o.stateDir, 'jobs.json'), 'utf8').includes('"stopping"') ? true : undefined), 30_000, "the state dir's registry to record the stop");
  let acked = -1;
  await pollUntil(
    async () => {
      if (o.source.acked === acked && acked > 0) return true;
      acked = o.source.acked;
      await sleep(1000);
      return undefined;
    },
    30_000,
    'the source to hear no more acknowledgements',
  );
}

/** A process's pino JSON log lines, parsed (a line that is not JSON left out). */
export function parseLog(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** What a full-disk receiver file's `run` gets (fullDiskReceiverFile). */
export interface FullDiskRun {
  readonly cluster: ReceiverCluster;
  /** The job's arguments (the cluster's, then `extraArgs`), for the submits after the first. */
  readonly args: readonly string[];
  /** The submitted jobs' ids, the first job's first; resubmitUntilRecovered pushes on it. */
  readonly jobs: string[];
  /** Fills the tmpfs at `filler` and keeps it full (holdDiskFull) until release(). */
  fill(): void;
  /** Space back: the hold stopped, `filler` removed (done at the end of before() if not done). */
  release(): void;
}

/** A full-disk receiver file's paths and what it holds, fullDiskReceiverFile's options of that kind. */
export interface FullDiskReceiverPaths {
  /** The file's temp dir (`sluice-<name>-...`): `out` and `control` in it. */
  readonly root: string;
  readonly out: string;
  readonly control: string;
  /** The checkpoint directory: `<root>/disk/ckpt` when the tmpfs is the whole of it, else `<root>/ckpt`. */
  readonly ckpt: string;
  /** Where the tmpfs is mounted: `<root>/disk`, or `<ckpt>/metadata` alone. */
  readonly mount: string;
  /** The file that fills the tmpfs, in it. */
  readonly filler: string;
  readonly secret: string;
  /** The processes the file's end stops. */
  readonly procs: SluiceProcess[];
  readonly source: ReplayableSource;
}

/**
 * The paths of a full-disk receiver file under a fresh temp dir `sluice-<name>-`, with the
 * tmpfs (`full`) on the whole checkpoint directory or on its `metadata` directory alone, a
 * cluster secret, the processes' list and the replayable source of `seed`: spread into
 * fullDiskReceiverFile's options.
 */
export function fullDiskReceiverPaths(name: string, seed: number, full: 'checkpoint' | 'metadata'): FullDiskReceiverPaths {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `sluice-${name}-`));
  const ckpt = full === 'checkpoint' ? path.join(root, 'disk', 'ckpt') : path.join(root, 'ckpt');
  const mount = full === 'checkpoint' ? path.join(root, 'disk') : path.join(ckpt, 'metadata');
  return { root, out: path.join(root, 'out'), control: path.join(root, 'control'), ckpt, mount, filler: path.join(mount, 'filler'), secret: randomSecret(), procs: [], source: new ReplayableSource(seed) };
}

/**
 * The frame of a receiver fault file whose checkpoint directory (or a part of it) is a tmpfs
 * filled under the running job (checkpoint-disk-full, metadata-full-wal-batches,
 * metadata-full-graceful-stop). Its before(): a tmpfs of `size` mounted on `mount` (without
 * root the file's checks skip, under CI it fails: mountTmpfs), the cluster started
 * (startReceiverCluster; with `skipCommitted`, control/skip-committed made first: the batch
 * output skips a batch time it wrote before), the job submitted with `extraArgs` after the
 * cluster's and its first batch awaited, then `run`; a failure is kept with the processes'
 * last job and warning log lines; at its end the disk released and the source stopped. Its
 * after(): the processes stopped, the source closed, the tmpfs unmounted, `root` removed.
 * Returns the guard each check calls first: false (the check skipped) without a tmpfs, the
 * set-up's failure thrown.
 */
export function fullDiskReceiverFile(o: {
  root: string;
  mount: string;
  size: string;
  filler: string;
  out: string;
  control: string;
  ckpt: string;
  source: ReplayableSource;
  secret: string;
  procs: SluiceProcess[];
  batchMs: number;
  checkpointEvery: number;
  extraArgs?: readonly string[];
  skipCommitted?: boolean;
  run: (r: FullDiskRun) => Promise<void>;
}): (t: { skip(why: string): void }) => boolean {
  let cannotMount: string | undefined;
  let mounted = false;
  let setupError: unknown;
  before(async () => {
    cannotMount = mountTmpfs(o.mount, o.size);
    if (cannotMount !== undefined) return;
    mounted = true;
    let hold: { stop(): void } | undefined;
    const release = (): void => {
      hold?.stop();
      hold = undefined;
      fs.rmSync(o.filler, { force: true });
    };
    try {
      const cluster = await startReceiverCluster(o);
      if (o.skipCommitted === true) fs.writeFileSync(path.join(o.control, 'skip-committed'), '');
      const args = [...cluster.args, ...(o.extraArgs ?? [])];
      const jobs = [await submitReceiverJob(cluster.address, o.secret, args)];
      await pollUntil(() => (fs.existsSync(path.join(o.out, `first-${jobs[0]}.json`)) ? true : undefined), 60_000, 'the first batch');
      await o.run({
        cluster,
        args,
        jobs,
        fill: () => {
          hold = holdDiskFull(o.filler);
        },
        release,
      });
    } catch (err) {
      const logs = o.procs.flatMap((p, i) => p.logLines.filter((l) => /jobId|"level":(40|50)/.test(l)).slice(-30).map((l) => `[${i}] ${l}`));
      setupError = new Error(`${(err as Error).message}\n${logs.join('\n')}`, { cause: err });
    } finally {
      release();
      o.source.stop();
    }
  });
  after(async () => {
    for (const p of [...o.procs].reverse()) await p.stop();
    await o.source.close();
    if (mounted) unmountTmpfs(o.mount);
    fs.rmSync(o.root, { recursive: true, force: true });
  });
  return (t) => {
    if (cannotMount !== undefined) {
      t.skip(cannotMount);
      return false;
    }
    if (setupError !== undefined) throw setupError;
    return true;
  };
}

/**
 * The frame of the metadata-full files (metadata-full-wal-batches, metadata-full-wal-empty-batches,
 * metadata-full-graceful-stop): fullDiskReceiverFile with the paths' `<ckpt>/metadata` a 1 MiB
 * tmpfs and the batch output skipping a batch time it wrote before; `run` begins once the source
 * runs at 400 lines/s (every batch takes blocks) and `stateBatches` batches wrote their state.
 */
export function metadataFullReceiverFile(
  paths: FullDiskReceiverPaths,
  o: { batchMs: number; checkpointEvery: number; stateBatches: number },
  run: (r: FullDiskRun) => Promise<void>,
): (t: { skip(why: string): void }) => boolean {
  return fullDiskReceiverFile({
    ...paths,
    size: '1m',
    batchMs: o.batchMs,
    checkpointEvery: o.checkpointEvery,
    skipCommitted: true,
    async run(r) {
      paths.source.start(10, 25);
      await pollUntil(() => (batchOutputs(paths.out, 'state').size >= o.stateBatches ? true : undefined), 60_000, 'batches past a state checkpoint');
      await run(r);
    },
  });
}

/**
 * Once the metadata filled (at `filledAt`): until the driver logged a refused metadata write of a
 * batch generated, `intervals` batch intervals after the fill at least (a condition: at load 35 no
 * batch may be generated in a few seconds; 60 s at most), then up to 10 s for the hold it logs just
 * after it (a program that ran the batch unrecorded never logs it: the file's checks say so).
 */
export async function untilGeneratedRefused(driver: SluiceProcess, filledAt: number, intervals: number, batchMs: number): Promise<void> {
  const logged = (prefix: string): boolean => parseLog(driver.logLines).some((r) => String(r.msg).startsWith(prefix));
  const refusedGenerated = (): boolean => parseLog(driver.logLines).some((r) => r.code === 'SLUICE_DISK_FULL' && r.reason === 'generated');
  await pollUntil(() => (refusedGenerated() && Date.now() - filledAt >= intervals * batchMs ? true : undefined), 60_000, `a batch's metadata refused, ${intervals} batch intervals after the fill`);
  await pollUntil(() => (logged('batch held:') ? true : undefined), 10_000, 'a batch held').catch(() => undefined);
}

/** `sluice submit --detach` of the job; returns the job id it printed. */
export async function submitReceiverJob(driver: string, secret: string, args: readonly string[]): Promise<string> {
  const r = await runCli(['submit', RECEIVER_JOB, '--driver', driver, '--detach', '--', ...args], { env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' } });
  const id = / as (\S+)$/m.exec(r.stderr)?.[1];
  if (r.code !== 0 || id === undefined) throw new Error(`submit failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return id;
}

/** The receiver's starts the job marked in `control` (`receiver-<pid>-<ms>`): its worker's pid, and when; oldest first. */
export function receiverStarts(control: string): { pid: number; at: number }[] {
  return fs
    .readdirSync(control)
    .map((n) => /^receiver-(\d+)-(\d+)$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), at: Number(m[2]) }))
    .sort((a, b) => a.at - b.at);
}

/**
 * Waits until each of `lines` is in some batch's input in `out`, as long as batches go on
 * writing their outputs: fails once none was written for 60 s. A fixed 60 s failed at load 43
 * in receiver-double-fault, where the recovered job ran its backlog 85 s behind and went on
 * completing batches; a job that stopped completing them fails as before.
 */
export async function untilEveryLineRead(out: string, lines: readonly string[]): Promise<void> {
  const STALL_MS = 60_000;
  let written = -1;
  let since = Date.now();
  await pollUntil(
    () => {
      const inputs = batchOutputs<string[]>(out, 'input');
      if (inputs.size > written) [written, since] = [inputs.size, Date.now()];
      const seen = new Set([...inputs.values()].flat());
      const unread = lines.filter((l) => !seen.has(l)).length;
      if (unread === 0) return true;
      if (Date.now() - since > STALL_MS) throw new Error(`no batch wrote its output for ${STALL_MS} ms (${written} batches), ${unread} of ${lines.length} generated lines unread`);
      return undefined;
    },
    600_000,
    'every generated line in some batch',
    100,
  );
}

/** How long after unreadAfter is called a batch's time must be for the job to have caught up (4 of the receiver tests' 500 ms batches). */
const CAUGHT_UP_MS = 2_000;

/**
 * How many of `lines` (all sent: the caller stopped the source) are in no batch's input in
 * `out`, once every one is or once the job has caught up: a batch of a time CAUGHT_UP_MS after
 * this call has written its input, so every line its receiver got (sent again on a new
 * connection while unacknowledged) is in that batch or one before it, and batches run in time
 * order: a line unread then is never read. A condition, not a fixed wait: a recovered job
 * under load works off its backlog slowly (at load 45-48 metadata-full-wal-batches had 120 and
 * 7,450 lines unread after a fixed 40 s; at load 39 5,080 stayed unread 12 s, then all were
 * read). At most `ms` (a lost line is never read, and a stalled job never catches up).
 */
export async function unreadAfter(out: string, lines: readonly string[], ms: number): Promise<number> {
  const unread = (): number => {
    const seen = new Set([...batchOutputs<string[]>(out, 'input').values()].flat());
    return lines.filter((l) => !seen.has(l)).length;
  };
  const caughtUpAt = Date.now() + CAUGHT_UP_MS;
  const caughtUp = (): boolean => [...batchOutputs<string[]>(out, 'input').keys()].some((t) => t >= caughtUpAt);
  await pollUntil(() => (unread() === 0 || caughtUp() ? true : undefined), ms, 'every generated line in some batch, or a batch of a later time', 200).catch(() => undefined);
  return unread();
}

/** Each of `lines` (what the source generated) read by exactly one batch of `inputs`, and nothing else read. */
export function assertEachLineReadOnce(inputs: Map<number, string[]>, lines: readonly string[]): void {
  const counts = new Map<string, number>();
  for (const l of [...inputs.values()].flat()) counts.set(l, (counts.get(l) ?? 0) + 1);
  assert.deepEqual([...counts].filter(([, c]) => c > 1).map(([l]) => l).slice(0, 10), [], 'lines read by more than one batch');
  assert.deepEqual([...counts.keys()].sort(), [...lines].sort(), 'the lines read are exactly the lines generated');
}

/**
 * Every batch's state in `out` equals a failure-free updateStateByKey of the batches' input
 * (each line's words after its number, counted), computed here; with `batchMs`, no batch
 * time is missing between the first and the last.
 */
export function assertStatesFailureFree(out: string, batchMs?: number): void {
  const input = batchOutputs<string[]>(out, 'input');
  const words = new Map([...input].map(([t, ls]) => [t, ls.flatMap((l) => l.split(' ').slice(1)).map((w) => `${w} 1`)]));
  const got = batchOutputs<Pairs>(out, 'state');
  if (batchMs !== undefined) {
    const times = [...input.keys()].sort((a, b) => a - b);
    for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], batchMs, `no batch time missing after ${times[i - 1]}`);
  }
  for (const [t, w] of expectedStates(words)) assert.deepEqual(got.get(t), w, `state of batch ${t}`);
}

/**
 * The end of a receiver fault file whose faults ran in its before(): its two checks as tests
 * (each calling `ready()` first, which throws the set-up's failure), every line `source`
 * generated read by exactly one batch of `out` and every state failure-free with no batch time
 * missing; and, after the file, its processes stopped, the source closed and `root` removed.
 */
export function receiverEndChecks(ready: () => unknown, out: string, source: ReplayableSource, batchMs: number, procs: SluiceProcess[], root: string): void {
  test('every line the source generated was read by exactly one batch: none lost, none twice', () => {
    ready();
    assertEachLineReadOnce(batchOutputs<string[]>(out, 'input'), source.lines);
  });
  test("every batch state (updateStateByKey) equals the failure-free computation from the batches' input, no batch time missing", () => {
    ready();
    assertStatesFailureFree(out, batchMs);
  });
  after(async () => {
    for (const p of [...procs].reverse()) await p.stop();
    await source.close();
    fs.rmSync(root, { recursive: true, force: true });
  });
}
