// A TCP proxy for network-fault tests (test support): it listens on a loopback address and
// forwards every connection to a target, and can break the link for a while, as a network
// does, while both processes keep running:
// - cut(): every connection reset (both ends see ECONNRESET), and new ones reset as they are
//   accepted, until heal();
// - hold(): a half-dead link: connections stay open and nothing crosses in either direction
//   (reading stops, so the senders' TCP windows fill as they would with packets dropped);
//   new connections are accepted and held unconnected. A side that gives up and closes is
//   not told to the other until heal(), which then resets it: the other side learns of it
//   when its own packets come back refused, as after a real outage. heal() lets whatever
//   waited through, in order;
// - holdOneWay('toTarget' | 'fromTarget'): the same in one direction only (a one-way
//   half-dead link): nothing the connecting side sends reaches the target, what the target
//   sends flows ('toTarget'), or the other way round; new connections are made to the
//   target, their first bytes that way held;
// - delay(ms): a slow link: every chunk, either way, is forwarded `ms` after it arrived, in
//   order (connections open and made as ever, closes not delayed); heal() forwards what
//   comes next at once, after the chunks already delayed, at their time.
import net from 'node:net';

type Mode = 'open' | 'cut' | 'held' | 'toTarget' | 'fromTarget' | 'delayed';

interface Pair {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
  /** A side closed while the link was held: the other is reset at heal(). */
  closedWhileHeld: boolean;
}

export class TcpProxy {
  private mode: Mode = 'open';
  private readonly pairs = new Set<Pair>();
  /** Every socket not closed yet (close() resets them all, so the server's close is not kept waiting). */
  private readonly sockets = new Set<net.Socket>();
  /** Connections accepted, ever. */
  accepted = 0;
  /** While delayed: how long each chunk waits. */
  private delayMs = 0;

  private constructor(
    private readonly server: net.Server,
    readonly host: string,
    readonly port: number,
    private readonly target: { readonly host: string; readonly port: number },
  ) {}

  /** Listens on `host`:`port` (0: any free port) and forwards to `target` (its port 0: the port this proxy listens on, at the target's host). */
  static async start(host: string, port: number, target: { host: string; port: number }): Promise<TcpProxy> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const bound = (server.address() as net.AddressInfo).port;
    const proxy = new TcpProxy(server, host, bound, target.port === 0 ? { host: target.host, port: bound } : target);
    server.on('connection', (s) => proxy.accept(s));
    return proxy;
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** Connections open now (either side). */
  get open(): number {
    return this.pairs.size;
  }

  cut(): void {
    this.mode = 'cut';
    for (const p of [...this.pairs]) this.reset(p);
  }

  hold(): void {
    this.mode = 'held';
    for (const p of this.pairs) {
      p.client.pause();
      p.upstream?.pause();
    }
  }

  holdOneWay(direction: 'toTarget' | 'fromTarget'): void {
    this.mode = direction;
    for (const p of this.pairs) (direction === 'toTarget' ? p.client : p.upstream)?.pause();
  }

  delay(ms: number): void {
    this.mode = 'delayed';
    this.delayMs = ms;
  }

  heal(): void {
    const was = this.mode;
    this.mode = 'open';
    if (was === 'toTarget' || was === 'fromTarget') {
      for (const p of [...this.pairs]) {
        if (p.closedWhileHeld) this.reset(p);
        else (was === 'toTarget' ? p.client : p.upstream)?.resume();
      }
      return;
    }
    if (was !== 'held') return;
    for (const p of [...this.pairs]) {
      if (p.closedWhileHeld) this.reset(p);
      else if (p.upstream === undefined) {
        // Accepted while held: paused explicitly, so forward()'s 'data' listener does not
        // start the flow by itself (nothing it sent would ever reach the target).
        this.connect(p);
        p.client.resume();
      } else {
        p.client.resume();
        p.upstream.resume();
      }
    }
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) abort(s);
    this.pairs.clear();
    await closed;
  }

  private accept(client: net.Socket): void {
    this.accepted++;
    this.track(client);
    if (this.mode === 'cut') {
      client.on('error', () => undefined);
      abort(client);
      return;
    }
    const p: Pair = { client, upstream: undefined, closedWhileHeld: false };
    this.pairs.add(p);
    client.on('error', () => undefined);
    client.on('close', (hadError) => this.sideClosed(p, hadError, 'client'));
    if (this.mode === 'held') client.pause();
    else this.connect(p);
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private connect(p: Pair): void {
    const up = net.connect(this.target.port, this.target.host);
    this.track(up);
    p.upstream = up;
    up.on('error', () => undefined);
    up.on('close', (hadError) => this.sideClosed(p, hadError, 'upstream'));
    const delay = (): number => (this.mode === 'delayed' ? this.delayMs : 0);
    forward(p.client, up, () => this.mode === 'held' || this.mode === 'toTarget', delay);
    forward(up, p.client, () => this.mode === 'held' || this.mode === 'fromTarget', delay);
  }

  /**
   * One side closed: the other is ended as it was (a FIN after what was sent, or a reset),
   * or, while held (one way: the side whose bytes are held closed), reset at heal().
   */
  private sideClosed(p: Pair, hadError: boolean, side: 'client' | 'upstream'): void {
    if (!this.pairs.has(p)) return;
    if (this.mode === 'held' || (this.mode === 'toTarget' && side === 'client') || (this.mode === 'fromTarget' && side === 'upstream')) {
      p.closedWhileHeld = true;
      return;
    }
    if (hadError) return this.reset(p);
    this.pairs.delete(p);
    p.client.end();
    p.upstream?.end();
  }

  private reset(p: Pair): void {
    this.pairs.delete(p);
    abort(p.client);
    if (p.upstream !== undefined) abort(p.upstream);
  }
}

/**
 * Resets `s` (a TCP RST), unless it is closed already or was ended: then it is destroyed (a
 * plain close). Node 20 must not reset a socket whose FIN is still waiting to go out (its
 * send buffer full: the peer, held, reads nothing): libuv refuses the reset (EINVAL, an
 * 'error' event here ignored) and Node leaves its handle marked closing but never closed, so
 * the process spins forever at exit, in Environment::CleanupHandles, after its tests passed
 * (network-partition-stream, 1 run in ~20: the file then timed out as a whole).
 */
function abort(s: net.Socket): void {
  if (s.destroyed) return;
  if (s.writableEnded) s.destroy();
  else s.resetAndDestroy();
}

/**
 * Copies `from`'s bytes to `to`, with backpressure; nothing is read while `held()`. A chunk
 * that comes while `delay()` is more than 0 is written that many ms later, and every chunk
 * after it waits its turn (order is kept; no backpressure meanwhile). A close is not delayed.
 */
function forward(from: net.Socket, to: net.Socket, held: () => boolean, delay: () => number = () => 0): void {
  /** Chunks waiting for their time, oldest first. */
  const waiting: { readonly chunk: Buffer; readonly at: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const writeDue = (): void => {
    timer = undefined;
    while (waiting.length > 0 && waiting[0].at <= Date.now()) {
      if (to.destroyed) return void (waiting.length = 0);
      to.write(waiting.shift()!.chunk);
    }
    if (waiting.length > 0) timer = setTimeout(writeDue, waiting[0].at - Date.now());
  };
  from.on('data', (chunk: Buffer) => {
    const ms = delay();
    if (ms > 0 || waiting.length > 0) {
      waiting.push({ chunk, at: Date.now() + ms });
      timer ??= setTimeout(writeDue, waiting[0].at - Date.now());
      return;
    }
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => {
        if (!held()) from.resume();
      });
    }
  });
  if (held()) from.pause();
}
