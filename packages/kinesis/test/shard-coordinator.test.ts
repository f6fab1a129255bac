// ShardCoordinator's choice of where each shard starts, against a scripted Kinesis client and
// a real checkpoint directory (no servers): under LATEST a shard closed before the
// application read it is skipped and a new shard starts at LATEST; under TRIM_HORIZON a
// parent is read to its end before its child; a child whose parent another reader is still
// reading waits for the parent's `end` checkpoint, then starts at its beginning.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { KinesisClient, Shard } from '@aws-sdk/client-kinesis';
import { ShardCoordinator } from '../src/shard-coordinator.js';
import { ShardCheckpoints } from '../src/shard-checkpoint.js';
import type { KinesisReaderConfig } from '../src/kinesis-reader-config.js';
import type { ResolvedInitialPosition } from '../src/initial-position.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-coordinator-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

function config(initialPosition: ResolvedInitialPosition): KinesisReaderConfig {
  return {
    streamName: 's',
    endpointUrl: 'http://127.0.0.1:1',
    regionName: 'us-east-1',
    initialPosition,
    checkpointAppName: 'app',
    checkpointIntervalMs: 20,
    credentials: undefined,
    maxRecordsPerRead: 10,
    idleTimeBetweenReadsMs: 5,
    shardSyncIntervalMs: 10,
    retryWaitMs: 5,
  };
}

const shard = (n: number, closed: boolean, parent?: number): Shard => ({
  ShardId: `shardId-00000000000${n}`,
  ...(parent === undefined ? {} : { ParentShardId: `shardId-00000000000${parent}` }),
  HashKeyRange: { StartingHashKey: '0', EndingHashKey: '1' },
  SequenceNumberRange: { StartingSequenceNumber: '1', ...(closed ? { EndingSequenceNumber: '9' } : {}) },
});

/** Shards without records: a closed one ends at its first read, an open one never does. Logs each GetShardIterator. */
function scripted(shards: Shard[], calls: string[]): KinesisClient {
  const send = async (cmd: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> => {
    const name = cmd.constructor.name;
    if (name === 'ListShardsCommand') return { Shards: shards };
    if (name === 'GetShardIteratorCommand') {
      calls.push(`${cmd.input.ShardId as string} ${cmd.input.ShardIteratorType as string}`);
      return { ShardIterator: cmd.input.ShardId };
    }
    const id = cmd.input.ShardIterator as string;
    const closed = shards.find((s) => s.ShardId === id)!.SequenceNumberRange!.EndingSequenceNumber !== undefined;
    return { Records: [], NextShardIterator: closed ? undefined : id };
  };
  return { send, destroy: () => undefined } as unknown as KinesisClient;
}

async function run(dir: string, initial: ResolvedInitialPosition, shards: Shard[], until: (calls: string[]) => boolean, during?: () => Promise<void>): Promise<string[]> {
  const calls: string[] = [];
  const c = new ShardCoordinator<unknown>(scripted(shards, calls), config(initial), { readerIndex: 0, readers: 1, checkpointDir: dir }, {
    store: () => Promise.resolve(),
    map: (r) => r,
    reportError: (m) => assert.fail(`unexpected receiver error: ${m}`),
    restart: (m) => assert.fail(`unexpected restart: ${m}`),
  });
  c.start();
  try {
    await during?.();
    for (let i = 0; !until(calls); i++) {
      assert.ok(i < 500, `not reached: ${JSON.stringify(calls)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    await new Promise((r) => setTimeout(r, 100)); // a few more sync rounds: nothing else may start
    return calls;
  } finally {
    await c.stop();
  }
}

test("LATEST: a shard closed before the application read it is skipped; open ones and its child start at LATEST", async () => {
  const calls = await run(path.join(tmp, 'latest'), { kind: 'LATEST' }, [shard(0, true), shard(1, false), shard(2, false, 0)], (c) => c.length >= 2);
  assert.deepEqual([...calls].sort(), ['shardId-000000000001 LATEST', 'shardId-000000000002 LATEST']);
});

test('TRIM_HORIZON: the parent is read to its end (its checkpoint says so) before its child starts at its beginning', async () => {
  const dir = path.join(tmp, 'trim');
  const calls = await run(dir, { kind: 'TRIM_HORIZON' }, [shard(2, false, 0), shard(0, true)], (c) => c.length >= 2);
  assert.deepEqual(calls, ['shardId-000000000000 TRIM_HORIZON', 'shardId-000000000002 TRIM_HORIZON']);
  assert.equal((await new ShardCheckpoints(dir, 'app', 's').read('shardId-000000000000'))?.end, true);
});

test("LATEST: a child whose parent another reader still reads waits for the parent's end, then starts at TRIM_HORIZON", async () => {
  const dir = path.join(tmp, 'cross');
  const cps = new ShardCheckpoints(dir, 'app', 's');
  // Shard 2 is read by the other reader (reader 0 of 2); this coordinator (reader 1) owns shard 3.
  await cps.write('shardId-000000000002', { after: '5', next: 6 });
  const calls: string[] = [];
  const until = (c: string[]) => c.length >= 1;
  const shards = [shard(2, true), shard(3, false, 2)];
  const c = new ShardCoordinator<unknown>(scripted(shards, calls), config({ kind: 'LATEST' }), { readerIndex: 1, readers: 2, checkpointDir: dir }, {
    store: () => Promise.resolve(),
    map: (r) => r,
    reportError: (m) => assert.fail(m),
    restart: (m) => assert.fail(m),
  });
  c.start();
  try {
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(calls, [], 'nothing starts while the parent is being read');
    await cps.write('shardId-000000000002', { after: '7', next: 8, end: true });
    for (let i = 0; !until(calls); i++) {
      assert.ok(i < 500, 'the child did not start');
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.deepEqual(calls, ['shardId-000000000003 TRIM_HORIZON']);
  } finally {
    await c.stop();
  }
});
