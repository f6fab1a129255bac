// kill -9 during a socket-fed stateful stream (updateStateByKey, checkpointed, as
// examples/stateful-wordcount.ts) on a real cluster of 3 worker processes: three runs kill
// the worker running the receiver, three kill another worker. Every run must survive, and
// its final state must equal word counts computed here from the lines the test's own TCP
// source sent (each line carries its number, so the state also shows which lines were
// counted, and how often).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { fixture, jsonLine, jsonLines, sleep, startJob, withCluster, within, type ClusterHandle, type JobRun, type RunningJob } from './harness.js';
import { NumberedLineSource } from './numbered-line-source.js';
import { batchesWhere, type BatchLine } from './batch-progress.js';

/**
 * Runs of each kind (kill of the receiver's worker, of another worker), alternating. Six each
 * until the CI's time was cut: each run is the same case again (a kill after the first state
 * checkpoint, with data in 6 batches or more), and three of each still caught the stream that
 * kept its received blocks 2 batches (mutant stateful-faults-blocks-kept-2-batches).
 */
const RUNS_PER_VICTIM = 3;
const BATCH_MS = 500;
/** How long a job's receiver may take to start (each run prints how long it took). */
const RECEIVER_START_MS = 120_000;
/**
 * The state is checkpointed every 4 batches: recomputing a lost state partition can walk
 * back up to 3 batches past the last checkpoint, through their received blocks, which
 * must still be there (a stream that kept only 2 batches failed here).
 */
const CHECKPOINT_MS = 2000;

interface BlockReport {
  readonly at: number;
  readonly workerId: string;
  readonly numRecords: number;
}

/** Clusters whose driver already notes block reports. */
const watched = new WeakSet<ClusterHandle['cluster']>();

/**
 * Start `n` workers one at a time, so each registered id is known to belong to its
 * process; note every block a receiver reports to the driver (wrapping the driver's
 * report handler, once per cluster; a report sent again is noted once).
 */
async function addWorkersNotingBlocks(h: ClusterHandle, n: number, byId: Map<string, ChildProcess>, reports: BlockReport[]): Promise<void> {
  const driver = h.cluster.driver;
  if (!watched.has(h.cluster)) {
    watched.add(h.cluster);
    const receiverReport = driver.receiverReport.bind(driver);
    const applied = new Map<string, number>();
    driver.receiverReport = (rep) => {
      rep.events.forEach((e, i) => {
        const seq = Number(rep.first_seq) + i;
        const placement = `${rep.job_id}/${rep.receiver_id}`;
        if (seq <= (applied.get(placement) ?? 0)) return; // a report sent again
        applied.set(placement, seq);
        if (e.event === 'block') reports.push({ at: Date.now(), workerId: rep.worker_id, numRecords: e.block!.num_records });
      });
      return receiverReport(rep);
    };
  }
  await addWorkers(h, n, byId);
}

/** Resolves once the driver no longer lists worker `id` (it noticed the kill). */
async function forgotten(h: ClusterHandle, id: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; h.cluster.driver.registry.get(id) !== undefined; await sleep(20)) {
    assert.ok(Date.now() < deadline, `the driver forgot the killed worker ${id}`);
  }
}

interface ReceiverLine {
  readonly workerId: string;
  readonly at: number;
}

const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.slice(-30).join('\n')}`;

/**
 * The final state checked against the lines the source sent: each line number counted
 * at most once; every line counted, except (when the receiver's worker was killed) a
 * tail of the lines sent to the killed receiver after those in the blocks it had
 * reported (stored and replicated) before the kill; and every word's count equal to its
 * occurrences in exactly the counted lines.
 */
function checkFinalState(state: Map<string, number>, source: NumberedLineSource, reportedByKilledReceiver: number | undefined): { counted: number; lost: number } {
  const counted = new Set<number>();
  for (const [key, n] of state) {
    if (!key.startsWith('n')) continue;
    assert.equal(n, 1, `line ${key} was counted ${n} times`);
    counted.add(Number(key.slice(1)));
  }
  const missing = source.sent.map((_, k) => k).filter((k) => !counted.has(k));
  if (reportedByKilledReceiver === undefined) {
    assert.deepEqual(missing, [], 'with the receiver alive, every line sent is counted');
  } else {
    // The killed receiver stored its connection's lines in order, so what it lost is a tail of them.
    const firstConn = source.sent.map((s, k) => ({ ...s, k })).filter((s) => s.conn === 0);
    const firstLost = firstConn.findIndex((s) => !counted.has(s.k));
    if (firstLost >= 0) {
      const tail = firstConn.slice(firstLost);
      assert.deepEqual(tail.filter((s) => counted.has(s.k)).map((s) => s.k), [], 'the lines lost with the receiver are a tail of its connection, not holes');
      // Its reported blocks held its first lines in order, and were replicated: none of those is lost.
      assert.ok(firstLost >= reportedByKilledReceiver, `line n${firstConn[firstLost].k} is lost, though the killed receiver had reported blocks with its first ${reportedByKilledReceiver} lines`);
    }
    assert.deepEqual(
      missing.filter((k) => source.sent[k].conn !== 0),
      [],
      'every line sent to the restarted receiver is counted',
    );
  }
  const want = new Map<string, number>();
  for (const k of counted) {
    assert.ok(k < source.sent.length, `line n${k} was never sent`);
    for (const w of source.sent[k].words) want.set(w, (want.get(w) ?? 0) + 1);
  }
  const got = new Map([...state].filter(([key]) => !key.startsWith('n')));
  assert.deepEqual([...got].sort(), [...want].sort(), 'each word count equals its occurrences in the counted lines');
  return { counted: counted.size, lost: missing.length };
}

test(
  `kill -9 during a socket-fed stateful stream: ${RUNS_PER_VICTIM} runs killing the receiver's worker, ${RUNS_PER_VICTIM} another worker; each survives with the right state`,
  // 93 s quiet with 12 runs; at load 22-45 (three files of a flake hunt beside others) the 12
  // took 415-442 s. Now 6: the 540 s bound kept, under the file's 600 s.
  { timeout: 540_000 },
  async () => {
    const started = Date.now();
    await withCluster({ workers: 0, logLevel: 'error', driver: { heartbeatIntervalMs: 500 } }, async (h) => {
      const procs = new Map<string, ChildProcess>();
      const reports: BlockReport[] = [];
      await addWorkersNotingBlocks(h, 3, procs, reports);
      for (let run = 0; run < 2 * RUNS_PER_VICTIM; run++) {
        const killReceiver = run % 2 === 0;
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-stateful-kill-'));
        const source = new NumberedLineSource(1000 + run);
        let replacement: Promise<void> | undefined;
        let started: RunningJob | undefined;
        try {
          const port = await source.listen();
          const runStartedAt = Date.now();
          const job = await startJob(h.cluster, fixture('stream-stateful-socket.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), String(CHECKPOINT_MS), path.join(dir, 'stop')]);
          started = job;
          // Bounds, not waits: a job's receiver started, and started again after the kill, within
          // RECEIVER_START_MS. 30 s failed at load 44 (the first run's: the job bundled, the bundle
          // loaded by a cold worker's receiver thread; no line at all printed by then).
          const receiver = JSON.parse((await job.waitLine('RECEIVER started ', RECEIVER_START_MS)).slice('RECEIVER started '.length)) as ReceiverLine;
          const deadline = Date.now() + 90_000;
          while (source.conns.length === 0) {
            assert.ok(Date.now() < deadline, 'the receiver connected to the source');
            await new Promise((r) => setTimeout(r, 10));
          }
          source.start(5, 25); // 200 lines/s
          // Past the first state checkpoint, with data in several batches.
          await batchesWhere(job, 'batches with data', (bs) => bs.filter((b) => b.numRecords > 0).length >= 6);
          const victimId = killReceiver ? receiver.workerId : [...procs.keys()].find((id) => id !== receiver.workerId)!;
          const victim = procs.get(victimId);
          assert.ok(victim, `the victim ${victimId} is a known worker process`);
          assert.equal(job.ended, false, 'the job runs at the kill');
          const killedAt = Date.now();
          victim.kill('SIGKILL');
          await exited(victim);
          procs.delete(victimId);
          const reportedBeforeKill = reports.filter((r) => r.workerId === victimId && r.at >= runStartedAt && r.at < killedAt).reduce((a, r) => a + r.numRecords, 0);
          if (killReceiver) assert.ok(reportedBeforeKill > 0, 'the killed receiver had reported blocks');
          // The stream goes on: batches with data after the kill (from the restarted receiver when it was the victim).
          if (killReceiver) await job.waitLine('RECEIVER started ', RECEIVER_START_MS, (l) => !l.includes(`"${victimId}"`));
          const resumedAt = Date.now();
          await batchesWhere(job, 'batches with data after the kill', (bs) => bs.filter((b) => b.time > resumedAt && b.numRecords > 0).length >= 3);
          source.stop();
          const lastSentAt = Date.now();
          // Everything sent is in blocks before the stop: wait for a batch cut well after the last line.
          await batchesWhere(job, 'a batch after the last line', (bs) => bs.some((b) => b.time >= lastSentAt + BATCH_MS));
          fs.writeFileSync(path.join(dir, 'stop'), '');
          // The worker that brings the cluster back to 3 for the next run starts while this
          // job stops (once the driver forgot the victim, so the one that joins is the new one).
          replacement = forgotten(h, victimId).then(() => addWorkersNotingBlocks(h, 1, procs, reports));
          replacement.catch(() => undefined); // awaited after this run; its failure is reported there
          const result = await within(job.done, 60_000, 'the job to stop');
          assert.equal(result.ok, true, `run ${run} (${killReceiver ? "receiver's worker" : 'another worker'} killed) failed: ${show(result)}`);
          const state = new Map(jsonLine<[string, number][]>(result.lines, 'FINAL '));
          const { counted, lost } = checkFinalState(state, source, killReceiver ? reportedBeforeKill : undefined);
          assert.ok(counted > 0);
          const batches = jsonLines<BatchLine>(result.lines, 'BATCH ');
          // Printed as each run ends, so a run that times out shows how far the others got.
          console.log(
            `# run ${run}: receiver started ${receiver.at - runStartedAt} ms after the submit; killed ${killReceiver ? `the receiver's worker (it had reported ${reportedBeforeKill} lines)` : 'another worker'}, sent ${source.sent.length}, counted ${counted}, lost ${lost}, ${batches.length} batches, ${Date.now() - runStartedAt} ms`,
          );
        } finally {
          // After a failed wait the job still runs, checkpointing into `dir`: end it first, or
          // removing `dir` races those writes (ENOTEMPTY at load 45, hiding the failure).
          if (started && !started.ended) {
            h.cluster.driver.jobs.get(started.id)?.cancel();
            await within(started.done, 30_000, 'the cancelled job to end').catch(() => undefined);
          }
          await source.close();
          fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
        }
        await within(replacement!, 60_000, 'the replacement worker to register'); // back to 3 workers
      }
    });
    console.log(`# ${2 * RUNS_PER_VICTIM} runs in ${Date.now() - started} ms`);
  },
);
