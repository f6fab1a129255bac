/**
 * `net.isIPv6` and `net.isIP` answer at once for a string without a colon, in every `sluice`
 * process (main.ts installs this when it loads).
 *
 * Why: grpc-js asks Node whether an address is IPv6 as it binds, listens, resolves and
 * connects (`subchannelAddressToString` at every bind and listen, the DNS and IP resolvers,
 * pick-first). Node 20's `isIPv6` is one long regular expression (a branch for each place
 * `::` may stand), which V8 compiles at its first use and again to machine code at its
 * second: 12-18 ms of CPU in a fresh process, the expression's first call alone
 * (bench/README, start-up, thirteenth round). `sluice run`'s driver paid it before it
 * listened and each worker before it registered, for addresses such as 127.0.0.1 and
 * 0.0.0.0 that cannot be IPv6 addresses: every branch of the expression, the zone suffix
 * apart, holds a colon.
 *
 * The answers stay Node's: a string without a colon is not IPv6 (and is IP version 4 only
 * if Node's own `isIPv4` says so); any other value (a string with a colon, a non-string,
 * which Node converts) goes to Node's functions. It changes this process's `node:net` only:
 * each thread (a job's program, a task) has its own. Library users who make a DriverNode or
 * WorkerNode themselves keep Node's functions as they are.
 */
import net from 'node:net';

/** Marks the functions this file made: installing twice wraps nothing twice (and a test can see them). */
export const IP_CHECK_FAST_PATH: unique symbol = Symbol.for('sluice.ipCheckFastPath');
const FAST_PATH: typeof IP_CHECK_FAST_PATH = IP_CHECK_FAST_PATH;

type Marked<F> = F & { [FAST_PATH]?: true };

/** The part of `node:net` this wraps (a stand-in in tests). */
export interface IpChecks {
  isIP: (input: string) => number;
  isIPv4: (input: string) => boolean;
  isIPv6: (input: string) => boolean;
}

/** Whether `input` is a string that no IPv6 address (Node's expression) can be. */
function colonFree(input: unknown): boolean {
  return typeof input === 'string' && !input.includes(':');
}

/** Wrap `target`'s isIPv6 and isIP with the fast path for colon-free strings; a no-op when done before. */
export function installIpCheckFastPath(target: IpChecks = net): void {
  if ((target.isIPv6 as Marked<IpChecks['isIPv6']>)[FAST_PATH]) return;
  const { isIP, isIPv4, isIPv6 } = target;
  const fastIsIPv6: Marked<IpChecks['isIPv6']> = (input) => (colonFree(input) ? false : isIPv6(input));
  const fastIsIP: Marked<IpChecks['isIP']> = (input) => (colonFree(input) ? (isIPv4(input) ? 4 : 0) : isIP(input));
  fastIsIPv6[FAST_PATH] = true;
  fastIsIP[FAST_PATH] = true;
  target.isIPv6 = fastIsIPv6;
  target.isIP = fastIsIP;
}
