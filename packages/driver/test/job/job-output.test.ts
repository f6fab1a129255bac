import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JobOutput } from '../../src/job/job-output.js';

test('JobOutput numbers lines from 1, returns those after a given line, and keeps the last `capacity`', () => {
  const out = new JobOutput(3);
  assert.deepEqual(out.since(0), []);
  assert.equal(out.lastLine, 0);
  for (const l of ['a', 'b']) out.append(l);
  assert.deepEqual(out.since(0), [
    [1, 'a'],
    [2, 'b'],
  ]);
  assert.deepEqual(out.since(1), [[2, 'b']]);
  assert.deepEqual(out.since(2), []);
  for (const l of ['c', 'd', 'e']) out.append(l);
  assert.equal(out.lastLine, 5);
  assert.deepEqual(out.since(0), [
    [3, 'c'],
    [4, 'd'],
    [5, 'e'],
  ]);
  assert.deepEqual(out.since(3), [
    [4, 'd'],
    [5, 'e'],
  ]);
});
