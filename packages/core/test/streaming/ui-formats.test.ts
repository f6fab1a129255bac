// formatFixed and formatDuration round as Java's Formatter does for Spark's `%.1f` / `%.0f`:
// the double's shortest decimal text (what Double.toString prints: 0.95 is "0.95") rounded half
// up, not the double's exact binary value (0.95 is 0.94999..., which toFixed rounds down).
// Expected strings are worked out by hand from that rule (and agree with `String.format` on a
// JDK 17, checked once by hand outside the suite).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatFixed, formatStatAverage } from '../../src/streaming/ui-formats.js';

test('formatFixed rounds the shortest decimal text half up, as Java\'s %.Nf', () => {
  const cases: [number, number, string][] = [
    // Ties in the decimal text round up, although the double itself sits just below the tie.
    [0.95, 1, '1.0'],
    [0.15, 1, '0.2'],
    [0.35, 1, '0.4'],
    [1.45, 1, '1.5'],
    [9.95, 1, '10.0'],
    [99.95, 1, '100.0'],
    [0.005, 2, '0.01'],
    // Exact ties, and values off the tie.
    [0.25, 1, '0.3'],
    [2.5, 0, '3'],
    [0.5, 0, '1'],
    [0.49, 0, '0'],
    [1.44, 1, '1.4'],
    [12, 1, '12.0'],
    [0, 1, '0.0'],
    // Padding, and digits past the text's own.
    [3, 2, '3.00'],
    [0.1, 3, '0.100'],
    // Exponent forms of the text: 1e-7 is 0.0000001, 1e21 a 22-digit integer.
    [1e-7, 1, '0.0'],
    [5e-7, 6, '0.000001'],
    [1e21, 0, '1000000000000000000000'],
    // Signs as Java: a negative that rounds to zero keeps its minus.
    [-0.95, 1, '-1.0'],
    [-0.04, 1, '-0.0'],
    [-0, 1, '-0.0'],
    [Number.NaN, 1, 'NaN'],
    [Number.POSITIVE_INFINITY, 1, 'Infinity'],
    [Number.NEGATIVE_INFINITY, 1, '-Infinity'],
  ];
  for (const [x, digits, want] of cases) assert.equal(formatFixed(x, digits), want, `formatFixed(${String(x)}, ${digits})`);
});

test('formatDuration writes Spark\'s UIUtils.formatDuration strings, its %.1f / %.0f rounded as Java', () => {
  const cases: [number, string][] = [
    [99, '99 ms'],
    [100, '0.1 s'],
    [150, '0.2 s'], // 0.15 s
    [350, '0.4 s'], // 0.35 s
    [850, '0.9 s'], // 0.85 s
    [950, '1.0 s'], // 0.95 s: Spark's UI shows "1.0 s", toFixed "0.9 s"
    [1_450, '1 s'], // 1.45 s to no decimals
    [2_500, '3 s'],
    [59_500, '60 s'],
    [63_000, '1.1 min'], // 1.05 min
    [87_000, '1.5 min'], // 1.45 min
    [597_000, '10.0 min'], // 9.95 min: still under 10, so %.1f, rounding up to 10.0
    [3_570_000, '60 min'], // 59.5 min
    [4_140_000, '1.2 h'], // 1.15 h
    [5_220_000, '1.5 h'], // 1.45 h
    [7_380_000, '2.1 h'], // 2.05 h
  ];
  for (const [ms, want] of cases) assert.equal(formatDuration(ms), want, `formatDuration(${ms})`);
});

test("formatStatAverage: the Streaming page's averages as Spark's StreamingPage writes them ('Avg: %.2f records/sec', 'Avg: ' + formatDurationVerbose of the Long mean)", () => {
  // Input rate: the mean of the batches' records/sec with two decimals, Java's half-up of the shortest decimal.
  assert.equal(formatStatAverage('rate', [10, 15]), 'Avg: 12.50 records/sec'); // 25 / 2
  assert.equal(formatStatAverage('rate', [1, 2, 2]), 'Avg: 1.67 records/sec'); // 5 / 3 = 1.666...
  assert.equal(formatStatAverage('rate', [0.125]), 'Avg: 0.13 records/sec'); // an exact tie, up
  assert.equal(formatStatAverage('rate', [1.005]), 'Avg: 1.01 records/sec'); // Java: 1.01; toFixed(2): '1.00'
  assert.equal(formatStatAverage('rate', [3]), 'Avg: 3.00 records/sec');
  assert.equal(formatStatAverage('rate', []), 'Avg: - records/sec');
  // Durations: sum / count truncated to whole ms (Scala's Long division), then "1 second 200 ms" etc.
  assert.equal(formatStatAverage('duration', [1000, 1401]), 'Avg: 1 second 200 ms'); // 2401 / 2 = 1200
  assert.equal(formatStatAverage('duration', [10, 11]), 'Avg: 10 ms'); // 21 / 2 = 10
  assert.equal(formatStatAverage('duration', [60_000, 64_000]), 'Avg: 1 minute 2 seconds');
  assert.equal(formatStatAverage('duration', []), 'Avg: -');
});
