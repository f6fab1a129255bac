import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { NotSerializableError } from '../../src/errors.js';
import { SHIP, captureClosure, reviveClosure, shipGlobals } from '../../src/closure/index.js';
import type { CaptureWarning, Shippable, ShippedFunction } from '../../src/closure/index.js';
import { generatingBatch, rememberShipOrigin } from '../../src/closure/ship-origin.js';
import { SluiceContext } from '../../src/context.js';

// Module-level names: the job bundle has them on the worker too, so they are not shipped.
const MODULE_OFFSET = 100;
function moduleHelper(x: number): number {
  return x + MODULE_OFFSET;
}
class ModulePoint {
  constructor(readonly x: number) {}
  static of(x: number): ModulePoint {
    return new ModulePoint(x);
  }
}

const sink: number[] = [];

// Exactly what the bundle does on a worker: a direct eval placed in the module's scope.
const evalInScope = (source: string): unknown => eval(source);

class FakeBroadcast implements Shippable {
  constructor(readonly id: number, readonly value: string) {}
  [SHIP]() {
    return { type: 'broadcast', data: { id: this.id } };
  }
}
const reviveShippable = (type: string, data: unknown): unknown => ({ type, id: (data as { id: number }).id, value: `value-of-${(data as { id: number }).id}` });

/** Capture, send through the record codec, revive. */
function roundTrip<F extends Function>(fn: F, operator = 'rdd.map'): { shipped: ShippedFunction; revived: F } {
  const shipped = captureClosure(fn, operator);
  const wire = v8.deserialize(v8.serialize(shipped)) as ShippedFunction;
  return { shipped, revived: reviveClosure(wire, evalInScope, reviveShippable) as F };
}

function notSerializable(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof NotSerializableError, `expected NotSerializableError, got ${String(e)}`);
    assert.equal(e.code, 'SLUICE_TASK_NOT_SERIALIZABLE');
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

describe('captureClosure / reviveClosure', () => {
  test("records where V8 says the function is defined (0-based line and column in this module), with or without captured locals", async () => {
    const factor = 41;
    const withLocal = (x: number): number => x * factor + 7;
    const without = (x: number): number => x * 43 + 9;
    const text = (await import('node:fs')).readFileSync(new URL(import.meta.url), 'utf8');
    for (const [fn, marker] of [
      [withLocal, 'x * factor + 7'],
      [without, 'x * 43 + 9'],
    ] as const) {
      // This file as compiled: the function's arrow and body, on the line that starts it.
      const at = text.indexOf(`=> ${marker}`);
      assert.ok(at > 0 && text.indexOf(`=> ${marker}`, at + 1) < 0, `'=> ${marker}' occurs once in ${import.meta.url}`);
      const line = text.slice(0, at).split('\n').length - 1;
      const lineStart = text.lastIndexOf('\n', at) + 1;
      const loc = captureClosure(fn, 'map').location;
      assert.ok(loc !== undefined, 'a location');
      assert.equal(loc.line, line);
      assert.ok(loc.column >= 0 && loc.column < at - lineStart, `column ${loc.column} on the line before '=> ${marker}' (at ${at - lineStart})`);
    }
  });

  test('captures number, string, object and Map locals', () => {
    const factor = 3;
    const prefix = 'n=';
    const cfg = { scale: 2, tags: ['a', 'b'] };
    const names = new Map([[1, 'one'], [2, 'two']]);
    const fn = (x: number) => `${prefix}${x * factor * cfg.scale}:${names.get(x) ?? '?'}:${cfg.tags.length}`;
    const { shipped, revived } = roundTrip(fn);
    assert.deepEqual(Object.keys(shipped.captures).sort(), ['cfg', 'factor', 'names', 'prefix']);
    assert.deepEqual(shipped.captures['factor'], { kind: 'value', value: 3 });
    assert.equal(revived(1), 'n=6:one:2');
    assert.equal(revived(5), 'n=30:?:2');
    assert.match(shipped.callSite, /capture-closure\.test\.(js|ts):\d+:\d+$/);
  });

  test("a classic script's top-level consts travel (a REPL's, as sluice shell's); its globals only when shipGlobals picks them", () => {
    // What Node's REPL does with a line: a script run in this context.
    const times = vm.runInThisContext('const __scriptFactor = 4; (x) => x * __scriptFactor') as (x: number) => number;
    const { shipped, revived } = roundTrip(times);
    assert.deepEqual(shipped.captures['__scriptFactor'], { kind: 'value', value: 4 });
    assert.equal(revived(3), 12);
    // `var` and `function` at a script's top level are properties of globalThis.
    const add = vm.runInThisContext('var __shellOffset = 5; function __shellAdd(x) { return x + __shellOffset } __shellAdd') as (x: number) => number;
    try {
      assert.deepEqual(Object.keys(captureClosure(add, 'rdd.map').captures), []);
      shipGlobals((name) => name.startsWith('__shell'));
      const g = roundTrip((x: number) => add(x) * 2);
      assert.deepEqual(Object.keys(g.shipped.captures).sort(), ['add']);
      const inner = g.shipped.captures['add'];
      assert.ok(inner?.kind === 'function');
      assert.deepEqual(inner.fn.captures['__shellOffset'], { kind: 'value', value: 5 });
      assert.equal(roundTrip(add).revived(1), 6);
      // A function that calls itself by its global name ships a ref, not a copy a level.
      const fact = vm.runInThisContext('function __shellFact(n) { return n <= 1 ? 1 : n * __shellFact(n - 1) } __shellFact') as (n: number) => number;
      assert.equal(roundTrip(fact).revived(5), 120);
    } finally {
      // (The globals stay: a script's `var` cannot be deleted.)
      shipGlobals(undefined);
    }
  });

  test('an RDD or the SluiceContext captured is refused saying what it is and what to do (Spark: SPARK-5063, SparkContext driver-only)', () => {
    const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
    const other = sc.parallelize([1, 2]);
    notSerializable(() => captureClosure((x: number) => other.id * x, 'rdd.map'), /captures 'other' \(an RDD\)/, /SPARK-5063/, /collect\(\) or broadcast/);
    notSerializable(() => captureClosure(() => sc.appName, 'rdd.map'), /captures 'sc' \(the SluiceContext\)/, /as Spark's SparkContext/);
  });

  test('a captured local helper that itself captures a local', () => {
    const offset = 10;
    const addOffset = (x: number) => x + offset;
    const fn = (x: number) => addOffset(x) * 2;
    const { shipped, revived } = roundTrip(fn);
    const helper = shipped.captures['addOffset'];
    assert.equal(helper?.kind, 'function');
    assert.deepEqual(helper.kind === 'function' && helper.fn.captures['offset'], { kind: 'value', value: 10 });
    assert.equal(revived(1), 22);
  });

  test('self-recursive and mutually recursive local functions', () => {
    function fact(n: number): number {
      return n <= 1 ? 1 : n * fact(n - 1);
    }
    const { shipped, revived } = roundTrip(fact);
    assert.deepEqual(shipped.captures['fact'], { kind: 'ref', index: 0 });
    assert.equal(revived(5), 120);

    const isEven = (n: number): boolean => (n === 0 ? true : isOdd(n - 1));
    const isOdd = (n: number): boolean => (n === 0 ? false : isEven(n - 1));
    const even = roundTrip(isEven);
    const odd = even.shipped.captures['isOdd'];
    assert.ok(odd?.kind === 'function');
    assert.deepEqual(odd.fn.captures['isEven'], { kind: 'ref', index: 1 });
    assert.equal(even.revived(10), true);
    assert.equal(even.revived(7), false);
  });

  test('module-level helpers and classes are not captured, and resolve through evalInScope', () => {
    const local = 2;
    const fn = (x: number) => moduleHelper(x) * local + ModulePoint.of(x).x;
    const { shipped, revived } = roundTrip(fn);
    assert.deepEqual(Object.keys(shipped.captures), ['local']);
    assert.equal(revived(1), 203);
    // A method of a module-level class sees the class through a Block scope: still not shipped.
    const of = roundTrip(ModulePoint.of);
    assert.deepEqual(Object.keys(of.shipped.captures), []);
    assert.ok(of.revived(4) instanceof ModulePoint);
  });

  test('a captured local shadows a module-level name', () => {
    const moduleHelper = (x: number) => -x;
    const { shipped, revived } = roundTrip((x: number) => moduleHelper(x));
    assert.equal(shipped.captures['moduleHelper']?.kind, 'function');
    assert.equal(revived(3), -3);
  });

  test('a captured socket is rejected with the variable, its type, the operator and the call site', () => {
    const sock = new net.Socket();
    try {
      notSerializable(
        () => captureClosure((x: number) => (sock.destroyed ? x : -x), 'rdd.map'),
        /^Task not serializable: rdd\.map at /,
        /capture-closure\.test\.(js|ts):\d+:\d+/,
        /captures 'sock' \(a Socket\)/,
        /Create it inside the function, or use mapPartitions/,
      );
    } finally {
      sock.destroy();
    }
  });

  test('an unreferenced socket in a sibling closure scope does not fail', () => {
    const sock = new net.Socket();
    const n = 4;
    const sibling = () => sock.destroyed; // keeps `sock` in the shared closure scope
    const fn = (x: number) => x + n; // mentions sock only in a comment and a string: 'sock'
    try {
      const { shipped, revived } = roundTrip(fn);
      assert.deepEqual(Object.keys(shipped.captures), ['n']);
      assert.equal(revived(1), 5);
      assert.equal(sibling(), false);
    } finally {
      sock.destroy();
    }
  });

  test('a bad value nested in a captured object is named by its path', () => {
    const cfg = { name: 'db', client: new net.Socket() };
    try {
      notSerializable(() => captureClosure(() => cfg.name, 'rdd.filter', 'job.ts:3:4'), /rdd\.filter at job\.ts:3:4 captures 'cfg\.client' \(a Socket\)/);
    } finally {
      cfg.client.destroy();
    }
    const weak = new WeakMap<object, number>();
    notSerializable(() => captureClosure(() => weak, 'rdd.map'), /'weak' \(a WeakMap\)/);
    const p = Promise.resolve(1);
    notSerializable(() => captureClosure(() => p, 'rdd.map'), /'p' \(a Promise\)/);
    const sym = Symbol('s');
    notSerializable(() => captureClosure(() => sym, 'rdd.map'), /'sym' \(a Symbol\)/);
    const sock = new net.Socket();
    const viaHelper = () => sock;
    try {
      notSerializable(() => captureClosure(() => viaHelper(), 'rdd.map'), /captures 'viaHelper → sock' \(a Socket\)/);
    } finally {
      sock.destroy();
    }
  });

  test('built-ins travel by their path from globalThis (String, Math.max, JSON.parse, console.log), given or captured', () => {
    const max = roundTrip(Math.max);
    assert.equal(max.shipped.source, '(globalThis["Math"]["max"])');
    assert.deepEqual(max.shipped.captures, {});
    assert.equal(max.revived(3, 7), 7);
    assert.equal(roundTrip(String).revived(12), '12');
    assert.equal(roundTrip(parseInt).revived('42px'), 42);
    assert.equal(roundTrip(console.log).shipped.source, '(globalThis["console"]["log"])');
    const parse = JSON.parse;
    const viaCapture = roundTrip((s: string) => parse(s) as unknown);
    assert.deepEqual(viaCapture.shipped.captures['parse'], { kind: 'function', fn: { source: '(globalThis["JSON"]["parse"])', name: 'parse', callSite: viaCapture.shipped.callSite, captures: {} } });
    assert.deepEqual(viaCapture.revived('{"a":1}'), { a: 1 });
  });

  test('bound functions and natives no worker has by a global path are rejected', () => {
    notSerializable(() => captureClosure(((a: number, b: number) => a + b).bind(null, 1), 'rdd.map'), /native or bound/);
    notSerializable(() => captureClosure(Math.max.bind(Math), 'rdd.map'), /native or bound/, /'bound max'/);
    // A prototype's method is no global's own property (it needs its `this` anyway).
    notSerializable(() => captureClosure(Array.prototype.join, 'rdd.map'), /native or bound/, /'join'/);
    const join = Array.prototype.join;
    notSerializable(() => captureClosure(() => join.call([1, 2]), 'rdd.map'), /captures 'join'/, /native or bound/);
  });

  test('a Shippable capture travels as its [SHIP]() form', () => {
    const bc = new FakeBroadcast(7, 'big table');
    const { shipped, revived } = roundTrip((x: number) => `${x}:${bc.value}`);
    assert.deepEqual(shipped.captures['bc'], { kind: 'shippable', type: 'broadcast', data: { id: 7 } });
    assert.equal(revived(1), '1:value-of-7');
  });

  test('method shorthand, async, generators, accessors and computed keys revive', async () => {
    const k = 3;
    const key = 'comp';
    const obj = {
      scale(x: number) {
        return x * k;
      },
      async later(x: number) {
        return x + k;
      },
      *upTo(n: number) {
        for (let i = 0; i < n; i++) yield i * k;
      },
      async *agen() {
        yield k;
      },
      get value() {
        return k;
      },
      set value(v: number) {
        sink.push(v * 10 + k);
      },
      'quoted key'(x: number) {
        return x - k;
      },
      [key](x: number) {
        return x * 2 * k;
      },
      async(x: number) {
        return x + 1;
      },
      get(x: number) {
        return x + 2;
      },
    };
    assert.equal(roundTrip(obj.scale).revived(2), 6);
    assert.equal(await roundTrip(obj.later).revived(2), 5);
    assert.deepEqual([...roundTrip(obj.upTo).revived(3)], [0, 3, 6]);
    const agen = roundTrip(obj.agen).revived();
    assert.deepEqual(await agen.next(), { value: 3, done: false });
    const getter = Object.getOwnPropertyDescriptor(obj, 'value')!.get!;
    assert.equal(roundTrip(getter).revived(), 3);
    const setter = Object.getOwnPropertyDescriptor(obj, 'value')!.set!;
    // The revived setter pushes v * 10 + k (k = 3, captured) onto the module-level sink.
    roundTrip(setter).revived(4);
    assert.deepEqual(sink.splice(0), [43]);
    assert.equal(roundTrip(obj['quoted key']).revived(5), 2);
    const computed = roundTrip(obj.comp);
    assert.equal(computed.revived(1), 6);
    assert.equal(computed.revived.name, 'comp');
    assert.equal(roundTrip(obj.async).revived(1), 2);
    assert.equal(roundTrip(obj.get).revived(1), 3);
    // Arrow and function forms that start like methods.
    assert.equal(roundTrip(async (x: number) => x + k).revived.constructor.name, 'AsyncFunction');
    assert.equal(roundTrip(function named(x: number) { return x + k; }).revived(1), 4);
  });

  test('source tricks do not hide references: strings, templates, regexps, comments', () => {
    const a = 1;
    const b = 2;
    const c = 3;
    const fn = (x: string) => `${x}/${a}` + /[/`]b/.test(x) + `${`${b}`}` /* a */ + '// c' + c;
    const { shipped, revived } = roundTrip(fn);
    assert.deepEqual(Object.keys(shipped.captures).sort(), ['a', 'b', 'c']);
    assert.equal(revived('q'), `q/1false2// c3`);
  });

  test('the ShippedFunction is plain data and survives v8 serialize', () => {
    const big = 10n ** 20n;
    const when = new Date(0);
    const bytes = Buffer.from('hi');
    const floats = new Float64Array([1.5]);
    const set = new Set(['x']);
    const re = /z+/g;
    const shared = { n: 1 };
    const pair = [shared, shared];
    const fn = () => [big, when.getTime(), bytes.toString(), floats[0], set.has('x'), re.source, pair[0] === pair[1]];
    const { shipped, revived } = roundTrip(fn);
    assert.deepEqual(v8.deserialize(v8.serialize(shipped)), shipped);
    assert.deepEqual(revived(), [10n ** 20n, 0, 'hi', 1.5, true, 'z+', true]);
  });

  test('revival rejects capture names that are not identifiers', () => {
    const shipped: ShippedFunction = { source: '(() => 1)', name: 'f', callSite: 'x:1:1', captures: { 'a); evil(': { kind: 'value', value: 1 } } };
    assert.throws(() => reviveClosure(shipped, evalInScope, reviveShippable), /not a JavaScript identifier/);
  });

  test('1000 captures are fast', () => {
    const a = 1;
    const cfg = { b: 2 };
    const helper = (x: number) => x + a;
    const fn = (x: number) => helper(x) + cfg.b;
    // CPU time, not wall time: on a shared, loaded machine the wall clock measures the others.
    const start = process.cpuUsage();
    for (let i = 0; i < 1000; i++) captureClosure(fn, 'rdd.map', 'job.ts:1:1');
    const used = process.cpuUsage(start);
    const ms = (used.user + used.system) / 1000;
    // Measured ~0.5 ms per capture (two functions); 10x slack.
    assert.ok(ms < 5000, `1000 captures took ${ms.toFixed(0)} ms of CPU time`);
  });

  test('`this` in a shipped function is an error naming the field and the fix; a nested function, method or class has its own `this`', () => {
    class Scaler {
      factor = 3;
      arrow() {
        return (x: number) => x * this.factor;
      }
      nested() {
        return (xs: number[]) => xs.map(function (this: unknown, x: number) {
          return [this, x];
        });
      }
    }
    const s = new Scaler();
    notSerializable(
      () => captureClosure(s.arrow(), 'dstream.map'),
      /^Task not serializable: dstream\.map at .*capture-closure\.test\.(js|ts):\d+:\d+: the function '<anonymous>' uses `this` \(this\.factor\)/,
      /Copy the field into a local before the call and use the local inside the function: const factor = this\.factor;$/,
    );
    // A function expression and a method use `this` too.
    notSerializable(() => captureClosure(function (this: { k: number }, x: number) { return x + this.k; }, 'rdd.map'), /uses `this` \(this\.k\)/);
    const obj = { k: 1, plus(x: number) { return x + this.k; } };
    notSerializable(() => captureClosure(obj.plus, 'rdd.map'), /the function 'plus' uses `this` \(this\.k\)/);
    // A captured helper that uses `this` is named through the capture.
    const helper = () => this;
    notSerializable(() => captureClosure((x: number) => [x, helper()], 'rdd.map'), /the function 'helper' \(captured as 'helper'\) uses `this`/);
    // Not `this` of the shipped function: a nested function, an object method, a class; `.this` and strings.
    const k = 2;
    const fine = (x: number) => {
      const o = { n: x, get twice() { return this.n * k; } };
      class Local {
        v = x;
        get() {
          return this.v;
        }
      }
      const f = function (this: { q: number } | void) { return this; };
      return [o.twice, new Local().get(), typeof f, 'this', { this: 1 }.this];
    };
    assert.deepEqual(roundTrip(fine).revived(5), [10, 5, 'function', 'this', 1]);
    assert.equal(s.nested().length, 1);
    assert.doesNotThrow(() => captureClosure(s.nested(), 'rdd.map'));
  });

  test('writes to captured variables are warned of (with the operator and call site); reads, declarations and accumulators are not', () => {
    let total = 0;
    const seen = new Set<number>();
    const counts: Record<string, number> = {};
    const bc = new FakeBroadcast(1, 'x');
    const warnings: CaptureWarning[] = [];
    const fn = (x: number) => {
      total += x;
      seen.add(x);
      counts[String(x)] = 1;
      ++total;
      const copy = [...seen, total, bc.value];
      return copy;
    };
    captureClosure(fn, 'rdd.foreach', 'job.ts:7:3', (w) => warnings.push(w));
    assert.deepEqual(
      warnings.map((w) => [w.fields.variable, w.fields.write]),
      [
        ['total', 'total += x'],
        ['seen', 'seen.add(x)'],
        ['counts', 'counts[String(x)] = 1'],
        ['total', '++total'],
      ],
    );
    for (const w of warnings) {
      assert.equal(w.fields.operator, 'rdd.foreach');
      assert.equal(w.fields.callSite, 'job.ts:7:3');
      assert.match(w.fields.hint ?? '', /accumulator/);
    }
    // Reads only, comparisons, a shadowing declaration and a broadcast's use: no warning.
    const quiet: CaptureWarning[] = [];
    const limit = 5;
    captureClosure((x: number) => {
      if (total === x || limit >= x || total == x) return [bc.value, total];
      { const limit = 3; return limit; }
    }, 'rdd.map', 'job.ts:1:1', (w) => quiet.push(w));
    assert.deepEqual(quiet, []);
    assert.equal(total + seen.size + Object.keys(counts).length, 0);
  });

  test('with no user frame on the stack (a batch), errors name the DStream operator and call where the function was given', () => {
    const sock = new net.Socket();
    try {
      const fn = (x: number) => (sock.destroyed ? x : -x);
      rememberShipOrigin(fn, { operator: 'dstream.map', callSite: '/jobs/job.ts:12:8' });
      // Given a call site, it is used as given.
      notSerializable(() => captureClosure(fn, 'rdd.map', 'x.ts:1:1'), /^Task not serializable: rdd\.map at x\.ts:1:1 captures 'sock'/);
      // From this test's frame (a user frame), the stack's call site.
      notSerializable(() => captureClosure(fn, 'rdd.map'), /^Task not serializable: rdd\.map at .*capture-closure\.test/);
      // From a timer whose stack has no user frame (only node: and eval'd frames), as at batch time: the origin.
      return new Promise<void>((resolve, reject) => {
        const done = (err: unknown): void => {
          try {
            notSerializable(() => {
              throw err ?? new Error('captured without an error');
            }, /^Task not serializable: dstream\.map at \/jobs\/job\.ts:12:8 captures 'sock'/);
            resolve();
          } catch (e) {
            reject(e);
          }
        };
        const tick = new Function('capture', 'fn', 'done', 'return () => { try { capture(fn, "rdd.map"); done(undefined); } catch (e) { done(e); } };') as (
          capture: typeof captureClosure,
          fn: Function,
          done: (err: unknown) => void,
        ) => () => void;
        setImmediate(tick(captureClosure, fn, done));
      });
    } finally {
      setImmediate(() => sock.destroy());
    }
  });
  test('shipped again and again (each batch): a function that captures nothing is read once; captured values are read each time, as they are then', () => {
    const pure = (line: string) => line.split(' ');
    const first = captureClosure(pure, 'rdd.flatMap', '/jobs/job.ts:3:4');
    assert.deepEqual(first.captures, {});
    assert.equal(captureClosure(pure, 'rdd.flatMap', '/jobs/job.ts:3:4'), first, 'the same shipped form, not read through the inspector again');
    // Another operator or call site is named in its own shipped form.
    const elsewhere = captureClosure(pure, 'rdd.map', '/jobs/job.ts:9:1');
    assert.notEqual(elsewhere, first);
    assert.equal(elsewhere.callSite, '/jobs/job.ts:9:1');
    // A captured variable changed between two shippings (a driver program that updates a
    // threshold between batches): the second shipping carries the new value.
    let threshold = 1;
    const above = (x: number) => x > threshold;
    const before = reviveClosure(v8.deserialize(v8.serialize(captureClosure(above, 'rdd.filter', '/jobs/job.ts:5:5'))) as ShippedFunction, evalInScope, reviveShippable) as typeof above;
    threshold = 10;
    const after = reviveClosure(v8.deserialize(v8.serialize(captureClosure(above, 'rdd.filter', '/jobs/job.ts:5:5'))) as ShippedFunction, evalInScope, reviveShippable) as typeof above;
    assert.equal(before(5), true, 'shipped while threshold was 1');
    assert.equal(after(5), false, 'shipped after threshold became 10');
  });

  test('while a batch is generated, a DStream function is shipped with where it was given, whatever frames are on the stack', () => {
    const sock = new net.Socket();
    try {
      const fn = (x: number) => (sock.destroyed ? x : -x);
      rememberShipOrigin(fn, { operator: 'dstream.filter', callSite: '/jobs/job.ts:21:3' });
      // Outside batch generation this test's frame is the user's call site...
      notSerializable(() => captureClosure(fn, 'rdd.filter'), /^Task not serializable: rdd\.filter at .*capture-closure\.test/);
      // ...inside it, the origin, without reading the stack.
      notSerializable(() => generatingBatch(() => captureClosure(fn, 'rdd.filter')), /^Task not serializable: dstream\.filter at \/jobs\/job\.ts:21:3 captures 'sock'/);
      // A function given to no DStream operator still gets the user's frame.
      const plain = (x: number) => (sock.destroyed ? x : 0);
      notSerializable(() => generatingBatch(() => captureClosure(plain, 'rdd.map')), /^Task not serializable: rdd\.map at .*capture-closure\.test/);
    } finally {
      sock.destroy();
    }
  });

  test('a job scope compiles each shipped function once; every revival still gets its own captured bindings', () => {
    let total = 0;
    const add = (x: number) => {
      total += x;
      return total;
    };
    const shipped = v8.deserialize(v8.serialize(captureClosure(add, 'rdd.map'))) as ShippedFunction;
    // A scope of its own (one per worker thread), counting what it is asked to compile.
    let compiled = 0;
    const scope = (source: string): unknown => {
      compiled++;
      return evalInScope(source);
    };
    const first = reviveClosure(shipped, scope, reviveShippable) as typeof add;
    const second = reviveClosure(v8.deserialize(v8.serialize(shipped)) as ShippedFunction, scope, reviveShippable) as typeof add;
    assert.equal(compiled, 1, 'the second revival reuses the compiled factory');
    // Writes to a captured variable stay with the revived copy that made them (as two tasks' closures).
    assert.equal(first(5), 5);
    assert.equal(first(2), 7);
    assert.equal(second(1), 1);
    assert.equal(total, 0, "the driver's own binding is untouched");
    // Another function (other source) is compiled for itself.
    const mul = (x: number) => x * total;
    assert.equal((reviveClosure(captureClosure(mul, 'rdd.map'), scope, reviveShippable) as typeof mul)(3), 0);
    assert.equal(compiled, 2);
  });

  test("each revival of one shipped value gets its own deep copy of the data captured (a task's closure is its own), shared references and types kept", () => {
    const shared = [1];
    const seen = {
      n: 0,
      list: [] as number[],
      byKey: new Map<string, number[]>([['k', shared]]),
      tags: new Set(['a']),
      when: new Date(1_000),
      re: /x+/gi,
      bytes: new Uint8Array([1, 2, 3]),
      floats: new Float64Array([0.5]),
      pair: { a: shared, b: shared },
    };
    const touch = (x: number) => {
      seen.n += x;
      seen.list.push(x);
      seen.byKey.get('k')!.push(x);
      seen.tags.add(String(x));
      seen.bytes[0] += x;
      return [seen.n, seen.list.length, seen.pair.b.length, seen.tags.size, seen.bytes[0]];
    };
    // One decoded shipped function revived twice, as a task thread keeps a stage's payload for all its tasks.
    const shipped = v8.deserialize(v8.serialize(captureClosure(touch, 'rdd.map'))) as ShippedFunction;
    const first = reviveClosure(shipped, evalInScope, reviveShippable) as typeof touch;
    const second = reviveClosure(shipped, evalInScope, reviveShippable) as typeof touch;
    // The Map's list and pair.a/pair.b are one array: a push through the Map shows in pair.b (1 + 1 element).
    assert.deepEqual(first(5), [5, 1, 2, 2, 6]);
    assert.deepEqual(first(2), [7, 2, 3, 3, 8]);
    assert.deepEqual(second(1), [1, 1, 2, 2, 2], "the second revival's data is untouched by the first's writes");
    assert.deepEqual(touch(0).slice(0, 2), [0, 1], "the driver's own object is another again");
    // What the copy holds, apart from the writes: the same types and values as the decoded original.
    const copyOf = (v: unknown): unknown => {
      const s = v8.deserialize(v8.serialize(captureClosure(() => v, 'rdd.map'))) as ShippedFunction;
      const a = (reviveClosure(s, evalInScope, reviveShippable) as () => unknown)();
      const b = (reviveClosure(s, evalInScope, reviveShippable) as () => unknown)();
      assert.notEqual(a, b, 'two revivals, two objects');
      return a;
    };
    const data = copyOf({ ...seen, n: 0 }) as typeof seen;
    assert.ok(data.byKey instanceof Map && data.tags instanceof Set && data.when instanceof Date && data.re instanceof RegExp);
    assert.ok(data.bytes instanceof Uint8Array && data.floats instanceof Float64Array);
    assert.equal(data.when.getTime(), 1_000);
    assert.equal(String(data.re), '/x+/gi');
    assert.deepEqual([...data.floats], [0.5]);
    assert.equal(data.pair.a, data.pair.b, 'a reference shared inside the data stays shared');
    assert.equal(data.byKey.get('k'), data.pair.a);
  });
});
