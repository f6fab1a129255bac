// The tests' own source: puts `<key> <id>` records with PutRecords (batches of 500, failed
// entries retried), keys from a seeded PRNG, and keeps what Kinesis accepted (per key
// counts and ids) to compare with. Also creates streams and reshards them.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient, ListShardsCommand, MergeShardsCommand, PutRecordsCommand, SplitShardCommand, type Shard } from '@aws-sdk/client-kinesis';
import { mulberry32 } from '../job-runner.js';

export const CREDENTIALS = { accessKeyId: 'test-key', secretAccessKey: 'test-secret' };

export interface Sent {
  readonly counts: Map<string, number>;
  readonly ids: number[];
}

export function emptySent(): Sent {
  return { counts: new Map(), ids: [] };
}

export function client(endpoint: string): KinesisClient {
  return new KinesisClient({ endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttpHandler({ connectionTimeout: 5_000, requestTimeout: 20_000 }) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitActive(c: KinesisClient, stream: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const s = await c.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`stream ${stream} not ACTIVE within 15 s`);
    await sleep(30);
  }
}

export async function createStream(c: KinesisClient, stream: string, shards: number): Promise<void> {
  await c.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards }));
  await waitActive(c, stream);
}

export async function shards(c: KinesisClient, stream: string): Promise<Shard[]> {
  return (await c.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
}

/** Split `shardId` in the middle of its hash key range; resolves once the stream is ACTIVE again. */
export async function split(c: KinesisClient, stream: string, shardId: string): Promise<void> {
  const s = (await shards(c, stream)).find((x) => x.ShardId === shardId)!;
  const lo = BigInt(s.HashKeyRange!.StartingHashKey!);
  const hi = BigInt(s.HashKeyRange!.EndingHashKey!);
  await c.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: shardId, NewStartingHashKey: ((lo + hi) / 2n).toString() }));
  await waitActive(c, stream);
}

export async function merge(c: KinesisClient, stream: string, shardId: string, adjacentShardId: string): Promise<void> {
  await c.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }));
  await waitActive(c, stream);
}

/**
 * Put ids [from, from + n) as `<key> <id>` with keys from `seed`; each accepted record is
 * added to `sent`. A call that fails (the server away) is tried again after 200 ms, for at
 * most `retryForMs`; a record is counted only once Kinesis accepted it. `inFlight` calls
 * (default 1) go at a time, each with its own batches, in order (the keys are those of one
 * call at a time); `onBatch` is told how many were put so far after each batch, and a
 * promise it returns holds that call's next batch until it settles.
 */
export async function put(
  c: KinesisClient,
  stream: string,
  from: number,
  n: number,
  seed: number,
  sent: Sent,
  options: { readonly batch?: number; readonly keys?: number; readonly retryForMs?: number; readonly inFlight?: number; readonly onBatch?: (done: number) => Promise<void> | void } = {},
): Promise<void> {
  const rnd = mulberry32(seed);
  const batch = options.batch ?? 500;
  const keys = options.keys ?? 50;
  const batches: { key: string; id: number }[][] = [];
  for (let i = from; i < from + n; i += batch) {
    const records: { key: string; id: number }[] = [];
    for (let id = i; id < Math.min(from + n, i + batch); id++) records.push({ key: `k${Math.floor(rnd() * keys)}`, id });
    batches.push(records);
  }
  let next = 0;
  let done = 0;
  const putBatches = async (): Promise<void> => {
    while (next < batches.length) {
      let pending = batches[next++]!;
      const size = pending.length;
      const deadline = Date.now() + (options.retryForMs ?? 30_000);
      while (pending.length > 0) {
        let out;
        try {
          out = await c.send(new PutRecordsCommand({ StreamName: stream, Records: pending.map((p) => ({ Data: Buffer.from(`${p.key} ${p.id}`), PartitionKey: `${p.key}-${p.id}` })) }));
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await sleep(200);
          continue;
        }
        const failed: { key: string; id: number }[] = [];
        for (let j = 0; j < pending.length; j++) {
          const p = pending[j]!;
          if (out.Records?.[j]?.ErrorCode) failed.push(p);
          else {
            sent.counts.set(p.key, (sent.counts.get(p.key) ?? 0) + 1);
            sent.ids.push(p.id);
          }
        }
        pending = failed;
        if (failed.length > 0) await sleep(100);
      }
      done += size;
      await options.onBatch?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.inFlight ?? 1) }, putBatches));
}
