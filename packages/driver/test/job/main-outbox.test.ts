import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobToMain } from '../../src/job/job-protocol.js';
import { MainOutbox } from '../../src/job/main-outbox.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The messages in the order the main thread handles them (a `many` opened in place). */
function flat(sent: JobToMain[]): JobToMain[] {
  return sent.flatMap((m) => (m.type === 'many' ? flat([...m.messages]) : [m]));
}

test("a turn's notifications go as one message; a request goes at once, after what waits", async () => {
  const sent: JobToMain[] = [];
  const outbox = new MainOutbox({ postMessage: (m) => sent.push(m) });
  outbox.post({ type: 'progress', event: { type: 'batchStarted', batchTime: 1000, processingStartTime: 1001 } });
  outbox.post({ type: 'putBroadcast', id: 3, value: new Uint8Array([9]) });
  assert.equal(sent.length, 0, 'notifications wait for the end of the turn');
  outbox.send({ type: 'removeRdd', reqId: 0, rddId: 4 });
  assert.equal(sent.length, 1, 'the request went at once, with what waited, in one message');
  assert.deepEqual(
    flat(sent).map((m) => m.type),
    ['progress', 'putBroadcast', 'removeRdd'],
    'in the order they were made: the broadcast before the action that reads it',
  );
  outbox.post({ type: 'removeBlocks', blockIds: ['b1'] });
  outbox.post({ type: 'removeShuffles', shuffleIds: [2] });
  outbox.post({ type: 'checkpointDir', dir: '/tmp/x' });
  await turn();
  assert.equal(sent.length, 2, "the turn's three notifications went as one message");
  assert.deepEqual(
    flat(sent).map((m) => m.type),
    ['progress', 'putBroadcast', 'removeRdd', 'removeBlocks', 'removeShuffles', 'checkpointDir'],
  );
  // One alone goes as itself; nothing waiting writes nothing.
  outbox.post({ type: 'removeBlocks', blockIds: ['b2'] });
  await turn();
  await turn();
  assert.equal(sent.length, 3);
  assert.equal(sent[2].type, 'removeBlocks');
  outbox.send({ type: 'done', reusable: false });
  assert.deepEqual(sent[3], { type: 'done', reusable: false });
});

test('a request the structured clone refuses does not take the notifications made before it: they go, in order, and the refusal is thrown', () => {
  const sent: JobToMain[] = [];
  // A port that clones as postMessage does: a function anywhere in the message is refused.
  const outbox = new MainOutbox({
    postMessage: (m) => {
      structuredClone(m);
      sent.push(m);
    },
  });
  outbox.post({ type: 'putBroadcast', id: 7, value: new Uint8Array([1]) });
  outbox.post({ type: 'checkpointDir', dir: '/tmp/y' });
  const unsendable = { type: 'removeRdd', reqId: 1, rddId: (() => 2) as unknown as number } satisfies JobToMain;
  assert.throws(() => outbox.send(unsendable), { name: 'DataCloneError' });
  assert.deepEqual(flat(sent).map((m) => m.type), ['putBroadcast', 'checkpointDir'], 'the broadcast still reaches the main thread');
  // Nothing is left waiting: the next request goes alone.
  outbox.send({ type: 'removeRdd', reqId: 2, rddId: 3 });
  assert.deepEqual(sent.at(-1), { type: 'removeRdd', reqId: 2, rddId: 3 });
  assert.equal(sent.length, 3);
});
