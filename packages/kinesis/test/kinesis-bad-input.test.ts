// Bad input to KinesisInputDStream against a real kinesalite: an unreachable endpoint and a
// stream that does not exist are receiver errors (StreamingListener onReceiverError, as
// `sluice jobs` and the driver log show them) naming Kinesis, the value and the setting to
// fix; the readers keep retrying. A record aggregated by the KPL is a receiver error too
// (given as written; the message says what to do). A bad initialPosition and a missing checkpoint directory
// fail the job at once. The controls: LATEST reads only what is put after the readers
// started; the same job submitted again resumes after the shard checkpoints (nothing old
// counted again); { atTimestamp } reads only what arrived from then on. An endpoint that resets
// the connection under a call is said to have closed it (not to have not answered in time). A
// stream deleted and created again under its name is said to be so, with what to do, and so is
// a record the messageHandler throws on (which one, the handler's error, the way out).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, freePort, jsonLines, pollUntil, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { DeleteStreamCommand, ListStreamsCommand, PutRecordCommand } from '@aws-sdk/client-kinesis';
import { client, createStream, emptySent, put, shards } from './support/producer.js';

let kinesis: Kinesalite;
let cluster: LocalCluster;
let tmp: string;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-bad-'));
  kinesis = new Kinesalite();
  await kinesis.start();
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

function args(o: object): string {
  return JSON.stringify({ endpoint: kinesis.endpoint, readers: 1, checkpointDir: path.join(tmp, 'cp'), batchMs: 500, expectIds: 1, ...o });
}

async function receiverError(o: object): Promise<string> {
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [args(o)]);
  try {
    const line = await job.waitLine('RECEIVER error ', 30_000);
    const message = (JSON.parse(line.slice('RECEIVER error '.length)) as { message: string }).message;
    assert.ok(job.lastReceiverError()?.endsWith(message), `sluice jobs shows the error: ${job.lastReceiverError()}`);
    return message;
  } finally {
    job.cancel();
    await job.done;
  }
}

test("a record aggregated by the Kinesis Producer Library: a receiver error naming it and what to do (Spark's KCL de-aggregates; Sluice gives it as written)", async () => {
  const c = client(kinesis.endpoint);
  await createStream(c, 'kpl', 1);
  // The KPL's format: magic f3899ac2, a protobuf AggregatedRecord, its MD5 (16 bytes); a plain record before it is no aggregate.
  await c.send(new PutRecordCommand({ StreamName: 'kpl', PartitionKey: 'p', Data: Buffer.from('plain 1') }));
  const body = Buffer.from([0x0a, 0x01, 0x70, 0x1a, 0x08, 0x08, 0x00, 0x1a, 0x04, 0x61, 0x20, 0x32, 0x33]);
  const md5 = (await import('node:crypto')).createHash('md5').update(body).digest();
  const put = await c.send(new PutRecordCommand({ StreamName: 'kpl', PartitionKey: 'p', Data: Buffer.concat([Buffer.from([0xf3, 0x89, 0x9a, 0xc2]), body, md5]) }));
  const message = await receiverError({ stream: 'kpl', app: 'kpl-app', initialPosition: 'TRIM_HORIZON', expectIds: 1000 }); // never done by itself
  assert.match(message, new RegExp(`^Kinesis: record ${put.SequenceNumber} of shard ${put.ShardId} of stream 'kpl' is aggregated by the Kinesis Producer Library .*turn aggregation off in the producer \\(KPL AggregationEnabled=false\\) or split them in buildWithMessageHandler`));
});

test('an unreachable endpoint: a receiver error naming Kinesis, the URL and endpointUrl', async () => {
  const endpoint = `http://127.0.0.1:${await freePort()}`;
  const message = await receiverError({ endpoint, stream: 'words', app: 'bad-endpoint' });
  assert.match(message, new RegExp(`^Kinesis: cannot reach the endpoint ${esc(endpoint)} \\(endpointUrl\\) for stream 'words': .*ECONNREFUSED.*check the URL and that Kinesis is reachable from the workers \\(retrying every \\d+ ms\\)$`), 'the error said once, inside the advice');
});

test('an endpoint that resets each connection under a call (Kinesis killed or restarting): a receiver error saying it closed the connection, not that it did not answer in time', async () => {
  // What a kinesalite stopped under the readers gave (user54): the SDK's handler names the
  // reset a TimeoutError, and the readers said 'did not answer a call ... within 20000 ms'.
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  try {
    const message = await receiverError({ endpoint, stream: 'words', app: 'reset-endpoint' });
    assert.match(message, new RegExp(`^Kinesis: the endpoint ${esc(endpoint)} \\(endpointUrl\\) closed the connection of a call for stream 'words' before answering it: .*ECONNRESET.*; Kinesis stopped or restarted, or a proxy before it dropped the connection: check that it is up and reachable from the workers \\(retrying every \\d+ ms\\)$`));
  } finally {
    server.close();
  }
});

test('a stream that does not exist: a receiver error naming Kinesis, the stream and streamName', async () => {
  const message = await receiverError({ stream: 'no-such-stream', app: 'bad-stream' });
  assert.match(message, new RegExp(`^Kinesis: the stream 'no-such-stream' \\(streamName\\) does not exist at ${esc(kinesis.endpoint)} in region us-east-1 \\(regionName\\): .*create it or fix streamName, regionName or endpointUrl \\(retrying every \\d+ ms\\)$`), 'the error said once, inside the advice');
});

test('a stream deleted and created again under its name while the job reads it: a receiver error saying so and what to do, not the bare InvalidArgumentException', { timeout: 120_000 }, async () => {
  // user54: kinesalite run without --path and restarted loses its streams; created again, the
  // readers asked for the old stream's sequence numbers for ever, saying only Kinesis's words.
  const c = client(kinesis.endpoint);
  await createStream(c, 'recreated', 1);
  await c.send(new PutRecordCommand({ StreamName: 'recreated', PartitionKey: 'p', Data: Buffer.from('k 1') }));
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'recreated', app: 'recreated-app', initialPosition: 'TRIM_HORIZON', expectIds: 1000, checkpointInterval: 200 })]);
  try {
    await job.waitLine('BATCH ', 30_000, (l) => l.includes('"ids":[1]'));
    await c.send(new DeleteStreamCommand({ StreamName: 'recreated' }));
    await pollUntil(async () => ((await c.send(new ListStreamsCommand({}))).StreamNames?.includes('recreated') ? undefined : true), 20_000, 'the stream deleted');
    await job.waitLine('RECEIVER error ', 30_000, (l) => l.includes('does not exist')); // the reader saw it gone
    await createStream(c, 'recreated', 1);
    await c.send(new PutRecordCommand({ StreamName: 'recreated', PartitionKey: 'p', Data: Buffer.from('k 2') }));
    const line = await job.waitLine('RECEIVER error ', 60_000, (l) => l.includes('created again'));
    const message = (JSON.parse(line.slice('RECEIVER error '.length)) as { message: string }).message;
    assert.match(message, /^Kinesis: stream 'recreated' \(streamName\) at \S+ does not know the sequence number its reader resumes after \(.*did not come from this stream.*\): the stream was deleted and created again under that name, and this application's shard checkpoints \(kinesis\/recreated-app\/recreated\/ in the checkpoint directory\) are of the old stream's shards: stop the job and submit it with a new checkpoint directory to read the new stream from initialPosition .*\(retrying every \d+ ms\)$/);
  } finally {
    job.cancel();
    await job.done;
    c.destroy();
  }
});

test("a record the messageHandler throws on: a receiver error naming the record and the handler's error, and what to do", async () => {
  // user54: buildWithMessageHandler((r) => JSON.parse(...)) on a stream with one malformed
  // record restarted the receiver every 2 s for good, saying only "the messageHandler threw on a record of shard ...".
  const c = client(kinesis.endpoint);
  await createStream(c, 'poison', 1);
  await c.send(new PutRecordCommand({ StreamName: 'poison', PartitionKey: 'p1', Data: Buffer.from('k 1') }));
  const bad = await c.send(new PutRecordCommand({ StreamName: 'poison', PartitionKey: 'p2', Data: Buffer.from('{"id":2,') }));
  // A restart is no onReceiverError: its reason is the receiver's last error, as `sluice jobs` shows it.
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'poison', app: 'poison-app', initialPosition: 'TRIM_HORIZON', handler: true, handlerThrowsOn: '{"id":2,', expectIds: 1000 })]);
  let message: string;
  try {
    message = await pollUntil(() => (job.lastReceiverError()?.includes('messageHandler threw') ? job.lastReceiverError() : undefined), 30_000, 'the receiver restarted on the record');
  } finally {
    job.cancel();
    await job.done;
  }
  assert.match(message, new RegExp(`Kinesis: the messageHandler threw on record ${bad.SequenceNumber} \\(partition key "p2"\\) of shard ${bad.ShardId} of stream 'poison': Unexpected token in JSON: \\{"id":2,; the receiver restarts and reads the shard again from its checkpoint, so the shard stops at this record until the handler takes it: return a value for every record in buildWithMessageHandler \\(catch the error, return null and filter the nulls out\\) and submit the job again on the same checkpoint directory`));
  c.destroy();
});

test("a damaged shard checkpoint: a receiver error naming the file, the shard and what deleting it reads again; the stream's other shard is read meanwhile, the damaged one's records wait", { timeout: 120_000 }, async () => {
  const c = client(kinesis.endpoint);
  await createStream(c, 'damaged', 2);
  const [a, b] = await shards(c, 'damaged');
  const putTo = async (shard: typeof a, ids: readonly number[]): Promise<void> => {
    for (const id of ids) await c.send(new PutRecordCommand({ StreamName: 'damaged', Data: Buffer.from(`k ${id}`), PartitionKey: 'p', ExplicitHashKey: shard!.HashKeyRange!.StartingHashKey! }));
  };
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
  await putTo(a, range(1, 10));
  await putTo(b, range(11, 10));
  const o = { stream: 'damaged', app: 'damaged-app', initialPosition: 'TRIM_HORIZON' };
  const first = await (await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ ...o, expectIds: 20 })])).finished(60_000);
  assert.ok(first.ok, `${first.failure}\n${first.lines.slice(-20).join('\n')}`);
  const cpDir = path.join(tmp, 'cp', 'kinesis', 'damaged-app', 'damaged');
  const file = path.join(cpDir, `${a!.ShardId}.json`);
  const next = (f: string): number => (JSON.parse(fs.readFileSync(f, 'utf8')) as { next: number }).next;
  await pollUntil(() => (fs.existsSync(file) && next(file) === 10 && next(path.join(cpDir, `${b!.ShardId}.json`)) === 10) || undefined, 30_000, 'both shards checkpointed at their 10 records');
  // Cut short, as a disk that lost the file's end would leave it.
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
  await putTo(a, range(21, 5));
  await putTo(b, range(31, 5));
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ ...o, expectIds: 5 })]);
  const end = await job.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((x) => x.ids).sort((x, y) => x - y);
  assert.deepEqual(ids, range(31, 5), "the other shard's new records, nothing read before again, none of the damaged shard's");
  const errors = end.lines.filter((l) => l.startsWith('RECEIVER error ')).map((l) => (JSON.parse(l.slice('RECEIVER error '.length)) as { message: string }).message);
  assert.ok(errors.length > 0, end.lines.join('\n'));
  const said = `Kinesis: the checkpoint of shard ${a!.ShardId} (stream 'damaged', checkpointAppName 'damaged-app'), ${file}, is damaged (`;
  assert.ok(errors[0]!.startsWith(said), errors[0]);
  assert.ok(errors[0]!.includes("its reader does not know where to resume, so the shard is not read until the file is fixed (the stream's other shards are read meanwhile). Put back a copy of it if you have one"), errors[0]);
  assert.ok(errors[0]!.includes('or delete it: the shard is then read from initialPosition TRIM_HORIZON: every record of it Kinesis still keeps is read again, those the job read before included'), errors[0]);
  assert.equal(fs.readFileSync(file, 'utf8'), text.slice(0, Math.floor(text.length / 2)), 'the damaged file is left as it was');
  c.destroy();
});

test('a bad initialPosition or no checkpoint directory fails the job at once, naming Kinesis and the setting', async () => {
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'words', app: 'bad-position', initialPosition: 'EARLIEST' })]);
  const end = await job.finished(30_000);
  assert.equal(end.ok, false);
  assert.match(end.failure ?? '', /SLUICE_BAD_ARGUMENT: Kinesis: initialPosition "EARLIEST" is not valid: use 'LATEST', 'TRIM_HORIZON' or \{ atTimestamp/);
  const job2 = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'words', app: 'no-dir', noCheckpointDir: true })]);
  const end2 = await job2.finished(30_000);
  assert.match(end2.failure ?? '', /SLUICE_BAD_ARGUMENT: Kinesis stream 'words' \(checkpointAppName 'no-dir'\) needs a checkpoint directory: .*call ssc\.checkpoint\(dir\) before ssc\.start\(\)/);
});

test("the controls: LATEST reads nothing put before the readers ran; the job submitted again resumes after its checkpoints; { atTimestamp } reads exactly what arrived from then on", { timeout: 150_000 }, async () => {
  const c = client(kinesis.endpoint);
  await createStream(c, 'positions', 2);
  await put(c, 'positions', 0, 500, 1, emptySent());
  const latest = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'positions', app: 'latest', readers: 2, initialPosition: 'LATEST', expectIds: 500, handler: true })]);
  // Event-driven start: put a probe into each shard (ids from 1,000,000) until the job has
  // counted one from each, so every shard's reader runs; the records put then come later.
  const probes: number[] = [];
  const counted = () => jsonLines<{ shards: Record<string, number[]> }>(latest.lines, 'BATCH ');
  const probed = () => new Set(counted().flatMap((b) => Object.keys(b.shards))).size;
  const targets = await shards(c, 'positions');
  const probeDeadline = Date.now() + 60_000;
  while (probed() < 2) {
    // Its own deadline: a reader that never counts would otherwise keep this loop (and the file's process) going.
    assert.ok(Date.now() < probeDeadline, `a probe counted from each shard within 60 s (${probed()} of 2 shards, ${probes.length} probes put)`);
    for (const s of targets) {
      const id = 1_000_000 + probes.length;
      probes.push(id);
      await c.send(new PutRecordCommand({ StreamName: 'positions', Data: Buffer.from(`probe ${id}`), PartitionKey: 'probe', ExplicitHashKey: s.HashKeyRange!.StartingHashKey! }));
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  await new Promise((r) => setTimeout(r, 20));
  const tsMs = Date.now();
  await new Promise((r) => setTimeout(r, 20));
  const later = emptySent();
  await put(c, 'positions', 500, 500, 2, later);
  const end = await latest.finished(60_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids).sort((a, b) => a - b);
  assert.deepEqual(ids.filter((id) => id < 1_000_000), later.ids, 'LATEST: none of the records put before the readers started, all put after');
  assert.ok(ids.filter((id) => id >= 1_000_000).every((id) => probes.includes(id)), 'and probes only');
  // A job submitted again with the same checkpointAppName resumes after each shard's
  // checkpoint: once the checkpoints cover everything the first job read (their ordinals add
  // up to it), the second job counts exactly what is put afterwards.
  const cpDir = path.join(tmp, 'cp', 'kinesis', 'latest', 'positions');
  const covered = () => fs.readdirSync(cpDir).reduce((n, f) => n + (JSON.parse(fs.readFileSync(path.join(cpDir, f), 'utf8')) as { next: number }).next, 0);
  for (let i = 0; covered() < ids.length; i++) {
    assert.ok(i < 200, `the shard checkpoints cover the ${ids.length} records read (${covered()})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  // Put while no job runs: LATEST would never see these; resuming after the checkpoints does.
  const more = emptySent();
  await put(c, 'positions', 2000, 300, 4, more);
  const resumed = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'positions', app: 'latest', readers: 2, initialPosition: 'LATEST', expectIds: 300 })]);
  const end3 = await resumed.finished(60_000);
  assert.ok(end3.ok, `${end3.failure}\n${end3.lines.slice(-20).join('\n')}`);
  const ids3 = jsonLines<{ ids: number[] }>(end3.lines, 'BATCH ').flatMap((b) => b.ids).sort((a, b) => a - b);
  assert.deepEqual(ids3, more.ids, 'the job submitted again: exactly the records put since the first one stopped');
  const at = await startJob(cluster, fixture('kinesis-count-job.ts'), [args({ stream: 'positions', app: 'at-timestamp', readers: 2, atTimestamp: tsMs, expectIds: 800 })]);
  const end2 = await at.finished(60_000);
  assert.ok(end2.ok, `${end2.failure}\n${end2.lines.slice(-20).join('\n')}`);
  const ids2 = jsonLines<{ ids: number[] }>(end2.lines, 'BATCH ').flatMap((b) => b.ids).sort((a, b) => a - b);
  assert.deepEqual(ids2, [...later.ids, ...more.ids].sort((a, b) => a - b), '{ atTimestamp }: exactly the records that arrived from then on');
  assert.ok(!end2.lines.some((l) => l.startsWith('RECEIVER error ')), end2.lines.filter((l) => l.startsWith('RECEIVER error ')).join('\n'));
  c.destroy();
});
