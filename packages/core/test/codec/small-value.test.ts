// The task-value encoding (encodeSmall/decodeSmall): small plain values are written by one
// reused writer, everything else by v8. The oracle is v8's own round trip
// (v8.deserialize(v8.serialize(x))), compared with util.inspect (key order, -0, NaN,
// undefined properties and every type's name show) and deepStrictEqual; values encoded one
// after another through the one writer are decoded only after all of them were encoded, so
// an encoding that shared the writer's buffer would show.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import v8 from 'node:v8';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors.js';
import { SMALL_TAG, decodeSmall, encodeSmall } from '../../src/codec/small-value.js';
import { encode } from '../../src/codec/codec.js';
import { mulberry32 } from '../support/prng.js';

const V8_TAG = 0xff;
const viaV8 = (x: unknown): unknown => v8.deserialize(v8.serialize(x));
const show = (x: unknown): string => inspect(x, { depth: null, showHidden: false, sorted: false, maxArrayLength: null, maxStringLength: null });

function sameAsV8(x: unknown, got: unknown, what: string): void {
  const want = viaV8(x);
  assert.equal(show(got), show(want), what);
  assert.deepStrictEqual(got, want, what);
}

const proto = { ['__proto__']: 1 };

const SMALL: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['true', true],
  ['false', false],
  ['0', 0],
  ['-0', -0],
  ['NaN', NaN],
  ['Infinity', -Infinity],
  ['int32 bounds', [2 ** 31 - 1, -(2 ** 31), 2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 2, 5e-324, 0.1]],
  ['strings', ['', 'a', 'naïve', 'ÿ', 'Ā', '日本語', '\ud83d\ude00', '\ud800 lone', 'x'.repeat(3000)]],
  ['a task part', { slices: { 3: { 17: [17] }, 5: { 0: ['a', 'b'] } } }],
  ['a result', { value: [[1, 'x'], [2, 'y']], accumulators: { 0: 5, 3: 1.5 } }],
  ['undefined inside', { a: undefined, b: [undefined, null], c: {} }],
  ['key order: integer keys first, then as inserted', { z: 1, 10: 2, a: 3, 2: 4, '-1': 5, '01': 6 }],
  ['an own __proto__ property', JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown],
  ['a computed __proto__ key', proto],
  ['empty', [[], {}, [[]], { a: {} }]],
  ['nested', { a: [{ b: [{ c: [1, { d: 'e' }] }] }] }],
];

test('small plain values take the compact form and decode to what v8 would give', () => {
  const encoded = SMALL.map(([what, x]) => [what, x, encodeSmall(x)] as const);
  for (const [what, x, bytes] of encoded) {
    assert.equal(bytes[0], SMALL_TAG, `${what}: compact`);
    sameAsV8(x, decodeSmall(bytes), what);
  }
  const own = decodeSmall<Record<string, unknown>>(encodeSmall(JSON.parse('{"__proto__": {"x": 1}}')));
  assert.equal(Object.getPrototypeOf(own), Object.prototype, 'an own __proto__ key never sets the prototype');
  assert.deepEqual(Object.keys(own), ['__proto__']);
});

test('an encoding is the whole of its ArrayBuffer (a task thread posts it: a clone copies the whole buffer, never a pool of 8 KiB)', () => {
  for (const [what, x] of [...SMALL, ['a result task\'s value', { value: 1, accumulators: [] }], ['v8', new Map([[1, 2]])]] as [string, unknown][]) {
    const bytes = encodeSmall(x);
    assert.equal(bytes.buffer.byteLength, bytes.length, `${what}: ${bytes.length} bytes in an ArrayBuffer of ${bytes.buffer.byteLength}`);
    assert.equal(bytes.byteOffset, 0, what);
  }
});

class Point {
  constructor(readonly x: number) {}
}

test('every other type goes to v8 whole, through the same writer, and round-trips as v8 gives it', () => {
  const shared = { s: 1 };
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic.self = cyclic;
  const holey = [1, , 3];
  const extra = Object.assign([1, 2], { label: 'x' });
  const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
  const deep: unknown[] = [];
  let at = deep;
  for (let i = 0; i < 40; i++) at.push((at = []));
  const many = Array.from({ length: 100 }, (_, i) => `line ${i}`);
  const wide = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i]));
  const OTHER: [string, unknown][] = [
    ['Date', { at: new Date(1_700_000_000_123) }],
    ['Map', { m: new Map<unknown, unknown>([[1, 'a'], ['b', [2]]]) }],
    ['Set', [new Set([1, 'x'])]],
    ['BigInt', { n: 12345678901234567890n }],
    ['Buffer', [Buffer.from('bytes')]],
    ['Uint8Array', { u: new Uint8Array([1, 2, 3]) }],
    ['Float64Array', new Float64Array([1.5, -0])],
    ['RegExp', /a+b/gi],
    ['a class instance', [new Point(3)]],
    ['a null-prototype object', { o: nullProto }],
    ['a shared reference', [shared, shared]],
    ['a cycle', cyclic],
    ['a holey array', holey],
    ['an array with a property', extra],
    ['40 levels deep', deep],
    ['100 strings', many],
    ['40 keys', wide],
    ['a string past the size limit', 'y'.repeat(20_000)],
  ];
  // Interleaved with small ones: each fallback sits between two uses of the writer's buffer.
  const all: [string, unknown][] = OTHER.flatMap(([w, x], i) => [[w, x], SMALL[i % SMALL.length]] as [string, unknown][]);
  const encoded = all.map(([what, x]) => [what, x, encodeSmall(x)] as const);
  for (const [what, x, bytes] of encoded) {
    if (OTHER.some(([w]) => w === what)) assert.equal(bytes[0], V8_TAG, `${what}: v8`);
    sameAsV8(x, decodeSmall(bytes), what);
  }
  const pair = decodeSmall<{ s: number }[]>(encodeSmall([shared, shared]));
  assert.equal(pair[0], pair[1], 'a shared reference stays one object');
  const c = decodeSmall<Record<string, unknown>>(encodeSmall(cyclic));
  assert.equal(c.self, c, 'a cycle stays a cycle');
  assert.equal(decodeSmall<Point[]>(encodeSmall([new Point(3)]))[0].x, 3);
  // What the record codec (v8) wrote decodes too: results of older workers, the bench's fakes.
  sameAsV8({ value: 1, accumulators: {} }, decodeSmall(encode({ value: 1, accumulators: {} })), 'v8 bytes');
});

test('random small values through the reused writer: each decodes exactly, whatever came before it', () => {
  const rand = mulberry32(913);
  const leaf = (): unknown => {
    const r = rand();
    if (r < 0.2) return Math.floor(rand() * 2 ** 33) - 2 ** 32;
    if (r < 0.35) return (rand() - 0.5) * 1e6;
    if (r < 0.5) return ['', 'ab', 'ü', '語', '\udc00', 'q'.repeat(Math.floor(rand() * 50))][Math.floor(rand() * 6)];
    if (r < 0.6) return [undefined, null, true, false, -0, NaN][Math.floor(rand() * 6)];
    if (r < 0.65) return new Date(Math.floor(rand() * 1e12));
    if (r < 0.7) return BigInt(Math.floor(rand() * 1e9));
    return undefined;
  };
  const gen = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.4) return leaf();
    if (r < 0.7) return Array.from({ length: Math.floor(rand() * 6) }, () => gen(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(rand() * 6) }, (_, i) => [rand() < 0.3 ? String(i * 7) : `k${i}`, gen(depth + 1)]));
  };
  const values = Array.from({ length: 2000 }, () => gen(0));
  const encoded = values.map((x) => encodeSmall(x));
  let compact = 0;
  for (let i = 0; i < values.length; i++) {
    if (encoded[i][0] === SMALL_TAG) compact++;
    sameAsV8(values[i], decodeSmall(encoded[i]), `value ${i}: ${show(values[i]).slice(0, 200)}`);
  }
  assert.ok(compact > 1000 && compact < values.length, `both forms used (${compact} of ${values.length} compact)`);
});

test('a getter that throws leaves the writer usable; one that encodes again gets its own bytes', () => {
  const bad = {
    get x(): number {
      throw new Error('getter failed');
    },
  };
  assert.throws(() => encodeSmall({ a: [1, bad] }), /getter failed/);
  sameAsV8({ after: [1, 2] }, decodeSmall(encodeSmall({ after: [1, 2] })), 'after a throw');
  let inner: Buffer | undefined;
  const reentrant = {
    get x(): string {
      inner = encodeSmall({ inner: ['i', 2] });
      return 'outer';
    },
  };
  const outer = decodeSmall(encodeSmall({ y: [reentrant] }));
  assert.deepStrictEqual(outer, { y: [{ x: 'outer' }] });
  assert.deepStrictEqual(decodeSmall(inner!), { inner: ['i', 2] });
  // What v8 cannot encode fails as v8 fails.
  for (const x of [{ f: () => 1 }, [Symbol('s')]]) {
    const v8Error = (() => {
      try {
        v8.serialize(x);
      } catch (err) {
        return (err as Error).message;
      }
      return 'v8 encoded it';
    })();
    assert.throws(() => encodeSmall(x), (e: Error) => e.message === v8Error && /could not be cloned/.test(v8Error));
  }
});

test('corrupt compact bytes fail with a SluiceError naming the place, never a wrong value', () => {
  const good = encodeSmall({ slices: { 1: { 2: ['abc'] } } });
  for (const cut of [1, 3, good.length - 1]) {
    assert.throws(() => decodeSmall(good.subarray(0, cut)), (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_INTERNAL' && /corrupt task value/.test(e.message), `cut at ${cut}`);
  }
  const trailing = Buffer.concat([good, Buffer.from([0])]);
  assert.throws(() => decodeSmall(trailing), /ends at byte/);
  const badTag = Buffer.from(good);
  badTag[1] = 0x7e;
  assert.throws(() => decodeSmall(badTag), /tag 126 at byte 1/);
});
