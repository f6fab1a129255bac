import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { wire } from '@sluice/core/internal';
import type { IndexShuffleBlockResolver } from '../shuffle/index-shuffle-block-resolver.js';
import { MAX_RANGE_PARTITIONS, encodeRangeAnswer } from '../shuffle/range-answer.js';

/** Bytes of segments one ShuffleChunk message carries (the last of an answer may carry fewer). */
export const SHUFFLE_CHUNK_BYTES = 1 << 20;

type ShuffleCall = grpc.ServerDuplexStream<wire.FetchShuffleRequest__Output, wire.ShuffleChunk>;

/** One open ShuffleStream call and the requests on it not answered yet. */
interface OpenStream {
  readonly call: ShuffleCall;
  readonly queue: wire.FetchShuffleRequest__Output[];
  /** An answer is being written (waiting for gRPC's buffer to drain). */
  busy: boolean;
  /** The caller half-closed: end once the queue is answered. */
  ended: boolean;
  closed: boolean;
}

/**
 * The worker's side of the ShuffleStream calls other workers keep open to it (one each,
 * PeerFetchStream): answers each fetch request from the map outputs here
 * (IndexShuffleBlockResolver.read, one buffer for the whole answer; a request of several
 * contiguous partitions, a range task's, gets them in one answer: range-answer.ts), as ShuffleChunk
 * messages of at most SHUFFLE_CHUNK_BYTES tagged with the request's number, the last one
 * marked, waiting for the stream to drain when gRPC's buffer is full.
 *
 * Invariants: the requests of one stream are answered one at a time, in the order they
 * came, and an answer's chunks are never interleaved with another's; a request is read
 * when its turn comes (a map output removed meanwhile is reported missing, not sent
 * stale). `closeAll` ends every open stream (the worker stopping: an open call would hold
 * the server's shutdown), and the callers fail what they were waiting for.
 * Threading: the worker's main thread.
 */
export class ShuffleStreamHandler {
  private readonly open = new Set<OpenStream>();

  constructor(
    private readonly resolver: IndexShuffleBlockResolver,
    private readonly log: Logger,
  ) {}

  /** Streams open now (a test's view). */
  get openCount(): number {
    return this.open.size;
  }

  handle(call: ShuffleCall): void {
    const s: OpenStream = { call, queue: [], busy: false, ended: false, closed: false };
    this.open.add(s);
    call.on('data', (req: wire.FetchShuffleRequest__Output) => {
      if (s.closed) return;
      s.queue.push(req);
      if (!s.busy) this.answer(s);
    });
    call.on('end', () => {
      s.ended = true;
      if (!s.busy) this.finish(s);
    });
    const gone = (): void => this.drop(s);
    call.on('cancelled', gone);
    call.on('error', (err) => {
      this.log.debug({ err }, 'shuffle stream failed');
      gone();
    });
  }

  /** End every open stream (the worker is stopping). */
  closeAll(): void {
    for (const s of [...this.open]) {
      this.drop(s);
      s.call.end();
    }
  }

  /** Answer the queued requests in order, until gRPC's buffer is full (then again on 'drain'). */
  private answer(s: OpenStream): void {
    s.busy = false;
    while (s.queue.length > 0 && !s.closed) {
      const req = s.queue.shift() as wire.FetchShuffleRequest__Output;
      if (!this.write(s, req)) {
        s.busy = true;
        return;
      }
    }
    if (s.ended) this.finish(s);
  }

  /**
   * Write one request's answer; false when gRPC's buffer is full (the rest of the answer,
   * if any, and then the queue go on at 'drain').
   */
  private write(s: OpenStream, req: wire.FetchShuffleRequest__Output): boolean {
    const id = req.request_id;
    const count = Math.max(1, req.reduce_count);
    const parts: Uint8Array[] = [];
    try {
      if (count > MAX_RANGE_PARTITIONS) throw new Error(`a fetch of ${count} reduce partitions at once is more than ${MAX_RANGE_PARTITIONS}`);
      // A range: its partitions one after another (the resolver reads them side by side in one pass and keeps them).
      for (let k = 0; k < count; k++) {
        const read = this.resolver.read(req.job_id, req.shuffle_id, req.reduce_partition + k, req.map_partitions);
        // An unreadable map output's reason goes in `error` beside `missing` (a peer of an older build reads `missing` alone).
        if ('missing' in read) return this.flowing(s, s.call.write({ request_id: id, missing: true, missing_map: read.missing, error: read.unreadable ?? '', last: true }));
        parts.push(read.data);
      }
    } catch (err) {
      this.log.warn({ err, jobId: req.job_id, shuffleId: req.shuffle_id }, 'bad shuffle fetch');
      return this.flowing(s, s.call.write({ request_id: id, error: (err as Error).message, last: true }));
    }
    return this.writeFrom(s, id, count === 1 ? parts[0] : encodeRangeAnswer(parts), 0);
  }

  /** The chunks of an answer from byte `at` on (an empty answer is one empty chunk). */
  private writeFrom(s: OpenStream, id: number, data: Uint8Array, at: number): boolean {
    do {
      const end = Math.min(data.length, at + SHUFFLE_CHUNK_BYTES);
      const last = end === data.length;
      const ok = s.call.write({ request_id: id, data: at === 0 && last ? data : data.subarray(at, end), last });
      at = end;
      if (!ok) {
        s.call.once('drain', () => {
          if (s.closed) return;
          if (last || this.writeFrom(s, id, data, at)) this.answer(s);
        });
        return false;
      }
    } while (at < data.length && !s.closed);
    return true;
  }

  /** `ok`: what the write returned; when false, the queue goes on at 'drain'. */
  private flowing(s: OpenStream, ok: boolean): boolean {
    if (!ok) s.call.once('drain', () => !s.closed && this.answer(s));
    return ok;
  }

  private finish(s: OpenStream): void {
    if (s.closed) return;
    this.drop(s);
    s.call.end();
  }

  private drop(s: OpenStream): void {
    s.closed = true;
    s.queue.length = 0;
    this.open.delete(s);
  }
}
