// The Kinesis row of docs/fault-matrix.md, on real processes: `sluice run` (the driver, and 3
// worker processes of its own) reading a 2-shard stream on kinesalite with the write-ahead log
// on, recovered with StreamingContext.getOrCreate (fixtures/kinesis-recover-job.ts).
//  1. The worker process reading the shards is killed with -9 mid-stream: the receiver starts
//     again on another worker from the shards' checkpoints.
//  2. Batches are held in their output (control/hold) while records go on arriving, until each
//     shard's checkpoint covers every record put: the records past the last written batch are
//     then only in the write-ahead log (Spark's KinesisReceiver checkpoints a sequence number
//     only once the block holding it is stored, so the shard is not read there again). Then
//     `sluice run` is killed with -9 (its workers exit by themselves), records are put while it
//     is down, and it is run again on the same checkpoint.
// Checked against what kinesalite accepted: every record in exactly one batch (README: log on,
// exactly once), a batch written by both runs written the same, each key's count exact.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { completeJsonLines, fixture, kill9WithWorkers, pollUntil, runDriverProcess, type DriverProcess } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put, type Sent } from './support/producer.js';

let kinesis: Kinesalite;
let tmp: string;
const runs: DriverProcess[] = [];

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-run-kill-'));
  kinesis = new Kinesalite();
  await kinesis.start();
});

after(async () => {
  for (const r of runs) await r.kill9();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Event {
  readonly pid: number;
  readonly time: number;
  readonly n: number;
  readonly hash: string;
}

/** Every batch's [shardId, payload] pairs by batch time, and the output events in order. */
function outputs(out: string): { byTime: Map<number, [string, string][]>; events: Event[] } {
  const byTime = new Map<number, [string, string][]>();
  for (const f of fs.readdirSync(out)) {
    const m = /^input-(\d+)\.json$/.exec(f);
    if (m) byTime.set(Number(m[1]), JSON.parse(fs.readFileSync(path.join(out, f), 'utf8')) as [string, string][]);
  }
  return { byTime, events: completeJsonLines<Event>(path.join(out, 'events.log')) };
}

const idsOf = (byTime: Map<number, [string, string][]>): number[] => [...byTime.values()].flat().map(([, p]) => Number(p.split(' ')[1]));

/** Each shard checkpoint's `next` (records of the shard every one of which is stored), summed. */
function checkpointedRecords(ckpt: string, app: string, stream: string): number {
  const dir = path.join(ckpt, 'kinesis', app, stream);
  if (!fs.existsSync(dir)) return 0;
  let n = 0;
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    try {
      const cp = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { after?: string; next: number };
      if (cp.after !== undefined) n += cp.next;
    } catch {
      // being replaced (the store writes a temporary file and renames it): read again next poll
    }
  }
  return n;
}

function assertExactlyOnce(out: string, sent: Sent): { twice: number; rerun: number } {
  const { byTime, events } = outputs(out);
  const ids = idsOf(byTime);
  const distinct = new Set(ids);
  const missing = sent.ids.filter((id) => !distinct.has(id));
  assert.deepEqual(missing.slice(0, 20), [], `no record lost (${missing.length} of ${sent.ids.length} missing)`);
  assert.equal(ids.length, distinct.size, `no record in two batches (${ids.length - distinct.size} were)`);
  assert.equal(distinct.size, sent.ids.length, 'no record that was never put');
  const counts = new Map<string, number>();
  for (const [, p] of [...byTime.values()].flat()) counts.set(p.split(' ')[0]!, (counts.get(p.split(' ')[0]!) ?? 0) + 1);
  assert.deepEqual([...counts].sort(), [...sent.counts].sort(), "each key's count equals what was put");
  // A batch written by both runs (re-run by the recovery) wrote the same records both times.
  const hashes = new Map<number, Set<string>>();
  for (const e of events) (hashes.get(e.time) ?? hashes.set(e.time, new Set()).get(e.time)!).add(e.hash);
  const differing = [...hashes].filter(([, h]) => h.size > 1).map(([t]) => t);
  assert.deepEqual(differing, [], 'a batch run again wrote what it wrote before');
  return { twice: ids.length - distinct.size, rerun: events.length - hashes.size };
}

test("Kinesis, log on: the reading worker killed -9, then `sluice run` killed -9 with stored records only in the log, run again: every record exactly once", { timeout: 180_000 }, async () => {
  const stream = 'runkill';
  const app = 'runkill-app';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const root = path.join(tmp, 'log-on');
  const dirs = { ckpt: path.join(root, 'ckpt'), out: path.join(root, 'out'), control: path.join(root, 'control') };
  for (const d of [dirs.out, dirs.control]) fs.mkdirSync(d, { recursive: true });
  const args = [JSON.stringify({ endpoint: kinesis.endpoint, stream, app, ...dirs, batchMs: 500, writeAheadLog: true })];
  const sent = emptySent();
  // Batches of 100 with a pause after each: records keep arriving through each fault.
  const steady = { batch: 100, onBatch: () => new Promise<void>((r) => setTimeout(r, 40)) };
  const counted = (): number => new Set(idsOf(outputs(dirs.out).byTime)).size;
  const readers = (): number[] => fs.readdirSync(dirs.control).filter((f) => f.startsWith('reader-')).map((f) => Number(f.slice('reader-'.length)));

  const first = runDriverProcess(fixture('kinesis-recover-job.ts'), args, 3);
  runs.push(first);
  await pollUntil(() => first.lines.includes('STARTED') || undefined, 60_000, 'the job to start');
  // 1. The reading worker killed with -9 once 400 records are counted, with more arriving.
  const putting1 = put(c, stream, 0, 1600, 5, sent, steady);
  await pollUntil(() => (counted() >= 400 && readers().length === 1) || undefined, 60_000, '400 records counted');
  const victim = readers()[0]!;
  process.kill(victim, 'SIGKILL');
  const countedAtWorkerKill = counted();
  await putting1;
  await pollUntil(() => readers().some((p) => p !== victim) || undefined, 60_000, 'the receiver started on another worker');
  await pollUntil(() => counted() >= 1600 || undefined, 60_000, `the first 1600 records counted (${counted()})`);

  // 2. Batches held in their output while 800 more arrive; once the shards' checkpoints cover
  // all 2400, the records of the held and pending batches are stored (in the log) and nowhere
  // written: kill `sluice run` there.
  fs.writeFileSync(path.join(dirs.control, 'hold'), '');
  await pollUntil(() => fs.readdirSync(dirs.control).some((f) => f.startsWith('held-')) || undefined, 30_000, 'a batch held in its output');
  await put(c, stream, 1600, 800, 6, sent, steady);
  await pollUntil(() => checkpointedRecords(dirs.ckpt, app, stream) >= 2400 || undefined, 30_000, 'the shard checkpoints to cover all 2400 records');
  await kill9WithWorkers(first);
  const writtenAtKill = counted();
  const onlyInLog = 2400 - writtenAtKill;
  assert.ok(onlyInLog > 0, `records stored, checkpointed past and written by no batch at the kill (${onlyInLog})`);
  fs.rmSync(path.join(dirs.control, 'hold'));
  // 3. 600 more put while no driver runs, then the same job run again on its checkpoint.
  await put(c, stream, 2400, 600, 7, sent, { batch: 100 });
  const second = runDriverProcess(fixture('kinesis-recover-job.ts'), args, 3);
  runs.push(second);
  await pollUntil(() => counted() >= 3000 || undefined, 90_000, `every record counted after the recovery (${counted()} of 3000)`);
  fs.writeFileSync(path.join(dirs.control, 'stop'), '');
  assert.equal(await second.exited, 0, second.stderr().slice(-4000));
  const { rerun } = assertExactlyOnce(dirs.out, sent);
  c.destroy();
  console.log(`# worker killed at ${countedAtWorkerKill} counted; sluice run killed with ${writtenAtKill} of 2400 written, ${onlyInLog} only in the log; ${rerun} batches written again by the recovery`);
});
