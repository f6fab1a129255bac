// A worker that misses a job's release: frozen (SIGSTOP) past the driver's worker timeout while
// a job ends, so the driver's Worker.ReleaseJob for that job goes only to the other worker, then
// woken (SIGCONT). It registers again and must drop what the ended job left on it (its task
// threads' sandbox, cached partitions, map outputs, added files), as Spark's executors are told
// their application ended, and keep what the job still running left. Before, it kept the ended
// job's for good: a standing cluster's --local-dir and memory grew by each job a worker missed.
// Real processes: a `sluice driver --state-dir`, 2 `sluice worker`s with their own --local-dir,
// 2 `sluice submit`s of fixtures/held-cached-job.ts (the live one first, the one that ends
// second), each holding cached partitions, map outputs and an added file on both workers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pause, resume } from '@sluice/test-disk/pause';
import { listWorkers } from '../src/submit-client.js';
import { startSluice, stopSluice, type Proc } from './cli-process.js';
import { fixture, freePort, pollUntil } from './harness.js';
import { randomSecret } from './sluice-processes.js';

const WORKER_TIMEOUT_MS = 3000;
/** What fixtures/held-cached-job.ts sums: 0..799 times k (k(0 + 799) * 800 / 2). */
const expectedSum = (k: number): number => (k * 799 * 800) / 2;
/** The keys its reduceByKey has: the last digits of 0..799 times k. */
const expectedKeys = (k: number): number => new Set(Array.from({ length: 800 }, (_, i) => (i * k) % 10)).size;

interface Job {
  readonly proc: Proc;
  readonly gate: string;
  readonly k: number;
  /** The worker pid that computed and cached each partition. */
  where: [number, number][];
}

test('a worker frozen past its timeout while a job ends drops that job\'s sandbox, blocks and files when it registers again, and keeps the running job\'s, whose result stays exact', { timeout: 180_000 }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-missed-release-'));
  const secret = randomSecret();
  const env = { ...process.env, SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' };
  const security = { secret };
  const procs: Proc[] = [];
  let frozen: Proc | undefined;
  try {
    const port = await freePort();
    const addr = `127.0.0.1:${port}`;
    const driver = startSluice(['driver', '--port', String(port), '--web-port', '0', '--log-level', 'info', '--state-dir', path.join(root, 'state'), '--heartbeat-ms', '500', '--worker-timeout-ms', String(WORKER_TIMEOUT_MS)], env);
    procs.push(driver);
    const localDirs = ['a', 'b'].map((n) => path.join(root, `local-${n}`));
    const workers: Proc[] = [];
    for (const d of localDirs) {
      fs.mkdirSync(d);
      const w = startSluice(['worker', '--driver', addr, '--cores', '2', '--local-dir', d, '--log-level', 'info'], env);
      procs.push(w);
      workers.push(w);
    }
    await pollUntil(() => (workers.every((w) => w.stderr.includes('"worker registered"')) ? true : undefined), 60_000, 'both workers registered');
    const [a, b] = workers;
    const pidA = a.child.pid!;
    const idOf = (w: Proc): string => (JSON.parse(w.stderr.split('\n').find((l) => l.includes('"worker registered"'))!) as { workerId: string }).workerId;
    const idA = idOf(a);
    const storageOfA = async (): Promise<{ rdd: number; shuffle: number; beatMsAgo: number } | undefined> => {
      const w = (await listWorkers(addr, security)).find((x) => x.worker_id === idA);
      return w?.storage ? { rdd: w.storage.rdd_blocks, shuffle: w.storage.shuffle_blocks, beatMsAgo: w.last_heartbeat_ms_ago } : undefined;
    };
    /** The job directories under a worker's files/ (sc.addFile's), by the name of the file each holds. */
    const filesDirs = (localDir: string): Map<string, string> => {
      const scratch = fs.readdirSync(localDir).filter((f) => f.startsWith('sluice-worker-'));
      assert.equal(scratch.length, 1, String(scratch));
      const files = path.join(localDir, scratch[0], 'files');
      const m = new Map<string, string>();
      for (const run of fs.existsSync(files) ? fs.readdirSync(files) : []) for (const name of fs.readdirSync(path.join(files, run))) m.set(name, decodeURIComponent(run));
      return m;
    };

    const submit = async (name: string, k: number): Promise<Job> => {
      const added = path.join(root, `${name}.txt`);
      fs.writeFileSync(added, `${name}\n`);
      const gate = path.join(root, `${name}-go`);
      const proc = startSluice(['submit', '--driver', addr, '--no-progress', fixture('held-cached-job.ts'), gate, added, String(k)], env);
      procs.push(proc);
      await pollUntil(() => (proc.stdout.some((l) => l.startsWith('SHUFFLE ')) ? true : proc.child.exitCode !== null ? false : undefined), 120_000, `job ${name} ready`);
      assert.ok(proc.stdout.some((l) => l.startsWith('SHUFFLE ')), `job ${name} exited before it was ready:\n${proc.stderr.slice(-3000)}`);
      const where = JSON.parse(proc.stdout.find((l) => l.startsWith('READY '))!.slice('READY '.length)) as [number, number][];
      assert.equal(proc.stdout.find((l) => l.startsWith('SHUFFLE ')), `SHUFFLE ${expectedSum(k)}`);
      return { proc, gate, k, where };
    };

    // The live job first: what it leaves on worker A is what A must still hold at the end.
    const live = await submit('live', 3);
    const liveOnA = live.where.filter(([, pid]) => pid === pidA).length;
    assert.ok(liveOnA > 0 && liveOnA < 8, `the live job's partitions on both workers: ${JSON.stringify(live.where)} (A is pid ${pidA})`);
    // A's own report of what it holds (its next heartbeat): the live job's cached partitions, and its map outputs.
    const liveOnly = await pollUntil(async () => {
      const s = await storageOfA();
      return s !== undefined && s.rdd === liveOnA && s.shuffle > 0 ? s : undefined;
    }, 30_000, `worker A to report the live job's ${liveOnA} cached partitions`);

    const ended = await submit('ended', 5);
    const endedOnA = ended.where.filter(([, pid]) => pid === pidA).length;
    assert.ok(endedOnA > 0, `the ending job's partitions on worker A too: ${JSON.stringify(ended.where)} (A is pid ${pidA})`);
    await pollUntil(async () => ((await storageOfA())?.rdd === liveOnA + endedOnA ? true : undefined), 30_000, 'worker A to report both jobs\' cached partitions');
    assert.deepEqual([...filesDirs(localDirs[0]).keys()].sort(), ['ended.txt', 'live.txt'], 'both jobs\' added files on worker A');
    const endedRun = filesDirs(localDirs[0]).get('ended.txt')!;
    const liveRun = filesDirs(localDirs[0]).get('live.txt')!;

    // A frozen until the driver declares it lost; the second job ends meanwhile (its second
    // action computing A's partitions again on B), so its release reaches B alone.
    pause(a.child);
    frozen = a;
    await pollUntil(async () => ((await listWorkers(addr, security)).some((w) => w.worker_id === idA) ? undefined : true), 60_000, 'the driver to declare the frozen worker lost');
    fs.writeFileSync(ended.gate, '');
    assert.equal(await ended.proc.exited, 0, ended.proc.stderr.slice(-3000));
    assert.deepEqual(ended.proc.stdout.slice(-2), [`KEYS ${expectedKeys(ended.k)}`, `SUM ${expectedSum(ended.k)}`]);
    const releasedOn = (w: Proc, run: string): boolean => w.stderr.split('\n').some((l) => l.includes('"msg":"job released"') && l.includes(`"jobId":"${run}"`));
    await pollUntil(() => (releasedOn(b, endedRun) ? true : undefined), 30_000, 'the ended job released on worker B');

    // Woken: A learns it is unknown, registers again, and drops the ended job's, not the live one's.
    resume(a.child);
    frozen = undefined;
    await pollUntil(() => (a.stderr.includes('registering again') ? true : undefined), 30_000, 'worker A to register again');
    await pollUntil(() => (releasedOn(a, endedRun) ? true : undefined), 30_000, `worker A to drop the ended job ${endedRun} once it registered again; its log:\n${a.stderr.split('\n').slice(-15).join('\n')}`);
    assert.ok(!releasedOn(a, liveRun), 'the live job is not released on worker A');
    assert.deepEqual([...filesDirs(localDirs[0]).keys()], ['live.txt'], "only the live job's added file on worker A");
    // What it dropped: the ended job's cached partitions and map outputs on A.
    const drop = JSON.parse(a.stderr.split('\n').find((l) => l.includes('"msg":"job released"') && l.includes(`"jobId":"${endedRun}"`))!) as { blocks: number };
    assert.ok(drop.blocks > endedOnA, `worker A dropped the ended job's ${endedOnA} cached partitions and its map outputs: ${drop.blocks} blocks`);
    // A's report after the drop: what it held of the live job before the ended one ran.
    const after = await pollUntil(async () => {
      const s = await storageOfA();
      return s !== undefined && s.beatMsAgo < 2000 && s.rdd <= liveOnA ? s : undefined;
    }, 30_000, `worker A to report no more than the live job's ${liveOnA} cached partitions`);
    assert.deepEqual({ rdd: after.rdd, shuffle: after.shuffle }, { rdd: liveOnly.rdd, shuffle: liveOnly.shuffle }, "worker A holds the live job's cached partitions and map outputs, and no other");

    // The live job goes on over the rejoined cluster and ends exact; then nothing of it stays.
    fs.writeFileSync(live.gate, '');
    assert.equal(await live.proc.exited, 0, live.proc.stderr.slice(-3000));
    assert.deepEqual(live.proc.stdout.slice(-2), [`KEYS ${expectedKeys(live.k)}`, `SUM ${expectedSum(live.k)}`]);
    await pollUntil(() => (releasedOn(a, liveRun) && releasedOn(b, liveRun) ? true : undefined), 30_000, 'the live job released on both workers');
    assert.deepEqual([...filesDirs(localDirs[0]).keys(), ...filesDirs(localDirs[1]).keys()], [], 'no added file left on either worker');
  } finally {
    if (frozen) resume(frozen.child);
    for (const p of procs.reverse()) await stopSluice(p);
    fs.rmSync(root, { recursive: true, force: true });
  }
});
