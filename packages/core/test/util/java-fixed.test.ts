import assert from 'node:assert/strict';
import { test } from 'node:test';
import { javaFixed } from '../../src/util/java-fixed.js';

test('javaFixed writes a number as Java\'s String.format("%.3f"): the shortest digits rounded half up, NaN and Infinity spelled out, a negative sign kept', () => {
  for (const [x, java] of [
    [8, '8.000'],
    [4.5, '4.500'],
    [0, '0.000'],
    [-0, '-0.000'],
    [-0.0001, '-0.000'],
    [2 / 3, '0.667'],
    [-2 / 3, '-0.667'],
    // Ties on the shortest digits go up (away from zero), where toFixed rounds the binary value (1.000499...).
    [1.0005, '1.001'],
    [-1.0005, '-1.001'],
    [0.0005, '0.001'],
    [0.00025, '0.000'],
    [999.9995, '1000.000'],
    [1e-7, '0.000'],
    [1234567.8915, '1234567.892'],
    [1e21, '1000000000000000000000.000'],
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ] as const) {
    assert.equal(javaFixed(x, 3), java, String(x));
  }
  assert.equal(javaFixed(2.5, 0), '3');
  assert.equal(javaFixed(0.15, 1), '0.2');
});
