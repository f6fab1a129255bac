import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { ManualClock, type ReceiverEvent, type wire } from '@sluice/core/internal';
import { WorkerRegistry } from '../../src/cluster/worker-registry.js';
import type { WorkerEndpoint } from '../../src/rpc/worker-endpoint.js';
import { ReceiverTracker } from '../../src/streaming/receiver-tracker.js';

/** A registry of fake workers whose endpoints note the receivers started on them (by address); `addresses[i]` is worker ids[i]'s (its id by default). */
function cluster(ids: string[], addresses: string[] = ids) {
  const started: { workerId: string; desc: wire.ReceiverDescription }[] = [];
  const registry = new WorkerRegistry(
    new ManualClock(0),
    60_000,
    (address) =>
      ({
        launchTask: () => new Promise(() => undefined),
    forgetStage: () => undefined,
        killTask: () => undefined,
        releaseJob: async () => undefined,
        removeRdd: async () => undefined,
        removeBroadcast: async () => undefined,
        removeBlocks: async () => undefined,
        startReceiver: async (desc: wire.ReceiverDescription) => {
          started.push({ workerId: address, desc });
          return { ok: true };
        },
        stopReceiver: async () => undefined,
        close: () => undefined,
      }) satisfies WorkerEndpoint,
    pino({ level: 'silent' }),
    async () => 'open',
  );
  ids.forEach((id, i) => registry.register(id, addresses[i], 1));
  return { registry, started };
}

const block = (id: string): wire.ReceiverEvent__Output => ({ event: 'block', block: { block_id: id, num_records: 2, locations: [{ worker_id: 'w1', address: 'w1' }], wal: null, has_position: false, first_position: 0 }, error_stack: '' });
const report = (receiverId: string, firstSeq: number, events: wire.ReceiverEvent__Output[]): wire.ReceiverReport__Output => ({
  job_id: 'job-1',
  stream_id: 0,
  receiver_id: receiverId,
  worker_id: 'w1',
  first_seq: firstSeq,
  events,
});

test('a report sent again (its answer was lost) is applied once; a replaced placement is told to stop, and its blocks are kept', () => {
  const { registry, started } = cluster(['w1', 'w2']);
  const events: ReceiverEvent[] = [];
  const tracker = new ReceiverTracker('job-1', 'sha', registry, (e) => events.push(e), pino({ level: 'silent' }), new ManualClock(0));
  try {
    tracker.start(0, new Uint8Array(), { blockIntervalMs: 200, maxBufferedRecords: 1000 }, 'SocketReceiver');
    assert.equal(started.length, 1);
    const first = started[0].desc.receiver_id!;
    assert.deepEqual(tracker.report(report(first, 1, [{ event: 'started', started: true, error_stack: '' }, block('b1'), block('b2')])), { keep: true, rateLimit: 0, appliedSeq: 3 });
    // The same report again, and one overlapping it: b1, b2 are not taken twice.
    assert.deepEqual(tracker.report(report(first, 1, [{ event: 'started', started: true, error_stack: '' }, block('b1'), block('b2')])), { keep: true, rateLimit: 0, appliedSeq: 3 });
    assert.deepEqual(tracker.report(report(first, 3, [block('b2'), block('b3')])), { keep: true, rateLimit: 0, appliedSeq: 4 });
    // A report after a gap (events 5 and 6 never came): nothing of it is applied, and the
    // answer says 4, so the worker sends 5 on again; then all of it is taken, in order.
    assert.deepEqual(tracker.report(report(first, 7, [block('b6')])), { keep: true, rateLimit: 0, appliedSeq: 4 });
    assert.deepEqual(tracker.report(report(first, 5, [block('b4'), block('b5'), block('b6')])), { keep: true, rateLimit: 0, appliedSeq: 7 });
    assert.deepEqual(tracker.allocate(0).map((b) => b.blockId), ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    assert.deepEqual(tracker.allocate(0), []);
    assert.deepEqual(events.map((e) => e.type), ['started']);

    // Its worker is declared lost: the receiver is placed again (after the restart delay);
    // the old placement's late report is still taken, and it is told to stop.
    registry.markLost(started[0].workerId, 'test');
    assert.deepEqual(tracker.report(report(first, 8, [block('b7')])), { keep: false, rateLimit: 0, appliedSeq: 8 });
    assert.deepEqual(tracker.allocate(0).map((b) => b.blockId), ['b7']);
  } finally {
    tracker.close();
  }
  assert.equal(tracker.size, 0, 'close() clears every per-job map');
  assert.equal(tracker.report(report('0.1', 9, [block('b9')])).keep, false, 'a closed tracker keeps nothing');
});

test("backpressure's rate goes with every answer to the receiver's reports; placed again, the receiver starts at it and keeps its maxRate", async () => {
  const { registry, started } = cluster(['w1', 'w2']);
  const tracker = new ReceiverTracker('job-1', 'sha', registry, () => undefined, pino({ level: 'silent' }), new ManualClock(0));
  try {
    tracker.start(0, new Uint8Array(), { blockIntervalMs: 200, maxBufferedRecords: 1000, maxRate: 5000, initialRate: 300 }, 'SocketReceiver');
    assert.deepEqual([started[0].desc.max_rate, started[0].desc.initial_rate], [5000, 300]);
    const first = started[0].desc.receiver_id!;
    assert.deepEqual(tracker.report(report(first, 1, [block('b1')])), { keep: true, rateLimit: 0, appliedSeq: 1 }, 'no rate yet');
    tracker.updateRate(0, 1234.5);
    tracker.updateRate(0, 0); // not a rate: ignored (as Spark's RateLimiter.updateRate)
    tracker.updateRate(7, 99); // no such stream
    assert.equal(tracker.rateOf(0), 1234.5);
    assert.equal(tracker.rateOf(7), undefined);
    assert.deepEqual(tracker.report(report(first, 2, [block('b2')])), { keep: true, rateLimit: 1234.5, appliedSeq: 2 });
    registry.markLost(started[0].workerId, 'test');
    await new Promise((r) => setTimeout(r, 1100)); // the restart delay
    assert.equal(started.length, 2);
    assert.deepEqual([started[1].desc.max_rate, started[1].desc.initial_rate], [5000, 1234.5]);
    // The first placement's writer ended: its log is sealed before it is read; the new one runs.
    assert.deepEqual(tracker.endedWriters(0), [started[0].desc.writer]);
    assert.deepEqual(tracker.liveWriters(0), [started[1].desc.writer]);
    // Its worker declared lost, the first placement may be frozen, not dead: not released (the
    // log keeps its fence)...
    assert.deepEqual(tracker.releasedWriters(0), []);
    // ...until it is heard from again and told to stop (its worker then drops it).
    assert.equal(tracker.report(report(first, 3, [block('b3')])).keep, false);
    assert.deepEqual(tracker.releasedWriters(0), [started[0].desc.writer]);
    // A placement that stops by itself is released at its stop.
    const second = started[1].desc.receiver_id!;
    tracker.report({ ...report(second, 1, [{ event: 'stopped', stopped: 'done', error_stack: '' }]), worker_id: started[1].workerId });
    assert.deepEqual(tracker.releasedWriters(0), [started[0].desc.writer, started[1].desc.writer]);
  } finally {
    tracker.close();
  }
});

test("a rate estimated before the stream's receiver starts (a recovered job's batches estimate first): the receiver starts at it, not at the initial rate", () => {
  // Seen while reading a chaos-probe --flow round: after a driver restart the recovered
  // batches can put the estimate at its floor before the receiver starts; the rate was dropped.
  const { registry, started } = cluster(['w1']);
  const tracker = new ReceiverTracker('job-1', 'sha', registry, () => undefined, pino({ level: 'silent' }), new ManualClock(0));
  try {
    tracker.updateRate(0, 10);
    tracker.updateRate(1, 0); // not a rate: ignored
    assert.equal(tracker.rateOf(0), undefined, 'no receiver runs yet');
    tracker.start(0, new Uint8Array(), { blockIntervalMs: 200, maxBufferedRecords: 1000, maxRate: 120, initialRate: 60 }, 'SocketReceiver');
    tracker.start(1, new Uint8Array(), { blockIntervalMs: 200, maxBufferedRecords: 1000, maxRate: 120, initialRate: 60 }, 'SocketReceiver');
    assert.deepEqual(started.map((s) => [s.desc.stream_id, s.desc.initial_rate]), [[0, 10], [1, 60]]);
    assert.equal(tracker.rateOf(0), 10);
    assert.deepEqual(tracker.report(report(started[0].desc.receiver_id!, 1, [block('b1')])), { keep: true, rateLimit: 10, appliedSeq: 1 });
  } finally {
    tracker.close();
  }
});

test('a batch takes the blocks reported before its time, however late it asks; only a prefix of the arrivals, so a clock stepping back keeps their order', () => {
  const { registry, started } = cluster(['w1']);
  const clock = new ManualClock(10_000);
  const tracker = new ReceiverTracker('job-1', 'sha', registry, () => undefined, pino({ level: 'silent' }), clock);
  try {
    tracker.start(0, new Uint8Array(), { blockIntervalMs: 200, maxBufferedRecords: 1000 }, 'SocketReceiver');
    const id = started[0].desc.receiver_id!;
    // Blocks reported at 10,100, 10,600, 11,100, 11,600, 12,100, 12,600 (batches of 1 s at 11,000, 12,000, 13,000).
    for (let i = 1; i <= 6; i++) {
      clock.setTime(9_600 + 500 * i);
      tracker.report(report(id, i, [block(`b${i}`)]));
    }
    // The batch at 11,000 asks at 12,700 (its driver program was busy): its own two blocks only.
    assert.deepEqual(tracker.allocate(0, 11_000).map((b) => b.blockId), ['b1', 'b2']);
    assert.deepEqual(tracker.allocate(0, 12_000).map((b) => b.blockId), ['b3', 'b4']);
    assert.deepEqual(tracker.allocate(0, 12_000), [], 'nothing is handed out twice');
    // The clock steps back: b8, reported "earlier" than b7, waits for b7's batch, not before it.
    clock.setTime(12_700);
    tracker.report(report(id, 7, [block('b7')]));
    clock.setTime(12_400);
    tracker.report(report(id, 8, [block('b8')]));
    assert.deepEqual(tracker.allocate(0, 12_650).map((b) => b.blockId), ['b5', 'b6']);
    // No time (a manual clock's batch): every block reported so far.
    assert.deepEqual(tracker.allocate(0).map((b) => b.blockId), ['b7', 'b8']);
  } finally {
    tracker.close();
  }
});

test("Receiver.preferredLocation, as Spark's ReceiverSchedulingPolicy: a live worker at that host (or with that id), the least loaded of them; else any; placed again after a loss, there when another is", async () => {
  const ids = ['w1', 'w2', 'w3', 'w4'];
  const addresses = ['10.0.0.1:7078', '10.0.0.2:7078', '10.0.0.2:7079', '[fd00::3]:7078'];
  const { registry, started } = cluster(ids, addresses);
  const tracker = new ReceiverTracker('job-1', 'sha', registry, () => undefined, pino({ level: 'silent' }), new ManualClock(0));
  const opts = (preferredLocation?: string) => ({ blockIntervalMs: 200, maxBufferedRecords: 1000, ...(preferredLocation === undefined ? {} : { preferredLocation }) });
  const on = (i: number): string => ids[addresses.indexOf(started[i].workerId)];
  try {
    // Without a preference the first receiver goes to the first of the idle workers (w1): the
    // preferred ones below are not where it would go anyway.
    tracker.start(0, new Uint8Array(), opts(), 'A');
    assert.equal(on(0), 'w1');
    // Two receivers preferring host 10.0.0.2: one on each of its two workers (fewest receivers there first).
    tracker.start(1, new Uint8Array(), opts('10.0.0.2'), 'B');
    tracker.start(2, new Uint8Array(), opts('10.0.0.2'), 'C');
    assert.deepEqual([on(1), on(2)].sort(), ['w2', 'w3']);
    // By worker id, and an IPv6 host without its brackets.
    tracker.start(3, new Uint8Array(), opts('w3'), 'D');
    assert.equal(on(3), 'w3', 'by worker id, though w3 runs a receiver and w4 none');
    tracker.start(4, new Uint8Array(), opts('fd00::3'), 'E');
    assert.equal(on(4), 'w4');
    // A host with no worker: placed all the same, on the least loaded (w4 and w1 run one each, w2 one, w3 two).
    tracker.start(5, new Uint8Array(), opts('10.9.9.9'), 'F');
    assert.notEqual(on(5), 'w3');
    // B's worker lost: placed again at 10.0.0.2 on the other worker there, not elsewhere.
    const bOn = on(1);
    registry.markLost(bOn, 'test');
    await new Promise((r) => setTimeout(r, 1100)); // the restart delay
    const again = started.findIndex((x, i) => i > 5 && x.desc.stream_id === 1);
    assert.ok(again > 5, 'B was placed again');
    assert.equal(on(again), bOn === 'w2' ? 'w3' : 'w2', 'placed again on the other worker at its preferred host');
  } finally {
    tracker.close();
  }
});
