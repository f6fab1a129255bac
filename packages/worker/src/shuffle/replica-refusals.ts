import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * What this worker says about peers that refused a block it sent them (PutBlock answered
 * with an error: the peer's store threw, e.g. its --local-dir full): a refused replica, the
 * peer alive, not a lost peer. The first refusal by a peer is a warning with the peer's
 * words; the next ones are counted, and the count said once that peer takes a block again
 * (01ca9e74's counting of blocks kept alone), where a warning a block would come several
 * times a second.
 * Threading: the worker's main thread.
 */
export class ReplicaRefusals {
  private readonly byPeer = new Map<string, { count: number; since: number }>();

  constructor(
    private readonly log: Logger,
    /** What was sent, in a user's words: "a replica of a received block". */
    private readonly what: string,
  ) {}

  /** `peer` answered `err` for `blockId`. */
  refused(peer: string, blockId: string, err: unknown): void {
    const r = this.byPeer.get(peer);
    if (r) {
      r.count++;
      return;
    }
    this.byPeer.set(peer, { count: 1, since: Date.now() });
    const e = err as { details?: unknown; code?: unknown } | null;
    const status = typeof e?.code === 'number' ? grpc.status[e.code] : undefined;
    this.log.warn({ peer, blockId, status, reason: typeof e?.details === 'string' ? e.details : (err as Error).message }, `peer ${peer} refused ${this.what} (it is up, its store failed): trying the next peer; its next refusals are counted, said once it takes one again`);
  }

  /** `peer` took a block: the count of its refusals, if any, is said. */
  taken(peer: string, blockId: string): void {
    const r = this.byPeer.get(peer);
    if (!r) return;
    this.byPeer.delete(peer);
    this.log.warn({ peer, blocks: r.count, forMs: Date.now() - r.since, blockId }, `peer ${peer} takes ${this.what} again, after refusing ${r.count}`);
  }

  /** Refusals by `peer` not yet said (a test's view, and the migrator's summary). */
  count(peer: string): number {
    return this.byPeer.get(peer)?.count ?? 0;
  }
}
