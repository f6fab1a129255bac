import { SluiceError } from '../errors.js';

/**
 * The error for a Spark method Sluice cannot have (it needs Hadoop or the JVM): called by its
 * Spark name, it says so and names what to use instead. Such methods take `never` arguments, so
 * TypeScript refuses a call with any, and JavaScript (the shell) gets this message.
 */
export function notProvided(call: string, why: string, instead: string): never {
  throw new SluiceError('SLUICE_BAD_ARGUMENT', `${call} is not provided: ${why}; ${instead}`);
}
