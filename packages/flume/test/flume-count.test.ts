// The scale check: 100,000 Flume events pushed by five avro sinks of the test's
// own (test/support/flume-avro-client.ts, Flume's wire protocol byte for byte) in
// appendBatch calls of 1..2000 events, and 40 single `append` calls, to a Sluice job (driver
// in this process, 2 worker processes) reading them with FlumeUtils.createStream: each
// key counted exactly as often as it was sent, every event exactly once (no failure, so
// nothing is sent twice) with its headers and body intact.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, jsonLines, startCluster, startJob } from './job-runner.js';
import { FlumeAvroConnection, FlumeSink, whenListening } from './support/flume-avro-client.js';
import { emptySent, sendAll } from './support/events.js';

interface Batch {
  readonly time: number;
  readonly counts: Record<string, number>;
  readonly ids: number[];
  readonly digest: number;
  readonly bodyBytes: number;
}

let cluster: LocalCluster;

before(async () => {
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
});

test('100,000 events from 5 avro sinks through FlumeUtils.createStream on 2 workers: every key counted exactly, headers and bodies kept', { timeout: 120_000 }, async () => {
  const N = 100_000;
  const port = await freePort();
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 1000, expectIds: N })]);
  await job.waitLine('RECEIVER started', 30_000);
  // The first handshake as a fresh Flume client makes it: its protocol hash is unknown to
  // the receiver (NONE, the server's protocol and hash back), then sent again with its text
  // and the server's hash (BOTH).
  const probe = new FlumeAvroConnection({ host: '127.0.0.1', port });
  await whenListening(() => probe.connect());
  assert.equal(await probe.appendBatch([]), 'OK');
  assert.deepEqual(probe.matches, ['NONE', 'BOTH'], 'the handshake: NONE, then BOTH with the protocol text');
  assert.match(probe.handshakes[0]?.serverProtocol ?? '', /"AvroSourceProtocol"/);
  probe.close();
  const sent = emptySent();
  const t0 = Date.now();
  const sinks = [0, 1, 2, 3, 4].map((i) => new FlumeSink({ host: '127.0.0.1', port, singleAsAppend: i === 4, giveUpAfterMs: 60_000 }));
  const share = N / 5;
  await Promise.all(sinks.map((s, i) => sendAll(s, i * share, share, 100 + i, `agent-${i}`, sent, 2000, undefined, i === 4 ? 40 : 0)));
  const sendSecs = (Date.now() - t0) / 1000;
  for (const s of sinks) s.close();
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  for (const [i, s] of sinks.entries()) assert.deepEqual({ sink: i, resent: s.stats.resent, failures: s.stats.failures }, { sink: i, resent: 0, failures: [] }, 'no batch needed a second try');
  const batches = jsonLines<Batch>(end.lines, 'BATCH ');
  const got = new Map<string, number>();
  let total = 0;
  let digest = 0;
  let bodyBytes = 0;
  for (const b of batches) {
    for (const [k, n] of Object.entries(b.counts)) {
      got.set(k, (got.get(k) ?? 0) + n);
      total += n;
    }
    digest = (digest + b.digest) >>> 0;
    bodyBytes += b.bodyBytes;
  }
  assert.equal(total, N, 'each event counted once');
  assert.deepEqual([...got].sort(), [...sent.counts].sort());
  const ids = batches.flatMap((b) => b.ids);
  assert.equal(new Set(ids).size, N);
  assert.deepEqual([...new Set(ids)].sort((a, b) => a - b), [...sent.ids].sort((a, b) => a - b));
  assert.equal(bodyBytes, sent.bodyBytes, 'body bytes');
  assert.equal(digest, sent.digest, 'every header and body byte as sent');
  assert.ok(batches.filter((b) => b.ids.length > 0).length >= 2, 'several batches');
  assert.ok(!end.lines.some((l) => l.startsWith('RECEIVER error ')), end.lines.filter((l) => l.startsWith('RECEIVER error ')).join('\n'));
  console.log(`# ${N} events sent in ${sendSecs.toFixed(1)} s (${Math.round(N / sendSecs)} events/s acknowledged); ${sinks.reduce((n, s) => n + s.stats.connections, 0)} connections`);
});
