// Issue 11, must-show "Overload": a socket stream job that can process 2,000 records/s (a
// cost of 0.5 ms per record, see fixtures/stream-overload.ts) is offered 5x that, 10,000
// numbered 1 KB lines/s, for 60 s, on a real cluster (driver + 2 worker processes on
// loopback).
//  - Backpressure on ({ backpressure: { initialRate: 400 } }): after convergence (the
//    first 20 s) the batches take in about the estimated rate (above the initial
//    one) and every batch's scheduling delay stays under 3 batch intervals; each
//    worker's RSS (/proc/PID/status) stays within RSS_BOUND_MB of where it started; the
//    source is slowed by TCP (it writes far less than offered); and once it stops, every
//    line it wrote is counted by exactly one batch (ids 0..written-1, none twice, none
//    missing): no received record is lost.
//  - Backpressure off: the scheduling delay grows every batch, and after 5 batches in a
//    row ({ fallingBehindBatches: 5 }) the falling-behind warning is in the driver's
//    log, on the job (DriverJob.fallingBehind) and in `sluice jobs`, naming the batch the
//    test finds from the job's own batch figures.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { writeWhole } from './fixtures/write-whole.js';
import { fixture, jsonLines, runCli, sleep, startJob, within, withCluster, type RunningJob } from './harness.js';

const BATCH_MS = 1000;
const COST_MS = 0.5; // per record: the job processes at most 2,000 records/s
const OFFERED = 10_000; // lines/s: 5x
const OVERLOAD_MS = 60_000;
const CONVERGED_AFTER_MS = 20_000;
/**
 * The job without backpressure has batches of half the interval: each takes in ~5,000 of the
 * 10,000 lines offered a second and costs ~2.5 s, so it falls 2 s further behind a batch (with
 * 1 s batches, 5 s each, its sixth batch, the one that warns, ended ~30 s after the start; now
 * ~15 s).
 */
const OFF_BATCH_MS = 500;
/** Growing batches before the warning, without backpressure: each batch there costs ~2.5 s, so not the default 10 (unit-tested). */
const BEHIND_BATCHES = 5;
const INITIAL_RATE = 400; // records/s until the first estimate: a fifth of what the job can process
const LINE_BYTES = 1000;
/**
 * Bound over each worker's RSS at the start of the overload, with backpressure on. Measured
 * on this 2-core machine under load (load average 12-18), four runs: peaks of +47 to +110 MB
 * over the 60 s. Without backpressure the same feed takes in ~10 MB/s of received blocks.
 */
const RSS_BOUND_MB = 200;

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  assert.ok(m, `no VmRSS for ${pid}`);
  return Math.round(Number(m[1]) / 1024);
}

/**
 * A TCP source of numbered lines ("<id, 9 digits> xxx...\n", LINE_BYTES each, ids from 0)
 * offered at a rate: every 10 ms it writes a tick's worth unless the socket is still
 * draining the last write (TCP pushes back), in which case that tick's lines are never
 * offered. `written` counts every line handed to the socket.
 */
class LineSource {
  written = 0;
  private socket: net.Socket | undefined;
  private draining = false;
  private connectedResolve!: () => void;
  readonly connected = new Promise<void>((r) => (this.connectedResolve = r));
  private constructor(readonly server: net.Server) {}

  static async start(): Promise<LineSource> {
    let src!: LineSource;
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      if (src.socket) return; // a reconnect after the end: nothing more to send
      src.socket = s;
      src.connectedResolve();
    });
    src = new LineSource(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return src;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private lines(n: number): Buffer {
    const buf = Buffer.alloc(n * LINE_BYTES, 'x');
    for (let i = 0; i < n; i++) {
      buf.write(String(this.written + i).padStart(9, '0') + ' ', i * LINE_BYTES, 'latin1');
      buf[(i + 1) * LINE_BYTES - 1] = 0x0a;
    }
    return buf;
  }

  /** Offer `rate` lines/s until `until()` says stop (checked every tick). */
  async feed(rate: number, until: () => boolean, onTick: () => void = () => undefined): Promise<void> {
    const perTick = Math.round(rate / 100);
    const s = this.socket!;
    while (!until()) {
      await sleep(10);
      onTick();
      if (this.draining) continue;
      const buf = this.lines(perTick);
      this.written += perTick;
      if (!s.write(buf)) {
        this.draining = true;
        s.once('drain', () => (this.draining = false));
      }
    }
  }

  end(): void {
    this.socket?.end();
  }

  close(): void {
    this.socket?.destroy();
    this.server.close();
  }
}

interface Info {
  readonly time: number;
  readonly n: number;
  readonly sched: number;
  readonly proc: number;
  readonly rate: number | null;
}

const counted = (job: RunningJob): number => jsonLines<{ runs: [number, number][] }>(job.lines, 'BATCH ').reduce((a, b) => a + b.runs.reduce((n, [f, l]) => n + l - f + 1, 0), 0);

test('5x overload for 60 s: with backpressure the delay stays under 3 intervals, RSS stays bounded and no received line is lost; without, the falling-behind warning appears', { timeout: 360_000 }, async () => {
  const logLines: string[] = [];
  const log = pino({ level: 'info' }, new Writable({ write: (chunk: Buffer, _e, cb) => (logLines.push(...chunk.toString().split('\n').filter(Boolean)), cb()) }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-overload-bp-'));
  try {
    await withCluster({ workers: 2, log }, async (h) => {
      const pids = h.cluster.workerProcesses.map((c) => c.pid!);

      // ---- backpressure on --------------------------------------------------------------
      const src = await LineSource.start();
      const stopOn = path.join(dir, 'stop-on');
      const on = await startJob(h.cluster, fixture('stream-overload.ts'), ['127.0.0.1', String(src.port), String(BATCH_MS), String(COST_MS), JSON.stringify({ backpressure: { initialRate: INITIAL_RATE } }), stopOn]);
      await within(src.connected, 30_000, 'the receiver to connect');
      const startRss = pids.map(rssMb);
      const peakRss = [...startRss];
      const onJob = h.cluster.driver.jobs.get(on.id)!;
      const t0 = Date.now();
      let ticks = 0;
      let sawBehind = false;
      await src.feed(OFFERED, () => Date.now() - t0 >= OVERLOAD_MS, () => {
        if (++ticks % 50 === 0) pids.forEach((p, i) => (peakRss[i] = Math.max(peakRss[i], rssMb(p))));
        sawBehind ||= onJob.fallingBehind !== undefined;
      });
      const feedEnd = Date.now();
      // The driver keeps the job's rates (what /metrics and the UI read).
      const rates = onJob.inputRates();
      assert.deepEqual(rates.map((r) => [r.streamId, r.kind]), [[0, 'receiver']]);
      assert.ok(rates[0].rate >= 100 && rates[0].rate < OFFERED / 2, `rate ${rates[0].rate}`);
      src.end();
      const written = src.written;
      // Every line written reaches some batch (what TCP still held is read at the job's rate).
      const deadline = Date.now() + 90_000;
      while (counted(on) < written && Date.now() < deadline && !on.ended) {
        pids.forEach((p, i) => (peakRss[i] = Math.max(peakRss[i], rssMb(p))));
        await sleep(200);
      }
      // Whole: the program polls for the file, then reads how to stop from it; found created but
      // still empty, it would stop at once, not gracefully, leaving received lines uncounted.
      writeWhole(stopOn, 'graceful');
      const onRun = await within(on.done, 60_000, 'the backpressure job to stop');
      src.close();
      assert.equal(onRun.ok, true, JSON.stringify(onRun.failure));

      // No received line lost or counted twice: the runs cover 0..written-1 exactly once.
      const runs = jsonLines<{ runs: [number, number][] }>(onRun.lines, 'BATCH ').flatMap((b) => b.runs).sort((a, b) => a[0] - b[0]);
      let next = 0;
      for (const [f, l] of runs) {
        assert.equal(f, next, `ids ${next}..${f - 1} ${f > next ? 'missing' : 'counted twice'} (runs ${JSON.stringify(runs.slice(0, 20))}...)`);
        next = l + 1;
      }
      assert.equal(next, written, `every one of the ${written} lines written was counted once`);
      // TCP slowed the source: it could write only a fraction of the 600,000 lines offered.
      assert.ok(written < 0.5 * OFFERED * (OVERLOAD_MS / 1000), `the source wrote ${written} lines: backpressure reached it`);

      const infos = jsonLines<Info>(onRun.lines, 'INFO ');
      const zero = Number(onRun.lines.find((l) => l.startsWith('STARTED '))!.slice(8));
      const feedStartBatch = zero + Math.ceil((t0 - zero) / BATCH_MS) * BATCH_MS;
      const converged = infos.filter((i) => i.time >= t0 + CONVERGED_AFTER_MS && i.time <= feedEnd);
      assert.ok(converged.length >= 30, `${converged.length} batches after convergence`);
      for (const i of converged) assert.ok(i.sched < 3 * BATCH_MS, `batch ${i.time - feedStartBatch} ms into the overload: scheduling delay ${i.sched} ms (>= 3 intervals)\n${JSON.stringify(infos)}`);
      // The receiver follows the estimates (not its initial rate): batches take in about the
      // estimated rate, and more than the initial rate would let in (a receiver left at it
      // takes 400/s). Not 2x it: at load 50 the job processed ~700 records/s, and the
      // estimates followed (batches took 696 on average at an estimated 708/s).
      const meanTaken = converged.reduce((a, i) => a + i.n, 0) / converged.length;
      const meanRate = converged.reduce((a, i) => a + (i.rate ?? 0), 0) / converged.length;
      assert.ok(meanTaken > 1.25 * INITIAL_RATE && meanTaken > 0.5 * meanRate, `batches took ${Math.round(meanTaken)} records on average at an estimated ${Math.round(meanRate)}/s (initial rate ${INITIAL_RATE}/s)`);
      const lastRate = converged.at(-1)!.rate;
      assert.ok(lastRate !== null && lastRate < OFFERED / 2, `the estimated rate (${lastRate}/s) is below what was offered`);
      for (let i = 0; i < pids.length; i++) assert.ok(peakRss[i] - startRss[i] <= RSS_BOUND_MB, `worker ${i}: RSS ${startRss[i]} MB at the start, ${peakRss[i]} MB at the peak (bound +${RSS_BOUND_MB} MB)`);
      assert.equal(sawBehind, false, 'the job with backpressure never fell behind');
      assert.ok(!logLines.some((l) => l.includes(on.id) && l.includes('falling behind')), 'no falling-behind warning with backpressure');
      // Convergence: the first batch after which every delay stayed under one interval.
      const during = infos.filter((i) => i.time >= feedStartBatch && i.time <= feedEnd);
      let settled = during.length;
      while (settled > 0 && during[settled - 1].sched < BATCH_MS) settled--;
      console.log(
        `# backpressure on: ${written} lines written of ${OFFERED * (OVERLOAD_MS / 1000)} offered (${Math.round(written / ((feedEnd - t0) / 1000))}/s), all counted once; ` +
          `delay under one interval from batch ${settled} of ${during.length}; max delay after ${CONVERGED_AFTER_MS / 1000} s ${Math.max(...converged.map((i) => i.sched))} ms; ` +
          `last rate ${Math.round(lastRate)}/s; RSS MB start ${startRss}, peak ${peakRss}`,
      );

      // ---- backpressure off -------------------------------------------------------------
      const src2 = await LineSource.start();
      const stopOff = path.join(dir, 'stop-off');
      const off = await startJob(h.cluster, fixture('stream-overload.ts'), ['127.0.0.1', String(src2.port), String(OFF_BATCH_MS), String(COST_MS), JSON.stringify({ fallingBehindBatches: BEHIND_BATCHES }), stopOff]);
      await within(src2.connected, 30_000, 'the receiver to connect');
      const job = h.cluster.driver.jobs.get(off.id)!;
      const t1 = Date.now();
      await src2.feed(OFFERED, () => job.fallingBehind !== undefined || Date.now() - t1 > 60_000);
      const behind = job.fallingBehind;
      assert.ok(behind, `no falling-behind warning after ${Date.now() - t1} ms:\n${off.lines.filter((l) => l.startsWith('INFO ')).join('\n')}`);
      const jobs = await runCli(['jobs', '--driver', h.cluster.driver.address], { env: { SLUICE_SECRET: h.cluster.secret, SLUICE_SECRET_FILE: '' }, timeoutMs: 30_000 });
      writeWhole(stopOff, 'now');
      src2.close();
      const offRun = await within(off.done, 60_000, 'the job without backpressure to stop');
      assert.equal(offRun.ok, true, JSON.stringify(offRun.failure));

      // The batch the warning names: the 5th in a row whose scheduling delay grew, from the job's own figures.
      const offInfos = jsonLines<Info>(offRun.lines, 'INFO ');
      let growing = 0;
      let expectedSince: number | undefined;
      for (let i = 1; i < offInfos.length && expectedSince === undefined; i++) {
        growing = offInfos[i].sched > offInfos[i - 1].sched ? growing + 1 : 0;
        if (growing === BEHIND_BATCHES) expectedSince = offInfos[i].time;
      }
      assert.equal(behind.since, expectedSince, JSON.stringify(offInfos));
      // The status is the latest batch's: read a batch after the warning (a loaded machine
      // ran one more before this test's poll saw it) it says 6. The warning itself says 5.
      assert.ok(behind.batches >= BEHIND_BATCHES, `the status counts ${behind.batches} growing batches`);
      assert.equal(jobs.code, 0, jobs.stderr);
      // (by the time `sluice jobs` ran, more batches may have grown the delay)
      assert.match(jobs.stdout, new RegExp(`WARNING ${off.id} is falling behind: scheduling delay grew for \\d+ batches in a row, now \\d+ ms \\(since batch ${behind.since}\\)`));
      const warn = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; jobId?: string; batchTime?: number; batches?: number }).find((l) => l.jobId === off.id && l.level === 40 && /falling behind/.test(l.msg));
      assert.ok(warn, 'the warning is in the driver log');
      assert.equal(warn.batchTime, behind.since);
      assert.equal(warn.batches, BEHIND_BATCHES, 'the warning came after 5 growing batches');
      assert.match(warn.msg, new RegExp(`grew for ${BEHIND_BATCHES} batches in a row`));
      assert.match(warn.msg, /backpressure: true/);
      console.log(`# backpressure off: falling-behind warning at batch ${offInfos.findIndex((i) => i.time === behind.since) + 1}, scheduling delay ${behind.schedulingDelayMs} ms`);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
