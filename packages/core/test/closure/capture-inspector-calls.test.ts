// How many synchronous inspector calls a closure capture makes (capture-closure.ts's debug counter): a
// file of its own, as a classic script's top-level `const` (capture-closure.test.ts makes some) puts a Script
// scope into every function's [[Scopes]] for the rest of the process, and only a module function without
// one has the names of its scopes kept.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';
import { captureClosure, reviveClosure } from '../../src/closure/index.js';
import type { ShippedFunction } from '../../src/closure/index.js';
import { inspectorCalls } from '../../src/closure/capture-closure.js';

// Exactly what the bundle does on a worker: a direct eval placed in the module's scope.
const evalInScope = (source: string): unknown => eval(source);
const reviveShippable = (): unknown => undefined;
const revive = <F>(shipped: ShippedFunction): F => reviveClosure(v8.deserialize(v8.serialize(shipped)) as ShippedFunction, evalInScope, reviveShippable) as F;

/** A classic script's top-level const, declared by the last test (undefined until then). */
declare const sluiceLateConst: number | undefined;

describe('closure capture: inspector calls', () => {
  test('a fresh function costs three inspector calls whatever its scopes, two from a place known to capture nothing, and one release after the synchronous code; values are read as they are then', async () => {
    const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
    const counted = <T>(f: () => T): [T, number] => {
      const before = inspectorCalls();
      const value = f();
      return [value, inspectorCalls() - before];
    };
    let rate = 2; // changed between shippings: each capture must take the value it has then
    // Five scopes between the functions and the module: fresh closures from the same places each call, as a batch's transform makes.
    const make = (k: number) => {
      const a = k;
      {
        let b = k + 1;
        b += 0;
        for (const c of [[k * 3]]) {
          try {
            throw new Error(String(k));
          } catch (e) {
            const msg = (e as Error).message;
            return [(x: number) => x * rate + a + b + c[0]! + msg.length, (x: number) => x + 1] as const;
          }
        }
      }
      throw new Error('unreachable');
    };
    await tick(); // the release of earlier captures done
    const start = inspectorCalls();
    const captured: Array<(x: number) => number> = [];
    for (const k of [1, 20, 300]) {
      rate = k * 2;
      const fn = make(k)[0];
      const [shipped, calls] = counted(() => captureClosure(fn, 'rdd.map', '/jobs/job.ts:1:1'));
      // The evaluate of the function, its internal properties, one call that reads every scope: not one per scope.
      assert.equal(calls, 3, `capturing a function with 5 scopes made ${calls} inspector calls`);
      assert.deepEqual(Object.keys(shipped.captures).sort(), ['a', 'b', 'c', 'msg', 'rate']);
      captured.push(revive<(x: number) => number>(shipped));
    }
    // Each revival computes what its original did with the values of its shipping: rate k * 2, a k, b k + 1, c k * 3.
    assert.deepEqual(captured.map((f) => f(10)), [1, 20, 300].map((k) => 10 * k * 2 + k + (k + 1) + k * 3 + String(k).length));
    rate = 7;
    assert.equal(captured[0]!(10), 20 + 1 + 2 + 3 + 1, 'a revived copy keeps the value it was shipped with');
    // The same place's function that captures nothing: its scopes are read once (the names they bind kept, never values), then not.
    const pure = [1, 2, 3, 4].map((k) => counted(() => captureClosure(make(k)[1], 'rdd.map', '/jobs/job.ts:2:1')));
    assert.deepEqual(pure.map(([, calls]) => calls), [3, 2, 2, 2]);
    for (const [shipped] of pure) {
      assert.deepEqual(shipped.captures, {});
      assert.deepEqual(shipped.location, pure[0]![0].location, 'the location is read each time');
    }
    assert.ok(pure[0]![0].location !== undefined && captured.length === 3);
    // Nothing released during the synchronous code; one release for all of it after.
    assert.equal(inspectorCalls() - start, 3 * 3 + 3 + 3 * 2);
    await tick();
    assert.equal(inspectorCalls() - start, 3 * 3 + 3 + 3 * 2 + 1);
  });

  test("a classic script's function is read through its scopes every time: a sloppy direct eval adds a variable to a scope as it runs", () => {
    const outer = vm.runInThisContext('(function (code) { eval(code); return (x) => x + (typeof sluiceEvalAdded === "undefined" ? 0 : sluiceEvalAdded); })') as (code: string) => (x: number) => number;
    const without = captureClosure(outer(''), 'rdd.map', '/jobs/job.ts:3:1');
    assert.deepEqual(without.captures, {});
    const withVar = outer('var sluiceEvalAdded = 41;');
    const shipped = captureClosure(withVar, 'rdd.map', '/jobs/job.ts:3:1');
    assert.deepEqual(Object.keys(shipped.captures), ['sluiceEvalAdded']);
    const revived = revive<(x: number) => number>(shipped);
    assert.equal(revived(1), withVar(1));
    assert.equal(revived(1), 42);
  });

  test("a module function's kept scope names are not used once a classic script's top-level const adds a Script scope: it is read, and what it uses of that scope travels", () => {
    const make = (k: number) => (x: number) => x + k + (typeof sluiceLateConst === 'undefined' ? 0 : sluiceLateConst);
    const counts = [1, 2].map((k) => {
      const before = inspectorCalls();
      const shipped = captureClosure(make(k), 'rdd.map', '/jobs/job.ts:4:1');
      assert.deepEqual(Object.keys(shipped.captures), ['k']);
      return inspectorCalls() - before;
    });
    assert.deepEqual(counts, [3, 3], 'it captures k: its scopes are read each time');
    const pure = () => (x: number) => x + (typeof sluiceLateConst === 'undefined' ? 0 : sluiceLateConst);
    const pureCounts = [1, 2].map(() => {
      const before = inspectorCalls();
      assert.deepEqual(captureClosure(pure(), 'rdd.map', '/jobs/job.ts:5:1').captures, {});
      return inspectorCalls() - before;
    });
    assert.deepEqual(pureCounts, [3, 2]);
    vm.runInThisContext('const sluiceLateConst = 1000;');
    for (const expected of [3, 3]) {
      const before = inspectorCalls();
      const fn = pure();
      const shipped = captureClosure(fn, 'rdd.map', '/jobs/job.ts:5:1');
      assert.equal(inspectorCalls() - before, expected);
      assert.deepEqual(Object.keys(shipped.captures), ['sluiceLateConst']);
      assert.equal(revive<(x: number) => number>(shipped)(1), fn(1));
      assert.equal(fn(1), 1001);
    }
    const shipped = captureClosure(make(7), 'rdd.map', '/jobs/job.ts:4:1');
    assert.deepEqual(Object.keys(shipped.captures).sort(), ['k', 'sluiceLateConst']);
    assert.equal(revive<(x: number) => number>(shipped)(1), 1 + 7 + 1000);
  });
});
