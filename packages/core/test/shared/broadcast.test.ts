import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { test } from 'node:test';
import { captureClosure } from '../../src/closure/capture-closure.js';
import { reviveClosure } from '../../src/closure/revive-closure.js';
import { SluiceContext, type ClusterBackend } from '../../src/context.js';
import { Broadcast, broadcastIds } from '../../src/shared/broadcast.js';

function context(putBroadcast?: ClusterBackend['putBroadcast']): SluiceContext {
  return new SluiceContext({
    jobId: 'j',
    defaultParallelism: () => 2,
    runJob: () => Promise.reject(new Error('no cluster')),
    removeRdd: async () => undefined,
    putBroadcast,
  });
}

test('a broadcast travels to the cluster once; tasks carry only its id', () => {
  const stored = new Map<number, Uint8Array>();
  const sc = context((id, value) => stored.set(id, value));
  const table = new Map(Array.from({ length: 20_000 }, (_, i) => [`key-${i}`, i] as [string, number]));
  const b = sc.broadcast(table);
  assert.deepEqual([...stored.keys()], [b.id]);
  assert.deepEqual(v8.deserialize(stored.get(b.id)!), table);

  const shipped = captureClosure((k: string) => b.value.get(k), 'rdd.map');
  const bytes = v8.serialize(shipped).length;
  assert.ok(bytes < 2_000, `the shipped function is ${bytes} bytes: the table must not travel with it`);
  const payload = v8.deserialize(v8.serialize({ plan: { nodes: { 1: { op: { kind: 'map', fn: shipped } } } } }));
  assert.deepEqual(broadcastIds(payload), [b.id]);

  // On a worker, the value comes from the per-worker cache by id.
  const cache = new Map<number, unknown>([[b.id, v8.deserialize(stored.get(b.id)!)]]);
  const f = reviveClosure(shipped, (s) => eval(s), (type, data) => (type === 'broadcast' ? Broadcast.revive(data, (id) => cache.get(id)) : undefined)) as (k: string) => number;
  assert.equal(f('key-1234'), 1234);
});

test('without a cluster to serve it, a broadcast travels inline', () => {
  const sc = context();
  const b = sc.broadcast([1, 2, 3]);
  const shipped = captureClosure(() => b.value.length, 'rdd.map');
  assert.deepEqual(broadcastIds(v8.deserialize(v8.serialize(shipped))), []);
  const f = reviveClosure(shipped, (s) => eval(s), (type, data) => Broadcast.revive(data, () => undefined)) as () => number;
  assert.equal(f(), 3);
});

test('a value that cannot be encoded is refused when broadcast, with a clear error', () => {
  const sc = context(() => undefined);
  assert.throws(() => sc.broadcast({ f: () => 1 }), /sc\.broadcast: the value cannot be sent to workers/);
});
