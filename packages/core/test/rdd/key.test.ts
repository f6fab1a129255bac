import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import { compareKeys, hashKey, keyId, nonNegativeMod } from '../../src/rdd/key.js';
import { javaArraysHash, javaStringHash } from '../support/java-hash.js';
import { mulberry32 } from '../support/prng.js';

const STRINGS = ['', 'a', 'b', 'ab', 'é', '日本', '𝄞', 'null', 'u', '1', 'NaN', '\u0000x'];
const NUMBERS = [0, -0, 1, -1, 2, 1.5, -2.25, 2147483647, -2147483648, 3e9, Number.MAX_VALUE, NaN, Infinity, -Infinity];

/** A random key: primitives, Dates, and (up to `depth`) arrays, plain objects, Maps and Sets. */
function randomKey(rand: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const kinds = depth > 0 ? 12 : 8;
  switch (Math.floor(rand() * kinds)) {
    case 0:
      return pick(STRINGS);
    case 1:
      return pick(NUMBERS);
    case 2:
      return Math.floor(rand() * 2000) - 1000;
    case 3:
      return BigInt(Math.floor(rand() * 100) - 50);
    case 4:
      return rand() < 0.5;
    case 5:
      return rand() < 0.5 ? null : undefined;
    case 6:
      return new Date(Math.floor(rand() * 1e6));
    case 7:
      return String.fromCharCode(97 + Math.floor(rand() * 4)) + Math.floor(rand() * 3);
    case 8:
    case 9:
      return Array.from({ length: Math.floor(rand() * 4) }, () => randomKey(rand, depth - 1));
    case 10: {
      const o: Record<string, unknown> = {};
      for (let i = Math.floor(rand() * 4); i > 0; i--) o[pick(['a', 'b', 'c', 'z', '0'])] = randomKey(rand, depth - 1);
      return o;
    }
    default:
      return rand() < 0.5
        ? new Map(Array.from({ length: Math.floor(rand() * 3) }, () => [randomKey(rand, 0), randomKey(rand, depth - 1)] as const))
        : new Set(Array.from({ length: Math.floor(rand() * 3) }, () => randomKey(rand, 0)));
  }
}

/** A structurally equal copy built differently: object keys, Map entries and Set members in reverse insertion order. */
function rebuilt(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rebuilt);
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof Map) return new Map([...v.entries()].reverse().map(([k, x]) => [rebuilt(k), rebuilt(x)]));
  if (v instanceof Set) return new Set([...v].reverse().map(rebuilt));
  if (typeof v === 'object' && v !== null) {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).reverse()) o[k] = rebuilt((v as Record<string, unknown>)[k]);
    return o;
  }
  return v;
}

/** A second process sees the key after a trip through the record codec. */
const overTheWire = (v: unknown): unknown => v8.deserialize(v8.serialize(v));

const sign = (x: number): number => (x < 0 ? -1 : x > 0 ? 1 : 0);

describe('hashKey', () => {
  test('is stable: values derived from the definition, not from the code (a change breaks shuffles between versions)', () => {
    // Strings: Java's String.hashCode. Values Java documents or that are well known:
    assert.equal(hashKey('hello'), 99162322); // "hello".hashCode()
    assert.equal(hashKey('Aa'), 2112); // 65*31 + 97, the classic collision with "BB" = 66*31 + 66
    assert.equal(hashKey('BB'), 2112);
    assert.equal(hashKey('polygenelubricants'), -2147483648); // its Java hash is Integer.MIN_VALUE
    assert.equal(hashKey('a'), 97);
    assert.equal(hashKey(''), 0);
    assert.equal(hashKey('𝄞'), 0xd834 * 31 + 0xdd1e); // UTF-16 code units of U+1D11E
    // Every string from the definition, evaluated with BigInt powers of 31.
    for (const s of ['hello', 'é', '日本', 'the quick brown fox jumps over the lazy dog', 'x'.repeat(100), '\u0000x']) {
      assert.equal(hashKey(s), javaStringHash(s), JSON.stringify(s));
    }
    // Numbers: a 32-bit integer is its own hash (as Integer.hashCode); others hash their decimal text.
    assert.equal(hashKey(42), 42);
    assert.equal(hashKey(-7), -7);
    assert.equal(hashKey(2147483647), 2147483647);
    assert.equal(hashKey(-2147483648), -2147483648);
    assert.equal(hashKey(1.5), 49 * 31 * 31 + 46 * 31 + 53); // "1.5" = 48568
    assert.equal(hashKey(3000000000), javaStringHash('3000000000'));
    assert.equal(hashKey(2147483648), javaStringHash('2147483648'));
    // Booleans: Boolean.hashCode. null and undefined: 0.
    assert.equal(hashKey(true), 1231);
    assert.equal(hashKey(false), 1237);
    assert.equal(hashKey(null), 0);
    assert.equal(hashKey(undefined), 0);
    // bigint: its decimal text.
    assert.equal(hashKey(10n), 49 * 31 + 48); // "10" = 1567
    assert.equal(hashKey(-123456789012345678901234567890n), javaStringHash('-123456789012345678901234567890'));
    // Arrays: Arrays.hashCode over the elements' hashes.
    assert.equal(hashKey([1, 'a']), (31 * 1 + 1) * 31 + 97); // 1089
    assert.equal(hashKey([]), 1);
    assert.equal(hashKey([['hello', true], 3, null]), javaArraysHash([javaArraysHash([99162322, 1231]), 3, 0]));
    // Dates, Maps, Sets and objects hash their canonical text, written out here by hand.
    assert.equal(hashKey(new Date(0)), 68 * 31 + 48); // "D0" = 2156
    assert.equal(hashKey({ b: 2, a: [1, 'x'] }), javaStringHash('{"a":[1,"x"],"b":2}'));
    assert.equal(hashKey(new Map([['b', 2], ['a', 1]])), javaStringHash('M[["a",1],["b",2]]'));
    assert.equal(hashKey(new Set([3, 1, 2])), javaStringHash('S[1,2,3]'));
  });

  test('is a 32-bit integer for every key', () => {
    const rand = mulberry32(1);
    for (let i = 0; i < 500; i++) {
      const h = hashKey(randomKey(rand, 3));
      assert.ok(Number.isInteger(h) && h >= -2147483648 && h <= 2147483647, `hash ${h}`);
    }
  });

  test('is equal for structurally equal tuples and objects', () => {
    assert.equal(hashKey([1, ['a', 2n]]), hashKey([1, ['a', 2n]]));
    assert.equal(hashKey({ x: 1, y: [2, 3] }), hashKey({ y: [2, 3], x: 1 }));
    assert.equal(hashKey(new Map([['a', 1], ['b', 2]])), hashKey(new Map([['b', 2], ['a', 1]])));
    assert.equal(hashKey(new Set([3, 1, 2])), hashKey(new Set([1, 2, 3])));
    assert.equal(hashKey(-0), hashKey(0));
    const rand = mulberry32(2);
    for (let i = 0; i < 1000; i++) {
      const k = randomKey(rand, 3);
      assert.equal(hashKey(rebuilt(k)), hashKey(k), `rebuilt ${String(keyId(k))}`);
      assert.equal(hashKey(overTheWire(k)), hashKey(k), `decoded ${String(keyId(k))}`);
    }
  });

  test('nonNegativeMod spreads negative hashes into [0, n)', () => {
    assert.equal(nonNegativeMod(-1, 4), 3);
    assert.ok(nonNegativeMod(-8, 4) === 0); // -0: fine as an index
    assert.equal(nonNegativeMod(7, 4), 3);
    assert.equal(nonNegativeMod(-2147483648, 7), 5);
  });
});

describe('keyId', () => {
  test('primitives are their own id; objects get a structural id', () => {
    assert.equal(keyId('a'), 'a');
    assert.equal(keyId(5), 5);
    assert.equal(keyId(5n), 5n);
    assert.equal(keyId(null), null);
    assert.equal(keyId(undefined), undefined);
    assert.equal(typeof keyId([1]), 'string');
    assert.equal(keyId([1, 'a']), keyId([1, 'a']));
    assert.equal(keyId({ a: 1, b: 2 }), keyId({ b: 2, a: 1 }));
  });

  test('structurally equal keys share an id (so they meet in a Map), also after the codec', () => {
    const rand = mulberry32(3);
    for (let i = 0; i < 1000; i++) {
      const k = randomKey(rand, 3);
      const m = new Map([[keyId(k), 1]]);
      assert.ok(m.has(keyId(rebuilt(k))), `rebuilt ${String(keyId(k))}`);
      assert.ok(m.has(keyId(overTheWire(k))), `decoded ${String(keyId(k))}`);
    }
  });

  test('distinct keys get distinct ids', () => {
    const keys: unknown[] = [
      1, '1', 1n, true, 'true', null, 'null', undefined, 'u', NaN, Infinity, -Infinity, 'NaN',
      [], [[]], [1], ['1'], [1n], [true], [null], [undefined], [NaN], [Infinity], [-Infinity], [1, 2], [[1], 2], [1, [2]],
      {}, { a: 1 }, { a: '1' }, { a: null }, { a: undefined }, { a: NaN }, { a: Infinity }, { b: 1 }, { 0: 1, 1: 2 },
      new Date(1), [new Date(1)], new Map([[1, 2]]), new Set([1, 2]), new Map(), new Set(),
    ];
    const ids = new Map<unknown, unknown>();
    for (const k of keys) {
      const id = keyId(k);
      assert.ok(!ids.has(id), `${String(id)} is the id of both ${String(ids.get(id))} and ${String(k)}`);
      ids.set(id, k);
    }
  });

  test('keys with the same id have the same hash (records of one key meet in one reduce partition)', () => {
    const rand = mulberry32(4);
    const hashById = new Map<unknown, number>();
    for (let i = 0; i < 3000; i++) {
      const k = randomKey(rand, 2);
      const id = keyId(k);
      const h = hashById.get(id);
      if (h === undefined) hashById.set(id, hashKey(k));
      else assert.equal(hashKey(k), h, `key ${String(id)}`);
    }
  });
});

describe('compareKeys', () => {
  test('orders types: undefined < null < booleans < numbers (and bigints, Dates) < strings < arrays < objects', () => {
    // Array.prototype.sort moves undefined to the end without asking the comparator: check it directly.
    for (const x of [null, false, 0, -Infinity, NaN, '', [], {}]) {
      assert.ok(compareKeys(undefined, x) < 0 && compareKeys(x, undefined) > 0, `undefined < ${String(x)}`);
    }
    assert.equal(compareKeys(undefined, undefined), 0);
    const expected: unknown[] = [
      null,
      false,
      true,
      -Infinity,
      -5n,
      -1.5,
      0,
      new Date(1),
      2,
      3n,
      Infinity,
      NaN,
      '',
      'A',
      'a',
      'ab',
      'b',
      '日本',
      [],
      [0],
      [0, 'a'],
      [1],
      ['a'],
      [['a']],
      // Then Maps < Sets < other objects; those field by field, names in order, values by compareKeys.
      new Map([[1, 1]]),
      new Set([1]),
      { a: 1 },
      { a: 2 },
      { a: 10 },
      { a: 10, b: 0 },
      { a: 'x' },
      { b: 0 },
    ];
    const rand = mulberry32(5);
    for (let round = 0; round < 20; round++) {
      const shuffled = [...expected];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      assert.deepEqual(shuffled.sort(compareKeys), expected);
    }
  });

  test('numbers with NaN still sort (NaN last, as Double.compare)', () => {
    assert.deepEqual([3, NaN, 1, 2, NaN, 0].sort(compareKeys), [0, 1, 2, 3, NaN, NaN]);
    assert.equal(compareKeys(NaN, NaN), 0);
    assert.ok(compareKeys(NaN, Infinity) > 0);
    assert.ok(compareKeys(Infinity, NaN) < 0);
    assert.deepEqual([[1, NaN], [1, 2], [0, NaN]].sort(compareKeys), [[0, NaN], [1, 2], [1, NaN]]);
  });

  test('is a total order over random mixed keys: reflexive, antisymmetric, transitive', () => {
    const rand = mulberry32(6);
    const keys = Array.from({ length: 70 }, () => randomKey(rand, 2));
    const c = keys.map((a) => keys.map((b) => sign(compareKeys(a, b))));
    for (let i = 0; i < keys.length; i++) {
      assert.equal(c[i][i], 0, `compare(k, k) for ${String(keyId(keys[i]))}`);
      assert.equal(sign(compareKeys(keys[i], rebuilt(keys[i]))), 0);
      for (let j = 0; j < keys.length; j++) {
        assert.equal(c[i][j], -c[j][i] || 0, `antisymmetry of ${String(keyId(keys[i]))} and ${String(keyId(keys[j]))}`);
        for (let k = 0; k < keys.length; k++) {
          if (c[i][j] <= 0 && c[j][k] <= 0) assert.ok(c[i][k] <= 0, `transitivity over ${i}, ${j}, ${k}`);
        }
      }
    }
  });

  test('a sort by compareKeys is the same whatever the input order', () => {
    const rand = mulberry32(7);
    // Top-level undefined is left out: Array.prototype.sort puts it last without the comparator.
    const keys = Array.from({ length: 200 }, () => randomKey(rand, 2)).filter((k) => k !== undefined);
    const a = [...keys].sort(compareKeys);
    const b = [...keys].reverse().sort(compareKeys);
    for (let i = 0; i < a.length; i++) assert.equal(compareKeys(a[i], b[i]), 0);
    for (let i = 1; i < a.length; i++) assert.ok(compareKeys(a[i - 1], a[i]) <= 0);
  });
});
