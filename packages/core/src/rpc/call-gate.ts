import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { SystemClock, type Clock } from '../util/clock.js';
import { AuthFailures } from './auth-failures.js';
import { grpcLib } from './grpc-lib.js';
import { checkSecret } from './security.js';

/** Calls one peer (remote IP) may have open on one server at once, unless told otherwise. */
export const DEFAULT_MAX_CALLS_PER_PEER = 256;

export interface CallGateOptions {
  readonly secret: string;
  readonly log: Logger;
  /** Calls one remote IP may have open at once; more are refused with RESOURCE_EXHAUSTED. */
  readonly maxCallsPerPeer?: number;
  readonly clock?: Clock;
}

/**
 * CallGate: the server interceptor every Sluice server runs first. It sees a call's
 * metadata before grpc-js reads any of its messages (the HTTP/2 stream stays paused
 * until the handler asks for a message), and
 *  - refuses a call without the right cluster secret with UNAUTHENTICATED, so an
 *    unauthenticated message is never buffered or decoded; repeated refusals to one
 *    peer are held back with a growing delay and logged at a bounded rate (AuthFailures);
 *  - refuses a call past `maxCallsPerPeer` open calls from the same remote IP with
 *    RESOURCE_EXHAUSTED (a refusal being held back counts as open).
 *
 * Invariant: `open` holds, per remote IP, the calls admitted and not yet ended; an IP
 * with none is not in the map.
 * Threading: everything runs on the server's event loop.
 */
export class CallGate {
  private readonly secret: string;
  private readonly log: Logger;
  private readonly maxCallsPerPeer: number;
  private readonly clock: Clock;
  private readonly failures = new AuthFailures();
  private readonly open = new Map<string, number>();
  /** Per IP refused for too many open calls: when that was last logged, and refusals since (least recently logged first). */
  private readonly overLimit = new Map<string, { lastLog: number; unlogged: number }>();

  constructor(opts: CallGateOptions) {
    this.secret = opts.secret;
    this.log = opts.log;
    this.maxCallsPerPeer = opts.maxCallsPerPeer ?? DEFAULT_MAX_CALLS_PER_PEER;
    this.clock = opts.clock ?? new SystemClock();
  }

  /**
   * Count a refusal of `ip` for too many open calls; returns how many refusals to log
   * now (0: not now). One line per IP every AuthFailures.LOG_INTERVAL_MS, as for secrets.
   */
  private overLimitRefusal(ip: string): number {
    const now = this.clock.now();
    const r = this.overLimit.get(ip) ?? { lastLog: -Infinity, unlogged: 0 };
    r.unlogged++;
    this.overLimit.delete(ip);
    this.overLimit.set(ip, r);
    if (this.overLimit.size > AuthFailures.MAX_PEERS) this.overLimit.delete(this.overLimit.keys().next().value!);
    if (now - r.lastLog < AuthFailures.LOG_INTERVAL_MS) return 0;
    const n = r.unlogged;
    r.lastLog = now;
    r.unlogged = 0;
    return n;
  }

  /** Calls open from `ip` now (tests). */
  openCalls(ip: string): number {
    return this.open.get(ip) ?? 0;
  }

  readonly interceptor: grpc.ServerInterceptor = (method, next) => {
    const info = next.getConnectionInfo();
    const ip = info.remoteAddress ?? 'unknown';
    const peer = info.remotePort === undefined ? ip : `${ip}:${info.remotePort}`;
    const rpc = method.path.slice(method.path.lastIndexOf('/') + 1);
    let admitted = false;
    const release = (): void => {
      if (!admitted) return;
      admitted = false;
      const n = (this.open.get(ip) ?? 1) - 1;
      if (n <= 0) this.open.delete(ip);
      else this.open.set(ip, n);
    };
    const call: grpc.ServerInterceptingCall = new (grpcLib().ServerInterceptingCall)(next, {
      start: (startNext) =>
        startNext({
          onReceiveMetadata: (metadata, metadataNext) => {
            const openNow = this.open.get(ip) ?? 0;
            if (openNow >= this.maxCallsPerPeer) {
              const refusals = this.overLimitRefusal(ip);
              if (refusals > 0) this.log.warn({ peer, rpc, open: openNow, max: this.maxCallsPerPeer, refusalsSinceLastLine: refusals }, 'refused a call: too many open calls from this peer');
              call.sendStatus({
                code: grpcLib().status.RESOURCE_EXHAUSTED,
                details: `refused: ${openNow} calls from ${ip} are already open on this server (at most ${this.maxCallsPerPeer}, --max-calls-per-peer)`,
              });
              return;
            }
            admitted = true;
            this.open.set(ip, openNow + 1);
            const refusal = checkSecret(this.secret, metadata);
            if (refusal === undefined) {
              metadataNext(metadata);
              return;
            }
            const { delayMs, log } = this.failures.onFailure(ip, this.clock.now());
            if (log) {
              this.log.warn(
                { peer, rpc, reason: refusal.message, failuresInStreak: log.failures, refusalsSinceLastLine: log.refusals, delayMs },
                'refused a call without the right cluster secret',
              );
            }
            const refuse = (): void => call.sendStatus({ code: grpcLib().status.UNAUTHENTICATED, details: refusal.message });
            if (delayMs === 0) refuse();
            else void this.clock.waitUntil(this.clock.now() + delayMs).then(refuse);
          },
          onCancel: release,
        }),
      sendStatus: (status, statusNext) => {
        release();
        statusNext(status);
      },
    });
    return call;
  };
}
