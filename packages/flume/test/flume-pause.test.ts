// A Flume agent that stops answering mid-stream: its process (test/support/pause-agent.ts,
// one a test) frozen with SIGSTOP, woken with SIGCONT once the job ran batches without it.
// - Push (FlumeUtils.createStream): the agent's avro sink stops sending; the receiver just
//   receives nothing (as Spark's), the job's batches go on empty, and after SIGCONT the sink
//   goes on: every event once by its id (a batch answered OK is not sent again; at least
//   once allows twice, counted), each key's count exactly what the test computes.
// - Pull (createPollingStream, timeoutMs 1 s): the SparkSink stops answering; the receiver's
//   call gets no answer within timeoutMs, is reported naming the sink and the wait, the
//   connection dropped and made again; the batches go on empty. After SIGCONT the sink
//   commits an ack it had received while stopped, rolls back by its transaction timeout a
//   batch whose answer went to a dropped connection, and the events flow again: every event
//   exactly once (a batch is stored before its ack, and acked only once: none twice), the
//   channel ends empty with no transaction open.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, jsonLines, pollUntil, startCluster, startJob } from './job-runner.js';
import { pausedEvents } from './support/events.js';
import { pause, resume } from '@sluice/test-servers/pause';

let cluster: LocalCluster;
const agents: ChildProcess[] = [];

before(async () => {
  cluster = await startCluster(2);
});

after(async () => {
  for (const a of agents) {
    resume(a);
    a.kill('SIGKILL');
  }
  await cluster?.stop();
});

interface Agent {
  readonly proc: ChildProcess;
  readonly lines: string[];
}

function startAgent(kind: 'sink' | 'push', args: object): Agent {
  const proc = spawn(process.execPath, [new URL('./support/pause-agent.js', import.meta.url).pathname, kind, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'inherit'] });
  agents.push(proc);
  const lines: string[] = [];
  let rest = '';
  proc.stdout!.on('data', (d: Buffer) => {
    const parts = (rest + d.toString('utf8')).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  return { proc, lines };
}

function lastNumber(lines: readonly string[], prefix: string, field = 0): number {
  const l = lines.findLast((x) => x.startsWith(prefix));
  return l === undefined ? 0 : Number(l.slice(prefix.length).split(' ')[field]);
}

test('push: the avro sink frozen mid-stream, the job runs empty batches, after SIGCONT every event arrives, counts exact', { timeout: 180_000 }, async () => {
  const N = 8000;
  const seed = 41;
  const port = await freePort();
  const job = await startJob(cluster, fixture('flume-count-job.ts'), [JSON.stringify({ host: '127.0.0.1', port, batchMs: 500, expectIds: N })]);
  await job.waitLine('RECEIVER started ', 30_000);
  // The sink's request timeout (60 s) is past the pause: a call in flight is answered, not sent again.
  const agent = startAgent('push', { port, n: N, seed, maxBatch: 200, requestTimeoutMs: 60_000 });
  await pollUntil(() => lastNumber(agent.lines, 'ACKED ') >= N / 4 || undefined, 90_000, `a quarter of ${N} events acknowledged`, 5);
  pause(agent.proc);
  const ackedAtStop = lastNumber(agent.lines, 'ACKED ');
  const batchesAtStop = job.lines.filter((l) => l.startsWith('BATCH ')).length;
  // Three batches after the stop with no event: the job is not held by the silent sink.
  await pollUntil(() => job.lines.filter((l) => l.startsWith('BATCH ')).slice(batchesAtStop + 1).filter((l) => l.includes('"ids":[]')).length >= 3 || undefined, 90_000, 'three empty batches while the sink is stopped', 20);
  const ackedWhileStopped = lastNumber(agent.lines, 'ACKED ');
  resume(agent.proc);
  await pollUntil(() => agent.lines.find((l) => l.startsWith('SENT ')), 120_000, 'the sink sent everything');
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assert.equal(ackedWhileStopped, ackedAtStop, 'nothing acknowledged while the sink was stopped');
  assert.ok(ackedAtStop < N, `stopped mid-stream (${ackedAtStop} of ${N} acknowledged)`);
  const batches = jsonLines<{ ids: number[]; keys: string[] }>(end.lines, 'BATCH ');
  const ids = batches.flatMap((b) => b.ids);
  const keyOf = new Map<number, string>();
  for (const b of batches) b.ids.forEach((id, i) => keyOf.set(id, b.keys[i]!));
  const events = pausedEvents(N, seed, 'pushed');
  const missing = events.filter((e) => !keyOf.has(Number(e.headers.id)));
  assert.deepEqual(missing.slice(0, 10).map((e) => e.headers.id), [], `no event lost (${missing.length} missing)`);
  assert.equal(keyOf.size, N, 'no id that was never sent');
  const expected = new Map<string, number>();
  for (const e of events) expected.set(e.headers.key!, (expected.get(e.headers.key!) ?? 0) + 1);
  const counts = new Map<string, number>();
  for (const k of keyOf.values()) counts.set(k, (counts.get(k) ?? 0) + 1);
  assert.deepEqual([...counts].sort(), [...expected].sort(), 'each key counted as often as sent');
  for (const e of events) assert.equal(keyOf.get(Number(e.headers.id)), e.headers.key);
  assert.ok(!end.lines.some((l) => l.startsWith('RECEIVER error ')), end.lines.filter((l) => l.startsWith('RECEIVER error ')).join('\n'));
  console.log(`# stopped after ${ackedAtStop} of ${N} acknowledged; ${ids.length - N} events twice (resent batches: ${agent.lines.find((l) => l.startsWith('SENT '))})`);
});

test('pull: the SparkSink frozen mid-stream past timeoutMs, reported, the job runs empty batches, after SIGCONT every event exactly once', { timeout: 180_000 }, async () => {
  const N = 6000;
  const seed = 42;
  // The transaction timeout (20 s) is past the pause: an ack the sink took while stopped commits.
  const agent = startAgent('sink', { name: 'p', n: N, seed, transactionTimeoutMs: 20_000, delayMs: 40 });
  const port = Number((await pollUntil(() => agent.lines.find((l) => l.startsWith('PORT ')), 30_000, 'the sink serving')).slice('PORT '.length));
  const args = { host: '', port: 0, batchMs: 500, expect: N, distinct: true, storageLevel: 'MEMORY_AND_DISK_SER_2', enableDecompression: false, sinks: [`127.0.0.1:${port}`], maxBatchSize: 100, parallelism: 5, timeoutMs: 1000, retryWaitMs: 200 };
  const job = await startJob(cluster, fixture('flume-spark-job.ts'), [JSON.stringify(args)]);
  await pollUntil(() => lastNumber(agent.lines, 'ACKS ') >= 10 || undefined, 90_000, '10 batches acked', 5);
  pause(agent.proc);
  const acksAtStop = lastNumber(agent.lines, 'ACKS ');
  const stoppedAt = job.lines.length;
  // The receiver reports the silent sink, and the job runs three empty batches after that.
  await pollUntil(() => job.lines.slice(stoppedAt).some((l) => l.startsWith('RECEIVER error ')) || undefined, 60_000, 'the silent sink reported', 20);
  const reportedAt = job.lines.findIndex((l, i) => i >= stoppedAt && l.startsWith('RECEIVER error '));
  await pollUntil(() => job.lines.slice(reportedAt).filter((l) => l === 'EMPTY').length >= 3 || undefined, 60_000, 'three empty batches after the report', 20);
  resume(agent.proc);
  const end = await job.finished(120_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assert.ok(acksAtStop < N / 100, `stopped mid-stream (${acksAtStop} of ${N / 100} batches acked)`);
  const report = (JSON.parse(end.lines[reportedAt]!.slice('RECEIVER error '.length)) as { message: string }).message;
  assert.match(report, new RegExp(`SparkSink at 127\\.0\\.0\\.1:${port}: no answer within 1000 ms`), report);
  const output = jsonLines<[Record<string, string>, string][]>(end.lines, 'EVENTS ').flat();
  const events = pausedEvents(N, seed, 'p');
  const byId = new Map(output.map(([h, body]) => [h.id!, body]));
  const missing = events.filter((e) => !byId.has(e.headers.id!));
  assert.deepEqual(missing.slice(0, 10).map((e) => e.headers.id), [], `no event lost (${missing.length} missing)`);
  assert.equal(output.length, N, `every event exactly once (${output.length - byId.size} twice)`);
  for (const e of events) assert.equal(byId.get(e.headers.id!), e.body.toString('utf8'));
  agent.proc.stdin!.write('PENDING\n');
  const pending = await pollUntil(() => agent.lines.find((l) => l.startsWith('PENDING ')), 30_000, 'the sink answers PENDING');
  assert.deepEqual(JSON.parse(pending.slice('PENDING '.length)), { channel: 0, transactions: 0 }, 'the channel ends empty, no transaction open');
  const [acks, nacks, timeouts] = agent.lines.findLast((l) => l.startsWith('ACKS '))!.slice(5).split(' ').map(Number);
  console.log(`# stopped after ${acksAtStop} batches acked; then ${acks} acks, ${nacks} rollbacks (${timeouts} by the transaction timeout); ${end.lines.filter((l) => l.startsWith('RECEIVER error ')).length} receiver reports`);
});
