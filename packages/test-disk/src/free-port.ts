// A port for a test's server that nothing listens on, and that nothing else on the machine is
// about to take. The kernel hands bind(0) and outgoing connections ports from its ephemeral
// range, so a port read from bind(0) and closed may go to another lane's socket before the
// test's server binds it (a CI run saw a driver on 0.0.0.0 fail with EADDRINUSE that way). So
// the port is drawn at random from below that range, where only a test picking a port by hand
// lands, and checked on 0.0.0.0 (which any IPv4 listener on it would refuse).
import fs from 'node:fs';
import net from 'node:net';

/** Where the kernel's ephemeral ports start (Linux: /proc/sys/net/ipv4/ip_local_port_range). */
function ephemeralLow(): number {
  try {
    const low = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 32768;
  } catch {
    return 32768;
  }
}

/** Listen on port (0: any) and close: the port, or undefined when it is taken. */
function tryPort(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' || err.code === 'EACCES' ? resolve(undefined) : reject(err)));
    s.listen(port, host, () => {
      const bound = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(bound));
    });
  });
}

/** Ports from `from` up to (not including) `to`. */
export interface PortRange {
  from: number;
  to: number;
}

/** Below the ephemeral range, from 10000; undefined when there is no room there. */
function belowEphemeral(): PortRange | undefined {
  const low = ephemeralLow();
  return low - 10_000 >= 1_000 ? { from: 10_000, to: low } : undefined;
}

/**
 * A free port drawn at random from range (default: below the ephemeral range, so parallel test
 * files seldom meet; bind(0)'s on a machine without room there).
 */
export async function freePort(range: PortRange | undefined = belowEphemeral()): Promise<number> {
  if (range !== undefined) {
    for (let i = 0; i < 50; i++) {
      const port = await tryPort(range.from + Math.floor(Math.random() * (range.to - range.from)), '0.0.0.0');
      if (port !== undefined) return port;
    }
    throw new Error(`no free port in ${range.from}-${range.to - 1} after 50 draws`);
  }
  const port = await tryPort(0, '127.0.0.1');
  if (port === undefined) throw new Error('no free loopback port');
  return port;
}
