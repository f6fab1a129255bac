// Spark 2.4's FlumeStreamSuite, case by case, on a driver with 2 worker processes (started
// once for the file): "flume input stream" and "flume input compressed stream". As Spark's
// FlumeTestUtils.writeInput, an avro sink (the tests' own, support/flume-avro-client) sends
// the events "1".."100", each with the header test=header, in one appendBatch (deflated for
// the compressed case, the stream made with enableDecompression true); the stream is made
// with Spark's positional createStream(ssc, host, port, storageLevel, enableDecompression).
// Every event comes once, in the order sent, with its header. FlumePollingStreamSuite's "flume
// polling test" and "... multiple hosts": createPollingStream (Spark's positional form) pulling
// from the tests' own SparkSinks (support/spark-sink.ts) holding events in their channels:
// every event once, each sink's in its order, every transaction acknowledged and the channels
// empty (Spark's assertChannelsAreEmpty).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, jsonLines, startCluster, startJob } from './job-runner.js';
import { FlumeSink, type FlumeEvent } from './support/flume-avro-client.js';
import { TestSparkSink } from './support/spark-sink.js';

let cluster: LocalCluster;

before(async () => {
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
});

async function flumeStream(testCompression: boolean): Promise<void> {
  const input = Array.from({ length: 100 }, (_, i) => String(i + 1));
  const port = await freePort();
  const job = await startJob(cluster, fixture('flume-spark-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 200, expect: input.length, storageLevel: 'MEMORY_AND_DISK', enableDecompression: testCompression })]);
  await job.waitLine('RECEIVER started', 30_000);
  const sink = new FlumeSink({ host: '127.0.0.1', port, deflate: testCompression });
  try {
    await sink.send(input.map((body) => ({ headers: { test: 'header' }, body: Buffer.from(body) })));
  } finally {
    sink.close();
  }
  const end = await job.finished(60_000);
  assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
  const output = jsonLines<[Record<string, string>, string][]>(end.lines, 'EVENTS ').flat();
  for (const [headers] of output) assert.deepEqual(headers, { test: 'header' });
  assert.deepEqual(output.map(([, body]) => body), input, 'output should be input');
  assert.equal(sink.stats.resent, 0, 'the batch was answered OK the first time');
}

test("FlumeStreamSuite 'flume input stream': 100 events in one appendBatch, each once, in order, with its header", async () => {
  await flumeStream(false);
});

test("FlumeStreamSuite 'flume input compressed stream': the same deflated, read with enableDecompression", async () => {
  await flumeStream(true);
});

test("FlumeUtils.createStream's positional enableDecompression beside an options object is refused, naming where it goes", async () => {
  const port = await freePort();
  const end = await (await startJob(cluster, fixture('flume-spark-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 200, expect: 1, storageLevel: { enableDecompression: true }, enableDecompression: true })])).finished(30_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, new RegExp(`FlumeUtils\\.createStream\\(127\\.0\\.0\\.1:${port}\\): enableDecompression true is not valid: with an options object give it there`));
});

async function flumePolling(sinkCount: number, perSink: number): Promise<void> {
  const sinks = Array.from({ length: sinkCount }, (_, i) => new TestSparkSink(`sink${i}`));
  const sent = new Map<string, FlumeEvent[]>();
  try {
    for (const [i, sink] of sinks.entries()) {
      await sink.start();
      const events = Array.from({ length: perSink }, (_, j) => ({ headers: { sink: `sink${i}`, id: String(j) }, body: Buffer.from(`sink${i} event ${j} ${'é'.repeat(j % 5)}`) }));
      sink.put(events);
      sent.set(`sink${i}`, events);
    }
    const total = sinkCount * perSink;
    const args = { host: '', port: 0, batchMs: 500, expect: total, storageLevel: 'MEMORY_AND_DISK', enableDecompression: false, sinks: sinks.map((s) => `127.0.0.1:${s.port}`), maxBatchSize: 100, parallelism: 5 };
    const end = await (await startJob(cluster, fixture('flume-spark-job.ts'), [JSON.stringify(args)])).finished(60_000);
    assert.ok(end.ok, `job failed: ${end.failure}\n${end.lines.join('\n')}`);
    const output = jsonLines<[Record<string, string>, string][]>(end.lines, 'EVENTS ').flat();
    assert.equal(output.length, total, 'each event once');
    for (const [name, events] of sent) {
      const got = output.filter(([h]) => h.sink === name);
      assert.deepEqual(got, events.map((e) => [e.headers, e.body.toString('utf8')]), `${name}: every event with its headers and body, in its order`);
    }
    for (const s of sinks) {
      assert.deepEqual(s.pending, { channel: 0, transactions: 0 }, 'the channels are empty: every transaction acknowledged');
      assert.deepEqual({ nacks: s.stats.nacks, timeouts: s.stats.timeouts }, { nacks: 0, timeouts: 0 });
      assert.equal(s.stats.acks, s.stats.batches);
      assert.deepEqual(s.stats.handshakes, ['NONE', 'BOTH'], "Avro's handshake: the sink did not know the client's protocol; then, given its text and the sink's hash learned, BOTH");
      assert.ok(s.stats.largest <= 100 && s.stats.batches >= perSink / 100, `batches of at most maxBatchSize 100 (${s.stats.batches}, the largest ${s.stats.largest})`);
    }
  } finally {
    for (const s of sinks) s.close();
  }
}

test("FlumePollingStreamSuite 'flume polling test': createPollingStream pulls every event of a SparkSink once, in order, and acknowledges every batch", async () => {
  await flumePolling(1, 1000);
});

test("FlumePollingStreamSuite 'flume polling test multiple hosts': five SparkSinks, every event once", async () => {
  await flumePolling(5, 300);
});
