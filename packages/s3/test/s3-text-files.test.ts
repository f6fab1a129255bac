// Text files in S3: jobs that import @sluice/s3 write with dstream.saveAsTextFiles and
// rdd.saveAsTextFile to s3:// and read back with sc.textFile, on a real driver and two
// worker processes against one s3rver on loopback. Expected lines come from the test's own
// copy of the fixture's line function; the bucket is read through the S3 API. The driver
// and workers' AWS_ENDPOINT_URL is a closed port: the jobs set s3rver's endpoint with
// configureS3 on the driver, which the tasks receive with their work.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { doneWithin, fixture, freePort, startCluster, submit, type Cluster } from './sluice-cluster.js';

const BUCKET = 'sluice-text';
const MiB = 1024 * 1024;

let s3: S3rverProcess | undefined;
let cluster: Cluster | undefined;

before(async () => {
  s3 = await startS3rver([BUCKET]);
  // The processes' own endpoint is a closed port: each job gives s3rver's to configureS3
  // on the driver, and its tasks reach s3rver only through the settings sent with them.
  cluster = await startCluster(2, { ...s3.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` });
});

after(async () => {
  await cluster?.stop();
  await s3?.stop();
});

// ---- the test's own copy of the fixture's lines --------------------------------------

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789 éü€';

function textLine(batch: number, index: number, length: number): string {
  let h = (Math.imul(batch + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  const n = length > 0 ? length : 5 + (h % 20);
  let s = `${batch}:${index}:`;
  for (let k = 0; k < n; k++) {
    h = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + k) >>> 0;
    s += ALPHABET[h % ALPHABET.length];
  }
  return s;
}

const linesOf = (batch: number, n: number, length = 0): string[] => Array.from({ length: n }, (_, i) => textLine(batch, i, length));
const sha = (lines: readonly string[]): string => crypto.createHash('sha256').update(lines.join('\n')).digest('hex');
const text = (lines: readonly string[]): string => (lines.length > 0 ? lines.join('\n') + '\n' : '');

// ---- helpers ------------------------------------------------------------------------

async function getObject(key: string): Promise<string> {
  const res = await s3!.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await res.Body!.transformToByteArray()).toString('utf8');
}

async function putObject(key: string, body: string): Promise<void> {
  await s3!.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
}

/** The fixture in `mode` with s3rver's endpoint and `args`. */
async function run([mode, ...args]: string[], limitMs = 45_000): Promise<string[]> {
  const job = submit(cluster!, fixture('s3-text.ts'), [mode, s3!.endpoint, ...args]);
  const r = await doneWithin(job, limitMs, `the job did not finish within ${limitMs} ms`);
  assert.equal(r.code, 0, `the job failed:\n${r.stderr}\n${r.stdout.join('\n')}`);
  return r.stdout;
}

const lineAfter = (out: readonly string[], prefix: string): string => {
  const l = out.find((x) => x.startsWith(prefix));
  assert.ok(l !== undefined, `no '${prefix}' line in:\n${out.join('\n')}`);
  return l.slice(prefix.length);
};

/** The objects under `prefix`, batch directories `lines-<time>` renamed `lines-#<i>` in time order, with their contents. */
async function outputUnder(prefix: string): Promise<Map<string, string>> {
  const objects = await s3!.list(BUCKET, prefix);
  const times = [...new Set(objects.map((o) => /lines-(\d+)\//.exec(o.key)?.[1]).filter((t): t is string => t !== undefined))].sort((a, b) => Number(a) - Number(b));
  const out = new Map<string, string>();
  for (const o of objects) {
    const rel = o.key.slice(prefix.length).replace(/lines-(\d+)\//, (_, t: string) => `lines-#${times.indexOf(t)}/`);
    out.set(rel, await getObject(o.key));
  }
  return out;
}

/** What `saveAsTextFiles(prefix/lines)` of these batches in 2 partitions must leave (sc.range's split of each batch). */
function expectedOutput(sizes: readonly number[]): Map<string, string> {
  const want = new Map<string, string>();
  sizes.forEach((n, b) => {
    const lines = linesOf(b, n);
    const cut = Math.floor(n / 2);
    want.set(`lines-#${b}/_SUCCESS`, '');
    want.set(`lines-#${b}/part-00000`, text(lines.slice(0, cut)));
    want.set(`lines-#${b}/part-00001`, text(lines.slice(cut)));
  });
  return want;
}

/**
 * `got` without the directories of the batches after the queue ran dry (index `batches` on):
 * each saved an empty RDD, which leaves `_SUCCESS` alone (Spark 2+'s queueStream gives such
 * batches an empty RDD). Anything else there stays, so the comparison fails on it.
 */
function withoutEmptyBatches(got: Map<string, string>, batches: number): Map<string, string> {
  const empty = (k: string): boolean => {
    const m = /^lines-#(\d+)\/_SUCCESS$/.exec(k);
    return m !== null && Number(m[1]) >= batches && got.get(k) === '';
  };
  return new Map([...got].filter(([k]) => !empty(k)));
}

function assertSameOutput(got: Map<string, string>, want: Map<string, string>, what: string): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort(), `${what}: the objects`);
  for (const [k, v] of want) assert.ok(got.get(k) === v, `${what}: ${k} holds ${got.get(k)?.length} characters, want ${v.length}`);
}

/**
 * A front for s3rver on a fixed loopback port that can go down (its listener closed and its
 * connections cut: new ones are refused, as while a server restarts) and come up again on
 * the same port.
 */
async function restartableFront(target: string): Promise<{ endpoint: string; down: () => Promise<void>; up: () => Promise<void>; close: () => Promise<void> }> {
  const { port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  };
  let server: net.Server | undefined;
  let frontPort = 0;
  const listen = async (): Promise<void> => {
    server = net.createServer((c) => {
      track(c);
      const up = net.connect({ host: '127.0.0.1', port: Number(port) });
      track(up);
      up.on('error', () => c.destroy());
      c.pipe(up).pipe(c);
    });
    await new Promise<void>((resolve) => server!.listen(frontPort, '127.0.0.1', () => resolve()));
    frontPort = (server.address() as net.AddressInfo).port;
  };
  const down = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const c of sockets) c.destroy();
    await closed;
  };
  await listen();
  return { endpoint: `http://127.0.0.1:${frontPort}`, down, up: listen, close: down };
}

// ---- tests --------------------------------------------------------------------------

test('104,000 lines saved by saveAsTextFiles to s3:// are read back by sc.textFile exactly, in order', async () => {
  const sizes = [26_000, 26_000, 26_000, 26_000];
  const out = await run(['stream', `s3://${BUCKET}/run1`, sizes.join(','), '2', '-', '500']);
  const all = sizes.flatMap((n, b) => linesOf(b, n));
  assert.equal(lineAfter(out, 'BATCHES '), String(sizes.length));
  assert.equal(lineAfter(out, 'READ '), `${all.length} ${sha(all)}`, 'sc.textFile(s3://bucket/run1) gives every line saved, in batch and part order');
  // The bucket, through the S3 API: one directory a batch, its parts and _SUCCESS, nothing temporary.
  assertSameOutput(withoutEmptyBatches(await outputUnder('run1/'), sizes.length), expectedOutput(sizes), 'run1');
});

test('a part above the multipart threshold is uploaded in pieces and round-trips; leftovers of a killed attempt are removed; an existing output is refused', async () => {
  // One part of ~6.2 MB (the fixture sets the threshold to 5 MiB, S3's smallest piece): it goes up as a multipart upload of 2 pieces.
  const n = 36_000;
  const length = 150;
  const lines = linesOf(0, n, length);
  assert.ok(Buffer.byteLength(text(lines)) > 5 * MiB && Buffer.byteLength(text(lines)) <= 10 * MiB);
  // What an attempt killed before the driver committed leaves under the output directory.
  await putObject('big/_temporary/killed-attempt/part-00000', 'half a part\n');
  await putObject('big/_temporary/killed-attempt/part-00007', 'a part this output does not have\n');
  const logFrom = cluster!.driver.logLines.length;

  const out = await run(['big', `s3://${BUCKET}/big`, String(n), String(length), '1']);
  assert.equal(lineAfter(out, 'READ '), `${n} ${sha(lines)}`, 'sc.textFile of the part object in 4 partitions (cut inside it)');
  const objects = await s3!.list(BUCKET, 'big/');
  assert.deepEqual(
    objects.map((o) => [o.key, o.size]),
    [
      ['big/_SUCCESS', 0],
      ['big/part-00000', Buffer.byteLength(text(lines))],
    ],
    "the part and _SUCCESS; the killed attempt's objects are gone",
  );
  assert.ok((await getObject('big/part-00000')) === text(lines), 'part-00000 holds the lines');
  // The driver logged the commit: the part went up in 2 pieces (5 MiB + the rest).
  const committed = cluster!.driver.logLines.slice(logFrom).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'output committed' && l.dir === `s3://${BUCKET}/big`);
  assert.ok(committed, 'an "output committed" line for s3://.../big');
  assert.equal(committed.multipartParts, 'part-00000:2');
  assert.equal(committed.temporaryDeleted, 3, "the killed attempt's 2 temporary objects and the one the task wrote (copied to the part first)");
  // Saving to it again is refused, as Spark refuses an existing output directory.
  assert.match(lineAfter(out, 'ERR exists '), /^SLUICE_IO @sluice\/s3 saveAsTextFile: output directory s3:\/\/sluice-text\/big already exists .*remove it or choose another path/);
});

test('a re-run batch (an earlier run\'s leftovers in its directory, a task failing after part of the batch was written) leaves the bucket exactly as a failure-free run', async () => {
  const sizes = [1000, 1500, 1000];
  const marker = path.join(os.tmpdir(), `sluice-s3-text-fault-${process.pid}-${Date.now()}`);
  const logFrom = cluster!.workers.map((w) => w.logLines.length);
  try {
    const out = await run(['rerun', `s3://${BUCKET}/clean`, `s3://${BUCKET}/faulty`, sizes.join(','), '2', marker, '500']);
    assert.match(fs.readFileSync(marker, 'utf8'), /failed after part-00000 was written/, "batch 1's partition 1 failed its first attempt once partition 0 had written its part");
    assert.equal(
      cluster!.workers.flatMap((w) => w.logLines.slice(logFrom[cluster!.workers.indexOf(w)])).filter((l) => l.includes('"task failed"') && l.includes('injected: the first attempt of batch 1 partition 1 fails')).length,
      1,
      'one task attempt failed (and was retried: the run succeeded)',
    );
    const all = sizes.flatMap((n, b) => linesOf(b, n));
    assert.equal(lineAfter(out, 'READ clean '), `${all.length} ${sha(all)}`);
    assert.equal(lineAfter(out, 'READ faulty '), `${all.length} ${sha(all)}`);
    const want = expectedOutput(sizes);
    const cleanOut = withoutEmptyBatches(await outputUnder('clean/'), sizes.length);
    const faultyOut = withoutEmptyBatches(await outputUnder('faulty/'), sizes.length);
    assertSameOutput(cleanOut, want, 'the failure-free run');
    assertSameOutput(faultyOut, want, 'the run with a failed task');
    assertSameOutput(faultyOut, cleanOut, 'the run with a failed task against the failure-free run');
  } finally {
    fs.rmSync(marker, { force: true });
  }
});

test('bad settings and locations fail with an error naming @sluice/s3, the bucket or URL, and the setting to fix; sc.textFile reads a directory only once its save committed it (_SUCCESS), never while objects are under _temporary/', async () => {
  // A directory a save is committing (or was killed committing): a part, an attempt's object, no _SUCCESS.
  await putObject('inc/a/part-00000', 'one\n');
  await putObject('inc/a/_temporary/attempt-1/part-00001', 'two\n');
  // A committed one.
  await putObject('inc/b/part-00000', 'three\nfour\n');
  await putObject('inc/b/_SUCCESS', '');
  const closed = `http://127.0.0.1:${await freePort()}`;
  const out = await run(['bad', BUCKET, closed, `s3://${BUCKET}/inc/a`, `s3://${BUCKET}/inc`]);
  assert.match(lineAfter(out, `ERR s3://${BUCKET}/inc/a `), /^SLUICE_IO @sluice\/s3 sc\.textFile\('s3:\/\/sluice-text\/inc\/a'\): s3:\/\/sluice-text\/inc\/a is being written or its save failed \(_temporary\/ and no _SUCCESS\)/);
  assert.equal(lineAfter(out, `LINES s3://${BUCKET}/inc `), JSON.stringify(['three', 'four']), 'the prefix gives the committed directory only');

  const err = (name: string): string => lineAfter(out, `ERR ${name} `);
  const ep = s3!.endpoint.replace(/\./g, '\\.');
  for (const op of ['save', 'read']) {
    assert.match(err(`missing-bucket-${op}`), new RegExp(`^SLUICE_IO @sluice/s3 .*bucket 'no-such-bucket' at endpoint ${ep} does not exist.*aws s3 mb s3://no-such-bucket`));
    // s3rver checks the access key id (not the signature): an unknown key id is refused as AWS refuses it.
    assert.match(err(`credentials-${op}`), new RegExp(`^SLUICE_IO @sluice/s3 .*access to bucket '${BUCKET}' at endpoint ${ep} was refused \\(InvalidAccessKeyId.*AWS_ACCESS_KEY_ID`));
    assert.match(err(`unreachable-${op}`), new RegExp(`^SLUICE_IO @sluice/s3 .*cannot reach the S3 endpoint ${closed.replace(/\./g, '\\.')} for bucket '${BUCKET}'.*AWS_ENDPOINT_URL \\(or configureS3\\(\\{ endpoint \\}\\)\\)`));
  }
  assert.match(err('malformed-bucket'), /^SLUICE_BAD_ARGUMENT @sluice\/s3: saveAsTextFile\('s3:\/\/Bad_Bucket\/out'\): 'Bad_Bucket' is not an S3 bucket name.*write s3:\/\/bucket\/path/);
  assert.match(err('malformed-no-bucket'), /^SLUICE_BAD_ARGUMENT @sluice\/s3: sc\.textFile\('s3:\/\/\/in'\): the URL names no bucket/);
  assert.match(err('malformed-root'), new RegExp(`^SLUICE_BAD_ARGUMENT @sluice/s3: saveAsTextFile\\('s3://${BUCKET}'\\): an output directory needs a key`));
  assert.match(err('malformed-stream'), /^SLUICE_BAD_ARGUMENT @sluice\/s3: saveAsTextFiles\('s3:\/\/x\/out'\): 'x' is not an S3 bucket name/);
  assert.match(err('missing-path'), new RegExp(`^SLUICE_IO @sluice/s3 sc\\.textFile\\('s3://${BUCKET}/nothing-here'\\): there is no object .* check the path`));
  // Nothing was written by the failed saves.
  for (const p of ['denied/', 'closed/', 'out/']) assert.deepEqual(await s3!.list(BUCKET, p), []);
});

test('the S3 server restarting under a saving stream (its endpoint refusing connections for 3 s) is ridden out: no batch fails, every batch is saved once, as a failure-free run', async () => {
  // 16 batches of 300 lines every 400 ms; the endpoint goes down once 2 batches are committed.
  const sizes = Array.from({ length: 16 }, () => 300);
  const front = await restartableFront(s3!.endpoint);
  let timer: NodeJS.Timeout | undefined;
  try {
    const job = submit(cluster!, fixture('s3-text.ts'), ['stream', front.endpoint, `s3://${BUCKET}/restart`, sizes.join(','), '2', '-', '400']);
    const committed = async (): Promise<number> => (await s3!.list(BUCKET, 'restart/')).filter((o) => o.key.endsWith('/_SUCCESS')).length;
    const deadline = Date.now() + 60_000;
    while ((await committed()) < 2) {
      assert.ok(Date.now() < deadline, `2 batches were not committed within 60 s:\n${job.lines.join('\n')}\n${job.stderr()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await front.down();
    const atDown = await committed();
    await new Promise((r) => setTimeout(r, 3000));
    const duringDown = await committed();
    await front.up();
    assert.ok(duringDown < sizes.length, `the outage came while the stream saved (${duringDown} of ${sizes.length} batches committed by its end)`);
    assert.equal(duringDown, atDown, 'nothing was committed while the endpoint refused connections');
    const r = await Promise.race([
      job.done,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          job.child.kill('SIGKILL');
          reject(new Error(`the job did not finish within 90 s:\n${job.lines.join('\n')}\n${job.stderr()}`));
        }, 90_000);
      }),
    ]);
    assert.equal(r.code, 0, `the job failed on the restart:\n${r.stderr}\n${r.stdout.join('\n')}`);
    const all = sizes.flatMap((n, b) => linesOf(b, n));
    assert.equal(lineAfter(r.stdout, 'BATCHES '), String(sizes.length));
    assert.equal(lineAfter(r.stdout, 'READ '), `${all.length} ${sha(all)}`);
    assertSameOutput(withoutEmptyBatches(await outputUnder('restart/'), sizes.length), expectedOutput(sizes), 'the run across the restart');
  } finally {
    clearTimeout(timer);
    await front.close();
  }
});
