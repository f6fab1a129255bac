/**
 * One warning per peer per burst. A killed worker fails every fetch in flight to it at once (a
 * received-block read per task, 23 in one second in a fresh-clone CI's worker-kill run): the
 * first failure from a peer within `windowMs` is warned of; the rest are counted, and told in
 * one line (`summarize`) when the window ends, or when the owner closes.
 */
export class PeerWarnings {
  /** Per peer: its window's timer and the failures held back in it. */
  private readonly open = new Map<string, { timer: NodeJS.Timeout; held: number }>();

  constructor(
    private readonly summarize: (peer: string, held: number, windowMs: number) => void,
    readonly windowMs = 5000,
  ) {}

  /** Whether this failure from `peer` is to be warned of (the first of its window); else it is counted. */
  admit(peer: string): boolean {
    const w = this.open.get(peer);
    if (w) {
      w.held++;
      return false;
    }
    const timer = setTimeout(() => this.end(peer), this.windowMs);
    timer.unref();
    this.open.set(peer, { timer, held: 0 });
    return true;
  }

  /** Ends every window now, telling what each held back. */
  close(): void {
    for (const peer of [...this.open.keys()]) this.end(peer);
  }

  private end(peer: string): void {
    const w = this.open.get(peer);
    if (!w) return;
    clearTimeout(w.timer);
    this.open.delete(peer);
    if (w.held > 0) this.summarize(peer, w.held, this.windowMs);
  }
}
