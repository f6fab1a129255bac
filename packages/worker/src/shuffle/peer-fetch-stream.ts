import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { concatOwned, secretMetadata, type wire } from '@sluice/core/internal';
import { callFailureWords } from '../rpc/call-error.js';
import { unreadableMapOutputMessage } from './unreadable-map-output.js';

/** What one fetch from one place gave: its segments in a buffer of this thread's own, or a failure naming a map output. */
export type FetchResult =
  | { readonly ok: true; readonly framed: Uint8Array[] }
  | { readonly ok: false; readonly mapPartition: number; readonly workerId: string; readonly message: string };

/** One request of this stream not yet fully answered. */
interface Pending {
  /** The worker asked (the one the driver placed the map outputs on; a restarted worker at the same address is another). */
  readonly workerId: string;
  readonly shuffleId: number;
  /** The first map output asked for: the one a failure of the whole request names. */
  readonly firstMap: number;
  readonly parts: Buffer[];
  readonly resolve: (r: FetchResult) => void;
}

type StreamState = 'open' | 'closed';

/**
 * This worker's one long-lived ShuffleStream call to another worker (at one address),
 * shared by all its reduce tasks' fetches there: each fetch is a request with a number of
 * its own, and the chunks that come back are routed to their request by that number, so
 * reduce tasks running at once each get their own segments. It replaced a FetchShuffle
 * call per reduce task and worker, whose set-up (headers, an HTTP/2 stream, the server's
 * handler) cost more than a small answer itself.
 *
 * Invariants: once `closed` it takes no request and every request it held has been
 * answered with a fetch failure naming the peer (its process died, the call failed, it
 * ended the stream, it stayed silent for the connect timeout while a request waited, or the
 * driver declared it lost);
 * the owner (ShuffleClient) then opens a new stream for the next fetch, on the same
 * channel, so a worker restarted at the same address is reached afresh. A request's answer
 * is returned only whole: the part of an answer that came before a failure is dropped.
 * Threading: the worker's main thread.
 */
export class PeerFetchStream {
  private state: StreamState = 'open';
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly call: grpc.ClientDuplexStream<wire.FetchShuffleRequest, wire.ShuffleChunk__Output>;
  /** Armed while a request waits: fires when the peer sent nothing for `silentMs`. */
  private silentTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly address: string,
    client: wire.WorkerClient,
    secret: string,
    private readonly silentMs: number,
    /** Why a silent peer is given up on, for the failure's message. */
    private readonly silentReason: (workerId: string) => string,
    private readonly log: Logger,
    /**
     * Called once, when the stream closes (its owner forgets it); `unreachable` when its call
     * failed as UNAVAILABLE (no connection to the peer: the channel is in gRPC's reconnect
     * backoff, where every call fails at once until its next attempt, up to 1 s away).
     */
    private readonly onClosed: (s: PeerFetchStream, unreachable: boolean) => void,
  ) {
    this.call = client.ShuffleStream(secretMetadata(secret));
    this.call.on('metadata', () => this.heard());
    this.call.on('data', (c: wire.ShuffleChunk__Output) => this.chunk(c));
    this.call.on('error', (err: grpc.ServiceError) => {
      if (this.state === 'closed') return;
      // With nothing waiting nothing is lost (a peer killed between fetches: the driver logs the
      // worker lost, and the next fetch there opens a new stream): no warning a user cannot act on.
      const waiting = this.pending.size;
      if (waiting === 0) this.log.debug({ address, code: err.code, reason: err.details || err.message }, 'shuffle stream closed with no fetch waiting');
      else this.log.warn({ err, address, waiting }, `the shuffle stream to the worker at ${address} failed with ${waiting} fetch(es) waiting (${err.details || err.message}): they fail as fetch failures, and the driver runs the map outputs held there again`);
      this.close((workerId) => `cannot fetch shuffle blocks from worker ${workerId} at ${address}: ${callFailureWords(err)}`, err.code === grpc.status.UNAVAILABLE);
    });
    // The peer ended the stream (it is stopping): what it had not answered is lost.
    this.call.on('end', () => this.close((workerId) => `cannot fetch shuffle blocks from worker ${workerId} at ${address}: it ended its shuffle stream (the worker is stopping)`));
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Requests sent and not yet fully answered. */
  get waiting(): number {
    return this.pending.size;
  }

  /**
   * Ask for one reduce partition's segments of `maps` (all held by `workerId`, at this
   * stream's address); with `count` > 1, partitions reduce .. reduce + count - 1 in one
   * answer laid out as range-answer.ts says (the caller splits it).
   */
  fetch(workerId: string, jobId: string, shuffleId: number, reduce: number, maps: number[], count = 1): Promise<FetchResult> {
    if (this.state === 'closed') {
      return Promise.resolve({ ok: false, mapPartition: maps[0], workerId, message: `cannot fetch shuffle blocks from worker ${workerId} at ${this.address}: its shuffle stream is closed` });
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fffffff ? 1 : this.nextId + 1;
    return new Promise((resolve) => {
      this.pending.set(id, { workerId, shuffleId, firstMap: maps[0], parts: [], resolve });
      if (this.silentTimer === undefined) this.arm();
      this.call.write({ request_id: id, job_id: jobId, shuffle_id: shuffleId, reduce_partition: reduce, map_partitions: maps, ...(count > 1 && { reduce_count: count }) });
    });
  }

  /**
   * The driver declared the peer at this address lost (its heartbeat answer): a frozen or
   * cut-off peer holds its connection open and answers nothing, so what waits fails now, as
   * a fetch failure naming the worker asked (the driver then runs its map outputs again),
   * rather than after the silence bound or the peer's wake.
   */
  peerLost(): void {
    this.close((workerId) => `cannot fetch shuffle blocks from worker ${workerId} at ${this.address}: the driver declared it lost`);
  }

  /** Close the stream (this worker stopping, or its client closing): what waits fails. */
  cancel(): void {
    this.close((workerId) => `cannot fetch shuffle blocks from worker ${workerId} at ${this.address}: this worker is stopping`);
  }

  private chunk(c: wire.ShuffleChunk__Output): void {
    this.heard();
    const p = this.pending.get(c.request_id);
    // An answer to a request this side gave up on (it cannot be: requests fail only as the stream closes) is dropped.
    if (p === undefined) return;
    if (c.missing || c.error !== '') {
      this.pending.delete(c.request_id);
      const message = !c.missing
        ? `worker ${p.workerId} at ${this.address} cannot read the shuffle blocks asked for: ${c.error}`
        : c.error !== ''
          ? unreadableMapOutputMessage(c.missing_map, p.shuffleId, p.workerId, c.error)
          : `map output ${c.missing_map} of shuffle ${p.shuffleId} is no longer on worker ${p.workerId}`;
      p.resolve({ ok: false, mapPartition: c.missing ? c.missing_map : p.firstMap, workerId: p.workerId, message });
    } else {
      if (c.data.length > 0) p.parts.push(c.data);
      if (!c.last) return;
      this.pending.delete(c.request_id);
      // A buffer of this thread's own: it is transferred to the task thread.
      p.resolve({ ok: true, framed: [concatOwned(p.parts)] });
    }
    if (this.pending.size === 0) this.disarm();
  }

  /** Something came from the peer: it is alive; the silence bound starts again (the same timer, restarted). */
  private heard(): void {
    this.silentTimer?.refresh();
  }

  private arm(): void {
    this.silentTimer = setTimeout(() => {
      this.silentTimer = undefined;
      this.log.warn({ address: this.address, timeoutMs: this.silentMs, waiting: this.pending.size }, 'shuffle fetch: peer silent; giving up on it');
      this.close((workerId) => `cannot fetch shuffle blocks: ${this.silentReason(workerId)}`);
    }, this.silentMs);
  }

  private disarm(): void {
    clearTimeout(this.silentTimer);
    this.silentTimer = undefined;
  }

  private close(why: (workerId: string) => string, unreachable = false): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.disarm();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.call.cancel();
    this.onClosed(this, unreachable);
    for (const p of waiting) p.resolve({ ok: false, mapPartition: p.firstMap, workerId: p.workerId, message: why(p.workerId) });
  }
}
