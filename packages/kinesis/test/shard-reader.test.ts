// ShardReader against a scripted Kinesis client and host (no servers): the safe point it
// checkpoints is only ever a record whose store resolved; the first record is pinned before
// anything is stored; positions go on from a checkpoint (the same record, the same position);
// a closed shard's `end` checkpoint is the last one written, even with a periodic checkpoint
// racing it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ShardReader, type ShardReaderHost } from '../src/shard-reader.js';
import { shardPosition, type ShardCheckpoint } from '../src/shard-checkpoint.js';
import type { KinesisReaderConfig } from '../src/kinesis-reader-config.js';
import type { KinesisRecord } from '../src/kinesis-record.js';

const SHARD = 'shardId-000000000003';
const CONFIG: KinesisReaderConfig = {
  streamName: 's',
  endpointUrl: 'http://127.0.0.1:1',
  regionName: 'us-east-1',
  initialPosition: { kind: 'TRIM_HORIZON' },
  checkpointAppName: 'app',
  checkpointIntervalMs: 1000,
  credentials: undefined,
  maxRecordsPerRead: 3,
  idleTimeBetweenReadsMs: 0,
  shardSyncIntervalMs: 1000,
  retryWaitMs: 1,
};

interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** A closed shard of `n` records with sequence numbers 100, 101, ...; pages of `maxRecordsPerRead`. */
function scriptedClient(n: number, calls: { type: string; seq?: string }[]): KinesisClient {
  const seqs = Array.from({ length: n }, (_, i) => String(100 + i));
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> => {
    if (cmd.constructor.name === 'GetShardIteratorCommand') {
      const type = cmd.input.ShardIteratorType as string;
      const seq = cmd.input.StartingSequenceNumber as string | undefined;
      calls.push({ type, ...(seq === undefined ? {} : { seq }) });
      const from = type === 'AFTER_SEQUENCE_NUMBER' ? seqs.indexOf(seq!) + 1 : type === 'AT_SEQUENCE_NUMBER' ? seqs.indexOf(seq!) : 0;
      return { ShardIterator: String(from) };
    }
    const from = Number(cmd.input.ShardIterator);
    const page = seqs.slice(from, from + CONFIG.maxRecordsPerRead);
    const next = from + page.length;
    return {
      Records: page.map((s) => ({ Data: Buffer.from(`r${s}`), PartitionKey: 'k', SequenceNumber: s })),
      NextShardIterator: page.length === 0 ? undefined : String(next),
    };
  };
  return { send } as unknown as KinesisClient;
}

class Host implements ShardReaderHost<string> {
  readonly config = CONFIG;
  readonly stores: { records: string[]; position: number; done: Deferred }[] = [];
  readonly writes: ShardCheckpoint[] = [];
  /** Set to hold the next checkpoint write open until released. */
  holdNextWrite: Deferred | undefined;
  stopped = false;

  constructor(readonly client: KinesisClient) {}

  store(records: string[], position: number): Promise<void> {
    const done = deferred();
    this.stores.push({ records, position, done });
    return done.promise;
  }
  map(r: KinesisRecord): string {
    return r.data.toString('utf8');
  }
  report(message: string): void {
    throw new Error(`unexpected report: ${message}`);
  }
  succeeded(): void {}
  fail(message: string): void {
    throw new Error(`unexpected failure: ${message}`);
  }
  async writeCheckpoint(_shardId: string, cp: ShardCheckpoint): Promise<void> {
    this.writes.push(cp);
    const hold = this.holdNextWrite;
    this.holdNextWrite = undefined;
    if (hold) await hold.promise;
  }
  sleep(): Promise<void> {
    return new Promise((r) => setImmediate(r));
  }
  isStopped(): boolean {
    return this.stopped;
  }
}

const until = async (cond: () => boolean): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    assert.ok(i < 10_000, 'condition not reached');
    await new Promise((r) => setImmediate(r));
  }
};

test('the checkpointed safe point is the last record whose store resolved, in store order; the pin comes before any store', async () => {
  const host = new Host(scriptedClient(9, []));
  const reader = new ShardReader<string>(SHARD, { from: { kind: 'TRIM_HORIZON' }, next: 0 }, host);
  const running = reader.run();
  await until(() => host.stores.length === 3);
  assert.deepEqual(host.writes, [{ at: '100', next: 0 }], 'pinned at the first record, before it was stored');
  assert.deepEqual(host.stores.map((s) => s.position), [shardPosition(SHARD, 0), shardPosition(SHARD, 3), shardPosition(SHARD, 6)]);
  await reader.checkpoint();
  assert.equal(host.writes.length, 1, 'nothing is safe yet: no checkpoint');
  host.stores[1]!.done.resolve(); // the second store resolves first: still nothing safe in order
  await new Promise((r) => setImmediate(r));
  await reader.checkpoint();
  assert.equal(host.writes.length, 1, 'the first store is not durable: the second is not safe either');
  host.stores[0]!.done.resolve();
  await until(() => true);
  await new Promise((r) => setImmediate(r));
  await reader.checkpoint();
  assert.deepEqual(host.writes.at(-1), { after: '105', next: 6 }, 'safe through the second store');
  host.stores[2]!.done.resolve();
  assert.equal(await running, true, 'the closed shard was read to its end');
  assert.deepEqual(host.writes.at(-1), { after: '108', next: 9, end: true });
});

test('a closed shard: a periodic checkpoint racing the end write does not overwrite `end`', async () => {
  const host = new Host(scriptedClient(3, []));
  const reader = new ShardReader<string>(SHARD, { at: '100', next: 0 }, host);
  const running = reader.run();
  await until(() => host.stores.length === 1);
  host.holdNextWrite = deferred(); // the end write, once queued, stays open
  const held = host.holdNextWrite;
  host.stores[0]!.done.resolve();
  await until(() => host.writes.some((w) => w.end));
  await reader.checkpoint(); // the interval fires while the end write is in progress
  held.resolve();
  assert.equal(await running, true);
  await reader.checkpoint();
  assert.deepEqual(host.writes.at(-1), { after: '102', next: 3, end: true }, `the last write is the end: ${JSON.stringify(host.writes)}`);
});

test('a reader started from a checkpoint resumes after it, the positions going on from its ordinal', async () => {
  const calls: { type: string; seq?: string }[] = [];
  const host = new Host(scriptedClient(9, calls));
  const reader = new ShardReader<string>(SHARD, { after: '104', next: 5 }, host);
  const running = reader.run();
  await until(() => host.stores.length === 2);
  assert.deepEqual(calls[0], { type: 'AFTER_SEQUENCE_NUMBER', seq: '104' });
  assert.deepEqual(host.stores.map((s) => [s.records, s.position]), [
    [['r105', 'r106', 'r107'], shardPosition(SHARD, 5)],
    [['r108'], shardPosition(SHARD, 8)],
  ]);
  assert.equal(host.writes.length, 0, 'a pinned shard is not pinned again');
  for (const s of host.stores) s.done.resolve();
  assert.equal(await running, true);
  assert.deepEqual(host.writes.at(-1), { after: '108', next: 9, end: true });
});

test("a messageHandler's record has the KCL Record's getters (Spark's record.getData(), getPartitionKey() ...) beside its fields", async () => {
  const arrived = new Date(Date.UTC(2026, 11, 5, 12, 0, 0));
  const client = {
    send: async (cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> => {
      if (cmd.constructor.name === 'GetShardIteratorCommand') return { ShardIterator: '0' };
      if (cmd.input.ShardIterator !== '0') return { Records: [], NextShardIterator: undefined };
      return { Records: [{ Data: Buffer.from('payload-1'), PartitionKey: 'user-7', SequenceNumber: '4951', ApproximateArrivalTimestamp: arrived }], NextShardIterator: '1' };
    },
  } as unknown as KinesisClient;
  class Getters extends Host {
    override map(r: KinesisRecord): string {
      return [r.getData().toString('utf8'), r.getPartitionKey(), r.getSequenceNumber(), r.getApproximateArrivalTimestamp()?.toISOString(), r.shardId].join('|');
    }
  }
  const host = new Getters(client);
  const running = new ShardReader<string>(SHARD, { from: { kind: 'TRIM_HORIZON' }, next: 0 }, host).run();
  await until(() => host.stores.length === 1);
  assert.deepEqual(host.stores[0]!.records, [`payload-1|user-7|4951|2026-12-05T12:00:00.000Z|${SHARD}`]);
  host.stores[0]!.done.resolve();
  assert.equal(await running, true);
});
