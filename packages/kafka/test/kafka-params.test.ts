// Bad options to the direct stream and the sink are refused before anything connects,
// with a SluiceError naming the option, the bad value and the fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SluiceContext, SluiceError, StreamingContext } from '@sluice/core';
import { saveToKafka, saveToKafkaTransactionally } from '../src/index.js';
import { connectionParams, validateStreamOptions, type DirectStreamOptions } from '../src/kafka-params.js';

function refused(f: () => unknown, pattern: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof SluiceError, `a SluiceError, got ${String(err)}`);
    assert.equal(err.code, 'SLUICE_BAD_ARGUMENT');
    assert.match(err.message, pattern);
    return true;
  });
}

const ok: DirectStreamOptions = { brokers: ['localhost:9092'], topics: ['t'], groupId: 'g' };

test('direct stream options: each bad value is named with its fix', () => {
  validateStreamOptions(ok);
  refused(() => validateStreamOptions({ ...ok, groupId: '' }), /groupId: got ""; give the consumer group/);
  refused(() => validateStreamOptions({ ...ok, topicPattern: '^x' }), /topics \/ topicPattern \/ assign: .*give exactly one of them/);
  refused(() => validateStreamOptions({ ...ok, assign: [{ topic: 't', partition: 0 }] }), /give exactly one of them/);
  validateStreamOptions({ brokers: ['h:1'], groupId: 'g', assign: [{ topic: 't', partition: 0 }, { topic: 't', partition: 2 }] });
  refused(() => validateStreamOptions({ brokers: ['h:1'], groupId: 'g', assign: [{ topic: 't', partition: -1 }] }), /assign: got .*; give a non-empty list of \{ topic, partition \}/);
  refused(() => validateStreamOptions({ brokers: ['h:1'], groupId: 'g', assign: [{ topic: 't', partition: 1 }, { topic: 't', partition: 1 }] }), /assign: got "t\/1"; name each partition once/);
  refused(() => validateStreamOptions({ brokers: ['h:1'], groupId: 'g' }), /give exactly one of them/);
  refused(() => validateStreamOptions({ ...ok, topics: [] }), /topics: got \[\]; give a non-empty list/);
  // 0 is Spark's default of spark.streaming.kafka.maxRatePerPartition: no limit.
  validateStreamOptions({ ...ok, maxRatePerPartition: 0 });
  refused(() => validateStreamOptions({ ...ok, maxRatePerPartition: -1 }), /maxRatePerPartition: got -1; give records per second > 0, a function .*, or 0 or leave it out for no limit/);
  refused(() => validateStreamOptions({ ...ok, minRatePerPartition: 0.5 }), /minRatePerPartition: got 0.5; give a whole number of records per partition per batch >= 1/);
  validateStreamOptions({ ...ok, startingOffsets: 'none', minRatePerPartition: 10 });
  refused(() => validateStreamOptions({ ...ok, startingOffsets: 'newest' as 'latest' }), /startingOffsets: got "newest"; use 'latest', 'earliest', 'none'/);
  refused(() => validateStreamOptions({ ...ok, startingOffsets: { t: { 0: -5 } } }), /startingOffsets\['t'\]\[0\]: got -5; give a partition number and an offset >= 0/);
  validateStreamOptions({ ...ok, startingOffsets: { t: { 0: 5 } }, autoOffsetReset: 'earliest' });
  validateStreamOptions({ ...ok, maxRatePerPartition: (_t, p) => (p === 0 ? 50 : 100) });
  refused(() => validateStreamOptions({ ...ok, maxRatePerPartition: '100' as unknown as number }), /maxRatePerPartition: got "100"; give records per second > 0, a function/);
  validateStreamOptions({ ...ok, startingOffsets: 'earliest', autoOffsetReset: 'earliest' });
  refused(() => validateStreamOptions({ ...ok, autoOffsetReset: 'smallest' as 'earliest' }), /autoOffsetReset: got "smallest"; use 'latest', 'earliest' or 'none'/);
  refused(() => validateStreamOptions({ ...ok, startingOffsets: 'earliest', autoOffsetReset: 'none' }), /autoOffsetReset: got "none"; startingOffsets 'earliest' already says where .*leave autoOffsetReset out/);
});

test('connection options: brokers as host:port, a known SASL mechanism', () => {
  assert.deepEqual(connectionParams('op', { brokers: ['a:1', 'b:2'] }).brokers, ['a:1', 'b:2']);
  refused(() => connectionParams('op', { brokers: [] }), /op: brokers: got \[\]; give at least one broker/);
  refused(() => connectionParams('op', { brokers: ['localhost'] }), /op: broker address: got "localhost"; add the broker's port: 'localhost:9092' \(Kafka's default port is 9092\)$/);
  // The forms of Kafka's own settings: a listener with its scheme, bootstrap.servers' comma-separated string.
  refused(() => connectionParams('op', { brokers: ['PLAINTEXT://kafka-1:9093'] }), /op: broker address: got "PLAINTEXT:\/\/kafka-1:9093"; write it without the scheme, as 'host:port': 'kafka-1:9093' \(the security protocol is the ssl and sasl options/);
  refused(() => connectionParams('op', { brokers: ['kafka://broker'] }), /op: broker address: got "kafka:\/\/broker"; write it without the scheme, as 'host:port': 'broker' with its port \(Kafka's default is 9092\)/);
  refused(() => connectionParams('op', { brokers: ['a:9092, b:9093'] }), /op: broker address: got "a:9092, b:9093"; give each broker as its own element: brokers: \['a:9092', 'b:9093'\] \(Kafka's bootstrap\.servers is one comma-separated string; brokers is a list\)$/);
  refused(() => connectionParams('op', { brokers: ['a b:9092'] }), /op: broker address: got "a b:9092"; write it as 'host:port', e.g. 'localhost:9092' \(an IPv6 address in brackets: '\[::1\]:9092'\)$/);
  refused(() => connectionParams('op', { brokers: ['a:1'], sasl: { mechanism: 'KERBEROS' as 'PLAIN', username: 'u', password: 'p' } }), /sasl.mechanism: got "KERBEROS"/);
  refused(() => connectionParams('op', { brokers: ['a:1'], retryTimeoutMs: -1 }), /retryTimeoutMs: got -1/);
  refused(() => connectionParams('op', { brokers: ['a:1'], requestTimeoutMs: 0 }), /op: requestTimeoutMs: got 0; give a number of milliseconds > 0/);
  assert.equal(connectionParams('op', { brokers: ['a:1'] }).requestTimeoutMs, 30_000);
  // IPv6: in brackets; without them, how to write it.
  assert.deepEqual(connectionParams('op', { brokers: ['[::1]:9092', '[fe80::1:2]:9093'] }).brokers, ['[::1]:9092', '[fe80::1:2]:9093']);
  refused(() => connectionParams('op', { brokers: ['::1'] }), /op: broker address: got "::1"; an IPv6 address goes in brackets before its port: '\[::1\]:9092'$/);
  refused(() => connectionParams('op', { brokers: ['fe80::1:9092'] }), /got "fe80::1:9092"; an IPv6 address goes in brackets before its port: '\[fe80::1:9092\]:9092' \(or '\[fe80::1\]:9092' if 9092 is the port\)$/);
  refused(() => connectionParams('op', { brokers: ['2001:db8::1:99999'] }), /got "2001:db8::1:99999"; an IPv6 address goes in brackets before its port: '\[2001:db8::1\]:99999'$/);
  refused(() => connectionParams('op', { brokers: ['[kafka-1]:9092'] }), /got "\[kafka-1\]:9092"; write it as 'host:port', e.g. 'localhost:9092' \(an IPv6 address in brackets: '\[::1\]:9092'\)$/);
  // A port Kafka cannot listen on.
  refused(() => connectionParams('op', { brokers: ['kafka-1:90920'] }), /got "kafka-1:90920"; a port is a number from 1 to 65535 \(Kafka's default is 9092\)$/);
  refused(() => connectionParams('op', { brokers: ['[::1]:0'] }), /got "\[::1\]:0"; a port is a number from 1 to 65535/);
});

test("direct stream options: a key the stream does not know (a Spark setting, a misspelling) is refused, not ignored", () => {
  const given = (extra: Record<string, unknown>): DirectStreamOptions => ({ ...ok, ...extra }) as DirectStreamOptions;
  refused(() => validateStreamOptions(given({ 'spark.streaming.kafka.maxRatePerPartition': 100 })), /^KafkaUtils\.createDirectStream: unknown option 'spark\.streaming\.kafka\.maxRatePerPartition' \(Spark's setting; in Sluice: \{ maxRatePerPartition: 100 \}\); the options are brokers, clientId, /);
  refused(() => validateStreamOptions(given({ 'spark.streaming.kafka.maxRetries': 3 })), /in Sluice: \{ retryTimeoutMs: MS \} \(how long offset lookups retry a broker, not how many times\)\)/);
  refused(() => validateStreamOptions(given({ maxRatePerPartiton: 100 })), /^KafkaUtils\.createDirectStream: unknown option 'maxRatePerPartiton'; the options are .*maxRatePerPartition, minRatePerPartition$/);
  refused(() => validateStreamOptions(given({ 'group.id': 'g2' })), /unknown option 'group\.id' \(Spark's setting; in Sluice: \{ groupId: 'g2' \}\)/);
  validateStreamOptions({ ...ok, clientId: undefined, maxRatePerPartition: 10, minRatePerPartition: 2, retryTimeoutMs: 5000, requestTimeoutMs: 5000, startingOffsets: 'earliest' });
});

test("saveToKafka and saveToKafkaTransactionally refuse an option they do not know (a misspelt one, Kafka's producer property) at the call, naming it, Sluice's setting and the options; before, it was taken and ignored", async () => {
  // No broker or cluster: the refusal comes from the call itself.
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const rdd = sc.parallelize([['a', 1] as [string, number]]);
  const stream = new StreamingContext(sc, 1000).queueStream([rdd]);
  const toRecord = ([w, n]: [string, number]) => ({ key: w, value: String(n) });
  const where = 'saveToKafka(target, topic, toRecord, options)';
  const options = 'brokers, clientId, ssl, sasl, retryTimeoutMs, requestTimeoutMs, batchSize, maxRecordBytes';
  const exactly = (f: () => unknown, message: string): void =>
    assert.throws(f, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  exactly(() => saveToKafka(rdd, 'out', toRecord, { brokers: ['localhost:9092'], batchsize: 10 } as object as { brokers: string[] }), `${where}: unknown option 'batchsize'; the options are ${options}`);
  exactly(() => saveToKafka(stream, 'out', toRecord, { brokers: ['localhost:9092'], acks: 'all' } as object as { brokers: string[] }), `${where}: unknown option 'acks' (Spark's setting; in Sluice: nothing to set: the sink's producer is idempotent and waits for every in-sync replica (acks all)); the options are ${options}`);
  exactly(() => saveToKafka(rdd, 'out', toRecord, { brokers: ['localhost:9092'], 'batch.size': 16384 } as object as { brokers: string[] }), `${where}: unknown option 'batch.size' (Spark's setting; in Sluice: { batchSize: ... } (records per produce request, where Kafka counts batch.size in bytes)); the options are ${options}`);
  const transactional = 'saveToKafkaTransactionally(rdd, time, topic, process, options)';
  const transactionalOptions = 'brokers, clientId, ssl, sasl, retryTimeoutMs, requestTimeoutMs, groupId, transactionalIdPrefix, batchSize';
  await assert.rejects(saveToKafkaTransactionally(rdd as never, 1000, 'out', () => [], { brokers: ['localhost:9092'], groupId: 'g', transactionalIdPrefix: 'p', 'transactional.id': 'x' } as never), (e: Error & { code?: string }) => {
    assert.equal(e.message, `${transactional}: unknown option 'transactional.id' (Spark's setting; in Sluice: { transactionalIdPrefix: 'x' } (a prefix: each input partition's transactional id is it, then -<topic>-<partition>)); the options are ${transactionalOptions}`);
    return e.code === 'SLUICE_BAD_ARGUMENT';
  });
  // Every option the interface has is taken (the stream's output is registered; nothing runs).
  saveToKafka(stream, 'out', toRecord, { brokers: ['localhost:9092'], clientId: 'c', ssl: false, retryTimeoutMs: 1000, requestTimeoutMs: 1000, batchSize: 10, maxRecordBytes: 100 });
});
