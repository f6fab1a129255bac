import { createRequire } from 'node:module';
import { pino, type Logger, type LevelWithSilent } from 'pino';
import type PinoPretty from 'pino-pretty';
import { mapBundleStack } from './bundle-stack-traces.js';
import { closedLogOutput } from './closed-output.js';

/** pino-pretty (and its dependencies) loaded only for a terminal: processes logging JSON never pay for it. */
const loadPretty = (): typeof PinoPretty => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

function mappedErr<T>(s: T): T {
  const o = s as { stack?: unknown };
  if (o !== null && typeof o === 'object' && typeof o.stack === 'string') o.stack = mapBundleStack(o.stack);
  return s;
}

/**
 * The one root logger of a Sluice process; components take `child({ component })`.
 * Logs go to stderr (stdout carries job output): pretty on a terminal, JSON otherwise.
 */
export function createRootLogger(level: string, opts: { pretty?: boolean; base?: Record<string, unknown> } = {}): Logger {
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  const options = {
    level: level as LevelWithSilent,
    base: opts.base ?? { pid: process.pid },
    // A logged error's stack names the .ts files when the bundle runs (mapped only as it is logged).
    serializers: { err: (e: Error) => mappedErr(pino.stdSerializers.err(e)) },
  };
  if (usePretty) return pino(options, loadPretty()({ destination: 2, colorize: true, sync: true, ignore: 'pid,hostname' }));
  const dest = pino.destination({ dest: 2, sync: true });
  // pino's own listener drops every later line after an EPIPE, without a word: this one, run
  // before it, tells the command its stderr's reader has gone (closed-output.ts). Another error
  // it leaves to pino's, which throws it as before (it removes itself first, or pino's emitting
  // it again would reach it and the error be lost).
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code === 'EPIPE') closedLogOutput(err);
    else dest.removeListener('error', onError);
  };
  dest.prependListener('error', onError);
  return pino(options, dest);
}
