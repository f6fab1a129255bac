// toMillis: every unit the Duration type admits, and text it does not refused at runtime
// (plain JavaScript callers, CLI flags) with the value and the accepted forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceError } from '../../src/errors.js';
import { toMillis } from '../../src/streaming/duration.js';

test('numbers are milliseconds; text is a number and a unit', () => {
  const cases: [number | string, number][] = [
    [250, 250],
    ['500ms', 500],
    ['1s', 1000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
  ];
  for (const [d, ms] of cases) assert.equal(toMillis(d, 'x'), ms, String(d));
});

test("'1 sec', '2 minutes', '1000' and a negative or fractional millisecond count are refused with the value and the fix", () => {
  for (const bad of ['1 sec', '2 minutes', '1000', 'soon']) {
    assert.throws(
      () => toMillis(bad, 'window length'),
      (e: unknown) => e instanceof SluiceError && e.code === 'SLUICE_BAD_ARGUMENT' && e.message.includes(`window length: '${bad}' is not a duration`) && e.message.includes("'2min'"),
      bad,
    );
  }
  for (const bad of [-1, 0, 1.5, '0.5ms']) {
    assert.throws(() => toMillis(bad, 'batch interval'), (e: unknown) => e instanceof SluiceError && /batch interval must be a positive whole number of milliseconds/.test(e.message), String(bad));
  }
});
