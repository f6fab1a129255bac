import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Receiver, decodeRecords, emitLines, isLineBlock } from '@sluice/core/internal';
import { ReceiverSupervisorImpl, type SupervisorSink } from '../../src/receiver/receiver-supervisor.js';

class Idle extends Receiver<number> {
  onStart(): void {}
  onStop(): void {}
}

function sink() {
  const blocks: { blockId: string; records: number[] }[] = [];
  const s: SupervisorSink = {
    block: (blockId, data, count) => {
      const records: unknown[] = [];
      if (isLineBlock(data)) emitLines(data, (l) => records.push(l));
      else records.push(...decodeRecords<unknown[]>(data));
      assert.equal(count, records.length, `block ${blockId} reports the records it holds`);
      blocks.push({ blockId, records: records as number[] });
    },
    error: () => undefined,
    started: () => undefined,
    stopped: () => undefined,
    restarting: () => undefined,
  };
  return { blocks, s };
}

const settled = async (p: Promise<unknown>): Promise<'resolved' | 'rejected' | 'pending'> => {
  let state: 'resolved' | 'rejected' | 'pending' = 'pending';
  p.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  await new Promise((r) => setImmediate(r));
  return state;
};

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('store resolves only once its block is durable; a full buffer makes store wait, taking its records only when there is room', async () => {
  const { blocks, s } = sink();
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 20, 10, s);
  sup.start();
  try {
    const a = r.store([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(r.bufferFull(), true, '10 records held of 10');
    const b = r.store([11, 12]);
    await tick(60);
    assert.deepEqual(blocks.map((x) => x.records), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], 'the waiting store is not in a block yet');
    assert.equal(await settled(a), 'pending', 'not durable before the worker says so');
    assert.equal(await settled(b), 'pending');
    sup.onStored(blocks[0].blockId);
    assert.equal(await settled(a), 'resolved');
    assert.equal(await settled(b), 'pending', 'taken into the buffer, not yet durable');
    await tick(60);
    assert.deepEqual(blocks[1].records, [11, 12]);
    sup.onStored(blocks[1].blockId, 'disk full');
    assert.equal(await settled(b), 'rejected', 'a block that could not be made durable rejects its stores');
    assert.equal(sup.heldRecords, 0);
  } finally {
    sup.stop('test over');
  }
});

test('a store that fills the bound cuts its block at once, not at the next tick; one under it waits for the timer', async () => {
  const { blocks, s } = sink();
  const r = new Idle();
  // A block interval no test run reaches: every cut below is the bound's, made inside store() (synchronous).
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 3_600_000, 10, s);
  sup.start();
  try {
    const a = r.store([1, 2, 3, 4, 5, 6]);
    assert.equal(blocks.length, 0, '6 of 10: no block before the timer');
    const b = r.store([7, 8, 9, 10]);
    assert.deepEqual(blocks.map((x) => x.records), [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]], 'the store reaching 10 of 10 cut the block');
    const c = r.store([11]);
    assert.equal(blocks.length, 1, 'full: the next store waits, untaken');
    assert.equal(sup.heldRecords, 10);
    sup.onStored(blocks[0].blockId);
    assert.deepEqual([await settled(a), await settled(b)], ['resolved', 'resolved']);
    assert.equal(sup.heldRecords, 1, 'room again: the waiting store taken');
    assert.equal(blocks.length, 1, 'and held for the timer, under the bound');
    assert.equal(await settled(c), 'pending');
    // Lines stored as bytes: the store reaching the bound cuts their line block too.
    void r.storeLines({ parts: [Buffer.from('a\nb\nc\nd\ne\nf\ng\nh\ni\n')], bytes: 18, lines: 9 });
    assert.deepEqual(
      blocks.map((x) => x.records),
      [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i']],
      'the record block cut for the lines (a block holds one kind), then the 9 lines once 1 + 9 of 10 were held',
    );
  } finally {
    sup.stop('test over');
  }
});

test('stores still waiting at the stop go into blocks of up to the bound, not one block each past it', async () => {
  const { blocks, s } = sink();
  const r = new Idle();
  // 1 record/s, a block interval no test run reaches, a bound of 10: the first store is taken
  // (the bucket starts with 1 token), the 99 after it wait for the rate, never admitted here.
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 3_600_000, 10, s, { maxRate: 1, initialRate: 1 });
  sup.start();
  const stores: Promise<void>[] = [];
  for (let i = 1; i <= 100; i++) stores.push(r.store(i));
  assert.equal(blocks.length, 0);
  assert.equal(sup.heldRecords, 1, 'one store taken, 99 waiting for the rate');
  await sup.stop('stopped with stores waiting');
  // Every record, in order, in the fewest blocks the bound allows (computed here: 100 records in 10s).
  assert.deepEqual(blocks.flatMap((b) => b.records), Array.from({ length: 100 }, (_, i) => i + 1));
  assert.deepEqual(
    blocks.map((b) => b.records.length),
    Array.from({ length: 10 }, () => 10),
    'blocks of 10 records (before, each store past the bound was a block of 1: 10 + 90 blocks)',
  );
  for (const b of blocks) sup.onStored(b.blockId);
  assert.deepEqual(await Promise.all(stores.map(settled)), stores.map(() => 'resolved'), 'each store resolved with its block');
});

test('fire-and-forget stores still work, and a rejected store nobody awaits is no unhandled rejection', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const { blocks, s } = sink();
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 20, 100, s);
  sup.start();
  try {
    void r.store(1);
    void r.store([2, 3]);
    await tick(60);
    assert.deepEqual(blocks[0].records, [1, 2, 3]);
    sup.onStored(blocks[0].blockId, 'no peer');
    sup.stop('done');
    void r.store(4); // after the stop: rejected, ignored
    await tick(20);
    assert.deepEqual(unhandled, []);
    await assert.rejects(r.store(5), /stopped/);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    sup.stop('test over');
  }
});

test('a block holds records at consecutive source positions only: a gap, a step back or a store without a position cuts a block', async () => {
  const got: { records: number[]; position: number | undefined }[] = [];
  const s: SupervisorSink = {
    block: (_id, data, _count, position) => got.push({ records: decodeRecords<number[]>(data), position }),
    error: () => undefined,
    started: () => undefined,
    stopped: () => undefined,
    restarting: () => undefined,
  };
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 10_000, 100, s);
  sup.start();
  try {
    void r.store([10, 11], { position: 10 });
    void r.store([12], { position: 12 }); // consecutive: same block
    void r.store([20], { position: 20 }); // a gap
    void r.store([15, 16], { position: 15 }); // sent again from an earlier position
    void r.store([99]); // no position
    void r.store([17], { position: 17 });
    await assert.rejects(r.store([1], { position: 1.5 }), /position must be a whole number/);
    sup.stop('flush');
    assert.deepEqual(got, [
      { records: [10, 11, 12], position: 10 },
      { records: [20], position: 20 },
      { records: [15, 16], position: 15 },
      { records: [99], position: undefined },
      { records: [17], position: 17 },
    ]);
  } finally {
    sup.stop('test over');
  }
});

test('lines stored as bytes make line blocks of their own, counted as records: held, bounded and acknowledged as records are', async () => {
  const { blocks, s } = sink();
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 20, 5, s);
  sup.start();
  try {
    const a = r.storeLines({ parts: [Buffer.from('one\ntw'), Buffer.from('o\r\n')], bytes: 10, lines: 2 });
    const b = r.store([7]);
    const c = r.storeLines({ parts: [Buffer.from('three\nfour\nfive\n')], bytes: 16, lines: 3 });
    assert.equal(sup.heldRecords, 6, '2 lines, 1 record, 3 lines');
    assert.equal(r.bufferFull(), true, '6 held of 5');
    await tick(60);
    assert.deepEqual(
      blocks.map((x) => x.records),
      [['one', 'two'], [7], ['three', 'four', 'five']],
      'a block holds one kind: lines, then the record, then lines',
    );
    for (const blk of blocks) sup.onStored(blk.blockId);
    assert.deepEqual([await settled(a), await settled(b), await settled(c)], ['resolved', 'resolved', 'resolved']);
    assert.equal(sup.heldRecords, 0);
  } finally {
    sup.stop('test over');
  }
});

test('blocks are cut half a block interval past its multiples (batches fall on the multiples): away from every batch boundary', async () => {
  const cuts: number[] = [];
  const s: SupervisorSink = { block: () => void cuts.push(Date.now() % 100), error: () => undefined, started: () => undefined, stopped: () => undefined, restarting: () => undefined };
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 100, 1_000_000, s);
  // Started just past a multiple of the interval: a timer counting from its start would cut there.
  while (Date.now() % 100 > 5) await tick(1);
  sup.start();
  const feed = setInterval(() => void r.store([1]), 5);
  try {
    while (cuts.length < 10) await tick(20);
  } finally {
    clearInterval(feed);
    await sup.stop('done');
  }
  // At 50 ms past a multiple of 100, or a little later when the timer runs late (loaded machine).
  const onPhase = cuts.filter((p) => p >= 50 && p < 90);
  assert.ok(onPhase.length >= cuts.length / 2, `cut at these ms past a multiple of 100: ${cuts.join(' ')}`);
});

// Spark's BlockGeneratorSuite: "stop ensures all data is pushed" (every record added before
// stop() is in a block pushed by the time it returns, in order) and "using stopped block
// generator fails" (adding data afterwards throws SparkException "Cannot add data as
// BlockGenerator has not been started or has been stopped").
test('BlockGeneratorSuite: a stop pushes every record stored before it, in order; a store after it is refused with Spark\'s sentence', async () => {
  const { blocks, s } = sink();
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 100, 10_000, s);
  sup.start();
  const stores = Array.from({ length: 1000 }, (_, i) => r.store(i + 1));
  await sup.stop('test over');
  assert.deepEqual(blocks.flatMap((b) => b.records), Array.from({ length: 1000 }, (_, i) => i + 1));
  for (const b of blocks) sup.onStored(b.blockId);
  assert.equal(await settled(stores[999]!), 'resolved');
  let refused: unknown;
  await r.store(1001).catch((e: unknown) => (refused = e));
  assert.equal((refused as { code?: string }).code, 'SLUICE_CANCELLED');
  assert.match((refused as Error).message, /the receiver has stopped; the records were not stored \(Spark: "Cannot add data as BlockGenerator has not been started or has been stopped"\)/);
  assert.deepEqual(blocks.flatMap((b) => b.records).length, 1000, 'the refused record is in no block');
});

test("KinesisReceiverSuite 'split into multiple processes if a limitation is set': a store with source positions past the rate's burst is taken in parts, each waiting for the rate; one without positions stays whole", async () => {
  const got: { records: number[]; position: number | undefined; id: string }[] = [];
  const s: SupervisorSink = {
    block: (id, data, _count, position) => got.push({ records: decodeRecords<number[]>(data), position, id }),
    error: () => undefined,
    started: () => undefined,
    stopped: () => undefined,
    restarting: () => undefined,
  };
  // 50 records/s with 200 ms blocks: a burst of 50 x 0.2 = 10 records (computed here, the bucket's size).
  const r = new Idle();
  const sup = new ReceiverSupervisorImpl(r, 'input_j_0_w', 200, 1000, s, { maxRate: 50 });
  sup.start();
  try {
    const records = Array.from({ length: 40 }, (_, i) => 100 + i);
    const stored = r.store(records, { position: 100 });
    assert.equal(sup.heldRecords, 10, 'the first part of 10 taken, the other 30 waiting for the rate (before: all 40 at once)');
    assert.equal(await settled(stored), 'pending');
    await sup.stop('stopped with parts waiting');
    // Every record once, in order, each block at the position of its first record (the records are their positions).
    assert.deepEqual(got.flatMap((b) => b.records), records);
    for (const b of got) assert.equal(b.position, b.records[0], `block ${b.id} starts at its first record's position`);
    for (const b of got) sup.onStored(b.id);
    assert.equal(await settled(stored), 'resolved', 'the store resolves once every part is durable');
  } finally {
    await sup.stop('test over');
  }
  // Without positions the store stays whole (taken at once: the bucket is not in debt yet).
  const whole = sink();
  const r2 = new Idle();
  const sup2 = new ReceiverSupervisorImpl(r2, 'input_j_1_w', 200, 1000, whole.s, { maxRate: 50 });
  sup2.start();
  try {
    void r2.store(Array.from({ length: 40 }, (_, i) => i));
    assert.equal(sup2.heldRecords, 40);
  } finally {
    await sup2.stop('test over');
  }
  // Without a rate nothing is split.
  const free = sink();
  const r3 = new Idle();
  const sup3 = new ReceiverSupervisorImpl(r3, 'input_j_2_w', 200, 1000, free.s);
  sup3.start();
  try {
    void r3.store(Array.from({ length: 40 }, (_, i) => i), { position: 0 });
    assert.equal(sup3.heldRecords, 40);
  } finally {
    await sup3.stop('test over');
  }
});
