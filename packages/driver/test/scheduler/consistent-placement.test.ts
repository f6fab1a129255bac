// The placement of a direct input's partition (Spark's KafkaRDD.getPreferredLocations): the
// workers sorted by host then id, both descending (Spark's compareExecutors), narrowed to the
// placement's hosts when any matches, the one at floorMod(hash, count). Expected workers are
// written out by hand from that rule.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostOf, placedWorker, placementOrder } from '../../src/scheduler/consistent-placement.js';

const w = (id: string, address: string) => ({ id, address });
const ids = (ws: readonly { id: string }[]) => ws.map((x) => x.id);

test('workers are ordered by host, then id, both descending', () => {
  const ws = [w('worker-b', '10.0.0.1:7000'), w('worker-a', '10.0.0.2:7001'), w('worker-c', '10.0.0.1:7002'), w('worker-d', '[::1]:7003')];
  assert.deepEqual(ids(placementOrder(ws)), ['worker-d', 'worker-a', 'worker-c', 'worker-b']);
  assert.equal(hostOf('[::1]:7003'), '::1');
  assert.equal(hostOf('127.0.0.1:5'), '127.0.0.1');
});

test('a partition goes to the worker at floorMod(hash, count), negative hashes too', () => {
  const sorted = placementOrder([w('w1', 'h:1'), w('w2', 'h:2'), w('w3', 'h:3')]);
  assert.deepEqual(ids(sorted), ['w3', 'w2', 'w1']);
  assert.deepEqual([0, 1, 2, 3, 4, -1, -2, -3, -4, 2 ** 31 - 1, -(2 ** 31)].map((hash) => placedWorker({ hash }, sorted)?.id), ['w3', 'w2', 'w1', 'w3', 'w2', 'w1', 'w2', 'w3', 'w1', 'w2', 'w2']);
  // (2^31 - 1) mod 3 = 1; -(2^31) floorMod 3 = 1 (2^31 mod 3 = 2).
  assert.equal(placedWorker({ hash: 5 }, []), undefined);
});

test('the same partitions go to the same workers while the workers stay; a fourth worker takes its share at once', () => {
  const three = placementOrder([w('w1', 'h:1'), w('w2', 'h:2'), w('w3', 'h:3')]);
  const four = placementOrder([...three, w('w4', 'h:4')]);
  const hashes = Array.from({ length: 12 }, (_, i) => 4326 + i * 31);
  assert.deepEqual(hashes.map((hash) => placedWorker({ hash }, three)?.id), hashes.map((hash) => placedWorker({ hash }, placementOrder([...three].reverse()))?.id), 'the order of registration does not matter');
  // 4326 + 31 i over 4 workers [w4, w3, w2, w1]: (2 + 3 i) mod 4 = 2, 1, 0, 3, ...
  assert.deepEqual(hashes.map((hash) => placedWorker({ hash }, four)?.id), ['w2', 'w3', 'w4', 'w1', 'w2', 'w3', 'w4', 'w1', 'w2', 'w3', 'w4', 'w1']);
});

test("PreferFixed's host narrows the choice to the workers it names (host, address or id), else every worker", () => {
  const sorted = placementOrder([w('wa', '10.0.0.1:1'), w('wb', '10.0.0.1:2'), w('wc', '10.0.0.2:3')]);
  assert.deepEqual(ids(sorted), ['wc', 'wb', 'wa']);
  assert.deepEqual([0, 1, 2, 3].map((hash) => placedWorker({ hash, hosts: ['10.0.0.1'] }, sorted)?.id), ['wb', 'wa', 'wb', 'wa']);
  assert.equal(placedWorker({ hash: 1, hosts: ['10.0.0.2:3'] }, sorted)?.id, 'wc');
  assert.equal(placedWorker({ hash: 7, hosts: ['wa'] }, sorted)?.id, 'wa');
  assert.equal(placedWorker({ hash: 1, hosts: ['elsewhere'] }, sorted)?.id, 'wb');
});
