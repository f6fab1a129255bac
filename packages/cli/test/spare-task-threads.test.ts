// Workers start task threads ahead of any job (SpareTaskThreads), so a job's first tasks
// do not wait for a thread to start and load Sluice: on a real cluster (driver here, two
// worker processes with two cores each), three jobs one after the other. Every thread
// that ran a job's task was started before that job's program began, yet no thread
// served two of those jobs (each leaves globals behind, so its threads are not kept) and
// none held another job's bundle or globals. Then two jobs of a bundle that leaves nothing
// behind: the second runs on threads the first ran on, each with a module instance of its own. Prints the time from
// each job's first task launch on a worker to its result, as the driver sees it, and as
// each worker logs it. A worker a stream's job is bound to (here, running its receiver)
// starts no replacement spare while the stream runs (its start would load a thread during
// the batches), and does once the job ended.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { test } from 'node:test';
import type { wire } from '@sluice/core/internal';
import { fixture, jsonLine, sleep, startJob, withCluster, within, type ClusterHandle } from './harness.js';

interface Row {
  partition: number;
  pid: number;
  threadId: number;
  threadStart: number;
  bundles: number;
  lastJob: string | null;
}
interface Probe {
  job: string;
  programStart: number;
  squares: number;
  rows: Row[];
}
interface ReuseRow {
  partition: number;
  pid: number;
  threadId: number;
  token: string;
  before: number;
}
interface LogLine {
  msg: string;
  time?: number;
  workerId?: string;
  jobId?: string;
  ms?: number;
  ready?: number;
  fresh?: number;
  size?: number;
}

const N = 4000;
const JOBS = 3;
const CORES = 2;

/** Time from the first task launch of each job on each worker to its outcome, seen from the driver. */
function timeFirstTasks(h: ClusterHandle): Map<string, number> {
  const firsts = new Map<string, number>();
  for (const w of h.cluster.driver.registry.all()) {
    const endpoint = w.endpoint;
    const launch = endpoint.launchTask.bind(endpoint);
    endpoint.launchTask = async (desc) => {
      const key = `${desc.stage.jobId} ${w.id}`;
      if (firsts.has(key)) return launch(desc);
      firsts.set(key, -1);
      const t0 = performance.now();
      const r = await launch(desc);
      firsts.set(key, Math.round(performance.now() - t0));
      return r;
    };
  }
  return firsts;
}

test('a job runs its first tasks on spare threads started before it, no thread serves two jobs that leave globals, a clean job\'s threads serve its next', { timeout: 120_000 }, async () => {
  await withCluster({ workers: 2, coresPerWorker: CORES, logLevel: 'debug', workerStderr: 'pipe' }, async (h) => {
    const logs: LogLine[] = [];
    const waiters = new Set<() => void>();
    for (const p of h.cluster.workerProcesses) {
      readline.createInterface({ input: p.stderr! }).on('line', (l) => {
        try {
          logs.push(JSON.parse(l) as LogLine);
        } catch {
          return;
        }
        for (const w of waiters) w();
      });
    }
    /** Resolves once `pred` holds of the logs. */
    const untilLogged = (pred: () => boolean, what: string): Promise<void> =>
      within(
        new Promise<void>((resolve) => {
          const check = (): void => {
            if (!pred()) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
        60_000,
        what,
      );
    const workerIds = h.cluster.driver.registry.all().map((w) => w.id);
    /** Every worker has logged a full set of ready spares since log line `from`. */
    const sparesReady = (from: number) => (): boolean =>
      workerIds.every((id) => logs.slice(from).some((l) => l.msg === 'spare task thread ready' && l.workerId === id && l.fresh === l.size && l.size === CORES));

    const firstTasks = timeFirstTasks(h);
    await untilLogged(sparesReady(0), 'the spares of every worker to be ready');
    const probes: Probe[] = [];
    for (let j = 0; j < JOBS; j++) {
      const mark = logs.length;
      const run = await h.run(fixture('thread-probe.ts'), [String(N)]);
      assert.ok(run.ok, JSON.stringify(run.failure));
      probes.push(jsonLine<Probe>(run.lines, 'PROBE '));
      // The next job starts once the spares this one took are replaced.
      if (j < JOBS - 1) await untilLogged(sparesReady(mark), `spares replaced after job ${j + 1}`);
    }

    const driverSide = probes.map((p) => workerIds.map((id) => firstTasks.get(`${p.job} ${id}`)));
    const workerSide = probes.map((p) => logs.filter((l) => l.msg === 'first task of the job on this worker done' && l.jobId === p.job).map((l) => l.ms));
    console.log(`# first task of each job on each worker, launch to result (driver side): ${JSON.stringify(driverSide)} ms; worker side: ${JSON.stringify(workerSide)} ms`);
    let expected = 0;
    for (let i = 0; i < N; i++) expected += i * i;
    const threadsOf = probes.map((p) => new Set(p.rows.map((r) => `${r.pid}/${r.threadId}`)));
    for (const [j, p] of probes.entries()) {
      assert.equal(p.squares, expected, `job ${p.job}: the sum of squares`);
      assert.deepEqual(p.rows.map((r) => r.partition).sort(), [0, 1, 2, 3, 4, 5, 6, 7], `job ${p.job}: one row per partition`);
      assert.equal(new Set(p.rows.map((r) => r.pid)).size, 2, `job ${p.job}: tasks ran on both workers`);
      for (const r of p.rows) {
        assert.ok(r.threadStart < p.programStart, `job ${p.job}: thread ${r.pid}/${r.threadId} started ${r.threadStart - p.programStart} ms after the job's program did: not a spare`);
        assert.equal(r.bundles, 1, `job ${p.job}: thread ${r.pid}/${r.threadId} loaded ${r.bundles} job bundles`);
        assert.ok(r.lastJob === null || r.lastJob === p.job, `job ${p.job}: thread ${r.pid}/${r.threadId} held a global of job ${r.lastJob}`);
      }
      for (let k = 0; k < j; k++) {
        const shared = [...threadsOf[j]].filter((t) => threadsOf[k].has(t));
        assert.deepEqual(shared, [], `threads that served both job ${probes[k].job} and job ${p.job}`);
      }
    }

    for (const ms of driverSide.flat()) assert.ok(ms !== undefined && ms >= 0 && ms < 10_000, `first task took ${ms} ms`);

    // A bundle that leaves nothing behind: its threads are kept for its next job.
    const reuse: { job: string; squares: number; rows: ReuseRow[] }[] = [];
    for (let j = 0; j < 2; j++) {
      const mark = logs.length;
      const run = await h.run(fixture('thread-reuse-probe.ts'), [String(N)]);
      assert.ok(run.ok, JSON.stringify(run.failure));
      reuse.push(jsonLine(run.lines, 'REUSE '));
      // Each worker answered for every thread the job ran there (kept or not) before the next job.
      if (j === 0) await untilLogged(() => logs.slice(mark).filter((l) => l.msg === 'task thread kept for a later job of its bundle').length >= 2, 'threads of the first job kept');
    }
    const [first, second] = reuse;
    for (const r of reuse) {
      assert.equal(r.squares, expected, `job ${r.job}: the sum of squares`);
      assert.deepEqual(r.rows.map((x) => x.partition).sort(), [0, 1, 2, 3, 4, 5, 6, 7], `job ${r.job}: one row per partition`);
    }
    const firstThreads = new Set(first.rows.map((r) => `${r.pid}/${r.threadId}`));
    const shared = second.rows.filter((r) => firstThreads.has(`${r.pid}/${r.threadId}`));
    console.log(`# threads of the first clean job reused by the second: ${new Set(shared.map((r) => `${r.pid}/${r.threadId}`)).size} of ${firstThreads.size}`);
    assert.ok(shared.length > 0, `the second job ran on none of the first job's threads: ${JSON.stringify(second.rows)}`);
    // Its own module instance in each: no token of the first job, its task counts begin at 0 in each thread.
    const firstTokens = new Set(first.rows.map((r) => r.token));
    for (const r of second.rows) assert.ok(!firstTokens.has(r.token), `job ${second.job}: thread ${r.pid}/${r.threadId} saw the first job's module instance`);
    const byThread = new Map<string, number[]>();
    for (const r of second.rows) byThread.set(`${r.pid}/${r.threadId}`, [...(byThread.get(`${r.pid}/${r.threadId}`) ?? []), r.before]);
    for (const [t, befores] of byThread) assert.deepEqual(befores.sort((a, b) => a - b), befores.map((_, i) => i), `job ${second.job}: thread ${t} counted tasks of another job`);
  });
});

test('a worker running a stream\'s receiver starts no spare thread while the stream runs, and does once it stopped', { timeout: 120_000 }, async () => {
  await withCluster({ workers: 1, coresPerWorker: 1, logLevel: 'debug', workerStderr: 'pipe' }, async (h) => {
    const logs: LogLine[] = [];
    readline.createInterface({ input: h.cluster.workerProcesses[0].stderr! }).on('line', (l) => {
      try {
        logs.push(JSON.parse(l) as LogLine);
      } catch {
        return;
      }
    });
    const until = async (pred: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`not within 60 s: ${what}; worker log: ${logs.map((l) => l.msg).join(' | ')}`);
        await sleep(20);
      }
    };
    await until(() => logs.some((l) => l.msg === 'spare task thread ready'), 'the worker\'s spare ready');
    // A source that accepts the receiver and sends nothing: no batch has input, and with
    // 4 s batches the worker runs no task for seconds at a time while the receiver runs.
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      sockets.push(s);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-spare-receiver-'));
    try {
      const stopFile = path.join(tmp, 'stop');
      const job = await startJob(h.cluster, fixture('stream-socket-wordcount.ts'), ['127.0.0.1', String((server.address() as net.AddressInfo).port), '4000', stopFile]);
      const started = JSON.parse((await job.waitLine('RECEIVER started ', 60_000)).slice('RECEIVER started '.length)) as { at: number };
      // Well past the replacement delay (SpareTaskThreads: 1 s without a task) with the
      // receiver running and at most one batch's tasks meanwhile.
      await sleep(3000);
      const stopAt = Date.now();
      fs.writeFileSync(stopFile, '');
      const run = await within(job.done, 60_000, 'the stream to stop');
      assert.ok(run.ok, JSON.stringify(run.failure));
      const whileReceiving = logs.filter((l) => l.msg === 'spare task thread started' && l.time !== undefined && l.time > started.at && l.time < stopAt);
      assert.deepEqual(whileReceiving.map((l) => l.time! - started.at), [], 'a spare task thread started while the receiver ran (ms after its start)');
      // The job's release here ends its count: the spare is replaced once the worker is idle.
      await until(() => logs.some((l) => l.msg === 'spare task thread started' && l.time !== undefined && l.time >= stopAt), 'a spare started after the stream stopped');
    } finally {
      for (const s of sockets) s.destroy();
      server.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
