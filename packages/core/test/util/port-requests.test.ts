import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PortRequests } from '../../src/util/port-requests.js';

type Req = { readonly reqId: number; readonly payload: unknown };
type Reply = { readonly reqId: number; readonly answer: string };

test('a request answered resolves with its reply; one the port refuses rejects with the refusal and is not left waiting', async () => {
  const sent: Req[] = [];
  // A port that clones as postMessage does: a function anywhere in the message is refused.
  const requests = new PortRequests<Req, Reply>({
    postMessage: (m: Req) => {
      structuredClone(m);
      sent.push(m);
    },
  });
  const answered = requests.request((reqId) => ({ reqId, payload: [1, 2] }));
  assert.equal(requests.waiting, 1);
  assert.equal(requests.resolve({ reqId: sent[0].reqId, answer: 'ok' }), true);
  assert.deepEqual(await answered, { reqId: 0, answer: 'ok' });
  await assert.rejects(
    requests.request((reqId) => ({ reqId, payload: { f: () => 1 } })),
    { name: 'DataCloneError' },
  );
  // Nothing waits for a reply that cannot come (a job thread with one waiting is not reused).
  assert.equal(requests.waiting, 0);
  assert.equal(sent.length, 1);
});
