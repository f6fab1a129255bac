// Reliable receivers and the receiver write-ahead log on a real cluster (a driver and 3
// worker processes): a custom receiver over the test's replayable TCP source acknowledges
// lines only after `await store()` resolved. kill -9 of the receiver's worker, with the
// log off (blocks replicated) and on (blocks logged, read back from the log): every line
// the source generated is counted exactly once in the final state, checked against word
// counts computed here from the source's own lines. The source sends again what the
// killed receiver had not acknowledged, some of it already durable (the window between
// durable and acknowledged that every ack-based source has, at least once in Spark); the
// receiver gives each line's number as its source position, so none counts twice. With the log on, the log's segments
// are deleted as batches complete (a bounded number at any time) and all are gone once
// the job stopped gracefully.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { addWorkers, exited } from './cluster-workers.js';
import { batchesWhere, type BatchLine } from './batch-progress.js';
import { fixture, jsonLine, jsonLines, sleep, startJob, withCluster, within, type JobRun, type RunningJob } from './harness.js';
import { ReplayableSource, checkCounts } from './replayable-source.js';
import { fileTree } from './fixtures/file-tree.js';
import { stopAndDrain } from './worker-fault-support.js';

const BATCH_MS = 500;
const ROLL_MS = 250;
/** How long the stream remembers received blocks: twice the fixture's state checkpoint interval (2 s), as Spark's DStream.initialize. */
const REMEMBER_MS = 2 * 2000;

const show = (run: JobRun): string => `${JSON.stringify(run.failure)}\n${run.lines.slice(-30).join('\n')}`;

/**
 * Watches a log directory: every segment name seen, the most present at once, and the
 * segment kept longest after the batches that could hold its blocks (see `worst`).
 */
class SegmentWatcher {
  readonly seen = new Set<string>();
  maxPresent = 0;
  /**
   * Per writer, the closed segment still present the longest after its close, counted in the stream's
   * own batch time: `overdueMs` is how far the newest completed batch was past the moment
   * the segment's writer rolled to its next segment (its blocks all came before). On a
   * loaded machine batches complete late, and deletion waits for them by design; measured
   * in batch time that wait does not grow with the load, only with what the stream remembers.
   */
  readonly worst = new Map<string, { segment: string; overdueMs: number; present: number }>();
  private readonly firstSeen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  /** `newestBatch`: the time of the newest batch the job reported completed (undefined before the first). */
  constructor(
    private readonly dir: string,
    private readonly newestBatch: () => number | undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      const now = Date.now();
      const names = this.present();
      for (const n of names) {
        this.seen.add(n);
        if (!this.firstSeen.has(n)) this.firstSeen.set(n, now);
      }
      this.maxPresent = Math.max(this.maxPresent, names.length);
      const batch = this.newestBatch();
      if (batch === undefined) return;
      for (const n of names) {
        const closedAt = this.closedAt(n);
        if (closedAt === undefined) continue;
        const overdueMs = batch - closedAt;
        const writer = n.slice(0, n.indexOf('.'));
        const was = this.worst.get(writer);
        if (was === undefined || overdueMs > was.overdueMs) this.worst.set(writer, { segment: n, overdueMs, present: names.length });
      }
    }, 40);
  }

  /**
   * The closed segments present now that were kept more than `slackMs` of batch time after
   * their close (each with how long).
   */
  keptPast(slackMs: number): string[] {
    const batch = this.newestBatch();
    if (batch === undefined) return [];
    return this.present().flatMap((n) => {
      const closedAt = this.closedAt(n);
      return closedAt !== undefined && batch - closedAt > slackMs ? [`${n} (${batch - closedAt} ms)`] : [];
    });
  }

  /** When the writer of segment `name` (`<writer>.<firstSeq>.wal`) was first seen writing a later one; undefined while none. */
  private closedAt(name: string): number | undefined {
    const [writer, seq] = name.split('.');
    let at: number | undefined;
    for (const [n, t] of this.firstSeen) {
      const [w, s] = n.split('.');
      if (w === writer && Number(s) > Number(seq)) at = Math.min(at ?? t, t);
    }
    return at;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  present(): string[] {
    try {
      return fs.readdirSync(this.dir).filter((n) => n.endsWith('.wal'));
    } catch {
      return [];
    }
  }
}

test('reliable receivers and the write-ahead log on a cluster', { timeout: 240_000 }, async (t) => {
  const summary: string[] = [];
  await withCluster({ workers: 0, logLevel: 'error', driver: { heartbeatIntervalMs: 500 } }, async (h) => {
    const procs = new Map<string, ChildProcess>();
    await addWorkers(h, 3, procs);
    const failsBeforeStart = async (mistake: string, code: string, pattern: RegExp): Promise<void> => {
      const run = await within(h.run(fixture('stream-bad-input.ts'), [mistake]), 30_000, mistake);
      assert.equal(run.ok, false, show(run));
      assert.equal(run.failure?.code, code, show(run));
      assert.match(run.failure?.message ?? '', pattern);
      assert.ok(!run.lines.includes('STARTED'), `nothing started:\n${run.lines.join('\n')}`);
    };
    await t.test('the write-ahead log without a checkpoint directory is an error at start naming ssc.checkpoint(dir)', () =>
      failsBeforeStart('wal-no-checkpoint', 'SLUICE_CHECKPOINT', /write-ahead log .*needs a checkpoint directory.*ssc\.checkpoint\(dir\)/),
    );
    await t.test('a receiver buffer bound of 0 records is an error naming the option and the value', () =>
      failsBeforeStart('wal-bad-buffer', 'SLUICE_BAD_ARGUMENT', /receiverMaxBufferedRecords must be a whole number of records >= 1, got 0/),
    );
    await t.test("a receiver's preferredLocation() that is not a host or worker id (blank) is an error at start naming the receiver", () =>
      failsBeforeStart('bad-preferred-location', 'SLUICE_BAD_ARGUMENT', /BlankPlace\.preferredLocation\(\) must return a worker's host .* or a worker id, or undefined for none; got " {2}"/),
    );
    await t.test("kill -9 of a reliable receiver's worker, write-ahead log off and on: no line lost, none counted twice; log segments bounded and deleted with their batches", async () => {
    for (const mode of ['nowal', 'wal'] as const) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-wal-'));
      const ckpt = path.join(dir, 'ckpt');
      const logDir = path.join(ckpt, 'receivedData', '0');
      const source = new ReplayableSource(mode === 'wal' ? 7 : 3);
      let started: RunningJob | undefined;
      const watcher = new SegmentWatcher(logDir, () => {
        const line = started?.lines.findLast((l) => l.startsWith('BATCH '));
        return line === undefined ? undefined : (JSON.parse(line.slice('BATCH '.length)) as BatchLine).time;
      });
      try {
        const port = await source.listen();
        const job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), ckpt, mode, path.join(dir, 'stop'), String(ROLL_MS)]);
        started = job;
        watcher.start();
        const receiver = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
        source.start(5, 25); // 200 lines/s
        await batchesWhere(job, '5 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 5);
        const victim = procs.get(receiver.workerId)!;
        assert.ok(victim, 'the receiver runs on a known worker process');
        assert.ok(source.acked > 0, 'the receiver acknowledged lines before the kill');
        victim.kill('SIGKILL');
        await exited(victim);
        procs.delete(receiver.workerId);
        await sleep(100); // acknowledgements the dead receiver wrote are read by now; its successor starts 1 s later at the earliest
        const ackedAtKill = source.acked;
        await job.waitLine('RECEIVER started ', 30_000, (l) => !l.includes(`"${receiver.workerId}"`));
        const resumedAt = Date.now();
        await batchesWhere(job, '20 batches with records after the restart', (bs) => bs.filter((b) => b.time > resumedAt && b.numRecords > 0).length >= 20);
        await stopAndDrain(job, source, BATCH_MS);
        if (mode === 'wal') {
          // Deleted as batches are forgotten, not at the stop: with the stream running (and now
          // idle), every closed segment whose batches the stream no longer remembers goes,
          // waited for by the stream's progress (20 more batches at most), not by the clock.
          const from = jsonLines<BatchLine>(job.lines, 'BATCH ').length;
          await batchesWhere(job, 'the closed log segments of forgotten batches to be deleted', (bs) => {
            const kept = watcher.keptPast(REMEMBER_MS + 2 * BATCH_MS);
            assert.ok(kept.length === 0 || bs.length < from + 20, `closed log segments kept past their batches over 20 batches: ${kept.join(', ')}`);
            return kept.length === 0;
          });
        }
        const midRunPresent = watcher.present().length;
        fs.writeFileSync(path.join(dir, 'stop'), '');
        const result = await within(job.done, 60_000, 'the job to stop');
        watcher.stop();
        assert.equal(result.ok, true, `${mode}: the job failed: ${show(result)}`);
        // Stopped means stopped: nothing under the checkpoint directory changes once stop()
        // returned (no log segment, no state or metadata checkpoint written late), checked
        // over 3 batch intervals (the receiver cut a block every 100 ms while it ran).
        const atStop = jsonLine<Record<string, string>>(result.lines, 'TREE ');
        assert.ok(Object.keys(atStop).length > 0, 'the checkpoint directory holds files at the stop');
        await sleep(3 * BATCH_MS);
        assert.deepEqual(fileTree(ckpt), atStop, `${mode}: nothing is written to the checkpoint directory after stop() returned`);
        const state = new Map(jsonLine<[string, number][]>(result.lines, 'FINAL '));
        checkCounts(state, source);
        assert.ok(source.connections >= 2, 'the source served a restarted receiver');
        if (mode === 'wal') {
          // Segments rolled every 250 ms over ~14 s; those of forgotten batches were deleted as
          // batches completed (the stream remembers 4 s for its state checkpoints). What is
          // left after the stop holds the last remembered batches (kept for a restart), and
          // nothing of the killed receiver's writer, whose batches are long forgotten.
          assert.ok(watcher.seen.size >= 32, `segments were rolled (${watcher.seen.size} seen)`);
          const writerOf = (n: string): string => n.slice(0, n.indexOf('.'));
          const writers = [...new Set([...watcher.seen].map(writerOf))];
          assert.equal(writers.length, 2, `two writers: the killed receiver and its successor (${writers.join(', ')})`);
          // The successor's writer is the later one (writer names begin with their start time in
          // base 36).
          const successor = writers.sort().at(-1)!;
          // A closed segment's blocks are in the batches up to about one interval after its
          // close; the stream remembers them REMEMBER_MS more (twice the state's checkpoint
          // interval, as in Spark), and the batch that forgets them deletes it. Counted in batch
          // time, not by the clock: on a loaded machine batches complete late and segments wait
          // for them by design (the count present at once then grows, and bounding that count
          // failed at 1.7x the designed lag). Measured 4.3-4.8 s at load 3-16, 5.2-5.7 s at load
          // 25-29 (the deletion itself trails the batch that allows it, more so under load): the
          // bound is 20 batches past what is remembered. Segments never deleted are caught before
          // the stop (the wait above: the successor's first one was kept 11 s by then).
          // The killed receiver's segments wait for its seal (once its worker is declared lost,
          // later on a loaded machine): what is left of them is checked below.
          const kept = watcher.worst.get(successor);
          const keptAtMost = REMEMBER_MS + 20 * BATCH_MS;
          assert.ok(kept !== undefined && kept.overdueMs <= keptAtMost, `no closed segment of the live writer is kept over ${keptAtMost} ms of batches after its close: ${JSON.stringify([...watcher.worst])}`);
          const left = watcher.present();
          assert.ok(left.length <= 20, `at most 20 segments are left after the run (${left.length})`);
          // Nothing may be left at all of the killed receiver: a graceful stop whose last batches
          // forgot every block the receiver logged deletes its last segment too (seen at 2f0c854 and after).
          assert.deepEqual(left.filter((n) => writerOf(n) !== successor), [], 'no segment of the killed receiver is left');
        } else {
          assert.equal(watcher.seen.size, 0, 'no log is written with the log off');
        }
        summary.push(`${mode}: ${source.lines.length} lines, ${source.acked} acknowledged (${ackedAtKill} at the kill), ${source.resent} sent again to the restarted receiver, ${source.connections} connections, segments seen ${watcher.seen.size}, at most ${watcher.maxPresent} at once (kept longest: ${JSON.stringify([...watcher.worst.values()])}), ${midRunPresent} before the stop`);
      } finally {
        watcher.stop();
        // After a failed assertion the job still runs, its receiver still logging into `dir`:
        // end it first, or removing `dir` races its writes (ENOTEMPTY, hiding the failure).
        if (started && !started.ended) {
          h.cluster.driver.jobs.get(started.id)?.cancel();
          await within(started.done, 30_000, 'the cancelled job to end').catch(() => undefined);
        }
        await source.close();
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
      }
      await addWorkers(h, 1, procs);
    }
    });
  });
  console.log(`# ${summary.join('\n# ')}`);
});
