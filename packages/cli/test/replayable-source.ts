// A replayable TCP test source for reliable receivers (fixtures/stream-reliable-receiver.ts).
import assert from 'node:assert/strict';
import net from 'node:net';
import { mulberry32 } from './harness.js';

export const VOCABULARY = Array.from({ length: 30 }, (_, i) => `w${i}`);

/**
 * Generates numbered lines `n<k> w w w` (words drawn with a seeded PRNG) and writes them
 * to the newest connection. It forgets nothing a receiver has not acknowledged: a client
 * acknowledges with `ack <m>` (every line before n<m>), and each new connection first gets
 * every line from the first unacknowledged one on. So a receiver that acknowledges only
 * what is durable loses nothing when it dies; one that stored lines durably but died
 * before acknowledging them gets them again (they would count twice).
 */
export class ReplayableSource {
  readonly lines: string[] = [];
  readonly words: string[][] = [];
  /** Lines acknowledged (a prefix). */
  acked = 0;
  /** Connections so far. */
  connections = 0;
  /** Lines sent again to a new connection (not acknowledged on an earlier one). */
  resent = 0;
  /** Per connection (in order): when it opened, `acked` then, and every acknowledgement on it (line count, when). */
  readonly perConnection: { readonly openedAt: number; readonly ackedAtOpen: number; readonly acks: { readonly upTo: number; readonly at: number }[] }[] = [];
  private current: net.Socket | undefined;
  private readonly all: net.Socket[] = [];
  private readonly server = net.createServer((s) => this.onConnection(s));
  private timer: NodeJS.Timeout | undefined;
  private readonly rand: () => number;

  constructor(seed: number) {
    this.rand = mulberry32(seed);
  }

  async listen(port = 0): Promise<number> {
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    return (this.server.address() as net.AddressInfo).port;
  }

  /** `perTick` new lines every `everyMs`. */
  start(perTick: number, everyMs: number): void {
    this.timer = setInterval(() => {
      const out: string[] = [];
      for (let i = 0; i < perTick; i++) {
        const words = [0, 1, 2].map(() => VOCABULARY[Math.floor(this.rand() * VOCABULARY.length)]);
        const line = `n${this.lines.length} ${words.join(' ')}`;
        this.lines.push(line);
        this.words.push(words);
        out.push(line);
      }
      if (this.current && !this.current.destroyed) this.current.write(out.join('\n') + '\n');
    }, everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  async close(): Promise<void> {
    this.stop();
    for (const c of this.all) c.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private onConnection(s: net.Socket): void {
    this.connections++;
    const mine = { openedAt: Date.now(), ackedAtOpen: this.acked, acks: [] as { upTo: number; at: number }[] };
    this.perConnection.push(mine);
    this.current = s;
    this.all.push(s);
    s.on('error', () => undefined);
    let partial = '';
    s.on('data', (d: Buffer) => {
      const parts = (partial + d.toString('utf8')).split('\n');
      partial = parts.pop()!;
      for (const p of parts) {
        const m = /^ack (\d+)$/.exec(p);
        if (m) {
          this.acked = Math.max(this.acked, Number(m[1]));
          mine.acks.push({ upTo: Number(m[1]), at: Date.now() });
        }
      }
    });
    const pending = this.lines.slice(this.acked);
    if (this.connections > 1) this.resent += pending.length;
    if (pending.length > 0) s.write(pending.join('\n') + '\n');
  }
}

/**
 * Lines a replaced receiver (connection `old`) acknowledged after the one that replaced it
 * (connection `old + 1`) connected, beyond what was acknowledged when it did: records it made
 * durable after it was replaced. The new one was sent them too.
 */
export function lateAcknowledged(source: ReplayableSource, old: number): number {
  const next = source.perConnection[old + 1];
  const late = source.perConnection[old].acks.filter((a) => a.at >= next.openedAt);
  return Math.max(0, ...late.map((a) => a.upTo - next.ackedAtOpen));
}

/**
 * Every line the source generated is counted exactly once, and each word as often as it
 * occurs in them. Lines the killed receiver stored durably but had not acknowledged are
 * sent again by the source; the receiver gives each line's number as its source position,
 * so they are not counted twice.
 */
export function checkCounts(state: Map<string, number>, source: ReplayableSource): void {
  const twice = [...state].filter(([k, n]) => k.startsWith('n') && n !== 1).map(([k, n]) => `${k}×${n}`);
  assert.deepEqual(twice, [], 'no line counted twice');
  const missing = source.lines.map((_, k) => `n${k}`).filter((k) => !state.has(k));
  assert.deepEqual(missing.slice(0, 20), [], `no line lost (${missing.length} missing)`);
  assert.equal([...state.keys()].filter((k) => k.startsWith('n')).length, source.lines.length, 'no line counted that was never sent');
  const want = new Map<string, number>();
  for (const ws of source.words) for (const w of ws) want.set(w, (want.get(w) ?? 0) + 1);
  const got = [...state].filter(([k]) => !k.startsWith('n')).sort();
  assert.deepEqual(got, [...want].sort(), 'each word counted as often as the source generated it');
}
