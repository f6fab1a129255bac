// The MQTT row's "job attempt fails, --supervise restarts it" cell of docs/fault-matrix.md: a
// supervised job (driver in this process, 2 worker processes) reads an MQTT stream at QoS 1 (a
// persistent session on mosquitto, the write-ahead log on) while messages are published
// steadily; one batch's output throws (fixtures/mqtt-fail-once-job.ts), the attempt fails and
// --supervise starts the next from the checkpoint. Checked against what was published: every
// message in exactly one batch's output (none lost, none twice).
// Before 2026-12-07 the failed attempt ended without waiting for its StreamingContext's stop, so
// the receiver was cut before its stores under way were acknowledged: the broker sent those
// messages again to the next attempt, beside their blocks recovered from the log (a sensor
// pipeline saw 36 of 8,000 twice). Spark's StreamingContext.stop on a failed job runs the
// receivers' onStop the same way.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { bundleJob } from '@sluice/cli';
import { fixture, pollUntil, startCluster } from './job-runner.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
let cluster: LocalCluster;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mqtt-supervise-fail-'));

before(async () => {
  broker = new Mosquitto();
  await broker.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await broker?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Each message id and the batch times whose output holds it (a batch re-run by the recovery writes its file again: counted once). */
function batchesById(out: string): Map<number, number[]> {
  const by = new Map<number, number[]>();
  for (const f of fs.readdirSync(out)) {
    const m = /^input-(\d+)\.json$/.exec(f);
    if (!m) continue;
    for (const id of JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as number[]) by.set(id, [...(by.get(id) ?? []), Number(m[1])]);
  }
  return by;
}

test('MQTT QoS 1, log on: a supervised attempt whose output throws stops its receiver cleanly; the next attempt reads every message exactly once', { timeout: 120_000 }, async () => {
  const topic = 'sensors/supervise';
  const clientId = 'sluice-supervise-fail-test';
  await makeSession(broker.url, clientId, topic);
  const dirs = { ckpt: path.join(tmp, 'ckpt'), out: path.join(tmp, 'out'), control: path.join(tmp, 'control') };
  for (const d of [dirs.out, dirs.control]) fs.mkdirSync(d, { recursive: true });
  const bundle = await bundleJob(fixture('mqtt-fail-once-job.ts'));
  const args = [JSON.stringify({ url: broker.url, topic, clientId, ...dirs, batchMs: 500 })];
  const job = cluster.driver.submit({ name: bundle.name, code: bundle.code, sourceMap: bundle.sourceMap, args, supervise: true, maxRestarts: 1 });
  const lines: string[] = [];
  const restarts: string[] = [];
  job.on('output', (l: string) => lines.push(l));
  job.on('restart', (_attempt: number, reason: { message: string }) => restarts.push(reason.message));
  const ended = new Promise<string>((r) => job.once('end', (state: string) => r(state)));
  await pollUntil(() => lines.includes('STARTED') || undefined, 60_000, 'the job to start');
  const N = 8000;
  const sent = emptySent();
  // Steady: 100 messages each 25 ms (about 4,000 a second), so stores are under way whenever the output throws.
  const steady = async (): Promise<void> => void (await new Promise((r) => setTimeout(r, 25)));
  let armed = false;
  await publish(broker.url, topic, 0, N, 41, sent, {}, (done) => {
    if (!armed && done >= N / 4) {
      armed = true;
      fs.writeFileSync(path.join(dirs.control, 'fail'), '');
    }
    return steady();
  }, 100);
  const read = (): number => batchesById(dirs.out).size;
  await pollUntil(() => (read() >= N && job.attempt === 2) || undefined, 60_000, `every message read by attempt 2 (${read()} of ${N}, attempt ${job.attempt}, restarts ${JSON.stringify(restarts)})`);
  // A second longer: a message the broker sent again would be read now.
  await new Promise((r) => setTimeout(r, 1500));
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  assert.equal(await ended, 'succeeded', lines.slice(-20).join('\n'));
  assert.equal(restarts.length, 1, JSON.stringify(restarts));
  assert.match(restarts[0]!, /mqtt-fail-once: the output of batch \d+ throws on purpose/);
  assert.ok(fs.readdirSync(dirs.control).some((f) => f.startsWith('failed-')), 'a batch failed on purpose');
  const by = batchesById(dirs.out);
  const missing = sent.ids.filter((id) => !by.has(id));
  const twice = [...by].filter(([, times]) => times.length > 1);
  const unknown = [...by.keys()].filter((id) => id < 0 || id >= N);
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.deepEqual(unknown, [], 'no message that was never published');
  const failedAt = fs.readdirSync(dirs.control).find((f) => f.startsWith('failed-'));
  const pairs = new Map<string, number>();
  for (const [, times] of twice) pairs.set(times.join(' and '), (pairs.get(times.join(' and ')) ?? 0) + 1);
  assert.equal(twice.length, 0, `no message in two batches: ${twice.length} of ${N} twice (the batch that threw: ${failedAt}; twice in batches ${JSON.stringify([...pairs])})`);
  console.log(`# ${N} messages, ${by.size} read, ${twice.length} twice; the batch that threw: ${failedAt}`);
});
