import { inspect } from 'node:util';
import type { Logger } from 'pino';
import { grpcLib } from './grpc-lib.js';

/** grpc-js error lines that a SluiceError reports anyway, with the fix (a port in use): logged at debug. */
const REPORTED_BY_SLUICE: readonly RegExp[] = [/^No address added out of total \d+ resolved/];

/**
 * Send @grpc/grpc-js's own log lines — by default written to stderr with console.error
 * ("E No address added out of total 1 resolved", ahead of Sluice's own clearer error) —
 * to the process's pino logger as `component: 'grpc'`: its errors at warn, except those a
 * SluiceError reports anyway (then debug), its info and debug lines at debug.
 * Call once per process with the root logger (the CLI does, for driver, worker and run).
 */
export function routeGrpcLogs(root: Logger): void {
  const log = root.child({ component: 'grpc' });
  const text = (args: readonly unknown[]): string => args.map((a) => (typeof a === 'string' ? a : inspect(a))).join(' ');
  grpcLib().setLogger({
    error: (...args: unknown[]) => {
      const line = text(args);
      if (REPORTED_BY_SLUICE.some((r) => r.test(line))) log.debug({ line }, 'grpc-js error');
      else log.warn({ line }, 'grpc-js error');
    },
    info: (...args: unknown[]) => log.debug({ line: text(args) }, 'grpc-js info'),
    debug: (...args: unknown[]) => log.debug({ line: text(args) }, 'grpc-js debug'),
  });
}

/** A bind failure in words: the port in use, or grpc-js's message. */
export function listenFailure(err: Error): string {
  return /EADDRINUSE/.test(err.message) ? 'the port is already in use (EADDRINUSE)' : err.message;
}
