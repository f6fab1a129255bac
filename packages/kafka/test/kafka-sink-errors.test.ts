// What the sinks say when no broker answers: a port nothing listens on (connections refused).
// @platformatic/kafka retries a call and nests each attempt's error in the one it throws; the
// sinks' messages name each message once ('findCoordinator failed 11 times.: Cannot connect to
// any broker.' then ten more 'Cannot connect to any broker.' before).
import assert from 'node:assert/strict';
import net from 'node:net';
import { before, test } from 'node:test';
import { connectionParams } from '../src/kafka-params.js';
import { writePartition } from '../src/kafka-sink.js';
import { writeRangeTransactionally } from '../src/kafka-transactional-sink.js';

let broker = '';

before(async () => {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  broker = `127.0.0.1:${(s.address() as net.AddressInfo).port}`;
  await new Promise<void>((r) => s.close(() => r()));
});

/** The messages after `head` in `message`, up to `end` (or its end). */
function segments(message: string, head: string, end?: string): string[] {
  assert.ok(message.startsWith(head), message);
  const rest = message.slice(head.length);
  return (end === undefined ? rest : rest.slice(0, rest.indexOf(end))).split(': ');
}

test('saveToKafka with no broker answering names each of the client\'s messages once', async () => {
  const conn = connectionParams('saveToKafka', { brokers: [broker], retryTimeoutMs: 0, requestTimeoutMs: 1000 });
  const err = await writePartition({ conn, topic: 'out', batchSize: 10, maxRecordBytes: 1024 }, (x: string) => ({ value: x }), null, 0, ['a']).then(
    () => assert.fail('written with no broker'),
    (e: unknown) => e as Error & { code?: string },
  );
  assert.equal(err.code, 'SLUICE_IO', err.message);
  const said = segments(err.message, `saveToKafka(topic 'out') partition 0: writing 1 records to brokers ${broker} failed after 0 were written: `, ';');
  assert.match(said[0]!, /^metadata failed \d+ times\.$/, err.message);
  assert.deepEqual(said.slice(1), ['Cannot connect to any broker.', `Connection to ${broker} failed.`], err.message);
});

test('saveToKafkaTransactionally with no broker answering names each of the client\'s messages once', async () => {
  const conn = connectionParams('saveToKafkaTransactionally', { brokers: [broker], retryTimeoutMs: 0, requestTimeoutMs: 1000 });
  const range = { topic: 'in', partition: 0, fromOffset: 0, untilOffset: 1 };
  const err = await writeRangeTransactionally({ conn, topic: 'out', groupId: 'g', prefix: 'tx', batchSize: 10 }, (records) => records.map((r) => ({ value: r.value })), 1000, range, []).then(
    () => assert.fail('committed with no broker'),
    (e: unknown) => e as Error & { code?: string },
  );
  assert.equal(err.code, 'SLUICE_IO', err.message);
  const said = segments(err.message, "saveToKafkaTransactionally(topic 'out') batch 1000 range in/0 [0, 1): starting the transaction (transactional id 'tx-in-0') failed: ", ';');
  assert.match(said[0]!, /^findCoordinator failed \d+ times\.$/, err.message);
  assert.deepEqual(said.slice(1), ['Cannot connect to any broker.'], err.message);
  assert.ok(err.message.endsWith("; the transaction is not committed and the task's retry replaces it"), err.message);
});
