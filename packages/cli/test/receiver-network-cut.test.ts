// A reliable receiver with the write-ahead log on, cut off from the cluster by the network
// while its process goes on running. One cluster for the file (worker-fault-support.ts: a
// driver in this process, 2 worker processes, a 3 s worker timeout, heartbeats every 500 ms)
// and a third worker whose every link goes through TCP proxies (network-fault-support.ts; it
// advertises 127.0.0.2). The receiver (fixtures/stream-reliable-receiver.ts over the test's
// replayable TCP source) names 127.0.0.2 as its preferredLocation, as Spark's
// Receiver.preferredLocation, and so runs on that worker. While it receives, the worker's links
// are broken for 8 s: reset with every new connection refused, then, in a second run, held open
// and silent. The cut-off receiver still reaches its source and the log's directory, and goes
// on logging and acknowledging: the driver declares its worker lost by the heartbeat timeout
// and places the receiver on another worker; the replaced writer is sealed, so what it logged
// before the seal is read from its log and what it logs after counts nowhere (those stores are
// refused and never acknowledged: the source sends them to the new receiver). When the link is
// back the worker registers again. Every line the source generated is counted exactly once in
// the final state, checked against counts computed here from the source's own lines.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { batchesWhere } from './batch-progress.js';
import { fixture, sleep, startJob, within, type RunningJob } from './harness.js';
import { addProxiedWorker, lostByTimeout, type Break } from './network-fault-support.js';
import { ReplayableSource } from './replayable-source.js';
import { BATCH_MS, membership, registeredAgain, stopAndCheckCounts, withFaultCluster } from './worker-fault-support.js';

/** How long the link stays broken: well past the worker timeout. */
const BREAK_MS = 8000;

interface ReceiverStarted {
  readonly workerId: string;
  readonly at: number;
}

test('a reliable receiver with the write-ahead log, on the worker its preferredLocation names, cut off by the network and replaced: every line counted once', { timeout: 540_000 }, async (t) => {
  await withFaultCluster(async (h, procs) => {
    const { joined, lost } = membership(h);
    const w = await addProxiedWorker(h, procs);
    const summary: string[] = [];
    try {
      for (const [i, fault] of (['cut', 'hold'] as const).entries()) {
        const what = fault === 'cut' ? 'reset, new connections refused' : 'held open and silent';
        await t.test(`its links ${what} for ${BREAK_MS / 1000} s while it receives`, async () => {
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-receiver-cut-'));
          const source = new ReplayableSource(11 + i);
          let job: RunningJob | undefined;
          const t0 = Date.now();
          const phases: string[] = [];
          const phase = (name: string): void => void phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
          try {
            const port = await source.listen();
            const stopFile = path.join(dir, 'stop');
            job = await startJob(h.cluster, fixture('stream-reliable-receiver.ts'), ['127.0.0.1', String(port), String(BATCH_MS), path.join(dir, 'ckpt'), 'wal', stopFile, '250', '127.0.0.2']);
            const started = (): ReceiverStarted[] => job!.lines.filter((l) => l.startsWith('RECEIVER started ')).map((l) => JSON.parse(l.slice('RECEIVER started '.length)) as ReceiverStarted);
            await job.waitLine('RECEIVER started ', 60_000);
            assert.equal(started()[0].workerId, w.id, `the receiver runs on the worker at its preferredLocation 127.0.0.2 (${w.id}), not on ${started()[0].workerId}`);
            phase('receiver started');
            source.start(5, 25); // 200 lines/s
            await batchesWhere(job, '5 batches with records', (bs) => bs.filter((b) => b.numRecords > 0).length >= 5);
            assert.ok(source.acked > 0, 'the receiver acknowledged lines before the break');
            const ackedAtBreak = source.acked;
            phase('5 batches');
            let b: Break | undefined;
            let healedAt: number | undefined;
            try {
              b = w.break(fault);
              const lostAt = await lostByTimeout(lost, w.id, b);
              // Placed again on another worker (none other is at 127.0.0.2), while the link is down.
              const moved = await within(
                (async () => {
                  for (;;) {
                    const s = started().find((x) => x.workerId !== w.id);
                    if (s) return s;
                    await sleep(50);
                  }
                })(),
                60_000,
                'the receiver to start on another worker',
              );
              const ackedWhileCut = source.acked - ackedAtBreak;
              await sleep(Math.max(0, b.at + BREAK_MS - Date.now()));
              summary.push(`${fault}: declared lost ${lostAt - b.at} ms after the break, placed again ${moved.at - b.at} ms after; ${ackedWhileCut} lines acknowledged from the break to the new placement's start and after`);
            } finally {
              w.heal();
              healedAt = Date.now();
            }
            phase('healed');
            // A held link's worker took 15 s to register again at load 43 (its calls wait out their deadlines).
            await registeredAgain(joined, w.id, healedAt, 120_000);
            phase('registered again');
            const backAt = Date.now();
            // Lines go on being counted after the link came back.
            await batchesWhere(job, '10 batches with records after the link came back', (bs) => bs.filter((x) => x.time > backAt && x.numRecords > 0).length >= 10);
            phase('10 batches after');
            const result = await stopAndCheckCounts(job, source, stopFile);
            phase('stopped and checked');
            assert.ok(source.connections >= 2, 'the source served the receiver that replaced the cut-off one');
            summary.push(`${fault}: ${phases.join(', ')}`);
            summary.push(`${fault}: ${source.lines.length} lines, ${source.acked} acknowledged (${ackedAtBreak} at the break), ${source.resent} sent again, ${source.connections} connections, ${result.lines.filter((l) => l.startsWith('BATCH ')).length} batches`);
          } finally {
            if (job && !job.ended) {
              h.cluster.driver.jobs.get(job.id)?.cancel();
              await within(job.done, 30_000, 'the cancelled job to end').catch(() => undefined);
            }
            await source.close();
            fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
          }
        });
      }
    } finally {
      await w.stop();
      console.log(`# ${summary.join('\n# ')}`);
    }
  }, 2);
});
