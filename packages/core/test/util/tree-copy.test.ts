// treeCopy and isCopyTree: the copy a read of a partition kept decoded gets of each record
// (partition-computer.ts) equals what decoding the record's bytes again gives, and shares no
// object with the kept record; records whose copy would differ (an object reached twice, a
// cycle, a typed array, an object of no prototype) are refused. The oracle is the codec's own
// round trip (v8.serialize / v8.deserialize), as every read before gave each record.
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { test } from 'node:test';
import { isCopyTree, treeCopy } from '../../src/util/tree-copy.js';

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

/** Every object reachable from `v`. */
function objectsOf(v: unknown, out = new Set<object>()): Set<object> {
  if (typeof v !== 'object' || v === null || out.has(v)) return out;
  out.add(v);
  const children = v instanceof Map ? [...v.keys(), ...v.values()] : v instanceof Set ? [...v] : Object.values(v);
  for (const c of children) objectsOf(c, out);
  return out;
}

test('a copy of each kind of record equals its decoded bytes and shares no object with the kept one', () => {
  const point = Object.setPrototypeOf(v8.deserialize(v8.serialize({ x: 1, y: 2 })), Point.prototype) as Point;
  const records: unknown[] = [
    7,
    'line',
    null,
    { id: 1, key: 'k1', v: 2.5, ok: true, none: undefined },
    ['k', 3],
    [1, [2, [3, { deep: 'yes' }]]],
    { nested: { a: [1, 2], m: new Map<string, unknown>([['x', { y: 1 }]]), s: new Set([1, 'two']), d: new Date(5) } },
    JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}'),
    point,
    [1, , 3],
  ];
  for (const kept of records) {
    assert.equal(isCopyTree(kept), true, `accepted: ${String(JSON.stringify(kept))}`);
    const copy = treeCopy(kept);
    if (kept instanceof Point) {
      assert.ok(copy instanceof Point, 'the prototype kept');
      assert.deepEqual({ ...copy }, { x: 1, y: 2 });
    } else assert.deepStrictEqual(copy, v8.deserialize(v8.serialize(kept)));
    const keptObjects = objectsOf(kept);
    for (const o of objectsOf(copy)) assert.ok(!keptObjects.has(o), 'no object of the kept record in its copy');
  }
  const proto = treeCopy(records[7]) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(proto), Object.prototype, 'an own "__proto__" key stays data');
  assert.deepEqual(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value, { polluted: 1 });
});

test('a change to a copy leaves the kept record as it was', () => {
  const kept = { id: 1, tags: ['a'], inner: { n: 1 } };
  const copy = treeCopy(kept);
  copy.id = 9;
  copy.tags.push('b');
  copy.inner.n = 2;
  assert.deepEqual(kept, { id: 1, tags: ['a'], inner: { n: 1 } });
});

test('records whose copy would not be their decoded bytes are refused', () => {
  const shared = { n: 1 };
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const extra = Object.assign([1, 2], { note: 'x' });
  for (const [what, r] of [
    ['an object in two fields', { a: shared, b: shared }],
    ['a cycle', cyclic],
    ['a typed array', { bytes: new Uint8Array(2) }],
    ['a Buffer', Buffer.from('x')],
    ['an object of no prototype', Object.create(null) as object],
    ['an array with a named key', extra],
    ['a function', { f: () => 1 }],
  ] as const) {
    assert.equal(isCopyTree(r), false, what);
  }
});
