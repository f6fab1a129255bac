import net from 'node:net';

/** What a TCP connection attempt to a worker's port found. */
export type ProbeResult = 'refused' | 'open' | 'unknown';

/**
 * Try a TCP connection to `address` (HOST:PORT). `refused` means no process listens on
 * the port: the worker process is gone (its kernel answered for it), which is certain
 * at once. `open` means something accepted the connection — possibly a worker that is
 * paused, since the kernel accepts for a stopped process too. `unknown`: no answer within
 * `timeoutMs` (a host that vanished or a network that drops packets) — only the heartbeat
 * timeout can tell.
 */
export function probePort(address: string, timeoutMs = 3000): Promise<ProbeResult> {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(i + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (r: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done('unknown'), timeoutMs);
    socket.once('connect', () => done('open'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'refused' : 'unknown'));
  });
}
