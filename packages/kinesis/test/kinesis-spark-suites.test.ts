// Spark's KinesisCheckpointerSuite, case by case, on Sluice's own checkpointing (a
// ShardCoordinator reading a scripted open shard into a real checkpoint directory; no
// servers; the checkpoint interval's timer mocked as Spark's ManualClock): "shouldn't
// checkpoint if we have not exceeded the checkpoint interval", "should checkpoint if we have
// exceeded the checkpoint interval", "checkpoint is not called twice for the same sequence
// number" / "should not checkpoint for the same sequence number", "checkpoint is called after
// sequence number increases", "removing checkpointer checkpoints one last time" (the stop) and
// "if checkpointing is going on, wait until finished before removing and checkpointing".
// KinesisReceiverSuite's "shouldn't store and update checkpointer when receiver is stopped" and
// "shouldn't update checkpointer when exception occurs during store" on a ShardReader.
// KinesisStreamSuite's stream cases run against kinesalite in kinesis-count, -reshard,
// -server-restart and -bad-input; its "failure recovery" (blocks re-read from Kinesis by
// sequence number) is a deliberate difference (README Kinesis).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, mock, test } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShardCoordinator } from '../src/shard-coordinator.js';
import { ShardCheckpoints, type ShardCheckpoint } from '../src/shard-checkpoint.js';
import { ShardReader, type ShardReaderHost } from '../src/shard-reader.js';
import type { KinesisReaderConfig } from '../src/kinesis-reader-config.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-checkpointer-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SHARD = 'shardId-000000000000';
const INTERVAL = 10_000;
const CONFIG: KinesisReaderConfig = {
  streamName: 's',
  endpointUrl: 'http://127.0.0.1:1',
  regionName: 'us-east-1',
  initialPosition: { kind: 'TRIM_HORIZON' },
  checkpointAppName: 'app',
  checkpointIntervalMs: INTERVAL,
  credentials: undefined,
  maxRecordsPerRead: 100,
  idleTimeBetweenReadsMs: 1,
  shardSyncIntervalMs: 10,
  retryWaitMs: 5,
};

/** One open shard whose first `available.n` records (sequence numbers 100, 101, ...) can be read. */
function scripted(available: { n: number }): KinesisClient {
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> => {
    const name = cmd.constructor.name;
    if (name === 'ListShardsCommand') return { Shards: [{ ShardId: SHARD, HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' }, SequenceNumberRange: { StartingSequenceNumber: '100' } }] };
    if (name === 'GetShardIteratorCommand') {
      const type = cmd.input.ShardIteratorType as string;
      const seq = Number(cmd.input.StartingSequenceNumber ?? 100);
      return { ShardIterator: String(type === 'AFTER_SEQUENCE_NUMBER' ? seq + 1 : type === 'AT_SEQUENCE_NUMBER' ? seq : 100) };
    }
    const from = Number(cmd.input.ShardIterator);
    const upTo = 100 + available.n;
    const records = [];
    for (let s = from; s < upTo; s++) records.push({ Data: Buffer.from(`r${s}`), PartitionKey: 'k', SequenceNumber: String(s) });
    return { Records: records, NextShardIterator: String(Math.max(from, upTo)) };
  };
  return { send, destroy: () => undefined } as unknown as KinesisClient;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 1000, `not reached: ${what}`);
    await sleep(5);
  }
}

test("KinesisCheckpointerSuite: a checkpoint only once the interval passed, never twice for one sequence number, again once it increased; the stop checkpoints one last time, after the write under way", async () => {
  // Every checkpoint write of the shard, as it starts and ends; a write can be held open.
  const log: string[] = [];
  let hold: Promise<void> | undefined;
  const write = ShardCheckpoints.prototype.write;
  const writeMock = mock.method(ShardCheckpoints.prototype, 'write', async function (this: ShardCheckpoints, shardId: string, cp: ShardCheckpoint) {
    const what = JSON.stringify(cp);
    log.push(`start ${what}`);
    const h = hold;
    hold = undefined;
    if (h) await h;
    await write.call(this, shardId, cp);
    log.push(`end ${what}`);
  });
  mock.timers.enable({ apis: ['setInterval'] });
  const available = { n: 5 };
  let stored = 0;
  const c = new ShardCoordinator<unknown>(scripted(available), CONFIG, { readerIndex: 0, readers: 1, checkpointDir: tmp }, {
    store: (records) => {
      stored += records.length;
      return Promise.resolve();
    },
    map: (r) => r,
    reportError: (m) => assert.fail(`unexpected receiver error: ${m}`),
    restart: (m) => assert.fail(`unexpected restart: ${m}`),
  });
  const checkpoints = () => log.filter((l) => l.startsWith('end ')).map((l) => JSON.parse(l.slice(4)) as ShardCheckpoint);
  const safePoints = () => checkpoints().filter((cp) => cp.after !== undefined);
  try {
    c.start();
    await until('5 records stored', () => stored === 5);
    await sleep(50);
    assert.deepEqual(checkpoints(), [{ from: { kind: 'TRIM_HORIZON' }, next: 0 }, { at: '100', next: 0 }], 'claimed and pinned only');
    mock.timers.tick(INTERVAL / 2);
    await sleep(50);
    assert.deepEqual(safePoints(), [], "shouldn't checkpoint if we have not exceeded the checkpoint interval");
    mock.timers.tick(INTERVAL / 2);
    await until('a checkpoint at the interval', () => safePoints().length === 1);
    assert.deepEqual(safePoints(), [{ after: '104', next: 5 }], 'should checkpoint if we have exceeded the checkpoint interval');
    for (let i = 0; i < 5; i++) mock.timers.tick(INTERVAL);
    await sleep(50);
    assert.equal(safePoints().length, 1, 'checkpoint is not called twice for the same sequence number');

    available.n = 8;
    await until('8 records stored', () => stored === 8);
    mock.timers.tick(INTERVAL);
    await until('a second checkpoint', () => safePoints().length === 2);
    assert.deepEqual(safePoints()[1], { after: '107', next: 8 }, 'checkpoint is called after sequence number increases');

    // A periodic write under way (held), then the stop: its last checkpoint waits for it.
    available.n = 10;
    await until('10 records stored', () => stored === 10);
    let release!: () => void;
    hold = new Promise<void>((r) => (release = r));
    mock.timers.tick(INTERVAL);
    await until('the held write started', () => log.at(-1) === `start ${JSON.stringify({ after: '109', next: 10 })}`);
    available.n = 12;
    await until('12 records stored', () => stored === 12);
    let stopped = false;
    const stopping = c.stop().then(() => (stopped = true));
    await sleep(100);
    assert.equal(stopped, false, 'the stop waits for the checkpoint under way');
    assert.equal(log.at(-1), `start ${JSON.stringify({ after: '109', next: 10 })}`, 'and its own write has not started');
    release();
    await stopping;
    assert.deepEqual(log.slice(-4), [`start ${JSON.stringify({ after: '109', next: 10 })}`, `end ${JSON.stringify({ after: '109', next: 10 })}`, `start ${JSON.stringify({ after: '111', next: 12 })}`, `end ${JSON.stringify({ after: '111', next: 12 })}`], 'removing checkpointer checkpoints one last time, after the write under way');
    assert.deepEqual(await new ShardCheckpoints(tmp, 'app', 's').read(SHARD), { after: '111', next: 12 }, 'the checkpoint a restarted reader resumes after');
  } finally {
    mock.timers.reset();
    writeMock.mock.restore();
    await c.stop();
  }
});

/** A ShardReader host whose store and stop a test drives; records what the reader did. */
function readerHost(client: KinesisClient, store: (records: string[]) => Promise<void>): ShardReaderHost<string> & { stopped: boolean; stores: string[][]; writes: ShardCheckpoint[]; failures: string[] } {
  const h = {
    client,
    config: CONFIG,
    stopped: false,
    stores: [] as string[][],
    writes: [] as ShardCheckpoint[],
    failures: [] as string[],
    store(records: string[]) {
      h.stores.push(records);
      return store(records);
    },
    map: (r: { data: Buffer }) => r.data.toString('utf8'),
    report: (m: string) => assert.fail(`unexpected report: ${m}`),
    succeeded: () => undefined,
    fail: (m: string) => void h.failures.push(m),
    writeCheckpoint: async (_id: string, cp: ShardCheckpoint) => void h.writes.push(cp),
    sleep: async () => void (await sleep(1)),
    isStopped: () => h.stopped,
  };
  return h;
}

test("KinesisReceiverSuite: records that come once the receiver stopped are not stored; a store that fails moves no checkpoint and restarts the receiver", async () => {
  // GetRecords answers only once the receiver was stopped meanwhile.
  const available = { n: 3 };
  const base = scripted(available);
  let stopNow: () => void = () => undefined;
  const stoppedDuringRead = { send: async (cmd: { constructor: { name: string } }) => {
    const out = await (base.send as (c: unknown) => Promise<unknown>)(cmd);
    if (cmd.constructor.name === 'GetRecordsCommand') stopNow();
    return out;
  } } as unknown as KinesisClient;
  const stopped = readerHost(stoppedDuringRead, () => Promise.resolve());
  stopNow = () => void (stopped.stopped = true);
  assert.equal(await new ShardReader<string>(SHARD, { from: { kind: 'TRIM_HORIZON' }, next: 0 }, stopped).run(), false);
  assert.deepEqual(stopped.stores, [], "shouldn't store when the receiver is stopped");
  assert.deepEqual(stopped.writes, [], 'nor pin or checkpoint the shard');

  const failing = readerHost(scripted({ n: 3 }), () => Promise.reject(new Error('no room')));
  const reader = new ShardReader<string>(SHARD, { from: { kind: 'TRIM_HORIZON' }, next: 0 }, failing);
  const running = reader.run();
  try {
    await until('the store failed', () => failing.failures.length > 0);
  } finally {
    failing.stopped = true; // the reader's loop ends either way
    await running;
  }
  await reader.checkpoint();
  assert.deepEqual(failing.stores, [['r100', 'r101', 'r102']]);
  assert.match(failing.failures[0]!, /could not store 3 records of shard shardId-000000000000; the reader starts again from its checkpoint/);
  assert.deepEqual(failing.writes, [{ at: '100', next: 0 }], "shouldn't update the checkpoint when the store failed (the pin only)");
});
