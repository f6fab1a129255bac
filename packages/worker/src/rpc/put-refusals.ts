import type { Logger } from 'pino';

/**
 * This worker's log of the blocks it refused to store (PutBlock): the first refusal is a
 * warning with its cause, the next ones are counted (a receiver replicating to a peer whose
 * disk is full sends it several a second), and the count is said once a block is stored
 * again.
 * Threading: the worker's main thread.
 */
export class PutRefusals {
  private count = 0;
  private since = 0;

  constructor(private readonly log: Logger) {}

  refused(blockId: string, err: unknown): void {
    if (this.count++ === 0) {
      this.since = Date.now();
      this.log.warn({ err, blockId }, 'cannot store a block sent by a peer; the peer is told why (the next such refusals are counted, said once a block is stored again)');
    }
  }

  stored(blockId: string): void {
    if (this.count === 0) return;
    this.log.warn({ blocks: this.count, forMs: Date.now() - this.since, blockId }, `blocks sent by peers stored again, after ${this.count} refused`);
    this.count = 0;
  }
}
