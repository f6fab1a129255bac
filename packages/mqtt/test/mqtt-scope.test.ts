// Spark's InputDStream.baseScope for MQTT's streams (no broker: a StreamingContext over a
// context whose jobs fail, never started): Bahir's MQTTUtils makes an MQTTInputDStream,
// MQTTPairedInputDStream or MQTTPairedByteArrayInputDStream within no named scope, so each is
// named by Spark's InputDStream.name rule on its class (split before each capital letter):
// `m q t t stream [n]`, ... (not Sluice's `receiver stream [n]`).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RDDOperationScope, SluiceContext, StreamingContext, type DStream } from '@sluice/core';
import { MQTTUtils } from '../src/index.js';

const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });

/** Spark's InputDStream.name, lower-cased as its baseScope: the class in words, InputDStream as Stream. */
const sparkName = (cls: string, id: number): string =>
  `${cls.replaceAll('InputDStream', 'Stream').split(/(?=[A-Z])/).filter((w) => w !== '').join(' ').toLowerCase()} [${id}]`;

const scopeOf = (s: DStream<unknown>): RDDOperationScope => RDDOperationScope.fromJson(s.baseScope!);

test("MQTT's streams have Spark's base scopes, Bahir's class names in words: 'm q t t stream [n]', 'm q t t paired stream [n]', 'm q t t paired byte array stream [n]'", () => {
  const ssc = new StreamingContext(sc, 1000);
  const url = 'tcp://localhost:1883';
  const plain = MQTTUtils.createStream(ssc, url, 'a');
  const paired = MQTTUtils.createPairedStream(ssc, url, ['a', 'b']);
  const bytes = MQTTUtils.createPairedByteArrayStream(ssc, url, 'a');
  assert.equal(scopeOf(plain).name, sparkName('MQTTInputDStream', plain.id));
  assert.equal(scopeOf(plain).name, `m q t t stream [${plain.id}]`);
  assert.equal(scopeOf(paired).name, sparkName('MQTTPairedInputDStream', paired.id));
  assert.equal(scopeOf(bytes).name, sparkName('MQTTPairedByteArrayInputDStream', bytes.id));
});
