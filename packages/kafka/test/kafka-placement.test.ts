// Kafka's TopicPartition.hashCode as Spark's KafkaRDD hashes it (31 * (31 + partition) +
// topic.hashCode(), Java int arithmetic), checked against the same formula in BigInt wrapped
// to 32 bits and against values worked by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kafkaPlacement, leaderHosts, topicPartitionHash } from '../src/kafka-placement.js';

const int32 = (x: bigint): bigint => BigInt.asIntN(32, x);
function javaTopicPartitionHash(topic: string, partition: number): number {
  let h = 0n;
  for (const c of topic) h = int32(h * 31n + BigInt(c.charCodeAt(0)));
  return Number(int32(31n * int32(31n + BigInt(partition)) + h));
}

test("a topic-partition's hash is Kafka's TopicPartition.hashCode", () => {
  // "in".hashCode() = 105 * 31 + 110 = 3365; + 31 * 31 = 4326; partition 1: + 31.
  assert.equal(topicPartitionHash('in', 0), 4326);
  assert.equal(topicPartitionHash('in', 1), 4357);
  for (const topic of ['in', 'events', 'a-much-longer-topic-name.with.dots_and_underscores', 'ü-тема']) {
    for (const partition of [0, 1, 7, 100, 2 ** 31 - 1]) assert.equal(topicPartitionHash(topic, partition), javaTopicPartitionHash(topic, partition), `${topic}-${partition}`);
  }
});

test("a placement carries PreferFixed's host for the partitions its map names", () => {
  const map = new Map([['in\u00000', 'h1']]);
  assert.deepEqual(kafkaPlacement('in', 0, map), { hash: 4326, hosts: ['h1'] });
  assert.deepEqual(kafkaPlacement('in', 1, map), { hash: 4357 });
  assert.deepEqual(kafkaPlacement('in', 1), { hash: 4357 });
});

test("PreferBrokers' hosts are each partition's leader's host, as the metadata names it", () => {
  const md = {
    brokers: new Map([
      [1, { host: 'kafka-a' }],
      [2, { host: 'kafka-b' }],
    ]),
    topics: new Map([
      ['in', { partitions: [{ leader: 2 }, { leader: 1 }, { leader: 9 }, undefined] }],
      ['other', { partitions: [{ leader: 1 }] }],
    ]),
  };
  assert.deepEqual([...leaderHosts(md, ['in', 'missing'])], [['in\u00000', 'kafka-b'], ['in\u00001', 'kafka-a']]);
});
