import type * as Dns from 'node:dns';
import { createRequire } from 'node:module';
import net from 'node:net';
import { splitHostPort } from './host-port.js';

const require = createRequire(import.meta.url);

/**
 * Why nothing answered gRPC at `address` (HOST:PORT, an IPv6 host in brackets), in words a user
 * can act on, found by trying the two steps under gRPC: the host's name lookup, then a plain TCP
 * connection (closed at once, nothing sent). For the message of a connection that timed out,
 * where gRPC says only that it had none (`lookup` stands in for the system's name lookup):
 * - "the host 'x' does not resolve (ENOTFOUND)": a typo in the name, or a name only another
 *   machine or network knows;
 * - "nothing listens on port P of H (connection refused)";
 * - "a TCP connection to H:P opens, but what listens there did not answer as a Sluice driver":
 *   another program on that port, or TLS on one side only;
 * - "no TCP connection to H:P within N ms": a firewall dropping packets, or a host that is down.
 */
export async function unreachableReason(address: string, opts: { readonly timeoutMs?: number; readonly lookup?: (host: string) => Promise<{ address: string }> } = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  // node:dns on this failure's path only (as grpc-lib loads gRPC): every importer of core, task threads
  // included, would otherwise load it at start (~0.9 ms each). Not import(): the CLI bundle cannot.
  const lookup = opts.lookup ?? ((host: string) => (require('node:dns') as typeof Dns).promises.lookup(host));
  const hp = splitHostPort(address);
  if (!hp) return `'${address}' is not HOST:PORT`;
  const host = hp.host;
  const port = Number(hp.port);
  let ip: string;
  try {
    ip = (await lookup(host)).address;
  } catch (e) {
    return `the host '${host}' does not resolve (${(e as NodeJS.ErrnoException).code ?? String(e)}): check its spelling, or use the driver's IP address`;
  }
  const shown = ip === host ? host : `${host} (${ip})`;
  const at = net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host: ip, port });
    const done = (reason: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no TCP connection to ${at} within ${timeoutMs} ms: is the host up, and does a firewall let port ${port} through?`), timeoutMs);
    socket.once('connect', () => done(`a TCP connection to ${at} opens, but what listens there did not answer as a Sluice driver: is it \`sluice driver\`'s port (not its web port or another program's), and do your TLS options (--tls-ca) match the driver's?`));
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done(e.code === 'ECONNREFUSED' ? `nothing listens on port ${port} of ${shown} (connection refused): is \`sluice driver\` running there, on that port?` : `a TCP connection to ${at} failed (${e.code ?? e.message})`),
    );
  });
}
