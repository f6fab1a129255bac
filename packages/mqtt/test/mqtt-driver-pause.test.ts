// The MQTT row's driver SIGSTOP cell of docs/fault-matrix.md: `sluice run` (the driver; its 2
// worker processes are its children, left running) under an MQTT stream at QoS 1 with the
// write-ahead log on (fixtures/mqtt-recover-job.ts) frozen with SIGSTOP for 12 s mid-stream
// (past a heartbeat call's 5 s deadline: the workers log `heartbeat failed; retrying`), messages
// still published, then woken. README (Fault tolerance: a driver stopped): workers never give up on
// a driver, the receiver keeps its broker connection and goes on storing into the log while its
// reports wait, and the woken driver generates every batch it missed; a pause delays data and
// loses none. Checked against what was published: every message read exactly once (the receiver
// never reconnected, so the broker sent nothing again), batches cut during the pause.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertPauseBatchesGenerated, driverPauseRuns, freezeDriver } from '@sluice/test-servers/driver-pause';
import { fixture, pollUntil, runDriverProcess } from './job-runner.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
const runs = driverPauseRuns();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mqtt-driver-pause-'));

before(async () => {
  broker = new Mosquitto();
  await broker.start();
});

after(async () => {
  await broker?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function idsRead(out: string): number[] {
  return fs
    .readdirSync(out)
    .filter((f) => /^input-\d+\.json$/.test(f))
    .flatMap((f) => JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as number[]);
}

function batchTimes(out: string): number[] {
  return fs
    .readdirSync(out)
    .map((f) => /^input-(\d+)\.json$/.exec(f))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

test('MQTT QoS 1, log on: `sluice run` frozen (SIGSTOP) 12 s mid-stream, then woken: the missed batches run, every message read once', { timeout: 150_000 }, async (t) => {
  const topic = 'sensors/driverpause';
  const clientId = 'sluice-driver-pause-test';
  await makeSession(broker.url, clientId, topic);
  const dirs = { ckpt: path.join(tmp, 'ckpt'), out: path.join(tmp, 'out'), control: path.join(tmp, 'control') };
  for (const d of [dirs.out, dirs.control]) fs.mkdirSync(d, { recursive: true });
  const batchMs = 500;
  const args = [JSON.stringify({ url: broker.url, topic, clientId, ...dirs, batchMs })];
  const sent = emptySent();
  const steady = async (): Promise<void> => void (await new Promise((r) => setTimeout(r, 30)));
  const counted = (): number => new Set(idsRead(dirs.out)).size;

  const run = runDriverProcess(fixture('mqtt-recover-job.ts'), args, 2);
  runs.push(run);
  await pollUntil(() => run.lines.includes('STARTED') || undefined, 60_000, 'the job to start');
  await publish(broker.url, topic, 0, 1000, 51, sent, {}, steady, 100);
  await pollUntil(() => counted() >= 1000 || undefined, 60_000, `the first 1000 messages read (${counted()})`);
  // Frozen while a steady flow goes on: 2,000 published over the pause.
  const { frozenAt, writtenAtFreeze, contAt } = await freezeDriver(run, counted, (pace) => publish(broker.url, topic, 1000, 2000, 52, sent, {}, pace, 100));
  await publish(broker.url, topic, 3000, 500, 53, sent, {}, steady, 100);
  await pollUntil(() => counted() >= 3500 || undefined, 60_000, `every message read after the wake (${counted()} of 3500)`);
  const caughtUpMs = Date.now() - contAt;
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  assert.equal(await run.exited, 0, run.stderr().slice(-4000));
  const ids = idsRead(dirs.out);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no message lost (${missing.length} missing)`);
  assert.equal(distinct.size, sent.ids.length, 'no message that was never published');
  assert.equal(ids.length, distinct.size, `none twice (${ids.length - distinct.size} twice): the receiver kept its connection, the broker sent nothing again`);
  // The woken driver generated the batches of the pause (as Spark's JobGenerator): batch times every batchMs through it.
  const inPause = assertPauseBatchesGenerated(batchTimes(dirs.out), frozenAt, batchMs, run.stderr());
  t.diagnostic(`frozen ${contAt - frozenAt} ms with ${writtenAtFreeze} written; ${inPause} batches of the pause generated; every message read ${caughtUpMs} ms after the wake; ${ids.length} read, each once`);
});
