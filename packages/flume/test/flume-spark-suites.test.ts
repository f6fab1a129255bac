// Spark 2.4's FlumeStreamSuite, case by case, on a driver with 2 worker processes (started
// once for the file): "flume input stream" and "flume input compressed stream". As Spark's
// FlumeTestUtils.writeInput, an avro sink (the tests' own, support/flume-avro-client) sends
// the events "1".."100", each with the header test=header, in one appendBatch (deflated for
// the compressed case, the stream made with enableDecompression true); the stream is made
// with Spark's positional createStream(ssc, host, port, storageLevel, enableDecompression).
// Every event comes once, in the order sent, with its header. FlumePollingStreamSuite has no
// counterpart: the pull-based stream is not provided (README Flume).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, jsonLines, startCluster, startJob } from './job-runner.js';
import { FlumeSink } from './support/flume-avro-client.js';

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
