/**
 * Every error Sluice raises is a SluiceError with a stable code from this closed list,
 * an optional cause, and a message that names the thing, the bad value and the fix.
 */
export const ErrorCodes = [
  'SLUICE_JOB_FILE_NOT_FOUND',
  'SLUICE_JOB_COMPILE',
  'SLUICE_JOB_LOAD',
  'SLUICE_JOB_NO_MAIN',
  'SLUICE_JOB_FAILED',
  'SLUICE_JOB_LOST',
  'SLUICE_TASK_FAILED',
  'SLUICE_TASK_NOT_SERIALIZABLE',
  'SLUICE_UNAUTHENTICATED',
  'SLUICE_UNREACHABLE',
  'SLUICE_NO_SECRET',
  'SLUICE_WEAK_SECRET',
  'SLUICE_BAD_ARGUMENT',
  'SLUICE_BAD_RECORD',
  'SLUICE_FETCH_FAILED',
  'SLUICE_WORKER_LOST',
  'SLUICE_NO_WORKERS',
  'SLUICE_CHECKPOINT',
  'SLUICE_IO',
  'SLUICE_TASK_TIMEOUT',
  'SLUICE_CANCELLED',
  'SLUICE_NOT_STARTED',
  'SLUICE_INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export class SluiceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/** A function given to an operator cannot be shipped to workers (Spark's "Task not serializable"). */
export class NotSerializableError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_TASK_NOT_SERIALIZABLE', message, options);
    this.name = 'NotSerializableError';
  }
}

/** User code threw on a worker; message and stack are the user's, stack mapped to their files. */
export class TaskFailedError extends SluiceError {
  readonly userStack: string;

  constructor(message: string, userStack: string, options?: { cause?: unknown }) {
    super('SLUICE_TASK_FAILED', message, options);
    this.name = 'TaskFailedError';
    this.userStack = userStack;
    this.stack = userStack;
  }
}

export function isSluiceError(e: unknown): e is SluiceError {
  const code = (e as { code?: unknown } | null)?.code;
  return e instanceof Error && typeof code === 'string' && code.startsWith('SLUICE_');
}
