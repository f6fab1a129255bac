// The Kinesis row's driver SIGSTOP cell of docs/fault-matrix.md: `sluice run` (the driver; its 2
// worker processes are its children, left running) under a 2-shard Kinesis stream on kinesalite
// with the write-ahead log on (fixtures/kinesis-recover-job.ts) frozen with SIGSTOP for 12 s
// mid-stream (past a heartbeat call's 5 s deadline: the workers log `heartbeat failed;
// retrying`), records still put, then woken. README (a driver stopped): workers never give up on
// a driver, the receiver goes on storing into the log while its reports wait, and the woken
// driver generates every batch it missed; a pause delays data and loses none. Checked against
// what kinesalite accepted: every record in exactly one batch, no batch written twice.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertPauseBatchesGenerated, driverPauseRuns, freezeDriver } from '@sluice/test-servers/driver-pause';
import { fixture, pollUntil, runDriverProcess } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';

let kinesis: Kinesalite;
const runs = driverPauseRuns();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-driver-pause-'));

before(async () => {
  kinesis = new Kinesalite();
  await kinesis.start();
});

after(async () => {
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every batch's ids by batch time, and how many output events (a batch written twice shows as two of its time). */
function outputs(out: string): { byTime: Map<number, number[]>; events: number } {
  const byTime = new Map<number, number[]>();
  for (const f of fs.readdirSync(out)) {
    const m = /^input-(\d+)\.json$/.exec(f);
    if (m) byTime.set(Number(m[1]), (JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as [string, string][]).map(([, p]) => Number(p.split(' ')[1])));
  }
  const log = path.join(out, 'events.log');
  const text = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
  return { byTime, events: text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).length };
}

test('Kinesis, log on: `sluice run` frozen (SIGSTOP) 12 s mid-stream, then woken: the missed batches run, every record once', { timeout: 150_000 }, async (t) => {
  const stream = 'driverpause';
  const app = 'driverpause-app';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const dirs = { ckpt: path.join(tmp, 'ckpt'), out: path.join(tmp, 'out'), control: path.join(tmp, 'control') };
  for (const d of [dirs.out, dirs.control]) fs.mkdirSync(d, { recursive: true });
  const batchMs = 500;
  const args = [JSON.stringify({ endpoint: kinesis.endpoint, stream, app, ...dirs, batchMs, writeAheadLog: true })];
  const sent = emptySent();
  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const counted = (): number => new Set([...outputs(dirs.out).byTime.values()].flat()).size;

  const run = runDriverProcess(fixture('kinesis-recover-job.ts'), args, 2);
  runs.push(run);
  try {
    await pollUntil(() => run.lines.includes('STARTED') || undefined, 60_000, 'the job to start');
    await put(c, stream, 0, 1000, 61, sent, { batch: 100, onBatch: () => sleep(30) });
    await pollUntil(() => counted() >= 1000 || undefined, 60_000, `the first 1000 records read (${counted()})`);
    // 2,000 put over the pause.
    const { frozenAt, writtenAtFreeze, contAt } = await freezeDriver(run, counted, (pace) => put(c, stream, 1000, 2000, 62, sent, { batch: 100, onBatch: pace }));
    await put(c, stream, 3000, 500, 63, sent, { batch: 100, onBatch: () => sleep(30) });
    await pollUntil(() => counted() >= 3500 || undefined, 60_000, `every record read after the wake (${counted()} of 3500)`);
    const caughtUpMs = Date.now() - contAt;
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    assert.equal(await run.exited, 0, run.stderr().slice(-4000));
    const { byTime, events } = outputs(dirs.out);
    const ids = [...byTime.values()].flat();
    const distinct = new Set(ids);
    const missing = sent.ids.filter((id) => !distinct.has(id));
    assert.equal(sent.ids.length, 3500);
    assert.deepEqual(missing.slice(0, 20), [], `no record lost (${missing.length} missing)`);
    assert.equal(distinct.size, sent.ids.length, 'no record that was never put');
    assert.equal(ids.length, distinct.size, `each record in exactly one batch (${ids.length - distinct.size} twice)`);
    assert.equal(events, byTime.size, 'no batch written twice');
    const inPause = assertPauseBatchesGenerated([...byTime.keys()], frozenAt, batchMs, run.stderr());
    t.diagnostic(`frozen ${contAt - frozenAt} ms with ${writtenAtFreeze} written; ${inPause} batches of the pause generated; every record read ${caughtUpMs} ms after the wake; ${ids.length} read, each once`);
  } finally {
    c.destroy();
  }
});
