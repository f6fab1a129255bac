// A program recovered from its checkpoint after its topics were changed (Spark would restore
// the old receiver, and read the old topics; Sluice rebuilds the graph from the new code): it
// reads the new topics, and the driver says so once, naming the broker and both topic lists.
// Before, the stream's fingerprint held the receiver's class alone, and the change went by
// without a word. Real processes: mosquitto, `sluice run` twice on one checkpoint directory.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fixture, jsonLines, pollUntil, runDriverProcess } from './job-runner.js';
import { Mosquitto } from './support/mosquitto.js';
import { emptySent, makeSession, publish } from './support/publisher.js';

let broker: Mosquitto;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-mqtt-recover-'));

before(async () => {
  broker = new Mosquitto();
  await broker.start();
});

after(async () => {
  await broker?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Batch {
  readonly byTopic: Record<string, number[]>;
}

async function run(topics: string[], clientId: string, publishing: (url: string) => Promise<void>, expectIds: number): Promise<{ batches: Batch[]; stderr: string }> {
  const job = runDriverProcess(fixture('mqtt-topics-recover-job.ts'), [JSON.stringify({ url: broker.url, topics, clientId, checkpointDir: path.join(dir, 'ckpt'), batchMs: 500, expectIds })], 1);
  try {
    await pollUntil(() => job.lines.some((l) => l.startsWith('RECEIVER started ')) || undefined, 60_000, `the receiver of ${topics.join(', ')} started\n${job.stderr()}`);
    await publishing(broker.url);
    const code = await Promise.race([job.exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 60_000).unref())]);
    assert.equal(code, 0, `the job ends by itself once it counted ${expectIds} ids\n${job.lines.join('\n')}\n${job.stderr()}`);
    return { batches: jsonLines<Batch>(job.lines, 'BATCH '), stderr: job.stderr() };
  } finally {
    await job.kill9();
  }
}

test('changed MQTT topics on recovery: the new topics are read, and a warning names the old and the new', { timeout: 180_000 }, async () => {
  await makeSession(broker.url, 'sluice-recover-a', 'plant/a');
  const first = await run(['plant/a'], 'sluice-recover-a', (url) => publish(url, 'plant/a', 0, 5, 1, emptySent()), 5);
  assert.deepEqual(first.batches.flatMap((b) => b.byTopic['plant/a'] ?? []).sort((x, y) => x - y), [0, 1, 2, 3, 4]);
  assert.doesNotMatch(first.stderr, /now reads/, 'no warning on a fresh start');

  // The same checkpoint, topics changed: messages to both topics; the program reads plant/b alone.
  await makeSession(broker.url, 'sluice-recover-b', 'plant/b');
  const second = await run(
    ['plant/b'],
    'sluice-recover-b',
    async (url) => {
      await publish(url, 'plant/a', 100, 5, 2, emptySent());
      await publish(url, 'plant/b', 200, 5, 3, emptySent());
    },
    5,
  );
  const read = second.batches.flatMap((b) => Object.entries(b.byTopic));
  assert.deepEqual(read.map(([t]) => t).filter((t, i, a) => a.indexOf(t) === i), ['plant/b'], `only plant/b is read: ${JSON.stringify(read)}`);
  assert.deepEqual(read.flatMap(([, ids]) => ids).sort((x, y) => x - y), [200, 201, 202, 203, 204]);
  const warning = `now reads MQTTUtils.createPairedStream(${broker.url}, [plant/b]), where the program that wrote the checkpoint read MQTTUtils.createPairedStream(${broker.url}, [plant/a])`;
  assert.ok(second.stderr.includes(warning), `the recovery warns, naming both:\n${second.stderr}`);
  assert.equal(second.stderr.split('now reads MQTTUtils').length - 1, 1, 'said once');
  assert.match(second.stderr, /Recovery goes on with the new source/);
  assert.match(second.stderr, /give the program its old arguments back/);
});
