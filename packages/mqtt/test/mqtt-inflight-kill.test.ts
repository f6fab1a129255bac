// The MQTT row of docs/fault-matrix.md: the worker running the MQTT receiver (QoS 1, a
// persistent session on mosquitto) killed with -9 while messages are in flight, that is sent by
// the broker and not acknowledged. The worker is first stopped (SIGSTOP) mid-stream while
// messages keep being published, until its connection to the broker holds PUBLISH packets it
// has not read (`ss`: the socket's receive queue), and killed there (the messages it had taken
// into blocks not yet durable are unacknowledged too: a PUBACK waits for its block's store).
// The receiver starts again on another worker with the same client id, and mosquitto sends
// every unacknowledged message again. Checked against what was published: no message lost,
// none that was never sent (at least once, as README says: the doubles are counted).
// (mqtt-kill kills the receiver's worker running, and tests a graceful stop.)
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { pause, receiverStartedOn, receiverWorkers, resume } from '@sluice/test-servers/worker-pause';
import { fixture, jsonLines, startJob, startKillableCluster } from './job-runner.js';
import { toBroker } from './support/broker-connections.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
let cluster: LocalCluster;
let procs: Map<string, ChildProcess>;

before(async () => {
  broker = new Mosquitto();
  await broker.start();
  // Three workers: once the receiver's dies, two are left (one for the receiver, one for tasks).
  ({ cluster, procs } = await startKillableCluster(3));
});

after(async () => {
  for (const p of procs.values()) if (p.signalCode === null && p.exitCode === null) resume(p);
  await cluster?.stop();
  await broker?.dispose();
});

test("kill -9 of the MQTT receiver's worker with QoS 1 messages sent to it and not acknowledged: none lost", { timeout: 120_000 }, async () => {
  const N = 8000;
  const topic = 'sensors/inflight';
  const clientId = 'sluice-inflight-test';
  await makeSession(broker.url, clientId, topic);
  const job = await startJob(cluster, fixture('mqtt-count-job.ts'), [JSON.stringify({ url: broker.url, topic, clientId, qos: 1, batchMs: 500, expectIds: N })]);
  const startedOn = await receiverStartedOn(job, 30_000);
  const victim = procs.get(startedOn)!;
  const sent = emptySent();
  const seen = (): number => jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').reduce((n, b) => n + b.ids.length, 0);
  let stopped = false;
  let unread = 0;
  // A steady flow; once 2000 are counted the receiver's worker is stopped, the flow goes on
  // until its socket holds unread messages, then it is killed.
  const publishing = publish(broker.url, topic, 0, N, 23, sent, {}, async (n) => {
    if (!stopped && seen() >= 2000) {
      pause(victim);
      stopped = true;
    }
    if (stopped && unread === 0 && (unread = toBroker(victim.pid!, broker.port).unread) > 0) {
      process.kill(victim.pid!, 'SIGKILL');
      resume(victim); // killed: forgotten (a SIGCONT to it is nothing)
    }
    if (!stopped || unread === 0) await new Promise((r) => setTimeout(r, 10));
  }, 100);
  await publishing;
  if (unread === 0) resume(victim);
  assert.ok(stopped && unread > 0, `the receiver's worker was killed with ${unread} bytes of messages unread in its connection to the broker`);
  const end = await job.finished(90_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const restarted = receiverWorkers(end.lines);
  assert.ok(restarted.some((w) => w !== startedOn), `the receiver restarted on another worker: ${restarted.join(', ')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(distinct.size, N, 'no id counted that was never sent');
  console.log(`# killed with ${unread} bytes unread from the broker; ${ids.length} delivered, ${ids.length - N} twice (at least once, deduped by id)`);
});
