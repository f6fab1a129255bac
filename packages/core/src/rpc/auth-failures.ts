/**
 * AuthFailures: what a server remembers about peers that called without the right
 * cluster secret, to slow them down and to log them without flooding the log.
 *
 * Per peer (remote IP) it keeps a streak of failures; a streak ends after
 * STREAK_RESET_MS without a failure. The first FREE_FAILURES of a streak are refused
 * at once (a user who mistyped the secret hears so quickly); after that each refusal
 * waits twice as long as the one before, from BASE_DELAY_MS up to MAX_DELAY_MS, so one
 * peer gets at most one guess every MAX_DELAY_MS per open call.
 *
 * Logging: the first failure of a peer is logged at once, then at most one line per
 * peer every LOG_INTERVAL_MS carrying how many refusals it summarises, and at most
 * LOG_BUDGET lines per LOG_INTERVAL_MS over all peers.
 *
 * Invariant: at most MAX_PEERS peers are remembered (least recently failed forgotten
 * first), so a spray of addresses cannot grow this table without bound.
 * Threading: called from the gRPC server's event loop only; time comes from the caller.
 */
export class AuthFailures {
  static readonly FREE_FAILURES = 3;
  static readonly BASE_DELAY_MS = 100;
  static readonly MAX_DELAY_MS = 5000;
  static readonly STREAK_RESET_MS = 60_000;
  static readonly LOG_INTERVAL_MS = 10_000;
  static readonly LOG_BUDGET = 20;
  static readonly MAX_PEERS = 10_000;

  private readonly peers = new Map<string, PeerRecord>();
  private budgetWindowStart = -Infinity;
  private budgetUsed = 0;

  /**
   * Record one refused call from `peer` at `now`. Returns how long to hold the refusal
   * back, and whether to log it now (with the number of refusals the line stands for).
   */
  onFailure(peer: string, now: number): { readonly delayMs: number; readonly log?: { readonly failures: number; readonly refusals: number } } {
    let r = this.peers.get(peer);
    if (r && now - r.lastFailure > AuthFailures.STREAK_RESET_MS) r = undefined;
    r ??= { failures: 0, lastFailure: now, lastLog: -Infinity, unlogged: 0 };
    r.failures++;
    r.lastFailure = now;
    r.unlogged++;
    // Re-insert so Map order is least recently failed first.
    this.peers.delete(peer);
    this.peers.set(peer, r);
    if (this.peers.size > AuthFailures.MAX_PEERS) this.peers.delete(this.peers.keys().next().value!);

    const n = r.failures - AuthFailures.FREE_FAILURES;
    const delayMs = n <= 0 ? 0 : Math.min(AuthFailures.MAX_DELAY_MS, AuthFailures.BASE_DELAY_MS * 2 ** (n - 1));
    if (now - r.lastLog < AuthFailures.LOG_INTERVAL_MS || !this.takeLogBudget(now)) return { delayMs };
    const log = { failures: r.failures, refusals: r.unlogged };
    r.lastLog = now;
    r.unlogged = 0;
    return { delayMs, log };
  }

  /** Peers remembered (for tests and metrics). */
  get size(): number {
    return this.peers.size;
  }

  private takeLogBudget(now: number): boolean {
    if (now - this.budgetWindowStart >= AuthFailures.LOG_INTERVAL_MS) {
      this.budgetWindowStart = now;
      this.budgetUsed = 0;
    }
    if (this.budgetUsed >= AuthFailures.LOG_BUDGET) return false;
    this.budgetUsed++;
    return true;
  }
}

interface PeerRecord {
  /** Refusals in the current streak. */
  failures: number;
  lastFailure: number;
  /** When this peer's last log line was written. */
  lastLog: number;
  /** Refusals since that line. */
  unlogged: number;
}
