import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobOutput } from '../../src/job/job-output.js';

test('JobOutput numbers lines from 1, returns those after a given line with the stream each was printed on, and keeps the last `capacity`', () => {
  const out = new JobOutput(3);
  assert.deepEqual(out.since(0), []);
  assert.equal(out.lastLine, 0);
  out.append('a', true);
  out.append('b');
  assert.deepEqual(out.since(0), [
    [1, 'a', true],
    [2, 'b', false],
  ]);
  assert.deepEqual(out.since(1), [[2, 'b', false]]);
  assert.deepEqual(out.since(2), []);
  out.append('c');
  out.append('d', true);
  out.append('e', false);
  assert.equal(out.lastLine, 5);
  // The oldest lines dropped with their streams: each kept line keeps its own.
  assert.deepEqual(out.since(0), [
    [3, 'c', false],
    [4, 'd', true],
    [5, 'e', false],
  ]);
  assert.deepEqual(out.since(3), [
    [4, 'd', true],
    [5, 'e', false],
  ]);
});
