import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { CHANNEL_OPTIONS, channelCredentials, chunks, hasLineBlockHeadroom, loadProto, secretMetadata, shuffleFramesProblem, UNCHECKED, type MapOutputLocation, type MapOutputPlaces, type SecurityConfig, type wire } from '@sluice/core/internal';
import type { IndexShuffleBlockResolver } from './index-shuffle-block-resolver.js';
import { PeerFetchStream, type FetchResult } from './peer-fetch-stream.js';
import { PeerWarnings } from './peer-warnings.js';
import { splitRangeAnswer } from './range-answer.js';
import { callFailureWords } from '../rpc/call-error.js';
import { replicaMessageInPlace } from './replica-message.js';
import { unreadableMapOutputMessage } from './unreadable-map-output.js';

export type { FetchResult } from './peer-fetch-stream.js';

/** What a fetch of a range of reduce partitions gave: each partition's segments (a buffer a place), or a failure naming a map output. */
export type RangeFetchResult = { readonly ok: true; readonly framed: Uint8Array[][] } | Extract<FetchResult, { ok: false }>;

/** The map outputs to read from each of `places.workers` (all of them, or those of `maps`), ascending. */
function mapsByWorker(places: MapOutputPlaces, maps?: ArrayLike<number>): number[][] {
  const { workers, owner } = places;
  const byWorker: number[][] = workers.map(() => []);
  if (maps === undefined) for (let m = 0; m < owner.length; m++) byWorker[owner[m]].push(m);
  else for (let i = 0; i < maps.length; i++) if (maps[i] < owner.length) byWorker[owner[maps[i]]].push(maps[i]);
  return byWorker;
}

/**
 * How long a worker waits for another worker to connect and send the first byte of a shuffle
 * or block fetch (as Spark's spark.shuffle.io.connectionTimeout, whose default is 120 s): a
 * peer that vanished without a reset (a removed container, a dropped route) accepts nothing
 * or answers nothing, and gRPC would wait for it without end. Loopback and LAN peers answer
 * within milliseconds; 30 s leaves room for a peer busy under load. `sluice worker
 * --peer-connect-timeout`.
 */
export const DEFAULT_PEER_CONNECT_TIMEOUT_MS = 30_000;

/** The worker option that sets the bound, named in the fetch failure it causes. */
export const PEER_CONNECT_TIMEOUT_OPTION = '--peer-connect-timeout';

/**
 * The largest PutBlock message a received block's replica is sent in (a block larger than
 * this goes in several). Well under the channels' MAX_MESSAGE_BYTES; a 1 s block at
 * 500,000 lines/s of 100 bytes (50 MB) at a 200 ms block interval is 10 MB.
 */
export const REPLICA_MESSAGE_BYTES = 32 * 1024 * 1024;

/**
 * A received line block's replica goes in messages of this size, one segment, which the
 * peer joins into one buffer (PutBlock). Every buffer on the sender's side (protobufjs's
 * message, grpc-js's frame) and each message grpc-js assembles on the peer are then under
 * glibc's mmap threshold of the workers' settings (128 KiB, WORKER_MALLOC_ENV) and come from
 * malloc's heap, reused; the peer's join is the one block-sized buffer. As one message,
 * grpc-js framed the block into a fresh block-sized mapping here and assembled it into another
 * on the peer, each faulted in page by page (bench/worker-malloc.js: ~25 ms of CPU a 6 MB
 * block each). Segments of this size kept as they came were tried: the peer's heap held
 * their fragments (overload-memory failed, +162 and +174 MB after the job).
 */
export const REPLICA_PIECE_BYTES = 65_536;

/**
 * Reads the segments of one reduce partition from every worker holding its map outputs:
 * local ones from this worker's block store (a range of each map output, no RPC), remote
 * ones with one request per worker on this worker's long-lived stream to it
 * (PeerFetchStream), all workers at once. What each place gives is one buffer of frames
 * (MapOutputFile), owned by this thread so it can be transferred to the task thread. A
 * worker that cannot be reached or no longer has an output yields a fetch failure naming
 * the lost map output.
 */
export class ShuffleClient {
  private readonly clients = new Map<string, wire.WorkerClient>();
  /** The open shuffle stream to each peer address (a closed one is forgotten at once). */
  private readonly streams = new Map<string, PeerFetchStream>();
  /** Block fetches waiting on each peer address: each gives up on its peer when called. */
  private readonly blockFetches = new Map<string, Set<(why: string) => void>>();

  constructor(
    private readonly selfWorkerId: string,
    private readonly resolver: IndexShuffleBlockResolver,
    private readonly security: SecurityConfig,
    private readonly log: Logger,
    /** Bound on a peer's connect and first reply (DEFAULT_PEER_CONNECT_TIMEOUT_MS). */
    private readonly connectTimeoutMs: number = DEFAULT_PEER_CONNECT_TIMEOUT_MS,
    /** Whether what is read must carry partition-run checksums that match (spark.shuffle.checksum.enabled; WorkerOptions.shuffleChecksum). */
    private readonly checksums = false,
    /** How long after a peer's block-fetch warning its further failures are counted, not logged (PeerWarnings). */
    blockFetchWarnMs = 5000,
  ) {
    this.blockFetchWarnings = new PeerWarnings(
      (peer, held, windowMs) => this.log.info({ worker: peer, failures: held }, `block fetch: ${held} more fetches from worker ${peer} failed within ${windowMs / 1000} s of its warning; each went on to its block's next location, as that warning says`),
      blockFetchWarnMs,
    );
  }

  /**
   * Block fetches that failed: one warning per peer per burst (a killed worker fails every
   * task's read at once), the rest counted in one line; every failure's stack at debug.
   */
  private readonly blockFetchWarnings: PeerWarnings;

  /** Why a peer that sent nothing within the bound is given up on. */
  private silentPeer(workerId: string, address: string): string {
    return `worker ${workerId} at ${address} did not connect and answer within ${this.connectTimeoutMs} ms (sluice worker ${PEER_CONNECT_TIMEOUT_OPTION}): it may be stopped (SIGSTOP, a paused container), overloaded, or gone without a reset (a process or container removed); if it is only slow, raise the bound with ${PEER_CONNECT_TIMEOUT_OPTION}`;
  }

  /**
   * `places` says where each map output is (placesOf); `maps` (when given) are the only map
   * outputs to read: those whose segment for `reduce` is empty are left out.
   */
  async fetch(jobId: string, shuffleId: number, reduce: number, places: MapOutputPlaces, maps?: ArrayLike<number>): Promise<FetchResult> {
    const { workers } = places;
    const byWorker = mapsByWorker(places, maps);
    const results = await Promise.all(
      byWorker.map(async (here, w): Promise<FetchResult> => {
        if (here.length === 0) return { ok: true, framed: [] };
        const { workerId, address } = workers[w];
        const read = this.reader(workerId, address, jobId, shuffleId, reduce);
        const r = await read(here);
        return r.ok ? this.verified(r.framed, read, workerId, here, shuffleId, reduce) : r;
      }),
    );
    const framed: Uint8Array[] = [];
    for (const r of results) {
      if (!r.ok) return r;
      framed.push(...r.framed);
    }
    return { ok: true, framed };
  }

  /**
   * Reduce partitions reduce .. reduce + count - 1 at once (a task over a range of them): each
   * place read once for the range (this worker's map outputs partition after partition, each
   * peer with one request for all of them), `maps` (when given) the map outputs any of them
   * reads. `framed[k]` is partition reduce + k's segments, a buffer a place; the buffers of
   * one peer's answer share its memory (transfer each ArrayBuffer once).
   */
  async fetchRange(jobId: string, shuffleId: number, reduce: number, count: number, places: MapOutputPlaces, maps?: ArrayLike<number>): Promise<RangeFetchResult> {
    const { workers } = places;
    const byWorker = mapsByWorker(places, maps);
    const results = await Promise.all(
      byWorker.map(async (here, w): Promise<RangeFetchResult> => {
        if (here.length === 0) return { ok: true, framed: [] };
        const { workerId, address } = workers[w];
        if (workerId === this.selfWorkerId) {
          const framed: Uint8Array[][] = [];
          for (let k = 0; k < count; k++) {
            const read = this.reader(workerId, address, jobId, shuffleId, reduce + k);
            const r = await read(here);
            if (!r.ok) return r;
            const checked = await this.verified(r.framed, read, workerId, here, shuffleId, reduce + k);
            if (!checked.ok) return checked;
            framed.push(checked.framed);
          }
          return { ok: true, framed };
        }
        const r = await this.fetchRemote(workerId, address, jobId, shuffleId, reduce, here, count);
        if (!r.ok) return r;
        const parts = splitRangeAnswer(r.framed[0], count);
        if (parts === undefined) return { ok: false, mapPartition: here[0], workerId, message: `worker ${workerId} at ${address} answered a fetch of reduce partitions ${reduce}-${reduce + count - 1} of shuffle ${shuffleId} with bytes that do not split into them` };
        const framed = parts.map((p) => [p]);
        for (let k = 0; k < count; k++) {
          if (shuffleFramesProblem(parts[k], this.checksums) === undefined) continue;
          // Damaged: that partition fetched again alone (verified reads it once more, then names the map output).
          const checked = await this.verified([parts[k]], this.reader(workerId, address, jobId, shuffleId, reduce + k), workerId, here, shuffleId, reduce + k);
          if (!checked.ok) return checked;
          framed[k] = checked.framed;
        }
        return { ok: true, framed };
      }),
    );
    const framed: Uint8Array[][] = Array.from({ length: count }, () => []);
    for (const r of results) {
      if (!r.ok) return r;
      r.framed.forEach((f, k) => framed[k].push(...f));
    }
    return { ok: true, framed };
  }

  /** Shuffle streams open to peers now (a test's view). */
  get openStreams(): number {
    return this.streams.size;
  }

  /** Reads reduce partition `reduce` of some map outputs from one place: this worker's store, or a peer. */
  private reader(workerId: string, address: string, jobId: string, shuffleId: number, reduce: number): (maps: readonly number[]) => Promise<FetchResult> {
    if (workerId === this.selfWorkerId) return (maps) => Promise.resolve(this.fetchLocal(jobId, shuffleId, reduce, maps));
    return (maps) => this.fetchRemote(workerId, address, jobId, shuffleId, reduce, [...maps]);
  }

  /**
   * `framed` (what `read` of `maps` gave) when whole; else, as Spark's reader with
   * spark.shuffle.detectCorrupt, read once more: whole then (it was damaged in transfer or a
   * read, logged), or a fetch failure naming the damaged map output (found by reading halves
   * of `maps`), the worker, the shuffle and the reduce partition, so the driver runs that map
   * task again; the log says the bytes are damaged where they are kept (a disk, memory).
   * Frames with no checksum (written with checksums off) fail at once: reading again gives the same.
   */
  private async verified(framed: Uint8Array[], read: (maps: readonly number[]) => Promise<FetchResult>, workerId: string, maps: readonly number[], shuffleId: number, reduce: number): Promise<FetchResult> {
    const problem = problemOf(framed, this.checksums);
    if (problem === undefined) return { ok: true, framed };
    const local = workerId === this.selfWorkerId;
    const block = { shuffleId, reducePartition: reduce, worker: workerId, maps: maps.length };
    if (problem.startsWith(UNCHECKED)) {
      return { ok: false, mapPartition: maps[0], workerId, message: `reduce partition ${reduce} of shuffle ${shuffleId} from worker ${workerId} (map outputs ${list(maps)}) cannot be verified: ${problem}` };
    }
    this.log.warn({ ...block, problem }, `shuffle block damaged: reduce partition ${reduce} of shuffle ${shuffleId} ${local ? 'read from this worker' : `fetched from worker ${workerId}`} does not match its checksum; reading it once more`);
    const again = await read(maps);
    if (!again.ok) return again;
    if (problemOf(again.framed, this.checksums) === undefined) {
      this.log.warn(
        block,
        local
          ? `shuffle block read again whole: reduce partition ${reduce} of shuffle ${shuffleId} was damaged in a read of this worker's memory or disk; if this recurs, check this machine's disk and memory`
          : `shuffle block fetched again whole: reduce partition ${reduce} of shuffle ${shuffleId} was damaged in transfer from worker ${workerId} (the network between the workers, or their memory); if this recurs, check the network`,
      );
      return again;
    }
    // Damaged twice: where it is kept. Which map output: halves of `maps` read until one is left.
    let left: readonly number[] = maps;
    while (left.length > 1) {
      const half = left.slice(0, left.length >> 1);
      const r = await read(half);
      if (!r.ok) return r;
      left = problemOf(r.framed, this.checksums) !== undefined ? half : left.slice(half.length);
    }
    const m = left[0];
    const message = `shuffle block damaged: map output ${m} of shuffle ${shuffleId}, reduce partition ${reduce}, on worker ${workerId} does not match its checksum, read twice (${problem}): its bytes on that worker's disk or in its memory are damaged; the map output is computed again. If this recurs, check worker ${workerId}'s disk (dmesg, SMART)`;
    this.log.error({ ...block, mapPartition: m }, message);
    return { ok: false, mapPartition: m, workerId, message };
  }

  private fetchLocal(jobId: string, shuffleId: number, reduce: number, maps: readonly number[]): FetchResult {
    const read = this.resolver.read(jobId, shuffleId, reduce, maps);
    if ('missing' in read) {
      const message = read.unreadable !== undefined ? unreadableMapOutputMessage(read.missing, shuffleId, this.selfWorkerId, read.unreadable) : `map output ${read.missing} of shuffle ${shuffleId} is no longer on this worker`;
      return { ok: false, mapPartition: read.missing, workerId: this.selfWorkerId, message };
    }
    return { ok: true, framed: [read.data] };
  }

  /** A client for a peer; throws (grpc-js cannot parse the target) for a malformed address such as ''. */
  private client(address: string): wire.WorkerClient {
    const existing = this.clients.get(address);
    if (existing) return existing;
    const c = new (loadProto().sluice.v1.Worker)(address, channelCredentials(this.security), CHANNEL_OPTIONS);
    this.clients.set(address, c);
    return c;
  }

  /**
   * Closes the channel to a peer that could not be reached (its stream failed UNAVAILABLE, or the
   * driver declared it lost): gRPC's channel would fail every call at once until its next
   * reconnect attempt (up to 1 s away), so a peer back at its address (its links restored, it
   * registered again and ran map tasks) failed the reduce tasks' first fetches from it as fetch
   * failures, each resubmitting its map stage at once, until the stage's attempts ran out. The
   * next call makes a new channel, which dials at once.
   */
  private forgetClient(address: string): void {
    const c = this.clients.get(address);
    if (c === undefined) return;
    this.clients.delete(address);
    c.close();
  }

  private fetchRemote(workerId: string, address: string, jobId: string, shuffleId: number, reduce: number, maps: number[], count = 1): Promise<FetchResult> {
    let stream = this.streams.get(address);
    if (stream === undefined) {
      try {
        stream = new PeerFetchStream(
          address,
          this.client(address),
          this.security.secret,
          this.connectTimeoutMs,
          (w) => this.silentPeer(w, address),
          this.log,
          (closed, unreachable) => {
            if (this.streams.get(address) === closed) this.streams.delete(address);
            if (unreachable) this.forgetClient(address);
          },
        );
      } catch (err) {
        // A location this worker cannot even dial is a lost map output, not a crash.
        this.log.warn({ err, peer: workerId, address }, 'bad shuffle location');
        return Promise.resolve({ ok: false, mapPartition: maps[0], workerId, message: `cannot fetch shuffle blocks from worker ${workerId} at '${address}': ${(err as Error).message}` });
      }
      this.streams.set(address, stream);
    }
    return stream.fetch(workerId, jobId, shuffleId, reduce, maps, count);
  }

  /**
   * Store a block on another worker (replication of received input). Bounded by
   * `timeoutMs`: a peer that is gone must not hold up the receiver's next blocks; by
   * default 3 s plus 0.5 s a MiB, so a large block (a 50 MB line) on a loaded machine is
   * not cut off mid-transfer and left on one worker only, while a 6 MB block still gives up
   * on a silent peer within 6 s.
   * A received line block (made by encodeLineBlock) over REPLICA_PIECE_BYTES goes in
   * messages of that size (one segment, joined on the peer), so only the peer's join is a
   * block-sized buffer; a smaller one as its message written in place (replicaMessageInPlace). Any other block
   * goes in messages of up to REPLICA_MESSAGE_BYTES (one message up to that size, which the
   * peer keeps as gRPC assembled it), encoded by protobufjs.
   */
  putRemoteBlock(address: string, blockId: string, data: Uint8Array, timeoutMs = 3000 + Math.ceil(data.byteLength / 2_097_152) * 1000): Promise<void> {
    return new Promise((resolve, reject) => {
      const call = this.client(address).PutBlock(secretMetadata(this.security.secret), { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve()));
      // A received line block over REPLICA_PIECE_BYTES goes in messages of that size, one segment.
      const pieced = data.byteLength > REPLICA_PIECE_BYTES && hasLineBlockHeadroom(data);
      const inPlace = !pieced && data.byteLength <= REPLICA_MESSAGE_BYTES ? replicaMessageInPlace(blockId, data) : undefined;
      // The services' serializer passes an EncodedMessage through (loadProto).
      if (inPlace) call.write(inPlace as unknown as wire.BlockChunk);
      const parts = inPlace ? [] : [...chunks(data, pieced ? REPLICA_PIECE_BYTES : REPLICA_MESSAGE_BYTES)];
      parts.forEach((c, i) => call.write({ block_id: blockId, data: c, last: i === parts.length - 1 }));
      call.write({ block_id: blockId, end_of_block: true });
      call.end();
    });
  }

  /**
   * Store a block of any number of segments on another worker (a decommissioning worker's
   * copies). Bounded by `timeoutMs`.
   */
  putRemoteSegments(address: string, blockId: string, segments: readonly Uint8Array[], timeoutMs = 30_000): Promise<void> {
    return new Promise((resolve, reject) => {
      let call: ReturnType<wire.WorkerClient['PutBlock']>;
      try {
        call = this.client(address).PutBlock(secretMetadata(this.security.secret), { deadline: Date.now() + timeoutMs }, (err) => (err ? reject(err) : resolve()));
      } catch (err) {
        reject(err as Error);
        return;
      }
      for (const seg of segments) {
        const parts = [...chunks(seg)];
        if (parts.length === 0) parts.push(Buffer.alloc(0));
        parts.forEach((c, i) => call.write({ block_id: blockId, data: c, last: i === parts.length - 1 }));
      }
      call.write({ block_id: blockId, end_of_block: true });
      call.end();
    });
  }

  /**
   * The driver declared the workers at these addresses lost (its heartbeat answer): block
   * fetches still waiting on one give up on it now and go to the block's next location (a
   * replica, or the write-ahead log), and the shuffle stream to it closes, its waiting
   * fetches failing as fetch failures naming the worker (the driver runs the map outputs
   * again elsewhere, Spark's FetchFailed), rather than waiting out the silence bound on a
   * peer that is frozen or cut off and holds its connection open. Once the peer is
   * registered again the driver no longer names it (a fetch then opens a new stream).
   */
  peersLost(addresses: readonly string[]): void {
    for (const a of addresses) {
      const stream = this.streams.get(a);
      if (stream !== undefined) {
        if (stream.waiting > 0) this.log.warn({ peer: a, fetches: stream.waiting }, 'shuffle fetch: the driver declared the peer lost; failing the fetches waiting on it');
        stream.peerLost();
      }
      this.forgetClient(a);
      const waiting = this.blockFetches.get(a);
      if (!waiting || waiting.size === 0) continue;
      this.log.warn({ peer: a, fetches: waiting.size }, 'block fetch: the driver declared the peer lost; trying the next location');
      for (const giveUp of [...waiting]) giveUp('declared lost by the driver');
    }
  }

  /**
   * A stored block from the first of `locations` (other than this worker) that has it;
   * else what each one answered (`misses`), for an error message that tells the truth.
   */
  async getRemoteBlock(blockId: string, locations: readonly MapOutputLocation[]): Promise<{ segments: Uint8Array[] } | { misses: string[] }> {
    const misses: string[] = [];
    for (const loc of locations) {
      const where = `${loc.workerId} (${loc.address || 'no address'})`;
      if (loc.workerId === this.selfWorkerId) {
        misses.push(`${where}: this worker does not hold it`);
        continue;
      }
      let client: wire.WorkerClient;
      try {
        client = this.client(loc.address);
      } catch (err) {
        misses.push(`${where}: cannot be dialled: ${(err as Error).message}`);
        continue;
      }
      const got = await new Promise<Uint8Array[] | string>((resolve) => {
        const segments: Uint8Array[] = [];
        let parts: Buffer[] = [];
        let missing = false;
        let done = false;
        let waiting = this.blockFetches.get(loc.address);
        if (!waiting) this.blockFetches.set(loc.address, (waiting = new Set()));
        const onPeer = waiting;
        const giveUp = (why: string): void => {
          settle(`unreachable (${why})`);
          call.cancel();
        };
        onPeer.add(giveUp);
        const settle = (r: Uint8Array[] | string): void => {
          if (done) return;
          done = true;
          clearTimeout(silent);
          onPeer.delete(giveUp);
          if (onPeer.size === 0 && this.blockFetches.get(loc.address) === onPeer) this.blockFetches.delete(loc.address);
          resolve(r);
        };
        const call = client.GetBlock({ block_id: blockId }, secretMetadata(this.security.secret), { deadline: Date.now() + 30_000 });
        // As for shuffle fetches: a silent peer is passed over for the next location.
        const silent = setTimeout(() => {
          this.log.warn({ blockId, peer: loc.workerId, timeoutMs: this.connectTimeoutMs }, 'block fetch: peer silent; trying the next location');
          settle(`unreachable (${this.silentPeer(loc.workerId, loc.address)})`);
          call.cancel();
        }, this.connectTimeoutMs);
        call.on('metadata', () => clearTimeout(silent));
        call.on('data', (c: wire.BlockChunk__Output) => {
          clearTimeout(silent);
          if (c.missing) missing = true;
          else if (!c.end_of_block) {
            parts.push(c.data);
            if (c.last) {
              segments.push(Buffer.concat(parts));
              parts = [];
            }
          }
        });
        call.on('error', (err: grpc.ServiceError) => {
          if (done) return;
          const cause = callFailureWords(err);
          this.log.debug({ err, blockId, peer: loc.workerId }, 'block fetch failed');
          if (this.blockFetchWarnings.admit(where)) {
            this.log.warn(
              { blockId, peer: loc.workerId, address: loc.address, cause },
              `block fetch failed: worker ${where} is unreachable (${cause}); its blocks are read from their next location (a replica, else the write-ahead log; a block in neither fails its task, naming it). Further failures from that worker within ${this.blockFetchWarnings.windowMs / 1000} s are counted in one line`,
            );
          }
          settle(`unreachable (${cause})`);
        });
        call.on('end', () => settle(missing ? 'alive, but does not hold it (removed)' : segments));
      });
      if (typeof got !== 'string') return { segments: got };
      misses.push(`${where}: ${got}`);
    }
    return { misses };
  }

  close(): void {
    this.blockFetchWarnings.close();
    for (const s of [...this.streams.values()]) s.cancel();
    this.streams.clear();
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

/**
 * What is wrong with segments read (a compressed frame or a partition run whose checksums do
 * not match, frames cut short: shuffleFramesProblem), or undefined when they are whole.
 * Spark's reader finds a corrupt block as it decompresses it (or by its checksum) and throws
 * a FetchFailedException (spark.shuffle.detectCorrupt): here too the map outputs there are
 * recomputed from lineage, and no task decodes other records from them.
 */
function problemOf(framed: readonly Uint8Array[], checksums: boolean): string | undefined {
  for (const f of framed) {
    const problem = shuffleFramesProblem(f, checksums);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** Map output numbers for a message: the first 10, then how many more. */
function list(maps: readonly number[]): string {
  return maps.length <= 10 ? maps.join(', ') : `${maps.slice(0, 10).join(', ')} and ${maps.length - 10} more`;
}
