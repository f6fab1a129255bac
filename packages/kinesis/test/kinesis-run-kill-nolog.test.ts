// kinesis-run-kill's `sluice run` kill with the write-ahead log off, as README's receivers table
// says it goes: "log off, the blocks of unfinished batches are lost (the shard checkpoints are
// past them)". Batches are held in their output until each shard's checkpoint covers every record
// put, then `sluice run` is killed with -9 and run again on its checkpoint
// (fixtures/kinesis-recover-job.ts). Checked against what kinesalite accepted: the records lost are
// exactly some of those no batch had written at the kill, none is counted twice, every record
// put after the kill is counted, and the recovered driver's warning counts exactly the records
// lost (`received blocks of batches restored from the checkpoint are lost`, its lostRecords).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';

let kinesis: Kinesalite;
let tmp: string;
const runs: DriverProcess[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-run-kill-nolog-'));
  kinesis = new Kinesalite();
  await kinesis.start();
});

after(async () => {
  for (const r of runs) await r.kill9();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every id each written batch read (a batch written twice is one file, read once). */
function idsWritten(out: string): number[] {
  return fs
    .readdirSync(out)
    .filter((f) => /^input-\d+\.json$/.test(f))
    .flatMap((f) => (JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as [string, string][]).map(([, p]) => Number(p.split(' ')[1])));
}

function checkpointedRecords(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    try {
      const cp = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { after?: string; next: number };
      if (cp.after !== undefined) n += cp.next;
    } catch {
      // being replaced: read again next poll
    }
  }
  return n;
}

test('Kinesis, log off: `sluice run` killed -9 with batches pending, run again: only records of the unfinished batches lost, the warning counting exactly them, none twice', { timeout: 150_000 }, async () => {
  const stream = 'runkillnolog';
  const app = 'nolog-app';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const dirs = { ckpt: path.join(tmp, 'ckpt'), out: path.join(tmp, 'out'), control: path.join(tmp, 'control') };
  for (const d of [dirs.out, dirs.control]) fs.mkdirSync(d, { recursive: true });
  const args = [JSON.stringify({ endpoint: kinesis.endpoint, stream, app, ...dirs, batchMs: 500, writeAheadLog: false })];
  const sent = emptySent();
  const steady = { batch: 100, onBatch: () => new Promise<void>((r) => setTimeout(r, 40)) };
  const counted = (): number => new Set(idsWritten(dirs.out)).size;

  const first = runDriverProcess(fixture('kinesis-recover-job.ts'), args, 3);
  runs.push(first);
  await pollUntil(() => first.lines.includes('STARTED') || undefined, 60_000, 'the job to start');
  await put(c, stream, 0, 800, 8, sent, steady);
  await pollUntil(() => counted() >= 800 || undefined, 60_000, `the first 800 records counted (${counted()})`);
  fs.writeFileSync(path.join(dirs.control, 'hold'), '');
  await pollUntil(() => fs.readdirSync(dirs.control).some((f) => f.startsWith('held-')) || undefined, 30_000, 'a batch held in its output');
  await put(c, stream, 800, 600, 9, sent, steady);
  await pollUntil(() => checkpointedRecords(path.join(dirs.ckpt, 'kinesis', app, stream)) >= 1400 || undefined, 30_000, 'the shard checkpoints to cover all 1400 records');
  // Two batch intervals more: every stored block allocated to a batch that a metadata checkpoint lists.
  await new Promise((r) => setTimeout(r, 1000));
  await first.kill9();
  const writtenAtKill = new Set(idsWritten(dirs.out));
  fs.rmSync(path.join(dirs.control, 'hold'));
  await put(c, stream, 1400, 400, 10, sent, { batch: 100 });
  const second = runDriverProcess(fixture('kinesis-recover-job.ts'), args, 3);
  runs.push(second);
  await pollUntil(() => (idsWritten(dirs.out).filter((id) => id >= 1400).length >= 400 ? true : undefined), 90_000, 'the records put after the kill counted');
  // The restored batches (run before the new ones) and two more intervals: nothing else will come.
  await new Promise((r) => setTimeout(r, 1000));
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  assert.equal(await second.exited, 0, second.stderr().slice(-4000));

  const ids = idsWritten(dirs.out);
  const distinct = new Set(ids);
  assert.equal(ids.length, distinct.size, `no record in two batches (${ids.length - distinct.size} were)`);
  assert.equal([...distinct].filter((id) => !sent.ids.includes(id)).length, 0, 'no record that was never put');
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.ok(missing.length > 0, 'the log off, records of the batches pending at the kill are lost');
  assert.deepEqual(missing.filter((id) => writtenAtKill.has(id) || id >= 1400), [], 'only records no batch had written at the kill are lost');
  const warnings = second
    .stderr()
    .split('\n')
    .filter((l) => l.includes('received blocks of batches restored from the checkpoint are lost'))
    .map((l) => JSON.parse(l) as { lostRecords: number; batchTimes: number[] });
  assert.equal(warnings.length, 1, `one lost-blocks warning:\n${second.stderr().slice(-3000)}`);
  assert.equal(warnings[0]!.lostRecords, missing.length, `the warning counts the records lost (${missing.length})`);
  c.destroy();
  console.log(`# killed with ${writtenAtKill.size} of 1400 written; ${missing.length} lost (of ${1400 - writtenAtKill.size} unwritten), warned ${warnings[0]!.lostRecords} in ${warnings[0]!.batchTimes.length} batches`);
});
