// copier (the zero values of fold and aggregate): each copy must be what a decode of the value
// encoded through the record codec gives, whichever way it is made (a walk by freshCopy for
// plain data, the decode otherwise). The oracle is the codec's own round trip
// (decodeRecords(encodeRecords(x))), compared with util.inspect (key order, -0, holes,
// undefined properties, shared references and every type's name show).
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, test } from 'node:test';
import { copier, decodeRecords, encodeRecords } from '../../src/codec/codec.js';
import { setRecordClassScope } from '../../src/codec/record-classes.js';
import { copiesFresh } from '../../src/util/fresh-copy.js';

/** A class of "the job": the record codec finds it through the scope set below, as a task thread finds the bundle's. */
class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
  norm1(): number {
    return Math.abs(this.x) + Math.abs(this.y);
  }
}
before(() => setRecordClassScope((name) => ({ Point })[name as 'Point'], 'class Point {}'));
after(() => setRecordClassScope(undefined));

const viaCodec = (x: unknown): unknown => decodeRecords(encodeRecords(x));
const show = (x: unknown): string => inspect(x, { depth: null, showHidden: false, sorted: false, maxArrayLength: null, maxStringLength: null });

function values(): [string, unknown][] {
  const shared = [1, 2];
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic.self = cyclic;
  // eslint-disable-next-line no-sparse-arrays
  const holes = [1, , 3];
  return [
    ['a pair', { sum: 0, n: 0 }],
    ['nested', { a: [1, { b: 'x', c: [true, null, undefined] }], d: new Date(86_400_000), big: 12n, neg: -0, nan: NaN }],
    ['shared inside', { left: shared, right: shared }],
    ['a cycle', cyclic],
    ['holes', holes],
    ['Map and Set', new Map<unknown, unknown>([['k', new Set([1, 'two', { three: 3 }])], [{ key: 1 }, [4]]])],
    ['an own __proto__ key', JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as unknown],
    ['a null prototype', Object.assign(Object.create(null) as object, { z: 1 })],
    ['a boxed number', new Number(3)],
    ['an error', { e: new RangeError('r') }],
    ['bytes', { u: new Uint8Array([1, 2, 3]), f: new Float64Array([0.5]) }],
    ['an array with a named key', Object.assign([1, 2], { extra: 'x' })],
    ['a RegExp', { re: /a+/gi }],
    ['class instances', { p: new Point(1, -2), ps: [new Point(3, 4)] }],
  ];
}

test('every copy shows as the codec round trip of the value, for plain data and the rest', () => {
  for (const [what, v] of values()) {
    const copy = copier(v);
    const expected = show(viaCodec(v));
    const first = copy();
    const second = copy();
    assert.equal(show(first), expected, what);
    assert.equal(show(second), expected, `${what}, second copy`);
    if (typeof v === 'object' && v !== null) {
      assert.notEqual(first, v, `${what}: a copy, not the value`);
      assert.notEqual(first, second, `${what}: a fresh copy each time`);
    }
  }
});

test('an own __proto__ key is copied as data, leaving the prototype alone', () => {
  const copy = copier(JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>)();
  assert.equal(Object.getPrototypeOf(copy), Object.prototype);
  assert.deepEqual(Object.keys(copy), ['__proto__']);
  assert.equal((copy as { polluted?: boolean }).polluted, undefined);
});

test("a copy is independent of the others and of later changes to the value (as the codec's snapshot)", () => {
  const zero = { sum: 0, seen: [] as number[], by: new Map<string, number[]>([['a', []]]) };
  const copy = copier(zero);
  const a = copy();
  a.sum += 5;
  a.seen.push(1);
  a.by.get('a')!.push(2);
  zero.sum = 99;
  zero.seen.push(7);
  const b = copy();
  assert.deepEqual(b, { sum: 0, seen: [], by: new Map([['a', []]]) });
});

test('a class instance keeps its class in every copy', () => {
  const copy = copier({ at: new Point(2, -3) });
  assert.ok(copiesFresh({ at: new Point(2, -3) }));
  const c = copy();
  assert.ok(c.at instanceof Point);
  assert.equal(c.at.norm1(), 5);
});

test('copiesFresh: plain data and class instances walk; anything with slots of its own decodes', () => {
  class Bag extends Map<string, number> {}
  class List extends Array<number> {}
  const walks: unknown[] = [1, 'a', null, { a: [1, new Date(0)] }, new Map([[1, new Set([2])]]), new Point(1, 2), [new Point(3, 4)]];
  const decodes: unknown[] = [new Number(1), new String('s'), new Error('e'), Buffer.from('x'), new Uint8Array(2), new ArrayBuffer(2), new Bag(), List.from([1]), /x/, { deep: [{ e: new TypeError('t') }] }, Object.assign([0], { k: 1 })];
  for (const v of walks) assert.equal(copiesFresh(v), true, show(v));
  for (const v of decodes) assert.equal(copiesFresh(v), false, show(v));
});
