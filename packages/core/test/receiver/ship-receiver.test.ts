// reviveReceiver (ship-receiver.ts) on a worker: a receiver class the job bundle's scope does
// not give is refused with SLUICE_JOB_LOAD, and the message keeps what the lookup itself said,
// which tells a class never defined at the top level from one the bundle's top level had
// not reached yet (a class declared after the code that started the stream).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { reviveReceiver, type ShippedReceiver } from '../../src/receiver/ship-receiver.js';

const shipped: ShippedReceiver = { className: 'Ticker', builtin: false, fields: {} };

/** The job's module scope, where `Ticker` is never declared. */
const noTicker = (src: string): unknown => (0, eval)(src);

/** The job's module scope, where `Ticker` is declared after the lookup runs (its temporal dead zone). */
function tickerLater(src: string): unknown {
  const found = eval(src);
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  class Ticker {}
  return found;
}

for (const [scope, evalInScope, said] of [
  ['never declared', noTicker, /\(ReferenceError: Ticker is not defined\)/],
  ['declared after the lookup', tickerLater, /\(ReferenceError: Cannot access 'Ticker' before initialization\)/],
] as const) {
  test(`a receiver class ${scope} is refused with the lookup's own words`, () => {
    assert.throws(
      () => reviveReceiver(shipped, evalInScope),
      (err: Error & { code?: string; cause?: unknown }) => {
        assert.equal(err.code, 'SLUICE_JOB_LOAD');
        assert.match(err.message, /^the receiver class Ticker is not defined at the top level of the job file /);
        assert.match(err.message, said);
        assert.match(err.message, /define receiver classes at module level so workers can find them$/);
        assert.ok(err.cause instanceof ReferenceError, 'the lookup error is the cause');
        return true;
      },
    );
  });
}

test('a receiver class the scope gives is revived with its fields', () => {
  class Ticker {
    every = 0;
  }
  const r = reviveReceiver({ className: 'Ticker', builtin: false, fields: { every: { value: 5 } } }, () => Ticker) as unknown as Ticker;
  assert.ok(r instanceof Ticker);
  assert.equal(r.every, 5);
});
