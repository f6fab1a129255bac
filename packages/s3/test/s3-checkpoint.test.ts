// Checkpoints in S3: a job that imports @sluice/s3 and checkpoints to s3://bucket/prefix
// runs on a real driver and worker processes (each with the AWS_* variables of an
// s3rver on loopback); its RDD and state checkpoints are written by the workers' task
// threads, read back by later batches, and are found in the bucket through the S3 API,
// holding exactly the state the test computes from the input. A location that cannot be
// used (a missing bucket, a closed endpoint, an unknown access key, no import) fails the
// job with an error naming the bucket and endpoint (or the package to install).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { decodeCheckpointPart } from '@sluice/core/internal';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { doneWithin, fixture, freePort, startCluster, submit, type Cluster } from './sluice-cluster.js';
import { expectedStates } from './stateful-expected.js';

const BUCKET = 'sluice-ckpt';
const BATCHES = 8;
const SEED = 4242;

let s3: S3rverProcess | undefined;
let cluster: Cluster | undefined;

before(async () => {
  s3 = await startS3rver([BUCKET]);
  cluster = await startCluster(2, s3.env);
});

after(async () => {
  await cluster?.stop();
  await s3?.stop();
});

async function getObject(key: string): Promise<Buffer> {
  const res = await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray());
}

/** The checkpoint directories (`.../rdds/<attempt>/rdd-N`, `.../state/stream-N-T`) under `prefix`, each with its part objects. */
async function checkpointsUnder(prefix: string): Promise<Map<string, string[]>> {
  const dirs = new Map<string, string[]>();
  for (const o of await s3!.list(BUCKET, prefix)) {
    const cut = o.key.lastIndexOf('/');
    const dir = o.key.slice(0, cut);
    if (!dirs.has(dir)) dirs.set(dir, []);
    dirs.get(dir)!.push(o.key.slice(cut + 1));
  }
  return dirs;
}

test('RDD and state checkpoints go to s3://, are read back by later batches, and hold the state the input gives', async () => {
  const gate = path.join(os.tmpdir(), `sluice-s3-gate-${process.pid}-${Date.now()}`);
  const job = submit(cluster!, fixture('s3-stateful.ts'), [`s3://${BUCKET}/run1`, String(BATCHES), String(SEED), gate]);
  // 1. The RDD: checkpointed, the same values before and after (the second collect reads S3).
  let rddDirs: Map<string, string[]>;
  let fromBucket: number[];
  try {
    await job.waitLine('RDD ', 120_000);
    rddDirs = await checkpointsUnder('run1/rdd/');
    fromBucket = (
      await Promise.all([...rddDirs].flatMap(([dir, parts]) => parts.sort().map(async (p) => decodeCheckpointPart(await getObject(`${dir}/${p}`)) as number[])))
    ).flat();
  } finally {
    fs.writeFileSync(gate, '');
  }
  const result = await job.done;
  fs.rmSync(gate, { force: true });
  assert.equal(result.code, 0, `the job failed:\n${result.stderr}\n${result.stdout.join('\n')}`);
  const jobId = /submitted \S+ as (\S+)/.exec(result.stderr)?.[1];
  assert.ok(jobId, result.stderr);

  const rdd = JSON.parse(result.stdout.find((l) => l.startsWith('RDD '))!.slice(4)) as { checkpointed: boolean; first: number[]; second: number[] };
  const wantNums = Array.from({ length: 300 }, (_, i) => i * 3 + 1);
  assert.equal(rdd.checkpointed, true);
  assert.deepEqual(rdd.first, wantNums);
  assert.deepEqual(rdd.second, wantNums);
  assert.equal(rddDirs.size, 1, `one RDD checkpoint in the bucket while the job ran: ${[...rddDirs.keys()].join(', ')}`);
  const [rddDir, rddParts] = [...rddDirs][0];
  assert.match(rddDir, /^run1\/rdd\/rdds\/[0-9a-f]{12}\/rdd-\d+$/, 'under <dir>/rdds/<attempt>/, named without the job id');
  assert.deepEqual(rddParts.sort(), ['part-0', 'part-1', 'part-2']);
  assert.deepEqual(fromBucket, wantNums, 'the RDD checkpoint objects hold the RDD');
  assert.deepEqual(await s3!.list(BUCKET, 'run1/rdd/'), [], 'the RDD checkpoint is deleted when the program ends');

  // 2. The stream: every batch's state equals the running totals of the input.
  const want = expectedStates(SEED, BATCHES);
  const states = result.stdout.filter((l) => l.startsWith('STATE ')).map((l) => JSON.parse(l.slice(6)) as { i: number; state: [string, number][] });
  assert.deepEqual(
    states.map((s) => s.i),
    Array.from({ length: BATCHES }, (_, i) => i),
  );
  for (const s of states) assert.deepEqual(s.state, want[s.i], `state after batch ${s.i}`);
  // Its checkpoints are in the bucket, each one the whole state after one of the batches.
  const streamDirs = await checkpointsUnder('run1/stream/state/');
  assert.ok(streamDirs.size >= 2, `at least 2 state checkpoints in ${BATCHES} batches of 500 ms checkpointed every 1 s: ${[...streamDirs.keys()].join(', ')}`);
  const wanted = new Set(want.map((s) => JSON.stringify(s)));
  for (const [dir, parts] of streamDirs) {
    assert.match(dir, /^run1\/stream\/state\/stream-\d+-\d+$/, 'state checkpoints are under <dir>/state/, named without the job id');
    assert.deepEqual(parts.sort(), ['part-0', 'part-1', 'part-2'], dir);
    const records = (await Promise.all(parts.map(async (p) => decodeCheckpointPart(await getObject(`${dir}/${p}`)) as [string, number][]))).flat();
    records.sort((a, b) => (a[0] < b[0] ? -1 : 1));
    assert.ok(wanted.has(JSON.stringify(records)), `checkpoint ${dir} holds the state after one of the batches: ${JSON.stringify(records)}`);
  }
  // Metadata checkpoints are in the bucket too, and nothing else is; nothing went to a local directory named 's3:'.
  const streamKeys = (await s3!.list(BUCKET, 'run1/stream/')).map((o) => o.key);
  assert.ok(streamKeys.some((k) => /^run1\/stream\/metadata\/checkpoint-\d+$/.test(k)), `metadata checkpoints in the bucket: ${streamKeys.join(', ')}`);
  assert.deepEqual(streamKeys.filter((k) => !/^run1\/stream\/(metadata|state)\//.test(k)), [], 'only metadata/ and state/ under the checkpoint directory');
  assert.deepEqual(fs.readdirSync(cluster!.cwd), [], 'nothing was written to the working directory of the driver and workers');
});

async function failure(args: string[], file = 's3-bad-location.ts'): Promise<string> {
  const job = submit(cluster!, fixture(file), args);
  const r = await doneWithin(job, 60_000, 'the job did not fail within 60 s');
  assert.notEqual(r.code, 0, `the job should have failed:\n${r.stdout.join('\n')}`);
  assert.ok(!r.stdout.includes('NOT REACHED'));
  // The location is checked when the stream starts: no batch ran (print() shows each).
  assert.deepEqual(r.stdout.filter((l) => l.startsWith('Time: ')), [], 'the job failed before its first batch');
  return r.stderr;
}

test('a missing bucket, a closed endpoint and an unknown access key fail the job naming the bucket and the endpoint', async () => {
  const endpoint = s3!.endpoint;
  const missing = await failure(['s3://no-such-bucket/x', endpoint, 'S3RVER']);
  assert.match(missing, /SLUICE_CHECKPOINT/);
  assert.match(missing, /bucket 'no-such-bucket' at endpoint http:\/\/127\.0\.0\.1:\d+ does not exist/);
  assert.match(missing, /aws s3 mb s3:\/\/no-such-bucket/);

  const closedPort = await freePort();
  const closed = await failure([`s3://${BUCKET}/x`, `http://127.0.0.1:${closedPort}`, 'S3RVER']);
  assert.match(closed, new RegExp(`cannot reach the S3 endpoint http://127\\.0\\.0\\.1:${closedPort} for bucket '${BUCKET}'`));
  assert.match(closed, /AWS_ENDPOINT_URL/);

  const denied = await failure([`s3://${BUCKET}/x`, endpoint, 'NOBODY']);
  assert.match(denied, new RegExp(`access to bucket '${BUCKET}' at endpoint ${endpoint.replace(/\./g, '\\.')} was refused`));
  assert.match(denied, /InvalidAccessKeyId/);
  assert.match(denied, /AWS_ACCESS_KEY_ID/);
  // Nothing was written for the failed jobs.
  assert.deepEqual(await s3!.list(BUCKET, 'x/'), []);
});

test('an s3:// location in a job that does not import @sluice/s3 names the package to install and import', async () => {
  const err = await failure([`s3://${BUCKET}/y`], 's3-not-imported.ts');
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.match(err, /'s3:\/\/' scheme is provided by @sluice\/s3/);
  assert.match(err, /npm install @sluice\/s3/);
  assert.match(err, /import '@sluice\/s3'/);
});

test('the receiver write-ahead log with an s3:// checkpoint directory is refused before the stream starts, saying why and what to do', async () => {
  const err = await failure([`s3://${BUCKET}/wal`], 's3-with-wal.ts');
  assert.match(err, /SLUICE_CHECKPOINT/);
  assert.match(err, new RegExp(`write-ahead log .* needs a checkpoint directory on a file system.*'s3://${BUCKET}/wal'`));
  assert.match(err, /object storage has no append/);
  assert.match(err, /turn the log off/);
  assert.deepEqual(await s3!.list(BUCKET, 'wal/'), []);
  assert.deepEqual(fs.readdirSync(cluster!.cwd), [], 'no local directory named after the location');
});
