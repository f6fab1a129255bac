import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

/**
 * The one root logger of a Sluice process; components take `child({ component })`.
 * Logs go to stderr (stdout carries job output): pretty on a terminal, JSON otherwise.
 */
export function createRootLogger(level: string, opts: { pretty?: boolean; base?: Record<string, unknown> } = {}): Logger {
  const usePretty = opts.pretty ?? process.stderr.isTTY === true;
  const options = { level: level as LevelWithSilent, base: opts.base ?? { pid: process.pid } };
  if (usePretty) return pino(options, pretty({ destination: 2, colorize: true, sync: true, ignore: 'pid,hostname' }));
  return pino(options, pino.destination({ dest: 2, sync: true }));
}
