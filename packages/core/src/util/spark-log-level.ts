import { SluiceError } from '../errors.js';
import { sparkWords } from './spark-words.js';

/**
 * Spark's log4j levels, lowest first, as sc.setLogLevel takes them (any case). The order Spark's
 * message lists them in is its VALID_LOG_LEVELS Set's (a Scala HashSet's), kept as printed.
 */
const LEVELS = ['ALL', 'TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'OFF'] as const;
const SPARK_LISTED = 'ALL,DEBUG,ERROR,FATAL,TRACE,WARN,INFO,OFF';

export type SparkLogLevel = (typeof LEVELS)[number];

/** `level` upper-cased when it is one of Spark's, else SLUICE_BAD_ARGUMENT with Spark's require sentence. */
export function sparkLogLevel(level: unknown, where: string): SparkLogLevel {
  const upper = typeof level === 'string' ? level.toUpperCase() : undefined;
  const found = LEVELS.find((l) => l === upper);
  if (found === undefined) {
    throw new SluiceError(
      'SLUICE_BAD_ARGUMENT',
      `${where}: ${typeof level === 'string' ? `'${level}'` : String(level)} is not a log level; give one of ${LEVELS.join(', ')} (any case)${sparkWords(typeof level === 'string', `Supplied level ${String(level)} did not match one of: ${SPARK_LISTED}`)}`,
    );
  }
  return found;
}

/** Whether a message at `level` ('debug' | 'info' | 'warn' ...) is written under the threshold `set`. */
export function logLevelPasses(level: string, set: SparkLogLevel): boolean {
  return LEVELS.indexOf(level.toUpperCase() as SparkLogLevel) >= LEVELS.indexOf(set);
}
