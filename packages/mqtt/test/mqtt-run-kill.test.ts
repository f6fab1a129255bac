// The MQTT row's driver SIGKILL cell of docs/fault-matrix.md: `sluice run` (the driver, and 3
// worker processes of its own) under an MQTT stream at QoS 1 (a persistent session on mosquitto)
// with the write-ahead log on, recovered with StreamingContext.getOrCreate
// (fixtures/mqtt-recover-job.ts). Batches are held in their output while 1,000 more messages come,
// until batches submitted hold every message published (stored: logged, then acknowledged, so
// the broker will not send them again and they are only in the log); then the run is killed with
// -9 (its workers exit by themselves), 500 more are published while it is down (mosquitto keeps
// them for the session), and it is run again on its checkpoint. Checked against what was
// published: every message read (at least once, as README says; the doubles counted), none that
// was never published.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { completeJsonLines, fixture, kill9WithWorkers, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
const runs: DriverProcess[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mqtt-run-kill-'));

before(async () => {
  broker = new Mosquitto();
  await broker.start();
});

after(async () => {
  for (const r of runs) await r.kill9();
  await broker?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function idsRead(out: string): number[] {
  return fs
    .readdirSync(out)
    .filter((f) => /^input-\d+\.json$/.test(f))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as number[]);
}

/** Records of the batches submitted so far (out/submitted.log), by batch time (a batch submitted again by a recovery counts once). */
function submittedRecords(out: string): number {
  const byTime = new Map<number, number>();
  for (const e of completeJsonLines<{ time: number; numRecords: number }>(path.join(out, 'submitted.log'))) byTime.set(e.time, e.numRecords);
  return [...byTime.values()].reduce((a, b) => a + b, 0);
}

test('MQTT QoS 1, log on: `sluice run` killed -9 with acknowledged messages only in the log, run again: every message read', { timeout: 150_000 }, async () => {
  const topic = 'sensors/runkill';
  const clientId = 'sluice-run-kill-test';
  await makeSession(broker.url, clientId, topic);
  const dirs = { ckpt: path.join(tmp, 'ckpt'), out: path.join(tmp, 'out'), control: path.join(tmp, 'control') };
  for (const d of [dirs.out, dirs.control]) fs.mkdirSync(d, { recursive: true });
  const args = [JSON.stringify({ url: broker.url, topic, clientId, ...dirs, batchMs: 500 })];
  const sent = emptySent();
  const steady = async (): Promise<void> => void (await new Promise((r) => setTimeout(r, 10)));
  const counted = (): number => new Set(idsRead(dirs.out)).size;

  const first = runDriverProcess(fixture('mqtt-recover-job.ts'), args, 3);
  runs.push(first);
  await pollUntil(() => first.lines.includes('STARTED') || undefined, 60_000, 'the job to start');
  await publish(broker.url, topic, 0, 1500, 31, sent, {}, steady, 100);
  await pollUntil(() => counted() >= 1500 || undefined, 60_000, `the first 1500 messages read (${counted()})`);
  fs.writeFileSync(path.join(dirs.control, 'hold'), '');
  await pollUntil(() => fs.readdirSync(dirs.control).some((f) => f.startsWith('held-')) || undefined, 30_000, 'a batch held in its output');
  await publish(broker.url, topic, 1500, 1000, 32, sent, {}, steady, 100);
  await pollUntil(() => submittedRecords(dirs.out) >= 2500 || undefined, 30_000, `batches submitted with all 2500 messages (${submittedRecords(dirs.out)})`);
  // Their acknowledgements follow the stores that resolved before the batches took their blocks.
  await new Promise((r) => setTimeout(r, 500));
  await kill9WithWorkers(first);
  const writtenAtKill = counted();
  assert.ok(2500 - writtenAtKill > 0, `messages stored and written by no batch at the kill (${2500 - writtenAtKill})`);
  fs.rmSync(path.join(dirs.control, 'hold'));
  await publish(broker.url, topic, 2500, 500, 33, sent, {}, undefined, 100);
  const second = runDriverProcess(fixture('mqtt-recover-job.ts'), args, 3);
  runs.push(second);
  await pollUntil(() => counted() >= 3000 || undefined, 90_000, `every message read after the recovery (${counted()} of 3000)`);
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  assert.equal(await second.exited, 0, second.stderr().slice(-4000));
  const ids = idsRead(dirs.out);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(distinct.size, sent.ids.length, 'no message that was never published');
  console.log(`# killed with ${writtenAtKill} of 2500 written (${2500 - writtenAtKill} only in the log); ${ids.length} read, ${ids.length - distinct.size} twice (at least once)`);
});
