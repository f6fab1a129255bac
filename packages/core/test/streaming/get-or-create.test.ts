// StreamingContext.getOrCreate / getActiveOrCreate and the graph fingerprint, in process
// (no cluster: nothing here runs a batch). The real recovery, with processes killed, is
// in packages/cli/test/recovery*.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import '../../src/dstream/window-dstreams.js';
import '../../src/dstream/state-dstreams.js';
import { fingerprintDifferences } from '../../src/checkpoint/graph-fingerprint.js';
import { openCheckpointStore } from '../../src/checkpoint/checkpoint-store-registry.js';
import { MetadataStore } from '../../src/checkpoint/metadata-store.js';
import type { StreamingMetadata } from '../../src/checkpoint/streaming-metadata.js';
import { SluiceContext } from '../../src/context.js';
import { SluiceError } from '../../src/errors.js';
import { StreamingContext } from '../../src/streaming/streaming-context.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-get-or-create-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function context(): SluiceContext {
  return new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
}

/** The job's graph: a file stream, a running count, a window of `windowMs` with an inverse. */
function build(sc: SluiceContext, dir: string, windowMs: number, inc = 1): StreamingContext {
  const ssc = new StreamingContext(sc, 1000, { clock: 'manual' });
  ssc.checkpoint(dir);
  const pairs = ssc.textFileStream(path.join(root, 'in')).map((l) => [l, inc] as [string, number]);
  pairs.updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length).print();
  pairs.reduceByKeyAndWindow((a, b) => a + b, windowMs, 1000, { invFunc: (a, b) => a - b }).foreachRDD(() => undefined);
  return ssc;
}

/** A metadata checkpoint as a driver program would have written it for `ssc`'s graph. */
async function checkpointOf(ssc: StreamingContext, dir: string): Promise<void> {
  ssc.validate();
  const md: StreamingMetadata = {
    version: 2,
    reason: 'completed',
    batchTime: 5000,
    fingerprint: ssc.fingerprint(),
    zeroTime: 0,
    batchIntervalMs: 1000,
    pendingRuns: [],
    nextBatchTime: 6000,
    inputs: {},
    stateCheckpoints: {},
  };
  await new MetadataStore(openCheckpointStore(dir)).write(md);
}

test('an empty checkpoint directory: create runs and its context is returned, with the checkpoint directory set', async () => {
  const sc = context();
  const dir = path.join(root, 'empty');
  let made = 0;
  const ssc = await StreamingContext.getOrCreate(sc, dir, () => {
    made++;
    const s = new StreamingContext(sc, 1000, { clock: 'manual' });
    s.queueStream([]).print();
    return s;
  });
  assert.equal(made, 1);
  assert.equal(sc.checkpointDirectory, dir, 'getOrCreate sets the directory create did not set');
});

test('the same code against its checkpoint: no difference; a changed function body is not a difference', async () => {
  const dir = path.join(root, 'same');
  await checkpointOf(build(context(), dir, 3000), dir);
  const sc = context();
  const ssc = await StreamingContext.getOrCreate(sc, dir, () => build(sc, dir, 3000, 2));
  assert.equal(ssc.streamingState, 'initialized');
});

test('a changed window length is refused before start, naming the stream, both values and how to start afresh', async () => {
  const dir = path.join(root, 'changed');
  const was = build(context(), dir, 3000);
  await checkpointOf(was, dir);
  const sc = context();
  await assert.rejects(
    StreamingContext.getOrCreate(sc, dir, () => build(sc, dir, 4000)),
    (err: SluiceError) => {
      assert.equal(err.code, 'SLUICE_CHECKPOINT');
      assert.match(err.message, /stream \d+: checkpoint has ReducedWindowedDStream\(windowMs 3000, slideMs 1000.*code has ReducedWindowedDStream\(windowMs 4000, slideMs 1000/);
      assert.match(err.message, /move or delete '.*changed'/);
      return true;
    },
  );
  const now = build(context(), dir, 3000);
  now.validate();
  was.validate();
  assert.deepEqual(fingerprintDifferences(was.fingerprint(), now.fingerprint()), []);
  const other = new StreamingContext(context(), 2000, { clock: 'manual' });
  other.queueStream([]).print();
  other.validate();
  const diffs = fingerprintDifferences(was.fingerprint(), other.fingerprint());
  assert.match(diffs[0], /batch interval: checkpoint 1000 ms, code 2000 ms/);
  assert.ok(diffs.some((d) => /output 1: checkpoint has foreachRDD\(of stream \d+\), not in the code/.test(d)), diffs.join('\n'));
});

test('create must return a StreamingContext and use the directory given to getOrCreate', async () => {
  const sc = context();
  await assert.rejects(StreamingContext.getOrCreate(sc, path.join(root, 'x'), () => undefined as unknown as StreamingContext), /create\(\) must return a StreamingContext/);
  await assert.rejects(
    StreamingContext.getOrCreate(sc, path.join(root, 'y'), () => build(sc, path.join(root, 'z'), 3000)),
    /create\(\) set the checkpoint directory '.*z' but getOrCreate was given '.*y'/,
  );
});

test('getActiveOrCreate returns the running context without calling create; after stop it creates again', async () => {
  const sc = context();
  const dir = path.join(root, 'active');
  const ssc = await StreamingContext.getActiveOrCreate(sc, dir, () => build(sc, dir, 3000));
  ssc.start();
  assert.equal(StreamingContext.getActive(), ssc);
  const again = await StreamingContext.getActiveOrCreate(sc, dir, () => assert.fail('create must not run while a context is active'));
  assert.equal(again, ssc);
  await ssc.stop();
  assert.equal(StreamingContext.getActive(), undefined);
  let made = 0;
  await StreamingContext.getActiveOrCreate(context(), path.join(root, 'active2'), () => {
    made++;
    return build(context(), path.join(root, 'active2'), 3000);
  });
  assert.equal(made, 1);
});
