// The stack a user's error is shown with (src/util/user-error.ts): the user's frames, without
// Sluice's or Node's own, public Node modules' frames among them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorClassName, userErrorInfo } from '../../src/util/user-error.js';

function errorWith(stack: string[]): Error {
  const e = new Error('boom');
  e.stack = ['Error: boom', ...stack].join('\n');
  return e;
}

test("Node's frames (internal and public modules') and Sluice's are left out; the user's and V8's built-ins stay, in order", () => {
  const e = errorWith([
    '    at JSON.parse (<anonymous>)',
    '    at parseLine (/app/job.ts:3:15)',
    '    at AsyncLocalStorage.run (node:async_hooks:346:14)',
    '    at node:internal/process/task_queues:95:5',
    '    at runTask (/srv/node_modules/@sluice/core/dist/src/scheduler/run-task.js:10:3)',
    '    at async main (/app/job.ts:9:3)',
  ]);
  assert.equal(userErrorInfo(e).stack, ['Error: boom', '    at JSON.parse (<anonymous>)', '    at parseLine (/app/job.ts:3:15)', '    at async main (/app/job.ts:9:3)'].join('\n'));
});

test('a stack with no frame of the user\'s keeps all its frames (an error of Sluice or Node itself)', () => {
  const frames = ['    at AsyncLocalStorage.run (node:async_hooks:346:14)', '    at node:internal/process/task_queues:95:5'];
  assert.equal(userErrorInfo(errorWith(frames)).stack, ['Error: boom', ...frames].join('\n'));
});

test("a user's file whose path holds 'node:' elsewhere is kept", () => {
  const e = errorWith(['    at f (/home/u/node:stuff/job.ts:1:1)']);
  assert.equal(userErrorInfo(e).stack, 'Error: boom\n    at f (/home/u/node:stuff/job.ts:1:1)');
});

test("an Error subclass that sets no name is headed by its class's name (as Spark's Throwable.toString and Node's inspect name it); a name set by the class or a built-in's own is kept", () => {
  class QuotaExceeded extends Error {}
  class OutOfRange extends RangeError {}
  class Deeper extends QuotaExceeded {}
  class Named extends Error {
    override name = 'NamedError';
  }
  class NamedSub extends Named {}
  class ProtoNamed extends Error {}
  Object.defineProperty(ProtoNamed.prototype, 'name', { value: 'ProtoNamedError' });
  const anonymous = new (class extends Error {})('x');
  assert.equal(errorClassName(new QuotaExceeded('q')), 'QuotaExceeded');
  assert.equal(errorClassName(new OutOfRange('r')), 'OutOfRange');
  assert.equal(errorClassName(new Deeper('d')), 'Deeper');
  assert.equal(errorClassName(new Named('n')), 'NamedError');
  assert.equal(errorClassName(new NamedSub('n')), 'NamedError');
  assert.equal(errorClassName(new ProtoNamed('p')), 'ProtoNamedError');
  assert.equal(errorClassName(anonymous), 'Error');
  assert.equal(errorClassName(new Error('e')), 'Error');
  assert.equal(errorClassName(new TypeError('t')), 'TypeError');
  // Node's own: an ERR_* TypeError, and DOMException (its name a prototype getter).
  let nodeErr: unknown;
  try {
    Buffer.alloc(-1);
  } catch (e) {
    nodeErr = e;
  }
  assert.equal(errorClassName(nodeErr as Error), 'RangeError');
  let cloneErr: unknown;
  try {
    structuredClone(() => 1);
  } catch (e) {
    cloneErr = e;
  }
  assert.equal(errorClassName(cloneErr as Error), 'DataCloneError');
  const e = new QuotaExceeded('over 10 GB', { cause: new OutOfRange('-1') });
  assert.match(userErrorInfo(e).stack, /^QuotaExceeded: over 10 GB\n[\s\S]*\nCaused by: OutOfRange: -1\n/);
});
