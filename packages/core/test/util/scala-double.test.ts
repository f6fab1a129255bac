import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scalaDouble } from '../../src/util/scala-double.js';

test("scalaDouble writes a number as Java's Double.toString (what Scala and Spark's messages print)", () => {
  // Plain from 10^-3 up to 10^7, always with a fraction.
  for (const [v, java] of [[2, '2.0'], [-0.1, '-0.1'], [0, '0.0'], [-0, '-0.0'], [0.001, '0.001'], [9999999, '9999999.0'], [123.456, '123.456']] as const) assert.equal(scalaDouble(v), java, String(v));
  // Computerized scientific notation outside it: one digit, a fraction, 'E', the exponent without '+'.
  for (const [v, java] of [[0.00001, '1.0E-5'], [0.0001234, '1.234E-4'], [1e7, '1.0E7'], [12345678.9, '1.23456789E7'], [-2.5e-8, '-2.5E-8'], [1e21, '1.0E21'], [1.5e300, '1.5E300'], [Number.MIN_VALUE, '4.9E-324'], [Number.MAX_VALUE, '1.7976931348623157E308']] as const) assert.equal(scalaDouble(v), java, String(v));
  assert.equal(scalaDouble(NaN), 'NaN');
  assert.equal(scalaDouble(Infinity), 'Infinity');
  assert.equal(scalaDouble(-Infinity), '-Infinity');
  // Not a number: as String does.
  assert.equal(scalaDouble('2'), '2');
  assert.equal(scalaDouble(undefined), 'undefined');
});
