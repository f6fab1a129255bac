import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesToString, parseByteSize } from '../../src/util/byte-size.js';

test("bytesToString writes a size as Spark's Utils.bytesToString: one decimal in the largest binary unit it is at least 2 of", () => {
  // Spark's UtilsSuite "bytesToString".
  assert.equal(bytesToString(10), '10.0 B');
  assert.equal(bytesToString(1500), '1500.0 B');
  assert.equal(bytesToString(2000000), '1953.1 KiB');
  assert.equal(bytesToString(2097152), '2.0 MiB');
  assert.equal(bytesToString(2306867), '2.2 MiB');
  assert.equal(bytesToString(5368709120), '5.0 GiB');
  // spark.driver.maxResultSize's default, 1g, as Spark's messages show it.
  assert.equal(bytesToString(1024 ** 3), '1024.0 MiB');
});

test("parseByteSize reads Spark's byte settings: bytes, or k, m, g, t (with or without b, any case); anything else SLUICE_BAD_ARGUMENT naming the setting", () => {
  assert.equal(parseByteSize('1048576', 'x'), 1048576);
  assert.equal(parseByteSize('2m', 'x'), 2 * 1024 * 1024);
  assert.equal(parseByteSize('1g', 'x'), 1024 ** 3);
  assert.equal(parseByteSize('512MB', 'x'), 512 * 1024 * 1024);
  assert.equal(parseByteSize('4k', 'x'), 4096);
  assert.equal(parseByteSize('0', 'x'), 0);
  for (const bad of ['', 'big', '-1m', '1.5g', '1q']) {
    assert.throws(() => parseByteSize(bad, '--max-result-size'), (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message.startsWith(`--max-result-size: '${bad}' is not a size`), bad);
  }
});
