import type { MessagePort } from 'node:worker_threads';

/**
 * Request/reply over a worker thread's port: each request carries a fresh `reqId`, and
 * the reply with the same `reqId` resolves it. Used by the driver's job threads and the
 * workers' task threads to ask their main thread for cluster work.
 */
export class PortRequests<Req extends { readonly reqId: number }, Reply extends { readonly reqId: number }> {
  private next = 0;
  private readonly pending = new Map<number, (reply: Reply) => void>();

  constructor(private readonly port: Pick<MessagePort, 'postMessage'>) {}

  /** Send the request `make` builds with a fresh id; resolves with its reply. */
  request(make: (reqId: number) => Req): Promise<Reply> {
    return new Promise((resolve) => {
      const msg = make(this.next++);
      this.pending.set(msg.reqId, resolve);
      try {
        this.port.postMessage(msg);
      } catch (err) {
        // Not sent (a value the structured clone refuses): no reply will come.
        this.pending.delete(msg.reqId);
        throw err;
      }
    });
  }

  /** Requests sent and not answered yet. */
  get waiting(): number {
    return this.pending.size;
  }

  /** Deliver a reply; false if no request waits for it. */
  resolve(reply: Reply): boolean {
    const p = this.pending.get(reply.reqId);
    if (!p) return false;
    this.pending.delete(reply.reqId);
    p(reply);
    return true;
  }
}
