// CheckpointSuite "recovery with saveAsHadoopFile inside transform operation" (SPARK-4835) with
// the save to s3:// (streaming-spark-suites21 runs it on local files): a real driver and 2 worker
// processes, s3rver on loopback, fixture s3-save-in-output.ts submitted twice. The first run does
// batches 1-3 and is stopped while batch 4's second output runs, its first output's
// rdd.saveAsTextFile('s3://.../result-<time>') committed; the second, a new driver program,
// recovers with StreamingContext.getOrCreate and runs batch 4 again (as Spark re-runs its
// checkpoint's batch), whose save meets the directory its first run wrote, then 5 and 6.
// Inputs and expected outputs are CheckpointSuite's (its map and reduceByKey lists); a pair is
// saved as `String(pair)`, `a,2` (TextOutputFormat writes `a\t2`). The bucket is read through the
// S3 API.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { doneWithin, fixture, startCluster, submit, type Cluster } from './sluice-cluster.js';

const BUCKET = 'sluice-save-in-output';
const URL_ROOT = `s3://${BUCKET}/saveInOutput`;
const B = 500;
type Pair = [string, number];
// CheckpointSuite's expected outputs of its map and reduceByKey input, batch by batch.
const EXPECTED: Pair[][] = [[['a', 2], ['b', 1]], [['', 2]], [], [['a', 2], ['b', 1]], [['', 2]], []];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-save-in-output-'));
const ckpt = path.join(root, 'checkpoint');
const block = path.join(root, 'block');
const started = path.join(root, 'started-4');

let s3: S3rverProcess | undefined;
let cluster: Cluster | undefined;
let first: string[] = [];
let restarted: string[] = [];
/** The objects under saveInOutput/ when the first run ended. */
let keysBeforeRestart: string[] = [];
/** Batch 4's directory's name. */
let batch4 = '';

async function runPhase(phase: string): Promise<string[]> {
  const job = submit(cluster!, fixture('s3-save-in-output.ts'), [phase, s3!.endpoint, URL_ROOT, ckpt, block, started]);
  const r = await doneWithin(job, 90_000, `the ${phase} run did not finish within 90 s`);
  assert.equal(r.code, 0, `the ${phase} run failed:\n${r.stderr}\n${r.stdout.join('\n')}`);
  assert.deepEqual(r.stdout.filter((l) => l.startsWith('E ')), [], `the ${phase} run's case failed`);
  return r.stdout;
}

before(async () => {
  s3 = await startS3rver([BUCKET]);
  cluster = await startCluster(2, s3.env);
  fs.writeFileSync(block, '');
  try {
    first = await runPhase('first');
  } finally {
    fs.rmSync(block, { force: true });
  }
  keysBeforeRestart = (await s3.list(BUCKET, 'saveInOutput/')).map((o) => o.key);
  // What a wider earlier write of batch 4 would have left beside its parts.
  batch4 = `result-${zeroTime() + 4 * B}`;
  await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `saveInOutput/${batch4}/part-00009`, Body: 'left by a wider earlier write\n' }));
  restarted = await runPhase('restart');
});

after(async () => {
  await cluster?.stop();
  await s3?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

const tagged = (out: string[], tag: string): string[] => out.filter((l) => l.startsWith(`${tag} `)).map((l) => l.slice(tag.length + 1));
const outputs = (out: string[]): [number, string[]][] => tagged(out, 'D').map((l) => JSON.parse(l) as [number, Pair[]]).map(([i, b]) => [i, b.map((p) => JSON.stringify(p)).sort()]);
const expected = (from: number, to: number): [number, string[]][] => EXPECTED.slice(from, to).map((b, k) => [from + k + 1, b.map((p) => JSON.stringify(p)).sort()]);
const asText = (b: Pair[]): string[] => b.map((p) => String(p)).sort();
function zeroTime(): number {
  const z = tagged(first, 'Z');
  assert.equal(z.length, 1, first.join('\n'));
  return Number(z[0]);
}

async function getObject(key: string): Promise<string> {
  const res = await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray()).toString('utf8');
}

test('CheckpointSuite "recovery with saveAsHadoopFile inside transform operation" (SPARK-4835) to s3://: a batch run again after the restart saves over the s3:// directory its first run committed, and goes on', async () => {
  assert.deepEqual(tagged(first, 'S'), [JSON.stringify({ stopped: true })], 'the first run stopped while batch 4 ran');
  assert.deepEqual(outputs(first), expected(0, 3), 'batches 1-3 completed, batch 4 did not');
  const z = zeroTime();
  const names = EXPECTED.map((_, i) => `result-${z + (i + 1) * B}`);
  const committedBefore = keysBeforeRestart.filter((k) => k.endsWith('/_SUCCESS')).map((k) => k.split('/')[1]);
  assert.deepEqual(committedBefore.sort(), names.slice(0, 4).sort(), "batch 4's first output had committed its directory before the stop");
  assert.deepEqual(outputs(restarted), expected(3, 6), "batch 4 run again (Spark's re-run of its checkpoint's batch), then 5 and 6");
  const objects = (await s3!.list(BUCKET, 'saveInOutput/')).map((o) => o.key);
  assert.deepEqual([...new Set(objects.map((k) => k.split('/')[1]))].sort(), [...names].sort(), 'one directory a batch, nothing else');
  for (const [i, n] of names.entries()) {
    const keys = objects.filter((k) => k.startsWith(`saveInOutput/${n}/`)).map((k) => k.slice(`saveInOutput/${n}/`.length));
    assert.ok(keys.includes('_SUCCESS'), `${n}: ${keys.join(' ')}`);
    // Sluice replaces the directory whole (Spark writes into it): batch 4's part-00009 is gone; nothing under _temporary/.
    assert.ok(keys.every((k) => k === '_SUCCESS' || /^part-0000[01]$/.test(k)), `${n} holds ${keys.join(' ')}`);
    const lines: string[] = [];
    for (const k of keys.filter((x) => x.startsWith('part-'))) lines.push(...(await getObject(`saveInOutput/${n}/${k}`)).split('\n').filter((l) => l !== ''));
    assert.deepEqual(lines.sort(), asText(EXPECTED[i]), `${n}'s lines`);
  }
  assert.equal(batch4, names[3]);
});

test("the program's own rdd.saveAsTextFile over an existing s3:// directory (outside a batch's output operation) is still refused, as Spark's output-spec check refuses it", () => {
  const own = tagged(first, 'OWN');
  assert.equal(own.length, 1, first.join('\n'));
  assert.match(own[0], new RegExp(`^SLUICE_IO @sluice/s3 saveAsTextFile: output directory ${URL_ROOT}/result-${zeroTime() + B} already exists .*remove it or choose another path`));
});
