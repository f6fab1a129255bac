// Flow control in a StreamingContext, in process on a manual clock with a fake cluster
// (no batch runs a task): each receiver stream gets its own PID estimate from its own
// records (not the batch's total), the rates reach the backend for the receivers, the
// receivers start with receiverMaxRate and the initial rate, and the falling-behind
// warning comes after N growing scheduling delays and goes once a batch is on time.
// The expected rates are Spark's formula written out here, fed the delays the batches
// reported (measured facts), not the estimator's own numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceContext } from '../../../src/context.js';
import { SluiceError } from '../../../src/errors.js';
import { Receiver } from '../../../src/receiver/receiver.js';
import { DirectInputDStream } from '../../../src/dstream/direct-input-dstream.js';
import type { BatchInfo, FlowStatus, ReceiverRunOptions, StreamingBackend } from '../../../src/streaming/streaming-backend.js';
import { StreamingContext } from '../../../src/streaming/streaming-context.js';

export class Idle extends Receiver<string> {
  onStart(): void {}
  onStop(): void {}
}

/** Spark's PIDRateEstimator with default gains, as a reference. */
function referencePid(batchMs: number) {
  let first = true;
  let latestRate = -1;
  let latestError = -1;
  let latestTime = -1;
  return (time: number, n: number, proc: number, sched: number): number | undefined => {
    if (!(time > latestTime && n > 0 && proc > 0)) return undefined;
    const pr = (n / proc) * 1000;
    const err = latestRate - pr;
    const hist = (sched * pr) / batchMs;
    const dErr = (err - latestError) / ((time - latestTime) / 1000);
    const rate = Math.max(100, latestRate - 1.0 * err - 0.2 * hist - 0 * dErr);
    latestTime = time;
    if (first) {
      first = false;
      latestRate = pr;
      latestError = 0;
      return undefined;
    }
    latestRate = rate;
    latestError = err;
    return rate;
  };
}

function fakeCluster(recordsPerBatch: Record<number, number>) {
  const started = new Map<number, ReceiverRunOptions>();
  const flows: FlowStatus[] = [];
  let seq = 0;
  const logs: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const streaming: StreamingBackend = {
    startReceiver: (streamId, _r, options) => void started.set(streamId, options),
    stopReceivers: async () => undefined,
    allocateBlocks: async (streamId) => ({ blocks: [{ blockId: `input_j_${streamId}_w${streamId}_${seq++}`, streamId, numRecords: recordsPerBatch[streamId] ?? 0, locations: [] }], liveWriters: [] }),
    removeBlocks: () => undefined,
    onReceiverEvent: () => undefined,
    reportBatch: () => undefined,
    reportFlow: (s) => void flows.push(s),
    onStopRequested: () => undefined,
  };
  const sc = new SluiceContext({
    jobId: 'j',
    defaultParallelism: () => 2,
    runJob: () => Promise.reject(new Error('no cluster')),
    removeRdd: async () => undefined,
    streaming,
    log: (level, message, fields) => void logs.push({ level, message, fields }),
  });
  return { sc, started, flows, logs };
}

test('per-stream PID rates reach the backend; receivers start with maxRate and initialRate; falling behind warns after 3 growing delays and clears when on time', async () => {
  const BATCH = 1000;
  const { sc, started, flows, logs } = fakeCluster({ 0: 1000, 1: 3000 });
  const ssc = new StreamingContext(sc, BATCH, { clock: 'manual', backpressure: { initialRate: 500 }, receiverMaxRate: 800, fallingBehindBatches: 3 });
  const a = ssc.receiverStream(new Idle(), 'a');
  const b = ssc.receiverStream(new Idle(), 'b');
  // Batches 1-5 take 1500 ms (behind), later ones 200 ms (catching up).
  let k = 0;
  a.union(b).foreachRDD(() => {
    k++;
    ssc.manualClock.advance(k <= 5 ? 1500 : 200);
  });
  const infos: BatchInfo[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  ssc.addStreamingListener({
    onBatchCompleted: (info) => {
      infos.push(info);
      // A batch that ended before the next batch time: move on to it.
      const next = info.batchTime + BATCH;
      if (ssc.manualClock.now() < next) ssc.manualClock.setTime(next);
      if (infos.length === 14) done();
    },
  });
  ssc.start();
  ssc.manualClock.advance(BATCH);
  await finished;
  await ssc.stop();

  assert.deepEqual([started.get(0)?.maxRate, started.get(0)?.initialRate, started.get(1)?.maxRate, started.get(1)?.initialRate], [800, 500, 800, 500]);
  assert.equal(ssc.latestRate(99), undefined, 'no such stream');

  // Each stream's rates, from its own record count and the batches' delays.
  const expected: Record<number, (number | undefined)[]> = { 0: [], 1: [] };
  for (const [streamId, n] of [[0, 1000], [1, 3000]] as const) {
    const pid = referencePid(BATCH);
    for (const i of infos.slice(0, 13)) expected[streamId].push(pid(i.batchTime, n, i.processingDelay, i.schedulingDelay));
  }
  const lastRate = (streamId: number): number | undefined => expected[streamId].filter((r) => r !== undefined).at(-1);
  const final = flows.at(-1)!;
  const rate = (s: FlowStatus, id: number) => s.rates.find((r) => r.streamId === id)?.rate;
  // (the 14th batch's estimate may or may not be in before stop: compare with the 13th's or the 14th's)
  const pid14 = (id: number, n: number) => {
    const pid = referencePid(BATCH);
    let r: number | undefined;
    for (const i of infos) r = pid(i.batchTime, n, i.processingDelay, i.schedulingDelay) ?? r;
    return r;
  };
  for (const [id, n] of [[0, 1000], [1, 3000]] as const) {
    const got = rate(final, id);
    assert.ok(got !== undefined && (Math.abs(got - lastRate(id)!) < 1e-6 || Math.abs(got - pid14(id, n)!) < 1e-6), `stream ${id}: got ${got}, expected ${lastRate(id)} or ${pid14(id, n)}`);
    assert.equal(final.rates.find((r) => r.streamId === id)?.kind, 'receiver');
  }
  assert.notEqual(rate(final, 0), rate(final, 1), 'the two streams have different records, so different rates');
  // Every published status has, for each stream, one of the reference's rates.
  const seen0 = flows.map((f) => rate(f, 0)).filter((r) => r !== undefined);
  for (const r of seen0) assert.ok(expected[0].some((e) => e !== undefined && Math.abs(e - r!) < 1e-6) || Math.abs(pid14(0, 1000)! - r!) < 1e-6, `rate ${r} of stream 0 is not one of the reference's`);

  // Falling behind: delays 0, 500, 1000, 1500, ...: the third growth is batch 4.
  const delays = infos.map((i) => i.schedulingDelay);
  let growing = 0;
  let warnAt: number | undefined;
  for (let i = 1; i < delays.length && warnAt === undefined; i++) {
    growing = delays[i] > delays[i - 1] ? growing + 1 : 0;
    if (growing === 3) warnAt = infos[i].batchTime;
  }
  assert.ok(warnAt !== undefined, `delays ${delays}`);
  const warns = logs.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1, JSON.stringify(warns));
  assert.match(warns[0].message, /falling behind.*grew for 3 batches in a row.*backpressure/);
  assert.equal(warns[0].fields.batchTime, warnAt);
  const behind = flows.find((f) => f.fallingBehind !== null)?.fallingBehind;
  assert.equal(behind?.since, warnAt);
  // Caught up: the first batch after the warning that started within one interval.
  const caught = infos.find((i) => i.batchTime > warnAt! && i.schedulingDelay < BATCH);
  assert.ok(caught, `delays ${delays}`);
  assert.ok(logs.some((l) => l.level === 'info' && /caught up/.test(l.message) && l.fields.batchTime === caught.batchTime));

  assert.equal(final.fallingBehind, null);
});

test('backpressure off: while behind, every batch publishes the current delay; caught up, the status clears', async () => {
  const BATCH = 1000;
  const { sc, flows } = fakeCluster({ 0: 10 });
  const ssc = new StreamingContext(sc, BATCH, { clock: 'manual', fallingBehindBatches: 2 });
  let k = 0;
  ssc.receiverStream(new Idle(), 'a').foreachRDD(() => {
    k++;
    ssc.manualClock.advance(k <= 5 ? 1700 : 100);
  });
  const infos: BatchInfo[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  ssc.addStreamingListener({
    onBatchCompleted: (info) => {
      infos.push(info);
      const next = info.batchTime + BATCH;
      if (ssc.manualClock.now() < next) ssc.manualClock.setTime(next);
      if (infos.length === 12) done();
    },
  });
  ssc.start();
  ssc.manualClock.advance(BATCH);
  await finished;
  await ssc.stop();
  const delays = infos.map((i) => i.schedulingDelay);
  const warnAt = delays.findIndex((d, i) => i >= 2 && d > delays[i - 1] && delays[i - 1] > delays[i - 2]);
  const caught = delays.findIndex((d, i) => i > warnAt && d < BATCH);
  assert.ok(warnAt > 0 && caught > warnAt, `delays ${delays}`);
  assert.deepEqual(flows.map((f) => f.rates), flows.map(() => []), 'no rates with backpressure off');
  // One status per batch from the warning to the catch-up, each with that batch's delay; then a cleared one.
  assert.deepEqual(
    flows.map((f) => f.fallingBehind?.schedulingDelayMs ?? null),
    [...delays.slice(warnAt, caught), null],
    `delays ${delays}`,
  );
  assert.ok(flows.slice(0, -1).every((f) => f.fallingBehind?.since === infos[warnAt].batchTime));
});

/** A direct input that does not bound its batches with maxRecordsPerRange. */
class Fixed extends DirectInputDStream<number, number> {
  protected readonly reader = (r: number): number[] => [r];
  protected async nextRanges(): Promise<readonly number[]> {
    return [];
  }
}

test('with backpressure on, receiver streams get a rate (the initial one first); a direct input that does not opt in gets none', async () => {
  const { sc } = fakeCluster({});
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual', backpressure: { initialRate: 750 } });
  const r = ssc.receiverStream(new Idle(), 'r');
  const d = new Fixed(ssc, 'fixed');
  r.foreachRDD(() => undefined);
  d.foreachRDD(() => undefined);
  assert.equal(ssc.latestRate(r.id), undefined, 'not before start()');
  ssc.start();
  try {
    assert.equal(ssc.latestRate(r.id), 750);
    assert.equal(ssc.latestRate(d.id), undefined);
  } finally {
    await ssc.stop();
  }
});

test('bad flow-control options are refused naming the option, the value and the fix', () => {
  const { sc } = fakeCluster({});
  for (const [opts, name] of [
    [{ receiverMaxRate: 0 }, 'receiverMaxRate'],
    [{ receiverMaxRate: Number.POSITIVE_INFINITY }, 'receiverMaxRate'],
    [{ backpressure: { initialRate: -5 } }, 'backpressure.initialRate'],
    [{ backpressure: { minRate: 0 } }, 'minRate'],
    [{ backpressure: 'yes' as unknown as boolean }, 'backpressure'],
    [{ fallingBehindBatches: 2.5 }, 'fallingBehindBatches'],
  ] as const) {
    assert.throws(
      () => new StreamingContext(sc, 1000, opts),
      (err: unknown) => err instanceof SluiceError && err.code === 'SLUICE_BAD_ARGUMENT' && err.message.includes(name) && /for example/.test(err.message),
      name,
    );
  }
  // Every option given as undefined is its default, as one left out (a program under
  // exactOptionalPropertyTypes passes { minRate: config.minRate }): backpressure's settings
  // too, where spreading them over the defaults refused minRate undefined.
  const all = new StreamingContext(sc, 1000, {
    clock: undefined,
    blockInterval: undefined,
    concurrentJobs: undefined,
    writeAheadLog: { rollingInterval: undefined, maxSegmentBytes: undefined, fenceKeep: undefined },
    receiverMaxBufferedRecords: undefined,
    checkpointWriteTimeout: undefined,
    backpressure: { initialRate: undefined, proportional: undefined, integral: undefined, derived: undefined, minRate: undefined },
    receiverMaxRate: undefined,
    fallingBehindBatches: undefined,
  });
  assert.equal(all.backpressureEnabled, true);
  void all.stop();
  // Off by default: no rates.
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual' });
  const s = ssc.receiverStream(new Idle(), 'x');
  assert.equal(ssc.backpressureEnabled, false);
  assert.equal(ssc.latestRate(s.id), undefined);
});

test('by default the warning comes at the 10th batch in a row whose scheduling delay grew, not the 9th; a drop starts the count again', async () => {
  const { sc, logs } = fakeCluster({});
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual' });
  ssc.receiverStream(new Idle(), 'a').foreachRDD(() => undefined);
  // Delays 0, 100, ..., 900 (9 growths), a drop to 50, then 10 growths: 150, ..., 1050.
  const delays = [...Array.from({ length: 10 }, (_, i) => i * 100), 50, ...Array.from({ length: 10 }, (_, i) => 150 + i * 100)];
  let warnedAt: number | undefined;
  delays.forEach((d, i) => {
    ssc.batchCompleted({ batchTime: (i + 1) * 1000, numRecords: 0, submissionTime: 0, processingStartTime: 0, processingEndTime: 0, schedulingDelay: d, processingDelay: 10, totalDelay: d + 10 });
    if (warnedAt === undefined && logs.some((l) => l.level === 'warn')) warnedAt = i;
  });
  assert.equal(warnedAt, delays.length - 1, `warned after delay index ${warnedAt}`);
  assert.equal(ssc.flowStatus().fallingBehind?.batches, 10);
  assert.equal(ssc.flowStatus().fallingBehind?.fromDelayMs, 50);
});
