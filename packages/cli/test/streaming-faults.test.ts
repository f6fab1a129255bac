// Streaming under failures and bad input, on a real multi-process cluster over
// loopback: the worker running a receiver is killed (SIGKILL) and the receiver moves;
// a worker is killed during a stateful job (updateStateByKey, mapWithState with a timeout,
// reduceByKeyAndWindow with an inverse) and every output equals the one computed from the input;
// mistakes in a streaming program fail clearly before start, and a source that refuses
// connections or an output that throws behaves as a user would expect. One cluster for the
// file (a driver in this process, worker processes started one at a time): each test tops it
// up to the workers it needs.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { LocalCluster } from '../src/local-cluster.js';
import { assertStateCheckpoints, assertStatefulOutputs, expectedStatefulOutputs } from './stateful-outputs.js';
import { cancelIfRunning, fixture, jsonLine, pollUntil, withCluster, type ClusterHandle, type JobRun, type RunningJob, jsonLines, lineOf, sleep, startJob, within, freePort } from './harness.js';


function tmpDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sluice-test-${name}-`));
}

function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

/** The file's cluster, once a test asked for it; its worker processes by registered id. */
let shared: Promise<ClusterHandle> | undefined;
let sharedEnded: Promise<void> = Promise.resolve();
let releaseShared = (): void => undefined;
const workerProcs = new Map<string, ChildProcess>();

after(async () => {
  releaseShared();
  await sharedEnded;
});

/**
 * The file's cluster with `n` live workers: the killed ones forgotten by the driver first, then
 * workers started one at a time, so each registered worker id is known to belong to its process.
 * Returns the live worker processes by id (the file's map: a test deletes the ones it kills).
 */
async function clusterWith(n: number): Promise<{ h: ClusterHandle; procs: Map<string, ChildProcess> }> {
  shared ??= new Promise<ClusterHandle>((resolve, reject) => {
    sharedEnded = withCluster({ workers: 0, logLevel: 'error', driver: { workerTimeoutMs: 2000, heartbeatIntervalMs: 500 } }, (h) => {
      resolve(h);
      return new Promise<void>((r) => (releaseShared = r));
    });
    sharedEnded.catch(reject);
  });
  const h = await shared;
  const registry = h.cluster.driver.registry;
  for (const [id, c] of workerProcs) if (c.exitCode !== null || c.signalCode !== null) workerProcs.delete(id);
  await pollUntil(() => registry.all().every((w) => workerProcs.has(w.id)) || undefined, 30_000, 'the driver to forget the killed workers');
  while (workerProcs.size < n) {
    const known = new Set(registry.all().map((w) => w.id));
    const child = h.cluster.addWorker();
    await h.cluster.waitForWorkers(known.size + 1, 30_000);
    workerProcs.set(registry.all().find((w) => !known.has(w.id))!.id, child);
  }
  assert.equal(workerProcs.size, n, `the cluster has ${n} workers`);
  return { h, procs: workerProcs };
}

interface BlockReport {
  readonly at: number;
  readonly workerId: string;
  readonly numRecords: number;
}

/**
 * Note every block a receiver reports to the driver (when, from which worker, how many
 * records), by wrapping the driver's report handler; `then` runs right after the driver
 * has taken each report in.
 */
function watchBlockReports(cluster: LocalCluster, then: (r: BlockReport) => void = () => undefined): BlockReport[] {
  const reports: BlockReport[] = [];
  const driver = cluster.driver;
  const receiverReport = driver.receiverReport.bind(driver);
  const applied = new Map<string, number>();
  driver.receiverReport = (rep) => {
    const fresh: BlockReport[] = [];
    rep.events.forEach((e, i) => {
      const seq = Number(rep.first_seq) + i;
      const placement = `${rep.job_id}/${rep.receiver_id}`;
      if (seq <= (applied.get(placement) ?? 0)) return; // a report sent again
      applied.set(placement, seq);
      if (e.event === 'block') fresh.push({ at: Date.now(), workerId: rep.worker_id, numRecords: e.block!.num_records });
    });
    reports.push(...fresh);
    const keep = receiverReport(rep);
    for (const r of fresh) then(r);
    return keep;
  };
  return reports;
}

const registeredIds = (h: ClusterHandle): string[] => h.cluster.driver.registry.all().map((w) => w.id).sort();

const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.join('\n')}`;

interface ReceiverEventLine {
  readonly workerId: string;
  readonly message?: string;
  readonly at: number;
}

test('kill -9 of the worker running a socket receiver: it restarts on another worker, the stream goes on, replicated blocks are not lost', { timeout: 90_000 }, async () => {
  const dir = tmpDir('recv-kill');
  const stopFile = path.join(dir, 'stop');
  // The source: numbered lines ("n<k>"), 10 every 20 ms, to the newest connection.
  const conns: net.Socket[] = [];
  const sent: { at: number; conn: number }[] = [];
  const server = net.createServer((s) => {
    conns.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  let feeding: NodeJS.Timeout | undefined;
  let victimId: string | undefined;
  const { h, procs } = await clusterWith(3);
  let running: RunningJob | undefined;
  try {
    let onReport: (r: BlockReport) => void = () => undefined;
    const reports = watchBlockReports(h.cluster, (r) => onReport(r));
    const job = await startJob(h.cluster, fixture('stream-socket-wordcount.ts'), ['127.0.0.1', String(port), '500', stopFile]);
    running = job;
    const first = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as ReceiverEventLine;
    victimId = first.workerId;
    const victim = procs.get(victimId);
    assert.ok(victim, `the receiver runs on a known worker (${victimId})`);
    await pollUntil(() => conns.length > 0 || undefined, 30_000, 'the receiver to connect to the source', 10);
    feeding = setInterval(() => {
      const c = conns.length - 1;
      const s = conns[c];
      if (s.destroyed) return;
      const lines: string[] = [];
      for (let i = 0; i < 10; i++) {
        lines.push(`n${sent.length}`);
        sent.push({ at: Date.now(), conn: c });
      }
      s.write(lines.join('\n') + '\n');
    }, 20);
    // Kill from the block report itself: once the victim has reported 4 blocks with
    // records, SIGKILL it the moment the driver has taken the 5th in. That block is
    // stored, replicated and reported, but no batch can have taken it yet (the batch
    // that does is submitted after the kill), and lines are still being served.
    let killAt = 0;
    const killed = new Promise<void>((resolve) => {
      let seen = 0;
      onReport = (r) => {
        if (killAt !== 0 || r.workerId !== victimId || r.numRecords === 0 || ++seen < 5) return;
        killAt = Date.now();
        victim.kill('SIGKILL');
        resolve();
      };
    });
    await within(killed, 30_000, 'the receiver to report 5 blocks');
    await exited(victim);
    procs.delete(victimId);
    const restartedLine = await job.waitLine('RECEIVER started ', 30_000, (l) => !l.includes(`"${victimId}"`));
    const restarted = JSON.parse(restartedLine.slice('RECEIVER started '.length)) as ReceiverEventLine;
    await pollUntil(() => conns.length >= 2 || undefined, 30_000, 'the restarted receiver to connect to the source', 10);
    const reconnectedAt = Date.now();
    // The stream goes on from the new worker: wait for 2 batches with data after the reconnection.
    const deadline = Date.now() + 30_000;
    const batchesWithDataAfter = (): number =>
      jsonLines<{ time: number; submitted: number; numRecords: number }>(job.lines, 'INFO ').filter((i) => i.submitted > reconnectedAt && i.numRecords > 0).length;
    while (batchesWithDataAfter() < 2) {
      assert.ok(Date.now() < deadline, `no 2 batches with data within 30 s of the reconnection:\n${job.lines.slice(-10).join('\n')}`);
      await sleep(20);
    }
    clearInterval(feeding);
    feeding = undefined;
    // Stop once the restarted receiver has reported every line sent to it (a graceful stop
    // then processes all of them).
    const sentToNew = (): number => sent.filter((x) => x.conn >= 1).length;
    const reportedByNew = (): number => reports.filter((r) => r.workerId === restarted.workerId).reduce((a, r) => a + r.numRecords, 0);
    while (reportedByNew() < sentToNew()) {
      assert.ok(Date.now() < deadline, `the restarted receiver reported ${reportedByNew()} of ${sentToNew()} lines`);
      await sleep(20);
    }
    fs.writeFileSync(stopFile, '');
    const run = await within(job.done, 30_000, 'the job to stop');
    assert.equal(run.ok, true, show(run));

    // The receiver failed on the victim and started again on another worker.
    const errors = jsonLines<ReceiverEventLine>(run.lines, 'RECEIVER error ');
    const lost = errors.find((e) => e.workerId === victimId && e.at >= killAt);
    assert.ok(lost, `onReceiverError for the killed worker ${victimId}:\n${run.lines.filter((l) => l.startsWith('RECEIVER')).join('\n')}`);
    assert.notEqual(restarted.workerId, victimId);
    assert.ok(restarted.at >= lost.at, 'onReceiverStarted on the new worker follows onReceiverError');
    assert.ok(procs.has(restarted.workerId), 'the receiver restarted on one of the other workers');

    // Counts: each line is a distinct word, so a count above 1 is a duplicate.
    const batches = jsonLines<{ time: number; counts: [string, number][] }>(run.lines, 'BATCH ');
    const got = new Map<number, number>();
    for (const b of batches) for (const [w, n] of b.counts) got.set(Number(w.slice(1)), (got.get(Number(w.slice(1))) ?? 0) + n);
    const dups = [...got].filter(([, n]) => n > 1);
    assert.deepEqual(dups, [], 'no record is counted twice');
    // The killed receiver stored the lines of its connection in order and reported its
    // blocks in order, so the blocks it reported before the kill held exactly the first
    // `reported` lines: all of them are counted (read from replicas where needed).
    const reported = reports.filter((r) => r.workerId === victimId && r.at < killAt).reduce((a, r) => a + r.numRecords, 0);
    assert.ok(reported > 0 && sent.slice(0, reported).every((s) => s.conn === 0));
    const missingReported = sent.map((_, k) => k).filter((k) => k < reported && !got.has(k));
    assert.deepEqual(missingReported, [], `the ${reported} records in blocks reported before the kill are all counted`);
    // Everything sent to the restarted receiver's connection is counted.
    const missingAfter = sent.map((s, k) => ({ ...s, k })).filter((s) => s.conn >= 1 && !got.has(s.k));
    assert.deepEqual(missingAfter.map((s) => s.k), [], 'records sent to the restarted receiver are all counted');
    // Blocks with records from before the kill went into batches made after it: they were
    // read from their replicas (their first copy died with the worker).
    const submittedAt = new Map(jsonLines<{ time: number; submitted: number }>(run.lines, 'INFO ').map((i) => [i.time, i.submitted]));
    const batchOf = new Map<number, number>();
    for (const b of batches) for (const [w] of b.counts) batchOf.set(Number(w.slice(1)), submittedAt.get(b.time) ?? 0);
    const fromReplicas = sent.filter((s, k) => s.at < killAt && (batchOf.get(k) ?? 0) >= killAt).length;
    assert.ok(fromReplicas > 0, 'some records received before the kill were processed in a batch generated after it');
    const lostCount = sent.filter((_, k) => !got.has(k)).length;
    // At most once for what the receiver held but had not reported: lost records are only
    // those sent to the killed receiver after its last reported block.
    const atRisk = sent.filter((s, k) => k >= reported && s.conn === 0).length;
    assert.ok(lostCount <= atRisk, `lost ${lostCount}, at risk ${atRisk}`);
    // The stream went on: batches after the restart had data.
    const after = batches.filter((b) => (submittedAt.get(b.time) ?? 0) > reconnectedAt && b.counts.length > 0);
    assert.ok(after.length >= 2, `batches after the restart have data (${after.length})`);
    console.log(`# sent ${sent.length}, counted ${got.size}, reported before the kill ${reported}, lost ${lostCount} (of ${atRisk} not yet reported at the kill), ${fromReplicas} read from replicas after the kill, receiver ${victimId} -> ${restarted.workerId} in ${restarted.at - killAt} ms`);
  } finally {
    clearInterval(feeding);
    await cancelIfRunning(h.cluster, running);
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 of a worker during a stateful job (updateStateByKey, mapWithState with a timeout, reduceByKeyAndWindow with an inverse; checkpointed): every batch output equals the one computed from the input, as in a failure-free run', { timeout: 120_000 }, async () => {
  const BATCHES = 12;
  const runOnce = async (kill: boolean): Promise<{ run: JobRun; killedAt?: number }> => {
    const dir = tmpDir('state');
    const { h, procs } = await clusterWith(2);
    let job: RunningJob | undefined;
    try {
      job = await startJob(h.cluster, fixture('stream-stateful.ts'), [path.join(dir, 'ckpt'), '500', String(BATCHES)]);
      let killedAt: number | undefined;
      if (kill) {
        await job.waitLine('STATE {"i":3,', 60_000);
        await sleep(250); // into the next batch
        const [victimId] = [...procs.keys()];
        const victim = procs.get(victimId)!;
        assert.ok(!job.lines.some((l) => l.startsWith(`STATE {"i":${BATCHES - 1},`)), 'the job is still running at the kill');
        killedAt = Date.now();
        victim.kill('SIGKILL');
        await exited(victim);
        procs.delete(victimId);
      }
      const run = await within(job.done, 90_000, 'the stateful job');
      assert.equal(run.ok, true, show(run));
      const ckpt = fs.existsSync(path.join(dir, 'ckpt')) ? fs.readdirSync(path.join(dir, 'ckpt')) : [];
      assert.ok(ckpt.length > 0, 'the state was checkpointed');
      assertStateCheckpoints(run, path.join(dir, 'ckpt'));
      if (kill) {
        assert.deepEqual(registeredIds(h), [...procs.keys()].sort(), 'the killed worker was declared lost; the other is still registered');
      }
      return { run, killedAt };
    } finally {
      await cancelIfRunning(h.cluster, job);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const want = expectedStatefulOutputs(BATCHES);
  assert.ok(JSON.stringify(want.state[BATCHES - 1]).length > 100, 'the final state is not empty');
  const mappedAll = want.mapped.flatMap((m) => (m as { mapped: string[] }).mapped);
  assert.ok(mappedAll.some((x) => x.startsWith('R:')) && mappedAll.some((x) => x.startsWith('T:')), 'the input removes and times out some mapWithState keys');
  assert.ok((want.window[BATCHES - 1] as { sums: unknown[] }).sums.length === 0, 'the last windows empty out (the inverse and the filter)');
  // The oracle is the computation above; the failure-free run is a second check of the same code.
  const clean = await runOnce(false);
  assertStatefulOutputs(clean.run, want, 'without failures');
  const killed = await runOnce(true);
  assertStatefulOutputs(killed.run, want, 'with a worker killed');
});


test('kill -9 of a worker during 50 ms batches of a stateful job (updateStateByKey, mapWithState, reduceByKeyAndWindow with an inverse; checkpointed): every batch output equals the one computed from the input', { timeout: 120_000 }, async () => {
  const BATCHES = 30;
  const dir = tmpDir('state-small');
  const { h, procs } = await clusterWith(2);
  let job: RunningJob | undefined;
  try {
    // Every batch takes input (BATCHES queued RDDs), each partition spins 2 ms.
    // mapWithState's state at its default checkpoint interval: Spark's 10 batches (500 ms), not 10 s.
    job = await startJob(h.cluster, fixture('stream-stateful.ts'), [path.join(dir, 'ckpt'), '50', String(BATCHES), String(BATCHES), '2', 'default']);
    await job.waitLine('STATE {"i":5,', 60_000);
    assert.ok(!job.lines.some((l) => l.startsWith(`STATE {"i":${BATCHES - 1},`)), 'the job is still running at the kill');
    const [victimId, victim] = [...procs][0];
    victim.kill('SIGKILL');
    await exited(victim);
    procs.delete(victimId);
    const run = await within(job.done, 90_000, 'the stateful job');
    assert.equal(run.ok, true, show(run));
    assert.deepEqual(registeredIds(h), [...procs.keys()].sort(), 'the killed worker was declared lost; the other is still registered');
    assertStateCheckpoints(run, path.join(dir, 'ckpt'));
    assertStatefulOutputs(run, expectedStatefulOutputs(BATCHES, BATCHES, 10), 'with a worker killed');
  } finally {
    await cancelIfRunning(h.cluster, job);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad streaming input: clear errors before start, a refusing source does not kill the job, a throwing output fails it', { timeout: 90_000 }, async (t) => {
  const BAD = fixture('stream-bad-input.ts');
  const badIntervalBefore = new Set(fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('sluice-bad-interval-')));
  const { h } = await clusterWith(2);
  const failsBeforeStart = async (mistake: string, code: string, pattern: RegExp): Promise<void> => {
    const run = await within(h.run(BAD, [mistake]), 30_000, mistake);
    assert.equal(run.ok, false, show(run));
    assert.equal(run.failure?.code, code, show(run));
    assert.match(run.failure?.message ?? '', pattern);
    assert.ok(!run.lines.includes('STARTED') && !run.lines.includes('BATCH'), `nothing started:\n${run.lines.join('\n')}`);
  };

  await t.test('a window length that is not a multiple of the batch interval names both durations', () =>
    failsBeforeStart('window-length', 'SLUICE_BAD_ARGUMENT', /window length \(1500 ms\).*multiple.*\(1000 ms/),
  );
  await t.test('a window slide that is not a multiple of the batch interval names both durations', () =>
    failsBeforeStart('window-slide', 'SLUICE_BAD_ARGUMENT', /window slide \(1500 ms\).*multiple.*\(1000 ms/),
  );
  await t.test('updateStateByKey without ssc.checkpoint(dir) names checkpoint', () => failsBeforeStart('no-checkpoint', 'SLUICE_CHECKPOINT', /ssc\.checkpoint\(dir\)/));
  await t.test('a checkpoint interval that is not a multiple of the slide names both and a fix (Spark refuses it at start)', () =>
    failsBeforeStart('checkpoint-interval', 'SLUICE_BAD_ARGUMENT', /checkpoint interval \(1500 ms\) must be a multiple of its slide \(1000 ms\).*dstream\.checkpoint\(2000\)/).then(() => {
      // The checkpoint directory the program made (ssc.checkpoint) is gone with it.
      const left = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith('sluice-bad-interval-') && !badIntervalBefore.has(n));
      assert.deepEqual(left, [], 'the fixture left its checkpoint directory behind');
    }),
  );
  await t.test('dstream.checkpoint(interval) without ssc.checkpoint(dir) fails at start, naming ssc.checkpoint', () =>
    failsBeforeStart('stream-checkpoint-no-dir', 'SLUICE_CHECKPOINT', /checkpointed every 2000 ms.*ssc\.checkpoint\(dir\)/),
  );

  await t.test('a socket source whose port refuses connections: the receiver restarts, each restart reported (onReceiverStopped, as Spark\'s restart); the job stops cleanly when asked', async () => {
    const port = await freePort();
    const job = await startJob(h.cluster, BAD, ['refused', String(port)]);
    const restarts = (lines: string[]) => jsonLines<{ reason: string; lastError: string; at: number }>(lines, 'RECEIVER stopped ').filter((s) => s.reason.startsWith('Restarting receiver'));
    await job.waitLine('RECEIVER stopped ', 30_000, () => restarts(job.lines).length >= 3);
    // What `sluice stop --graceful JOB` does.
    const stopAsked = Date.now();
    h.cluster.driver.jobs.get(job.id)!.requestStop(true);
    const run = await within(job.done, 20_000, 'the refused-socket job to stop');
    assert.equal(run.ok, true, show(run));
    assert.ok(Date.now() - stopAsked < 10_000, `the job stopped ${Date.now() - stopAsked} ms after it was asked`);
    // Spark's restartReceiver: onReceiverStopped with "Restarting receiver with delay 2000ms: <why>", the error's stack as lastError.
    const errors = restarts(run.lines);
    assert.ok(errors.length >= 3, `onReceiverStopped was called repeatedly:\n${run.lines.join('\n')}`);
    for (const e of errors) {
      assert.match(e.reason, new RegExp(`^Restarting receiver with delay 2000ms: .*127\\.0\\.0\\.1:${port}`));
      assert.match(e.lastError, /ECONNREFUSED/);
    }
    assert.deepEqual(jsonLines(run.lines, 'RECEIVER error '), [], 'a restart is no onReceiverError');
    assert.ok(errors[errors.length - 1].at - errors[0].at >= 1000, 'the receiver waits between retries');
    const stopped = jsonLine<{ errors: number; batches: number; state: string }>(run.lines, 'STOPPED ');
    assert.equal(stopped.state, 'stopped');
    assert.ok(stopped.batches >= 2, `batches went on while the source refused (${stopped.batches})`);
  });

  await t.test('an output operation that throws fails the job with the user message and file:line; awaitTermination rejects', async () => {
    const run = await within(h.run(BAD, ['output-throws']), 30_000, 'the throwing-output job');
    assert.equal(run.ok, false, show(run));
    assert.match(run.failure?.message ?? '', /cannot write batch \d+: sink rejected 6 records/);
    const line = lineOf(BAD, 'cannot write batch');
    assert.ok(run.failure?.stack.includes(`${BAD}:${line}:`), `the stack names ${BAD}:${line}:\n${run.failure?.stack}`);
    assert.ok(run.lines.some((l) => l.startsWith('AWAIT_REJECTED cannot write batch')), `awaitTermination rejected with it:\n${run.lines.join('\n')}`);
  });

  await t.test('a transform function that throws as the batch is generated fails the job naming the batch, the output and the user line', async () => {
    const run = await within(h.run(BAD, ['transform-throws']), 30_000, 'the throwing-transform job');
    assert.equal(run.ok, false, show(run));
    const line = lineOf(BAD, 'is missing`');
    const output = line + 3; // the .foreachRDD under the transform
    // Spark's JobGenerator: "Error generating jobs for time T"; until 2026-12-07 (user57) the message alone.
    assert.match(
      run.failure?.message ?? '',
      new RegExp(`^Error: lookup table for batch (\\d+) is missing\\nin the streaming batch of \\1 ms \\(\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\), output operation 0 \\(foreachRDD at ${BAD.replace(/[.]/g, '\\.')}:${output}:\\d+\\), generating its RDDs on the driver$`),
    );
    assert.ok(run.failure?.stack.includes(`${BAD}:${line}:`), `the stack names ${BAD}:${line}:\n${run.failure?.stack}`);
    assert.ok(!run.lines.includes('BATCH'), 'no batch ran');
  });

  await t.test('an output operation whose task throws on a worker fails the job with the user message and file:line', async () => {
    const run = await within(h.run(BAD, ['task-throws']), 30_000, 'the throwing-task job');
    assert.equal(run.ok, false, show(run));
    assert.equal(run.failure?.code, 'SLUICE_TASK_FAILED');
    assert.match(run.failure?.message ?? '', /record 4 is not accepted by the sink/);
    const line = lineOf(BAD, 'is not accepted by the sink');
    assert.ok(run.failure?.stack.includes(`${BAD}:${line}:`), `the stack names ${BAD}:${line}:\n${run.failure?.stack}`);
    assert.ok(run.lines.some((l) => l.startsWith('AWAIT_REJECTED ') && l.includes('record 4 is not accepted')), `awaitTermination rejected with it:\n${run.lines.join('\n')}`);
  });

  await t.test('an output that throws while stop({ graceful: true }) waits: stop returns, awaitTermination rejects, the job fails', async () => {
    const run = await within(h.run(BAD, ['throws-while-stopping']), 20_000, 'the job whose output throws during a graceful stop');
    assert.equal(run.ok, false, show(run));
    assert.match(run.failure?.message ?? '', /flush of batch \d+ failed during shutdown/);
    assert.ok(run.lines.includes('STOP_RETURNED stopped'), `stop({ graceful: true }) returned:\n${run.lines.join('\n')}`);
    assert.ok(run.lines.some((l) => l.startsWith('AWAIT_REJECTED flush of batch')), `awaitTermination rejected:\n${run.lines.join('\n')}`);
  });

  // The cluster still serves.
  assert.equal(h.cluster.driver.registry.all().length, 2);
});
