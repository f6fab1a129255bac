import * as grpc from '@grpc/grpc-js';
import { isDiskFull } from '@sluice/core/internal';

/** A Worker call's answer when its work threw: what a caller reads as the peer refusing, not as the peer gone. */
export interface CallError {
  readonly code: grpc.status;
  readonly details: string;
}

/**
 * The answer to a call whose work failed on this worker (`what`: the work, in a user's
 * words, e.g. "cannot store block input_...": a full disk (its local directory) is
 * RESOURCE_EXHAUSTED, anything else INTERNAL, the cause's message kept (it names the
 * directory and the fix). The worker stays up and goes on serving other calls, as Spark's
 * BlockManager fails one putBlockData and not the executor.
 */
export function callError(what: string, err: unknown): CallError {
  const message = err instanceof Error ? err.message : String(err);
  return { code: isDiskFull(err) ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INTERNAL, details: `${what}: ${message}` };
}

/**
 * Whether a failed call was refused by a peer that answered (its work failed there:
 * RESOURCE_EXHAUSTED, INTERNAL, as callError makes them), rather than a peer that did not
 * answer (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED): a refused replica, the peer alive.
 */
export function refusedByPeer(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === grpc.status.RESOURCE_EXHAUSTED || code === grpc.status.INTERNAL;
}

/**
 * Why a call to another process (the driver, a peer worker) failed, in words: gRPC's for a
 * refused connect ('No connection established. Last error: Error: connect ECONNREFUSED h:p.
 * Resolution note: ') end in an empty note, so that one says what it means; other details as
 * gRPC gives them.
 */
export function callFailureWords(err: { readonly details?: string; readonly message: string }): string {
  const details = err.details || err.message;
  return /ECONNREFUSED/.test(details) ? 'connection refused: nothing listens on that port' : details;
}
