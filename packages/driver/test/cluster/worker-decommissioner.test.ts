import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { ManualClock } from '@sluice/core/internal';
import { WorkerRegistry, type WorkerInfo } from '../../src/cluster/worker-registry.js';
import { WorkerDecommissioner, decommissionOptions, type DecommissionHost, type DecommissionOptions, type MigrationResult } from '../../src/cluster/worker-decommissioner.js';
import type { WorkerEndpoint } from '../../src/rpc/worker-endpoint.js';

const log = pino({ level: 'silent' });

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Wait (at most 60 s: 5 s could lapse with the process starved under load) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Three workers w1..w3 (2 cores each), a host whose receiver moves and migrations the test settles. */
function setup(options: Partial<DecommissionOptions> = {}, untrackedMaps = 0) {
  const clock = new ManualClock(1_000_000);
  const registry = new WorkerRegistry(clock, 60_000, () => ({ close: () => undefined }) as unknown as WorkerEndpoint, log, async () => 'open');
  for (const id of ['w1', 'w2', 'w3']) registry.register(id, `127.0.0.1:${id.slice(1)}000`, 2);
  const events: string[] = [];
  registry.addListener({ workerAdded: () => undefined, workerLost: (w: WorkerInfo, why: string) => events.push(`lost ${w.id}: ${why}`) });
  const receivers = deferred<number>();
  const migration = deferred<MigrationResult>();
  const calls: string[] = [];
  const applied: { from: string; result: MigrationResult; peers: string[] }[] = [];
  /** Workers a running stage still reads from. */
  const busy = new Set<string>();
  const host: DecommissionHost = {
    inUse: (id) => busy.has(id),
    moveReceivers: (id) => {
      calls.push(`moveReceivers ${id}`);
      return receivers.promise;
    },
    migrate: (w, peers, kinds) => {
      calls.push(`migrate ${w.id} to ${peers.map((p) => p.id).join(',')} rdd=${kinds.rddBlocks} shuffle=${kinds.shuffleBlocks}`);
      return migration.promise;
    },
    applyMigration: (from, result, peers) => {
      applied.push({ from, result, peers: peers.map((p) => p.id) });
      return { mapOutputs: result.mapOutputs.length - untrackedMaps, blocks: result.blocks.length };
    },
  };
  const d = new WorkerDecommissioner(decommissionOptions({ timeoutMs: 5000, ...options }), registry, host, clock, log);
  return { registry, d, events, receivers, migration, calls, applied, busy };
}

const RESULT: MigrationResult = {
  blocks: [
    { blockId: 'input_j_0_a_1', workerId: 'w2' },
    { blockId: 'rdd_j_3_0', workerId: 'w3' },
  ],
  mapOutputs: [{ jobId: 'j', shuffleId: 1, mapPartition: 0, workerId: 'w3' }],
  bytes: 1234,
  failed: 0,
};

describe('WorkerDecommissioner', () => {
  // The decommissioner's timers are unref'd (they must not keep a driver alive): keep the test's loop alive.
  let keepAlive: NodeJS.Timeout;
  before(() => (keepAlive = setInterval(() => undefined, 1000)));
  after(() => clearInterval(keepAlive));
  test('draining until its receivers moved and its tasks ended, then migrating, releasing while a stage reads from it, then released (not lost) with what moved', async () => {
    const { registry, d, events, receivers, migration, calls, applied, busy } = setup();
    const w1 = registry.get('w1')!;
    w1.freeSlots = 1; // one task running
    const outcome = d.request('w1')!;
    assert.equal(d.phase('w1'), 'draining');
    assert.deepEqual(
      registry.responsive().map((w) => w.id),
      ['w2', 'w3'],
      'no task or receiver is placed on a decommissioning worker',
    );
    assert.deepEqual(registry.staying().map((w) => w.id), ['w2', 'w3']);
    assert.deepEqual(calls, ['moveReceivers w1']);
    receivers.resolve(1);
    await new Promise((r) => setTimeout(r, 120));
    assert.equal(d.phase('w1'), 'draining', 'a running task holds it in draining');
    w1.freeSlots = 2;
    await until(() => d.phase('w1') === 'migrating');
    assert.deepEqual(calls, ['moveReceivers w1', 'migrate w1 to w2,w3 rdd=true shuffle=true']);
    assert.ok(registry.get('w1'), 'still registered while it copies');
    busy.add('w1');
    migration.resolve(RESULT);
    await until(() => d.phase('w1') === 'releasing');
    await new Promise((r) => setTimeout(r, 120));
    assert.ok(registry.get('w1'), 'a stage submitted before the copies still reads from it: it stays');
    busy.delete('w1');
    const o = await outcome;
    assert.equal(o.state, 'decommissioned');
    assert.deepEqual(
      { receivers: o.receiversMoved, input: o.inputBlocksMoved, rdd: o.rddBlocksMoved, maps: o.mapOutputsMoved, bytes: o.bytesMoved },
      { receivers: 1, input: 1, rdd: 1, maps: 1, bytes: 1234 },
    );
    assert.deepEqual(applied, [{ from: 'w1', result: RESULT, peers: ['w2', 'w3'] }]);
    assert.equal(registry.get('w1'), undefined, 'released');
    assert.equal(events.length, 1);
    assert.match(events[0], /^lost w1: decommissioned: moved 1 receiver/, 'listeners drop what they kept for it, told it was decommissioned');
    assert.equal(d.size, 0, 'no decommission left running');
    // A released worker that asks late (it heard from a heartbeat) gets the same outcome; one registering again under that id is new.
    assert.equal(d.phase('w1'), 'decommissioned');
    assert.deepEqual(await d.request('w1'), o);
    registry.register('w1', '127.0.0.1:1000', 2);
    assert.equal(d.phase('w1'), undefined);
  });

  test('map outputs the worker copied that the driver no longer tracks there are not counted as moved, and the message says how many (user58: copied 77, moved 73)', async () => {
    const { d, receivers, migration } = setup({}, 2);
    const outcome = d.request('w1')!;
    receivers.resolve(0);
    const maps = [0, 1, 2, 3, 4].map((m) => ({ jobId: 'j', shuffleId: 1, mapPartition: m, workerId: 'w2' }));
    await until(() => d.phase('w1') === 'migrating');
    migration.resolve({ ...RESULT, mapOutputs: maps });
    const o = await outcome;
    assert.equal(o.mapOutputsMoved, 3, 'the 3 the driver took');
    assert.match(o.message, /, 3 map output\(s\) \(of 5 copied: 2 the driver no longer tracked on this worker, of a shuffle already removed or replaced by another attempt's output, are not read\), 1234 bytes$/, o.message);
  });

  test('a second request joins the first; an unknown worker gets none; off, the worker is told disabled and stays', async () => {
    const { d, receivers, migration } = setup();
    const a = d.request('w2');
    assert.equal(d.request('w2'), a, 'the same outcome');
    assert.equal(d.request('nope'), undefined);
    receivers.resolve(0);
    migration.resolve({ blocks: [], mapOutputs: [], bytes: 0, failed: 0 });
    assert.equal((await a)!.state, 'decommissioned');

    const off = setup({ enabled: false });
    const o = await off.d.request('w1')!;
    assert.equal(o.state, 'disabled');
    assert.ok(off.registry.get('w1') && !off.registry.get('w1')!.decommissioning, 'nothing changed on the driver');
    assert.deepEqual(off.calls, []);
  });

  test('the deadline declares it lost; so does the worker dying while it drains', async () => {
    const slow = setup({ timeoutMs: 100 });
    slow.receivers.resolve(0);
    const o = await slow.d.request('w1')!;
    assert.equal(o.state, 'lost');
    assert.match(o.message, /decommission timeout of 100 ms/);
    assert.equal(slow.registry.get('w1'), undefined);
    assert.match(slow.events[0], /^lost w1: decommission failed: not done within/);
    // The migration answering after the deadline changes nothing.
    slow.migration.resolve(RESULT);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(slow.applied, []);

    const dies = setup();
    const p = dies.d.request('w3')!;
    dies.registry.markLost('w3', 'its process is gone');
    const o2 = await p;
    assert.equal(o2.state, 'lost');
    assert.match(o2.message, /its process is gone/);
    assert.equal(dies.d.size, 0);
  });

  test('with no worker staying, or migration off, nothing is copied; a failed copy leaves the blocks to be recomputed', async () => {
    const alone = setup();
    alone.d.request('w2');
    alone.d.request('w3');
    alone.receivers.resolve(0);
    const o = await alone.d.request('w1')!;
    assert.equal(o.state, 'decommissioned');
    assert.match(o.message, /no other worker stays/);
    assert.ok(!alone.calls.some((c) => c.startsWith('migrate w1')), 'no copy attempted');

    const off = setup({ migrateRddBlocks: false, migrateShuffleBlocks: false });
    off.receivers.resolve(0);
    const o2 = await off.d.request('w1')!;
    assert.match(o2.message, /block migration is off/);
    assert.deepEqual(off.calls, ['moveReceivers w1']);

    const failing = setup({ migrateShuffleBlocks: false });
    failing.receivers.resolve(0);
    const p = failing.d.request('w1')!;
    await until(() => failing.d.phase('w1') === 'migrating');
    assert.deepEqual(failing.calls.slice(-1), ['migrate w1 to w2,w3 rdd=true shuffle=false']);
    failing.migration.reject(new Error('UNAVAILABLE'));
    const o3 = await p;
    assert.equal(o3.state, 'decommissioned');
    assert.match(o3.message, /could not be copied \(UNAVAILABLE\)/);
  });

  test('bad options are refused with the flag and the fix', () => {
    assert.throws(() => decommissionOptions({ timeoutMs: 0 }), /--decommission-timeout-ms\) must be a whole number of milliseconds >= 1, got 0/);
  });
});
