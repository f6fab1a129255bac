// Spark's InputDStream.baseScope for Flume's streams (no servers: a StreamingContext over a
// context whose jobs fail, never started): FlumeUtils.createStream makes a FlumeInputDStream
// and createPollingStream a FlumePollingInputDStream within no named scope, so each is named
// by Spark's InputDStream.name rule on its class, `flume stream [n]`, `flume polling stream [n]`
// (not Sluice's `receiver stream [n]`, which a bare ssc.receiverStream still gives).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RDDOperationScope, SluiceContext, StreamingContext, type DStream } from '@sluice/core';
import { FlumeUtils } from '../src/index.js';

const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });

/** Spark's InputDStream.name, lower-cased as its baseScope: the class in words, InputDStream as Stream. */
const sparkName = (cls: string, id: number): string =>
  `${cls.replaceAll('InputDStream', 'Stream').split(/(?=[A-Z])/).filter((w) => w !== '').join(' ').toLowerCase()} [${id}]`;

const scopeOf = (s: DStream<unknown>): RDDOperationScope => RDDOperationScope.fromJson(s.baseScope!);

test("Flume's streams have Spark's base scopes: 'flume stream [n]' and 'flume polling stream [n]'", () => {
  const ssc = new StreamingContext(sc, 1000);
  const push = FlumeUtils.createStream(ssc, 'localhost', 41414);
  const poll = FlumeUtils.createPollingStream(ssc, ['localhost:41415']);
  assert.equal(scopeOf(push).name, sparkName('FlumeInputDStream', push.id));
  assert.equal(scopeOf(push).name, `flume stream [${push.id}]`);
  assert.equal(scopeOf(poll).name, sparkName('FlumePollingInputDStream', poll.id));
  assert.equal(scopeOf(poll).parent, undefined);
  // A bare receiverStream is still Sluice's own `receiver stream [n]`.
  const bare = ssc.receiverStream((push as unknown as { receiver: never }).receiver);
  assert.equal(scopeOf(bare).name, `receiver stream [${bare.id}]`);
});
