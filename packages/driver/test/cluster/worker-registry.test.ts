import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { ManualClock } from '@sluice/core/internal';
import { WorkerRegistry, type WorkerInfo } from '../../src/cluster/worker-registry.js';
import type { ProbeResult } from '../../src/cluster/probe-port.js';
import type { WorkerEndpoint } from '../../src/rpc/worker-endpoint.js';

/** An endpoint that does nothing but let the test drop its connection. */
function fakeEndpoint(): WorkerEndpoint & { drop(): void } {
  let lost: (() => void) | undefined;
  return {
    launchTask: () => new Promise(() => undefined),
    forgetStage: () => undefined,
    killTask: () => undefined,
    releaseJob: async () => undefined,
    removeRdd: async () => undefined,
    removeBroadcast: async () => undefined,
    removeBlocks: async () => undefined,
    startReceiver: async () => ({ ok: true }),
    stopReceiver: async () => undefined,
    onConnectionLost: (cb) => (lost = cb),
    close: () => undefined,
    drop: () => lost?.(),
  };
}

function setup(probeResult: ProbeResult = 'open') {
  const clock = new ManualClock(1_000_000);
  const endpoints = new Map<string, ReturnType<typeof fakeEndpoint>>();
  const probed: string[] = [];
  const registry = new WorkerRegistry(
    clock,
    10_000,
    (address) => {
      const e = fakeEndpoint();
      endpoints.set(address, e);
      return e;
    },
    pino({ level: 'silent' }),
    async (address) => {
      probed.push(address);
      return probeResult;
    },
  );
  const events: string[] = [];
  registry.addListener({ workerAdded: (w: WorkerInfo) => events.push(`added ${w.id}`), workerLost: (w: WorkerInfo, why: string) => events.push(`lost ${w.id}: ${why}`) });
  return { clock, registry, endpoints, probed, events, tick: () => (registry as unknown as { expire(): void }).expire() };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Wait (at most 60 s: 5 s could lapse with the process starved under load) until `cond` holds. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!cond()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${cond.toString()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('WorkerRegistry', () => {
  test('a worker registering again with the same id and address keeps its entry: no loss, no new worker', () => {
    const { registry, events } = setup();
    const w = registry.register('w1', '127.0.0.1:5001', 2);
    w.freeSlots = 1;
    const again = registry.register('w1', '127.0.0.1:5001', 2);
    assert.equal(again, w);
    assert.equal(again.freeSlots, 1, 'its running task is still counted');
    assert.deepEqual(events, ['added w1']);
  });

  test('the same id at another address is a new worker: the old one is lost', () => {
    const { registry, events } = setup();
    registry.register('w1', '127.0.0.1:5001', 2);
    registry.register('w1', '127.0.0.1:5002', 2);
    assert.deepEqual(events, ['added w1', 'lost w1: re-registered at 127.0.0.1:5002 with 2 cores', 'added w1']);
  });

  test('a worker silent past the timeout is lost; time the driver itself did not run does not count', () => {
    const { clock, registry, events, tick } = setup();
    registry.start(500);
    try {
      registry.register('w1', '127.0.0.1:5001', 1);
      // The driver is paused for 30 s: its check comes 30 s late. Not the worker's fault.
      clock.advance(30_000);
      tick();
      assert.deepEqual(events, ['added w1']);
      // Then the driver runs, and the worker stays silent past the 10 s timeout.
      for (let i = 0; i < 21; i++) {
        clock.advance(500);
        tick();
      }
      assert.equal(events.length, 2);
      assert.match(events[1], /^lost w1: no heartbeat for 10\d\d\d ms$/);
    } finally {
      registry.stop();
    }
  });

  test('a dropped connection to a worker whose port refuses connections: lost at once', async () => {
    const { registry, endpoints, probed, events } = setup('refused');
    registry.register('w1', '127.0.0.1:5001', 1);
    endpoints.get('127.0.0.1:5001')!.drop();
    await until(() => probed.length > 0);
    await settle();
    assert.deepEqual(probed, ['127.0.0.1:5001']);
    assert.equal(registry.get('w1'), undefined);
    assert.match(events[1], /^lost w1: its connection dropped, and its port 127\.0\.0\.1:5001 refuses connections: the worker process is gone$/);
  });

  test('a failed call to a worker whose port still accepts: kept, but nothing is placed on it until it heartbeats', async () => {
    const { registry, events, probed } = setup('open');
    const w = registry.register('w1', '127.0.0.1:5001', 1);
    registry.register('w2', '127.0.0.1:5002', 1);
    registry.suspect(w, 'a task call failed');
    await until(() => probed.length >= 2); // probed again: a dying process may still accept at first
    await settle();
    assert.deepEqual(events, ['added w1', 'added w2']);
    assert.deepEqual(registry.responsive().map((x) => x.id), ['w2']);
    assert.equal(registry.heartbeat('w1'), true);
    assert.deepEqual(registry.responsive().map((x) => x.id), ['w1', 'w2']);
  });
});

test('the workers are told of a peer declared lost for a minute, unless it registered again at its address', () => {
  const { clock, registry } = setup();
  registry.register('w1', 'h:1', 1);
  registry.register('w2', 'h:2', 1);
  assert.deepEqual(registry.lostPeers(), []);
  registry.markLost('w1', 'test');
  assert.deepEqual(registry.lostPeers(), ['h:1']);
  // Back at the same address (a frozen worker woken): fetches to it are no longer given up.
  registry.register('w1', 'h:1', 1);
  assert.deepEqual(registry.lostPeers(), []);
  registry.markLost('w2', 'test');
  clock.advance(59_000);
  assert.deepEqual(registry.lostPeers(), ['h:2']);
  clock.advance(2_000);
  assert.deepEqual(registry.lostPeers(), [], 'a minute later it is forgotten');
});
