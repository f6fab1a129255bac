// A TCP server that writes generated text lines to every client: the "netcat" of the
// network word count examples. Also run standalone by the docker-compose `lines` service.
import net from 'node:net';

const WORDS = ['stream', 'batch', 'sluice', 'river', 'gate', 'water', 'flow', 'spark', 'dam', 'lock'];

export interface LineServer {
  readonly port: number;
  /** Lines written so far, to all clients. */
  sent(): number;
  close(): Promise<void>;
}

/** The generated lines one by one, from the first: the same sequence on every run (8 words a line). */
export function lineGenerator(): () => string {
  let seed = 7;
  return () => {
    const words: string[] = [];
    for (let i = 0; i < 8; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      words.push(WORDS[seed % WORDS.length]);
    }
    return words.join(' ');
  };
}

/** The first `count` generated lines (the i-th is the same on every run). */
export function generatedLines(count: number): string[] {
  const next = lineGenerator();
  return Array.from({ length: count }, () => next());
}

/**
 * Serve `linesPerSecond` generated lines per second on host:port (port 0: any free port)
 * to every connected client; with `total`, stop after that many lines in all (then
 * `onAllSent` runs once). `next` makes the lines (default: lineGenerator()'s words).
 */
export function startLineServer(opts: { host?: string; port?: number; linesPerSecond?: number; total?: number; onAllSent?: () => void; next?: () => string } = {}): Promise<LineServer> {
  const rate = opts.linesPerSecond ?? 1000;
  const total = opts.total ?? Infinity;
  let sent = 0;
  const next = opts.next ?? lineGenerator();
  const clients = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
    socket.on('error', () => clients.delete(socket));
  });
  const tickMs = 50;
  let debt = 0;
  const timer = setInterval(() => {
    if (clients.size === 0) return;
    debt += (rate * tickMs) / 1000;
    const n = Math.min(Math.floor(debt), total - sent);
    debt -= n;
    if (n <= 0) return;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(next());
    const text = lines.join('\n') + '\n';
    for (const c of clients) c.write(text);
    sent += n;
    if (sent === total) opts.onAllSent?.();
  }, tickMs);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        sent: () => sent,
        close: () =>
          new Promise<void>((r) => {
            clearInterval(timer);
            for (const c of clients) c.destroy();
            server.close(() => r());
          }),
      });
    });
  });
}
