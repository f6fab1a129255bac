// Which state checkpoints the metadata checkpointer deletes, in process (no cluster; the
// worker-kill case that found the bug is packages/cli/test/dstream-fuzz-faults.test.ts): one a
// stream still remembers (a window over the stateful stream holds its RDD) is kept after a
// batch completes, as Spark's DStreamCheckpointData.cleanup keeps the files of RDDs still in
// generatedRDDs, and the metadata file lists it beside the latest (a restarted driver reads it back).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openCheckpointStore } from '../../src/checkpoint/checkpoint-store-registry.js';
import { MetadataStore } from '../../src/checkpoint/metadata-store.js';
import { SluiceContext } from '../../src/context.js';
import type { DStream } from '../../src/dstream/dstream.js';
import { MetadataCheckpointer } from '../../src/streaming/metadata-checkpointer.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-state-prune-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** The metadata checkpointer of a graph of one stream (`id`, checkpointed every 500 ms, its RDDs `generated`), batches of 100 ms, no cluster. */
function checkpointerOf(dir: string, id: number, generated: Map<number, unknown>): MetadataCheckpointer {
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const stream = { id, checkpointInterval: 500, generated } as unknown as DStream<unknown>;
  const graph = { sc, batchIntervalMs: 100, zeroTime: 0, streams: [stream], inputs: [], outputs: [], fingerprint: () => ({ batchIntervalMs: 100, streams: [], outputs: [] }) as never };
  return new MetadataCheckpointer(graph, openCheckpointStore(dir), (err) => assert.fail(err));
}

test('a state checkpoint a stream still remembers is kept when a batch completes, and listed in the metadata; one forgotten is deleted', async () => {
  const dir = path.join(root, 'ckpt');
  // A stateful stream (id 2) checkpointed every 500 ms, remembering its RDDs at 500 and 1000.
  const rdd = (t: number): unknown => ({ checkpointDir: dir, checkpointName: `state/stream-2-${t}`, numPartitions: 1, partitioner: undefined });
  const generated = new Map<number, unknown>([
    [500, rdd(500)],
    [1000, rdd(1000)],
  ]);
  const checkpointer = checkpointerOf(dir, 2, generated);
  await checkpointer.init();
  // Their parts on disk, and one of an RDD at 200 no stream remembers any more.
  for (const t of [200, 500, 1000]) {
    fs.mkdirSync(path.join(dir, 'state', `stream-2-${t}`), { recursive: true });
    fs.writeFileSync(path.join(dir, 'state', `stream-2-${t}`, 'part-0'), 'x');
  }
  const left = (): string[] => fs.readdirSync(path.join(dir, 'state')).sort();
  checkpointer.batchCompleted(1000, 1100);
  await checkpointer.flush();
  assert.deepEqual(left(), ['stream-2-1000', 'stream-2-500'], 'the latest (the metadata refers to it) and the one still remembered kept, the forgotten one deleted');
  const [md] = await new MetadataStore(openCheckpointStore(dir)).readAll();
  assert.equal(md.stateCheckpoints['2']?.dir, 'state/stream-2-1000');
  assert.deepEqual(md.rememberedStateCheckpoints?.['2']?.map((r) => r.dir), ['state/stream-2-500']);
  // Forgotten (the window moved on): deleted once no kept metadata file lists it (the files
  // kept, a few, are those a recovery may fall back to).
  generated.delete(500);
  for (let t = 1100; t <= 1600; t += 100) {
    checkpointer.batchCompleted(t, t + 100);
    await checkpointer.flush();
  }
  assert.deepEqual(left(), ['stream-2-1000']);
});

test('a checkpoint being written for a completed batch (its RDD computed by a later batch) is kept until recorded; one an earlier run left unrecorded is deleted before the first batch', async () => {
  const dir = path.join(root, 'ckpt-in-flight');
  const part = (t: number): void => {
    fs.mkdirSync(path.join(dir, 'state', `stream-3-${t}`), { recursive: true });
    fs.writeFileSync(path.join(dir, 'state', `stream-3-${t}`, 'part-0'), 'x');
  };
  const left = (): string[] => fs.readdirSync(path.join(dir, 'state')).sort();
  // An earlier run's checkpoint no metadata file recorded (killed while writing it): deleted by init.
  part(9000);
  // Stream 3 checkpointed every 500 ms, computed only when a window of slide 1000 over it asks: its RDD at 500 is
  // written, the one at 1000 marked and being written by the job of the batch after 1000.
  const rdd = (t: number, written: boolean): { checkpointDir: string | undefined; checkpointName: string; numPartitions: number; partitioner: undefined } => ({
    checkpointDir: written ? dir : undefined,
    checkpointName: `state/stream-3-${t}`,
    numPartitions: 1,
    partitioner: undefined,
  });
  const at1000 = rdd(1000, false);
  const generated = new Map<number, unknown>([
    [500, rdd(500, true)],
    [1000, at1000],
  ]);
  const checkpointer = checkpointerOf(dir, 3, generated);
  await checkpointer.init();
  assert.deepEqual(left(), [], "the earlier run's unrecorded checkpoint deleted before the first batch");
  part(500);
  checkpointer.batchCompleted(500, 600);
  await checkpointer.flush();
  // The batch of 1000 completes while the next batch's job writes the RDD at 1000: its parts are there, not yet recorded.
  part(1000);
  checkpointer.batchCompleted(1000, 1100);
  await checkpointer.flush();
  assert.deepEqual(left(), ['stream-3-1000', 'stream-3-500'], 'the checkpoint being written kept, the recorded latest kept');
  // Written: recorded as the latest by the next metadata file, and there.
  at1000.checkpointDir = dir;
  checkpointer.batchCompleted(1100, 1200);
  await checkpointer.flush();
  const [md] = await new MetadataStore(openCheckpointStore(dir)).readAll();
  assert.equal(md.stateCheckpoints['3']?.dir, 'state/stream-3-1000');
  assert.ok(fs.existsSync(path.join(dir, 'state', 'stream-3-1000', 'part-0')), 'the recorded checkpoint has its part');
});
