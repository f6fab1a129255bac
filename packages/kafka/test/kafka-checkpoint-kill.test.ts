// kill -9 of the driver while it writes a metadata checkpoint under a direct Kafka stream (the
// stream's whole checkpoint: the offset ranges of its generated batches), on real processes: a
// `sluice driver` and 2 `sluice worker`s on loopback, the test broker in this process,
// fixtures/recover-job.ts recovered with StreamingContext.getOrCreate. The driver is killed in
// a watcher's callback as the temporary file of a new metadata checkpoint appears (named with
// the driver's pid: written, not yet renamed); records are produced while it is down, a driver
// started again on the same port, the job submitted again, more records produced. The
// checkpoint cut short is not read (the one before it is whole), so the recovery re-runs the
// batches after that one with the same ranges: every partition's ranges, over both runs, are
// adjacent from 0 to the partition's end, every record is counted exactly once (count, sum and
// sum of squares computed here), a batch written by both runs read the same ranges both times,
// and the group's commits end at the partitions' ends.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startRecoverJob } from './recover-job-run.js';
import { pollUntil, type SluiceProcess } from './sluice-process.js';
import { assertRecoverJobExact, batchFiles, nothing, numberedRecords, recoverAndCountAll } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

const procs: SluiceProcess[] = [];
let kafka: KafkaTestCluster | undefined;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-checkpoint-kill-'));

after(async () => {
  for (const p of procs.reverse()) await p.stop();
  await kafka?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/**
 * Kills process `pid` with -9 in a watcher's callback as a temporary metadata checkpoint file it
 * writes (`checkpoint-<seq>.<pid>.<hex>.sluice-tmp`) appears in `dir`; resolves with its name.
 */
function killAtMetadataWrite(dir: string, pid: number, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tmp = new RegExp(`^checkpoint-\\d+\\.${pid}\\.[0-9a-f]+\\.sluice-tmp$`);
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`no metadata checkpoint written within ${ms} ms`));
    }, ms);
    const watcher = fs.watch(dir, (_ev, name) => {
      if (!name || !tmp.test(name)) return;
      process.kill(pid, 'SIGKILL');
      clearTimeout(timer);
      watcher.close();
      resolve(name);
    });
  });
}

test('kill -9 of the driver as it writes a metadata checkpoint, a driver started again, the job submitted again: no record lost, none counted twice', { timeout: 150_000 }, async () => {
  kafka = await KafkaTestCluster.start({ brokers: 2 });
  kafka.createTopic('ck', 4);
  const want = nothing();
  const produce = numberedRecords(kafka, 'ck', 4, want);
  await produce(4000);
  const out = path.join(root, 'out');
  const ckpt = path.join(root, 'ckpt');
  const run = await startRecoverJob(kafka, { topic: 'ck', groupId: 'g-ck', ckpt, out }, procs);
  const counted = (): number => batchFiles(out).reduce((n, b) => n + b.count, 0);
  await pollUntil(() => (counted() >= 1200 ? true : undefined), 60_000, 'three batches of the first run');

  const written = await killAtMetadataWrite(path.join(ckpt, 'metadata'), run.driver.child.pid!, 30_000);
  await run.driver.kill9();
  const final = path.join(ckpt, 'metadata', written.slice(0, written.indexOf('.')));
  const cutShort = !fs.existsSync(final);
  const beforeKill = counted();
  assert.ok(beforeKill < 4000, 'the driver died mid-stream');
  await recoverAndCountAll(run, produce, out, want);

  const { all, events } = await assertRecoverJobExact(kafka, 'ck', 'g-ck', out, want, 100);
  assert.equal(new Set(events.map((e) => e.job)).size, 2, 'two runs wrote batches');
  const rerun = [...new Set(events.map((e) => e.time))].filter((t) => events.filter((e) => e.time === t).length > 1);
  console.log(`# driver killed writing ${written} (${cutShort ? 'never renamed' : 'renamed before the kill landed'}); ${beforeKill} records counted before the kill, ${want.count} in all over ${all.length} batches; ${rerun.length} batches written by both runs`);
});
