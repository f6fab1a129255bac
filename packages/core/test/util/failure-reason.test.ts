// failureReason: a failure as Spark Streaming's listener and REST API carry it (Utils.exceptionString),
// the error's message first and its stack's frames and causes after, from userErrorInfo's text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { failureReason } from '../../src/util/user-error.js';

test('the message, then the stack after its "Name: message" header', () => {
  const stack = 'TypeError: bad value 3\n    at f (/job/a.ts:1:2)\nCaused by: Error: inner\n    at g (/job/a.ts:5:6)';
  assert.equal(failureReason({ message: 'bad value 3', stack }), 'bad value 3\n    at f (/job/a.ts:1:2)\nCaused by: Error: inner\n    at g (/job/a.ts:5:6)');
  // A message of two lines stays whole before the frames.
  assert.equal(failureReason({ message: 'one\ntwo', stack: 'Error: one\ntwo\n    at h (/job/b.ts:3:4)' }), 'one\ntwo\n    at h (/job/b.ts:3:4)');
});

test('no frames: the message alone; a stack without the message, or an empty message: the stack after the message\'s line', () => {
  assert.equal(failureReason({ message: 'lost', stack: 'Error: lost' }), 'lost');
  assert.equal(failureReason({ message: 'x', stack: 'Error (non-Error value thrown): x' }), 'x');
  assert.equal(failureReason({ message: 'renamed', stack: 'Error: other\n    at k (/job/c.ts:1:1)' }), 'renamed\nError: other\n    at k (/job/c.ts:1:1)');
  assert.equal(failureReason({ message: '', stack: 'Error: \n    at k (/job/c.ts:1:1)' }), '\nError: \n    at k (/job/c.ts:1:1)');
});
