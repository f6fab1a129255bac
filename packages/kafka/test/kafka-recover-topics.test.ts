// A program recovered from its checkpoint after its topics were changed: Spark would restore
// the old stream (and its topics) from the checkpoint; Sluice rebuilds the graph from the new
// code, so it reads the new topics, and now the driver says so once, naming the old and new
// topics, the dropped topic's position and where the new one starts. Before, it went by
// without a word. `sluice run` of recover-job.ts twice on one checkpoint directory (the driver
// killed with SIGKILL in between) against the in-process test broker.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { fixture, pollUntil, runDriverProcess } from './job-runner.js';
import { batchFiles, nothing, produce } from './stream-test-support.js';
import { KafkaTestCluster } from './support/kafka-test-cluster.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kafka-recover-topics-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

test('changed topics and brokers on recovery: the new topic is read from its start, the old one no more, and one warning names both and the brokers', { timeout: 180_000 }, async () => {
  // Two brokers of one cluster: the first run bootstraps from one, the second from the other.
  const kafka = await KafkaTestCluster.start({ brokers: 2 });
  const [b0, b1] = kafka.bootstrap;
  const ckpt = path.join(root, 'ckpt');
  const args = (topics: string[], out: string, brokers: string[]) => [JSON.stringify({ brokers, topics, groupId: 'g-topics', ckpt, out, batchMs: 500, maxRatePerPartition: 1000 })];
  const warned = (stderr: string): { msg: string }[] =>
    stderr
      .split('\n')
      .filter((l) => l.includes('"component":"kafka-direct-stream"') && l.includes('recovering from a checkpoint'))
      .map((l) => JSON.parse(l) as { msg: string });
  const sum = (out: string, topic: string) => batchFiles(out).flatMap((b) => b.ranges.filter((r) => r.topic === topic)).reduce((n, r) => n + r.untilOffset - r.fromOffset, 0);
  try {
    kafka.createTopic('old', 1);
    kafka.createTopic('new', 1);
    await produce(kafka, ['old'], 1, 50, 7, nothing());
    const out1 = path.join(root, 'out1');
    const first = runDriverProcess(fixture('recover-job.ts'), args(['old'], out1, [b0!]), 1);
    try {
      await pollUntil(() => sum(out1, 'old') >= 50 || undefined, 90_000, "the first run's 50 records of 'old'");
      assert.equal(warned(first.stderr()).length, 0, 'no warning on a fresh start');
    } finally {
      await first.kill9();
    }

    await produce(kafka, ['new'], 1, 30, 8, nothing());
    await produce(kafka, ['old'], 1, 20, 9, nothing());
    const out2 = path.join(root, 'out2');
    const second = runDriverProcess(fixture('recover-job.ts'), args(['new'], out2, [b1!]), 1);
    try {
      await pollUntil(() => sum(out2, 'new') >= 30 || undefined, 90_000, "the second run's 30 records of 'new'");
      const ranges = batchFiles(out2).flatMap((b) => b.ranges);
      assert.equal(sum(out2, 'new'), 30, 'new is read from its start (no committed offset): its 30 records once');
      // Batches the checkpoint had pending may re-run their recorded ranges of 'old'; nothing past them.
      assert.ok(ranges.filter((r) => r.topic === 'old').every((r) => r.untilOffset <= 50), `'old' is read no more: ${JSON.stringify(ranges)}`);
      const w = warned(second.stderr());
      assert.equal(w.length, 1, second.stderr());
      assert.ok(w[0]!.msg.startsWith(`KafkaUtils.createDirectStream (stream 0): recovering from a checkpoint written while the program read topics old on ${b0}; it now reads topics new on ${b1}, and recovery goes on with these: `), w[0]!.msg);
      assert.ok(w[0]!.msg.includes(`the brokers are ${b1} where they were ${b0}: the checkpoint's offsets are taken as offsets of the same topics there`), w[0]!.msg);
      assert.match(w[0]!.msg, /topic old is no longer read \(read up to old\/0@50\)/);
      assert.match(w[0]!.msg, /topic new is read from the group's committed offsets, else from the earliest/);
      assert.match(w[0]!.msg, /give the program its old topics and brokers back/);
    } finally {
      await second.kill9();
    }
  } finally {
    await kafka.close();
  }
});
