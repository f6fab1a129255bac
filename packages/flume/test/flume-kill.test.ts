// kill -9 of the worker running the Flume receiver while three avro sinks push 24,000
// events: nothing is lost. A call is answered OK only once its events are stored, so a
// batch in flight when the worker died got no OK; its sink (as Flume's AvroSink rolls its
// transaction back) sends it again until the receiver, restarted on another worker and
// listening on the same port, answers OK. Delivery is at least once: the test dedupes by
// the `id` header it gave each event and reports how many came twice.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, jsonLines, pollUntil, startJob, startKillableCluster } from './job-runner.js';
import { FlumeSink } from './support/flume-avro-client.js';
import { emptySent, sendAll } from './support/events.js';

let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;

before(async () => {
  // Three workers: once the receiver's dies, two are left, so stored blocks still get a second copy.
  ({ cluster, procs } = await startKillableCluster(3));
});

after(async () => {
  await cluster?.stop();
});

test("kill -9 of the Flume receiver's worker mid-stream: batches without OK are sent again, nothing lost", { timeout: 120_000 }, async () => {
  const N = 24_000;
  const port = await freePort();
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 500, expectIds: N })]);
  const started = JSON.parse((await job.waitLine('RECEIVER started ', 30_000)).slice('RECEIVER started '.length)) as { workerId: string };
  const sent = emptySent();
  const sinks = [0, 1, 2].map(() => new FlumeSink({ host: '127.0.0.1', port, requestTimeoutMs: 20_000, retryDelayMs: 200, giveUpAfterMs: 60_000 }));
  let acked = 0;
  let killedAt = -1;
  // Batches of 1..300 with a pause after each, so calls are in flight when the worker dies.
  const sending = Promise.all(
    sinks.map((s, i) =>
      sendAll(s, i * (N / 3), N / 3, 7 + i, `agent-${i}`, sent, 300, async () => {
        acked = sent.ids.length;
        await new Promise((r) => setTimeout(r, 15));
      }),
    ),
  );
  // Once a quarter was acknowledged, with more arriving: kill the receiver's worker.
  await pollUntil(() => acked >= N / 4 || undefined, 60_000, `a quarter of ${N} events acknowledged`, 10);
  procs.get(started.workerId)!.kill('SIGKILL');
  killedAt = acked;
  await sending;
  for (const s of sinks) s.close();
  assert.ok(killedAt > 0 && killedAt < N, `the receiver was killed mid-stream (${killedAt} acknowledged)`);
  const resent = sinks.reduce((n, s) => n + s.stats.resent, 0);
  assert.ok(resent > 0, 'some sink had a batch without OK and sent it again');
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const restarted = end.lines.filter((l) => l.startsWith('RECEIVER started ')).map((l) => (JSON.parse(l.slice('RECEIVER started '.length)) as { workerId: string }).workerId);
  assert.ok(restarted.some((w) => w !== started.workerId), `the receiver restarted on another worker: ${restarted.join(', ')}`);
  const batches = jsonLines<{ ids: number[]; keys: string[] }>(end.lines, 'BATCH ');
  const ids = batches.flatMap((b) => b.ids);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no event lost (${missing.length} missing)`);
  assert.equal(distinct.size, N, 'no id counted that was never sent');
  // Per key, deduped by the id header (the key the job read from each event's headers): exactly what was sent.
  const keyOf = new Map<number, string>();
  for (const b of batches) b.ids.forEach((id, i) => keyOf.set(id, b.keys[i]!));
  const counts = new Map<string, number>();
  for (const k of keyOf.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
  assert.deepEqual([...counts].sort(), [...sent.counts].sort());
  console.log(`# killed after ${killedAt} acknowledged; ${resent} batches sent again; ${ids.length} events delivered, ${ids.length - N} twice (at least once, deduped by the id header)`);
});
