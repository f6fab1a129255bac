// Bad input to a Flume stream: a malformed Avro frame, a wrong or undecodable handshake and
// a deflated stream the receiver does not inflate each get a receiver error (StreamingListener
// onReceiverError, as `sluice jobs` and the driver log show them) naming the receiver
// (`flume receiver on HOST:PORT`), the peer and the setting; that connection is closed and
// an avro sink sending all along loses nothing and never needs a second try. With
// enableDecompression a deflating sink is counted exactly and a plain one gets "cannot
// inflate". A port in use fails the receiver's onStart: as Spark's failed start it is
// registered (onReceiverStarted), stopped ("Error starting receiver 0", its lastError naming
// the port) and placed again, and binds once the port is free. Bad options fail the job at once.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import net from 'node:net';
import zlib from 'node:zlib';
import { after, before, test } from 'node:test';
import avro from 'avsc';
import type { LocalCluster } from '@sluice/cli';
import { SluiceContext, StreamingContext } from '@sluice/core';
import { FlumeUtils } from '../src/index.js';
import { fixture, freePort, jsonLines, pollUntil, startCluster, startJob, type RunningJob } from './job-runner.js';
import { FlumeSink, HandshakeRequestType, HandshakeResponseType, javaBuffers, nettyPack, whenListening } from './support/flume-avro-client.js';
import { emptySent, sendAll, type Sent } from './support/events.js';

let cluster: LocalCluster;

before(async () => {
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
});

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A raw connection: write bytes, collect what comes back, know when the server closed it. */
async function raw(port: number): Promise<{ socket: net.Socket; peer: string; received: () => Buffer; closed: Promise<void> }> {
  const socket = await whenListening(async () => {
    const s = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', resolve);
      s.once('error', reject);
    });
    return s;
  });
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, peer: `127.0.0.1:${socket.localPort}`, received: () => Buffer.concat(chunks), closed };
}

async function receiverError(job: RunningJob, peer: string): Promise<string> {
  const line = await job.waitLine('RECEIVER error ', 20_000, (l) => l.includes(` from ${peer} `));
  return (JSON.parse(line.slice('RECEIVER error '.length)) as { message: string }).message;
}

function totals(lines: readonly string[]): { ids: number[]; counts: Map<string, number> } {
  const batches = jsonLines<{ ids: number[]; counts: Record<string, number> }>(lines, 'BATCH ');
  const counts = new Map<string, number>();
  for (const b of batches) for (const [k, n] of Object.entries(b.counts)) counts.set(k, (counts.get(k) ?? 0) + n);
  return { ids: batches.flatMap((b) => b.ids).sort((a, b) => a - b), counts };
}

function assertExact(lines: readonly string[], sent: Sent): void {
  const t = totals(lines);
  assert.deepEqual(t.ids, [...sent.ids].sort((a, b) => a - b), 'every event of the good sink exactly once');
  assert.deepEqual([...t.counts].sort(), [...sent.counts].sort());
}

test('a malformed frame, a wrong handshake, an undecodable handshake, a deflated stream: clear errors, that connection closed, another sink goes on and loses nothing', { timeout: 90_000 }, async () => {
  const N = 6000;
  const port = await freePort();
  const where = `flume receiver on 127.0.0.1:${port}`;
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 500, expectIds: N })]);
  await job.waitLine('RECEIVER started', 30_000);
  const sent = emptySent();
  const sink = new FlumeSink({ host: '127.0.0.1', port });
  let acked = 0;
  const sending = sendAll(sink, 0, N, 5, 'good', sent, 200, async (n) => {
    acked = n;
    await new Promise((r) => setTimeout(r, 40));
  });
  await pollUntil(() => acked > 0 || undefined, 30_000, 'the first batch of events acknowledged', 10);

  // 1. A frame length past maxBatchBytes (default 64 MiB).
  const a = await raw(port);
  a.socket.write(Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x05, 0xf5, 0xe0, 0xff])); // serial 1, 1 frame, length 99999999
  const m1 = await receiverError(job, a.peer);
  assert.match(m1, new RegExp(`^${esc(where)}: malformed Avro frame from ${esc(a.peer)} \\(frame length 99999999 exceeds maxBatchBytes 67108864\\); check that the sender is a Flume avro sink .*; closed that connection`));
  await a.closed;

  // 2. A negative frame count.
  const b = await raw(port);
  b.socket.write(Buffer.from([0, 0, 0, 1, 0xff, 0xff, 0xff, 0xfb]));
  assert.match(await receiverError(job, b.peer), /malformed Avro frame from .* \(frame count -5 is not within 0\.\.1048576\)/);
  await b.closed;

  // 3. A handshake declaring another protocol (what an Avro client of some other service sends after NONE).
  const mail = JSON.stringify({ protocol: 'Mail', namespace: 'example', messages: { send: { request: [{ name: 'to', type: 'string' }], response: 'string' } } });
  const mailHash = crypto.createHash('md5').update(mail).digest();
  const c = await raw(port);
  const head = Buffer.concat([
    HandshakeRequestType.toBuffer({ clientHash: mailHash, clientProtocol: mail, serverHash: mailHash, meta: null }),
    avro.Type.forSchema({ type: 'map', values: 'bytes' }).toBuffer({}),
    avro.Type.forSchema('string').toBuffer('send'),
  ]);
  c.socket.write(nettyPack(1, [...javaBuffers(head), ...javaBuffers(avro.Type.forSchema('string').toBuffer('x@example.org'))]));
  const m3 = await receiverError(job, c.peer);
  assert.match(m3, new RegExp(`^${esc(where)}: wrong Avro handshake from ${esc(c.peer)} \\(client protocol ${mailHash.toString('hex')}: example\\.Mail is not Flume's AvroSourceProtocol: it has neither append nor appendBatch\\); the client must speak Flume's AvroSourceProtocol`));
  await c.closed;
  // Before closing, the receiver answered as Avro does: NONE, with the protocol it serves.
  const reply = c.received();
  assert.equal(reply.readInt32BE(0), 1, 'the serial of the request');
  assert.equal(reply.readInt32BE(4), 1, 'one frame');
  assert.equal(reply.readInt32BE(8), reply.length - 12, 'the frame is the rest');
  const hs = HandshakeResponseType.decode(reply, 12).value as { match: string; serverProtocol: string | null };
  assert.equal(hs.match, 'NONE');
  assert.match(hs.serverProtocol ?? '', /"protocol":"AvroSourceProtocol"/);

  // 4. A handshake that does not decode: clientProtocol's union index 9.
  const d = await raw(port);
  d.socket.write(nettyPack(1, [Buffer.concat([crypto.randomBytes(16), Buffer.from([18]), crypto.randomBytes(16)])]));
  assert.match(await receiverError(job, d.peer), /wrong Avro handshake from .* \(cannot read the HandshakeRequest at byte 0 of 33: .*\)/);
  await d.closed;

  // 5. A sink with compression-type = deflate against a receiver without enableDecompression.
  const e = await raw(port);
  e.socket.write(zlib.deflateSync(nettyPack(1, [Buffer.alloc(40, 7)]), { level: 6 }));
  assert.match(await receiverError(job, e.peer), /malformed Avro frame from .* \(.*\); the bytes look like a zlib stream: the avro sink uses compression-type = deflate, so set enableDecompression: true/);
  await e.closed;

  await sending;
  sink.close();
  assert.ok(acked === N, 'the good sink sent everything');
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assert.deepEqual({ resent: sink.stats.resent, failures: sink.stats.failures }, { resent: 0, failures: [] }, 'the good sink never needed a second try');
  assertExact(end.lines, sent);
  assert.equal(end.lines.filter((l) => l.startsWith('RECEIVER error ')).length, 5, 'one error per bad connection');
  assert.equal(end.lines.filter((l) => l.startsWith('RECEIVER started ')).length, 1, 'the receiver never restarted');
});

test('enableDecompression: deflating sinks counted exactly; a plain stream gets "cannot inflate" naming enableDecompression', { timeout: 60_000 }, async () => {
  const N = 3000;
  const port = await freePort();
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 500, expectIds: N, enableDecompression: true })]);
  await job.waitLine('RECEIVER started', 30_000);
  const plain = await raw(port);
  plain.socket.write(nettyPack(1, [Buffer.alloc(10)]));
  assert.match(await receiverError(job, plain.peer), new RegExp(`^flume receiver on 127\\.0\\.0\\.1:${port}: cannot inflate the stream from ${esc(plain.peer)} \\(.*\\); enableDecompression is true, so the avro sink must use compression-type = deflate`));
  await plain.closed;
  const sent = emptySent();
  const sinks = [0, 1].map(() => new FlumeSink({ host: '127.0.0.1', port, deflate: true }));
  await Promise.all(sinks.map((s, i) => sendAll(s, i * (N / 2), N / 2, 31 + i, `z${i}`, sent, 400)));
  for (const s of sinks) s.close();
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assertExact(end.lines, sent);
  for (const s of sinks) assert.equal(s.stats.resent, 0);
});

test('the port in use: as Spark\'s failed start, the receiver is registered (onReceiverStarted), then stopped ("Error starting receiver 0", the error naming the receiver, the port and the fix) and placed again; it listens once the port is free', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', r));
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 500, expectIds: 500 })]);
  const line = await job.waitLine('RECEIVER stopped ', 30_000);
  const stop = JSON.parse(line.slice('RECEIVER stopped '.length)) as { reason: string; lastError: string; active: boolean };
  // Spark's ReceiverSupervisor.startReceiver registers the receiver (onReceiverStarted) before
  // its onStart runs, and a throwing onStart is stop("Error starting receiver " + streamId, error).
  const events = job.lines.filter((l) => l.startsWith('RECEIVER '));
  assert.ok(events[0]?.startsWith('RECEIVER started '), `registered before its onStart failed: ${events.join('\n')}`);
  assert.equal(stop.reason, 'Error starting receiver 0');
  assert.equal(stop.active, false);
  assert.match(stop.lastError, new RegExp(`flume receiver on 127\\.0\\.0\\.1:${port}: cannot listen \\(port ${port} is in use on this worker's host: .*give the stream another port\\)`));
  assert.ok(job.lastReceiverError()?.includes(`port ${port} is in use`), `sluice jobs shows it: ${job.lastReceiverError()}`);
  await new Promise<void>((r) => blocker.close(() => r()));
  // Placed again until it binds (each failed start a start then a stop); the sink reconnects until answered.
  const sent = emptySent();
  const sink = new FlumeSink({ host: '127.0.0.1', port });
  await sendAll(sink, 0, 500, 9, 'late', sent, 100);
  sink.close();
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assertExact(end.lines, sent);
});

test('bad options fail the job at once, naming the stream, the option and its value', { timeout: 60_000 }, async () => {
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '0.0.0.0', port: 0, batchMs: 500, expectIds: 1 })]);
  const end = await job.finished(30_000);
  assert.equal(end.ok, false);
  assert.match(end.failure ?? '', /SLUICE_BAD_ARGUMENT: .*FlumeUtils\.createStream\(0\.0\.0\.0:0\): port 0 is not valid: give the port the avro sink sends to, 1\.\.65535/);
  const job2 = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '0.0.0.0', port: 41414, batchMs: 500, expectIds: 1, storageLevel: 'MEMORY_ONLY_3' })]);
  const end2 = await job2.finished(30_000);
  assert.match(end2.failure ?? '', /SLUICE_BAD_ARGUMENT: .*FlumeUtils\.createStream\(0\.0\.0\.0:41414\): storageLevel "MEMORY_ONLY_3" is not valid: use one of Spark's names/);
});

test("an option the stream does not know (a misspelt one, a Spark receiver setting) is refused at the call, naming it, Sluice's setting and the options", () => {
  // No agent or job: the refusal comes from createStream / createPollingStream itself.
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const ssc = new StreamingContext(sc, 1000);
  const refused = (call: () => unknown, message: string): void =>
    assert.throws(call, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  refused(
    () => FlumeUtils.createStream(ssc, '127.0.0.1', 41414, { enableDecompresion: true } as object),
    "FlumeUtils.createStream(127.0.0.1:41414): unknown option 'enableDecompresion'; the options are storageLevel, enableDecompression, maxBatchBytes",
  );
  refused(
    () => FlumeUtils.createPollingStream(ssc, ['127.0.0.1:9999'], { 'spark.streaming.receiver.maxRate': 1000 } as object),
    "FlumeUtils.createPollingStream: unknown option 'spark.streaming.receiver.maxRate' (Spark's setting; in Sluice: { receiverMaxRate: 1000 } on the StreamingContext (records per second per receiver)); the options are storageLevel, maxBatchSize, parallelism, timeoutMs, retryWaitMs",
  );
  refused(
    () => FlumeUtils.createPollingStream(ssc, ['127.0.0.1:9999'], { maxBatchSise: 100 } as object),
    "FlumeUtils.createPollingStream: unknown option 'maxBatchSise'; the options are storageLevel, maxBatchSize, parallelism, timeoutMs, retryWaitMs",
  );
  // Every option each takes is taken, and Spark's positional forms.
  FlumeUtils.createStream(ssc, '127.0.0.1', 41414, { storageLevel: 'MEMORY_AND_DISK_SER_2', enableDecompression: true, maxBatchBytes: 1024 });
  FlumeUtils.createStream(ssc, '127.0.0.1', 41414, 'MEMORY_AND_DISK_SER_2', true);
  FlumeUtils.createPollingStream(ssc, ['127.0.0.1:9999'], { storageLevel: 'MEMORY_AND_DISK_SER_2', maxBatchSize: 10, parallelism: 2, timeoutMs: 100, retryWaitMs: 10 });
  FlumeUtils.createPollingStream(ssc, ['127.0.0.1:9999'], 'MEMORY_AND_DISK_SER_2', 10, 2);
});
