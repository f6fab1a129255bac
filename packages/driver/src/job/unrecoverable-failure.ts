/**
 * Which failures of a job's program `--supervise` does not restart: those the same bundle,
 * arguments and checkpoint meet again on every attempt, so a restart would only spend the
 * restarts left (`--max-restarts`) and end the same way. Spark's --supervise restarts a
 * driver on any non-zero exit; Sluice knows the failure's error code, and stops at once for:
 */
const UNRECOVERABLE_CODES: ReadonlyMap<string, string> = new Map([
  ['SLUICE_JOB_NO_MAIN', 'the job file has no default export to run, and the next attempt runs the same file'],
  ['SLUICE_JOB_FILE_NOT_FOUND', 'a file the job names does not exist, and the next attempt names the same'],
  ['SLUICE_JOB_COMPILE', 'the job does not compile, and the next attempt runs the same code'],
  ['SLUICE_VERSION_MISMATCH', 'it was made by another Sluice build than this driver, which a restart does not change'],
  ['SLUICE_TASK_NOT_SERIALIZABLE', 'a function or value the job sends to its tasks cannot be shipped, and the next attempt sends the same'],
]);

/**
 * Errors whose code (SLUICE_CHECKPOINT) also covers what a restart may fix (a store that did
 * not answer, a full disk), told apart by their class, which core names for this.
 */
const UNRECOVERABLE_CLASSES: ReadonlyMap<string, string> = new Map([
  ['NoUsableCheckpointError', 'no metadata checkpoint of the directory is usable, and the next attempt reads the same ones'],
  ['CheckpointGraphMismatchError', "the job's streams differ from those its checkpoint recorded, and the next attempt runs the same code on the same checkpoint"],
]);

/**
 * Why a program failure with `code` (and error class `name`) is not worth a restart, or
 * undefined when a restart may fix it (any other failure, as Spark's --supervise).
 */
export function unrecoverableWhy(code: string, name: string | undefined): string | undefined {
  return UNRECOVERABLE_CODES.get(code) ?? (name === undefined ? undefined : UNRECOVERABLE_CLASSES.get(name));
}

/**
 * Why a program failure at an attempt's start (no batch completed) that repeats the previous
 * attempt's, also at its start, word for word (`code` and `message`), is not restarted again,
 * or undefined when it is (as Spark's --supervise). Only for failures that say the job's own
 * input is wrong, which the next attempt names the same: SLUICE_BAD_ARGUMENT (an unknown Kafka
 * topic, a bad argument the program checks) and SLUICE_IO for a path that does not exist
 * (ENOENT). Their first occurrence is restarted once (a topic being created, a path that appears
 * meanwhile: what a restart can fix); what is not the job's input (brokers or a database not
 * answering, a full disk) is restarted every time, however alike its messages.
 */
export function repeatedAtStartWhy(code: string, message: string): string | undefined {
  if (code === 'SLUICE_BAD_ARGUMENT' || (code === 'SLUICE_IO' && /\bENOENT\b|no such file or directory/i.test(message))) {
    return 'the attempt before failed at its start the same way, before any batch completed, and the next attempt would start from the same input';
  }
  return undefined;
}

/**
 * The network error a failed task's message names (`connect ECONNREFUSED 127.0.0.1:6379` of a
 * task writing to a store that was down), or undefined: a server that did not answer, which a
 * later attempt may reach, unlike a task of the job's code that throws on a record. The advice
 * of a supervised job's final SLUICE_TASK_FAILED differs by it. ENOTFOUND (a host name that
 * does not resolve) is left out: most often a wrong name, which a restart meets again.
 */
export function taskConnectionCause(message: string): string | undefined {
  return /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|EPIPE)\b/.exec(message)?.[1];
}
