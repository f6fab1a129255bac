// Fault tolerance on a real multi-process cluster: a worker killed (SIGKILL) or frozen
// (SIGSTOP) mid-job, a worker joining mid-job, and a task that always throws. Each job
// is compared with a failure-free result computed here with plain JS.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { pino, type Logger } from 'pino';
import { fixture, jsonLine, withCluster, type JobRun, type RunningJob, sleep, startJob, within } from './harness.js';
import { expectedPipeline } from './fault-pipeline-expected.js';
import { pause, resume } from '@sluice/test-disk/pause';

type LogEntry = Record<string, unknown> & { msg?: string; level: number };

/** A pino logger that keeps its entries in memory, so a test can read the driver's log. */
function memoryLogger(level: string): { log: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log = pino({ level, base: undefined }, { write: (s: string) => void entries.push(JSON.parse(s) as LogEntry) });
  return { log, entries };
}


function assertPipelineResult(run: JobRun, n: number): void {
  assert.equal(run.ok, true, `job failed: ${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`);
  const want = expectedPipeline(n);
  assert.equal(jsonLine<number>(run.lines, 'COUNT '), want.count);
  assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT2 '), want.result2);
  assert.deepEqual(jsonLine<[number, number][]>(run.lines, 'RESULT1 '), want.result1);
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

const PIPELINE = fixture('fault-pipeline.ts');

/** A gate for fault-pipeline.ts (its action 2 waits until the file exists); removed after the file's tests. */
const gateDirs: string[] = [];
after(() => {
  for (const d of gateDirs) fs.rmSync(d, { recursive: true, force: true });
});
function gateFile(): { file: string; open: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-gate-'));
  gateDirs.push(dir);
  const file = path.join(dir, 'gate');
  return { file, open: () => fs.writeFileSync(file, '') };
}
const N = 20_000;

test('kill -9 of a worker mid-job (two shuffles, a cached RDD used by two actions): same result as without failure', { timeout: 120_000 }, async () => {
  const { log, entries } = memoryLogger('debug');
  const gate = gateFile();
  await withCluster({ workers: 0, logLevel: 'error', log, driver: { workerTimeoutMs: 2000, heartbeatIntervalMs: 500 } }, async (h) => {
    // Workers started one at a time, so each registered id is known to belong to its process.
    const procs = new Map<string, ChildProcess>();
    for (let i = 0; i < 2; i++) {
      const known = new Set(h.cluster.driver.registry.all().map((w) => w.id));
      const child = h.cluster.addWorker();
      await h.cluster.waitForWorkers(known.size + 1, 30_000);
      procs.set(h.cluster.driver.registry.all().find((w) => !known.has(w.id))!.id, child);
    }
    // Action 2's tasks (they read the cached RDD and write shuffle 2) wait at the gate: the
    // kill lands while action 2 runs, whatever the machine's load. Shuffle 1's map tasks
    // take 20 ms each and wait until both workers have run one, so both hold some of its
    // outputs (on a loaded machine one worker could otherwise run all 16 before the other
    // has loaded the job).
    const spread = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-spread-'));
    gateDirs.push(spread);
    const job = await startJob(h.cluster, PIPELINE, [String(N), '16', '150', gate.file, '20', spread]);
    await job.waitLine('MARK first-action-done', 60_000);
    assert.equal(job.ended, false, 'the job ended before the kill');
    assert.equal(job.lines.some((l) => l.startsWith('RESULT2 ')), false, 'action 2 finished before the kill');
    const workersBefore = h.cluster.driver.registry.all().map((w) => w.id);
    const shuffle0Before = (h.cluster.driver.dag.mapOutputs.locations(job.id, 0) ?? []).map((l) => l.workerId);
    // The victim holds some but not all of shuffle 1's map outputs: re-running all of them, or none, would show.
    const victimId = [...procs.keys()].sort((a, b) => shuffle0Before.filter((w) => w === a).length - shuffle0Before.filter((w) => w === b).length)[0];
    const victim = procs.get(victimId)!;
    victim.kill('SIGKILL');
    await exited(victim);
    gate.open();
    const run = await within(job.done, 90_000, 'the job to end after the kill');
    assertPipelineResult(run, N);

    const survivors = h.cluster.driver.registry.all().map((w) => w.id);
    assert.deepEqual(survivors, workersBefore.filter((id) => id !== victimId), 'the killed worker is no longer registered');
    assert.ok(entries.some((e) => e.msg === 'worker lost' && e.workerId === victimId), 'the driver logged the lost worker');
    // Only the lost map outputs of shuffle 1 (shuffle id 0, complete before the kill) were
    // recomputed: its map stage's later task sets together ran exactly that many tasks.
    assert.equal(shuffle0Before.length, 16);
    assert.ok(shuffle0Before.every((w) => workersBefore.includes(w)), `shuffle 0 was complete before the kill: ${shuffle0Before}`);
    const lost = shuffle0Before.filter((w) => w === victimId).length;
    // Otherwise "re-ran exactly `lost` map tasks" would hold trivially (nothing, or everything, re-run).
    assert.ok(lost > 0 && lost < 16, `the killed worker ${victimId} held some but not all map outputs of shuffle 0 (${shuffle0Before})`);
    const mapSets = entries.filter((e) => e.msg === 'submitting task set' && e.jobId === job.id && e.kind === 'shuffleMap');
    const shuffle0Stage = mapSets[0].stageId;
    const reruns = mapSets.filter((e) => e.stageId === shuffle0Stage).slice(1);
    assert.equal(
      reruns.reduce((n, e) => n + (e.tasks as number), 0),
      lost,
      `${lost} of 16 map outputs of shuffle 0 were on the killed worker; re-runs: ${JSON.stringify(reruns)}`,
    );
    // Per-job state is released on the driver.
    assert.equal(h.cluster.driver.dag.activeJobs, 0);
    assert.equal(h.cluster.driver.dag.mapOutputs.size, 0);
    assert.equal(h.cluster.driver.dag.blockLocations.size, 0);
  });
});

test('a worker that joins during a job takes tasks', { timeout: 120_000 }, async () => {
  const gate = gateFile();
  await withCluster({ workers: 1, logLevel: 'error' }, async (h) => {
      const before = new Set(h.cluster.driver.registry.all().map((w) => w.id));
    // Action 2's tasks wait at the gate, so the job is certainly running while the new
    // worker starts and registers, however slow the machine is.
    const job = await startJob(h.cluster, PIPELINE, [String(N), '24', '50', gate.file]);
    await job.waitLine('MARK first-action-done', 60_000);
    h.cluster.addWorker();
    await h.cluster.waitForWorkers(2, 30_000);
    assert.equal(job.ended, false);
    const joined = h.cluster.driver.registry.all().filter((w) => !before.has(w.id));
    assert.equal(joined.length, 1);
    assert.equal(joined[0].tasksCompleted, 0, 'the new worker has run nothing before the gate opens');
    gate.open();
    const run = await within(job.done, 90_000, 'the job to end');
    assertPipelineResult(run, N);
    assert.ok(joined[0].tasksCompleted > 0, `the worker that joined mid-job completed ${joined[0].tasksCompleted} tasks`);
  });
});

test('a silent worker (SIGSTOP) is declared lost within the timeout and its work is rescheduled', { timeout: 120_000 }, async () => {
  const workerTimeoutMs = 1500;
  await withCluster({ workers: 2, logLevel: 'error', driver: { workerTimeoutMs, heartbeatIntervalMs: 300 } }, async (h) => {
    const gate = gateFile();
    const job = await startJob(h.cluster, PIPELINE, [String(N), '16', '150', gate.file]);
    await job.waitLine('MARK first-action-done', 60_000); // action 2 now waits at the gate
    const frozen = h.cluster.workerProcesses[0];
    assert.equal(job.ended, false);
    try {
      pause(frozen);
      const stoppedAt = Date.now();
      while (h.cluster.driver.registry.all().length > 1) {
        assert.ok(Date.now() - stoppedAt < 10 * workerTimeoutMs, `the frozen worker is still registered ${Date.now() - stoppedAt} ms after SIGSTOP`);
        await sleep(20);
      }
      const lostAfter = Date.now() - stoppedAt;
      // Not before it missed heartbeats for about workerTimeoutMs (heartbeats are 300 ms apart).
      assert.ok(lostAfter >= workerTimeoutMs - 500, `declared lost after only ${lostAfter} ms`);
      gate.open();
      const run = await within(job.done, 90_000, 'the job to end after the worker froze');
      assertPipelineResult(run, N);
    } finally {
      resume(frozen);
      frozen.kill('SIGKILL');
      await exited(frozen);
    }
  });
});

test('a map output whose worker address answers nothing (a silent listener) fails the fetch after --peer-connect-timeout; the map outputs are recomputed, results exact', { timeout: 120_000 }, async () => {
  // A peer gone without a reset: this listener accepts TCP connections and never sends a
  // byte, so gRPC would stay CONNECTING for ever. Every map output registered the first time
  // points at it (under a worker id no process has, so every reduce task must fetch remotely);
  // outputs registered again (the recomputation) point at their real worker.
  const silentSockets: net.Socket[] = [];
  const silent = net.createServer((sock) => {
    silentSockets.push(sock);
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const silentAddress = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
  const timeoutMs = 2000;
  const { log, entries } = memoryLogger('warn');
  try {
    await withCluster({ workers: 2, logLevel: 'error', log, workerArgs: ['--peer-connect-timeout', `${timeoutMs / 1000}s`] }, async (h) => {
      const tracker = h.cluster.driver.dag.mapOutputs;
      const register = tracker.register.bind(tracker);
      const seen = new Set<string>();
      tracker.register = (jobId, shuffleId, numMaps, map, loc, sizes) => {
        const key = `${jobId}/${shuffleId}/${map}`;
        const first = !seen.has(key);
        seen.add(key);
        register(jobId, shuffleId, numMaps, map, first ? { workerId: 'vanished-worker', address: silentAddress } : loc, sizes);
      };
      const t0 = Date.now();
      const job = await startJob(h.cluster, PIPELINE, [String(N), '8', '0']);
      // Both shuffles each wait out the bound once; 10x loose over that and the job itself.
      const run = await within(job.done, 10 * (2 * timeoutMs + 4000), 'the job to end (a fetch from a silent peer must give up after --peer-connect-timeout)');
      assertPipelineResult(run, N);
      const tookMs = Date.now() - t0;
      const failed = entries.filter((e) => e.msg === 'fetch failed; resubmitting map stage');
      assert.deepEqual([...new Set(failed.map((e) => e.lostShuffleId))].sort(), [0, 1], `each shuffle's map stage was resubmitted once its fetch failed: ${JSON.stringify(failed)}`);
      for (const e of failed) {
        assert.equal(e.workerId, 'vanished-worker');
        assert.match(String(e.reason), new RegExp(`vanished-worker at ${silentAddress} did not connect and answer within ${timeoutMs} ms.*--peer-connect-timeout`));
      }
      assert.ok(silentSockets.length > 0, 'the workers dialled the silent address');
      assert.ok(tookMs >= timeoutMs, `the job ended after ${tookMs} ms, before the bound of ${timeoutMs} ms passed once`);
    });
  } finally {
    for (const s of silentSockets) s.destroy();
    silent.close();
  }
});

test('a task that always throws fails the job after 4 attempts with the user message and stack; the cluster keeps serving', { timeout: 120_000 }, async () => {
  const { log, entries } = memoryLogger('debug');
  const file = fixture('always-throws.ts');
  const throwLine = fs.readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes('throw new Error(')) + 1;
  assert.ok(throwLine > 0);
  await withCluster({ workers: 2, logLevel: 'error', log }, async (h) => {
    const failed = await within(h.run(file), 60_000, 'the failing job');
    assert.equal(failed.ok, false);
    assert.equal(failed.failure?.code, 'SLUICE_TASK_FAILED');
    assert.match(failed.failure?.message ?? '', /bad record 13: cannot parse it/);
    assert.ok(failed.failure?.stack.includes(`${file}:${throwLine}:`), `the stack names ${file}:${throwLine}:\n${failed.failure?.stack}`);
    // Partition 2 (records 10..14) ran exactly 4 times; attempts are numbered a0..a3.
    const attempts = entries
      .filter((e) => e.msg === 'launching task' && typeof e.taskId === 'string' && e.taskId.startsWith(`${failed.jobId}.`))
      .map((e) => /\.p(\d+)\.a(\d+)$/.exec(e.taskId as string))
      .filter((m) => m !== null && m[1] === '2')
      .map((m) => Number(m![2]))
      .sort();
    assert.deepEqual(attempts, [0, 1, 2, 3]);

    // The driver and both workers still serve: a second job succeeds.
    assert.equal(h.cluster.driver.registry.all().length, 2);
    assert.ok(h.cluster.workerProcesses.every((c) => c.exitCode === null && c.signalCode === null));
    const ok = await within(h.run(fixture('wordcount-check.ts'), ['1000']), 60_000, 'the second job');
    assert.equal(ok.ok, true, JSON.stringify(ok.failure));
    const got = new Map(jsonLine<[string, number][]>(ok.lines, 'RESULT '));
    assert.equal([...got.values()].reduce((a, b) => a + b, 0), 2000);
  });
});
