// What the tests of fixtures/recover-job.ts whose checkpoint directory fills share
// (kafka-disk-full, kafka-metadata-full-kill): the checkpoint directory on a tmpfs mounted on
// `<root>/disk` for the file (mounting needs root: outside CI the test skips without it; under
// CI it fails), the test broker in this process with records produced all along, the driver
// and 2 workers (startRecoverJob) running until four batches with records were written, and
// the newest metadata checkpoint read back. The test fills the tmpfs (holdDiskFull of
// `filler`) and goes on from there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { mountTmpfs, unmountTmpfs } from '@sluice/test-disk';
import { startRecoverJob, type RecoverJobRun } from './recover-job-run.js';
import { pollUntil, type SluiceProcess } from './sluice-process.js';
import { batchFiles, nothing, steadyProducer, type Produced } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

/** A started full-disk test: its broker, what was produced so far (`want`, counted as it is sent), the producer, the paths and the job's run. */
export interface FullDiskRecoverJob {
  readonly kafka: KafkaTestCluster;
  readonly want: Produced;
  readonly producing: { stop(): Promise<void> };
  /** The batch output (on the root's disk, not the tmpfs). */
  readonly out: string;
  /** The checkpoint directory, on the tmpfs. */
  readonly ckpt: string;
  /** The file holdDiskFull fills the tmpfs with. */
  readonly filler: string;
  readonly run: RecoverJobRun;
}

/**
 * Registers the file's after() (the producer and the processes stopped, the broker closed, the
 * tmpfs unmounted, the temp dir `tmpPrefix...` removed) and returns `start`: the tmpfs mounted
 * (undefined, the test skipped, where it cannot be), a broker of `brokers` with `topic` of
 * `partitions`, `perTick` records produced every 100 ms (steadyProducer), recover-job.ts
 * started with `groupId` (and `job`: more of the fixture's arguments), four batches with
 * records awaited.
 */
export function fullDiskRecoverJobFile(tmpPrefix: string): {
  start(t: { skip(why: string): void }, o: { brokers: number; topic: string; partitions: number; groupId: string; perTick?: number; job?: Record<string, unknown> }): Promise<FullDiskRecoverJob | undefined>;
} {
  const procs: SluiceProcess[] = [];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), tmpPrefix));
  const disk = path.join(root, 'disk');
  let mounted = false;
  let kafka: KafkaTestCluster | undefined;
  let producing: { stop(): Promise<void> } | undefined;
  after(async () => {
    await producing?.stop();
    for (const p of procs.reverse()) await p.stop();
    await kafka?.close();
    if (mounted) unmountTmpfs(disk);
    fs.rmSync(root, { recursive: true, force: true });
  });
  return {
    async start(t, o) {
      const cannot = mountTmpfs(disk);
      if (cannot) {
        t.skip(cannot);
        return undefined;
      }
      mounted = true;
      kafka = await KafkaTestCluster.start({ brokers: o.brokers });
      kafka.createTopic(o.topic, o.partitions);
      const want = nothing();
      producing = steadyProducer(kafka, o.topic, o.partitions, want, o.perTick);
      const out = path.join(root, 'out');
      const ckpt = path.join(disk, 'ckpt');
      const run = await startRecoverJob(kafka, { topic: o.topic, groupId: o.groupId, ckpt, out, job: o.job }, procs);
      await pollUntil(() => (batchFiles(out).filter((b) => b.count > 0).length >= 4 ? true : undefined), 60_000, 'four batches with records');
      return { kafka, want, producing, out, ckpt, filler: path.join(disk, 'filler'), run };
    },
  };
}

/** The newest complete metadata checkpoint in `dir` (`checkpoint-<time>`): its name, and the first batch time it does not record (it records every one generated before). */
export function newestMetadata(dir: string): { file: string; nextBatchTime: number } {
  const file = fs.readdirSync(dir).filter((f) => /^checkpoint-\d+$/.test(f)).sort().at(-1)!;
  const text = fs.readFileSync(path.join(dir, file), 'utf8');
  return { file, nextBatchTime: (JSON.parse(text.slice(text.indexOf('\n') + 1)) as { nextBatchTime: number }).nextBatchTime };
}
