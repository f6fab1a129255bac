/** One error of a stack laid out as userErrorInfo writes it (the error, then each `Caused by: `). */
export interface StackPart {
  /** The lines before its first frame ("TypeError: bad", without "Caused by: "). */
  readonly head: string;
  /** The head's `<name>: <message>`, when it is written so. */
  readonly name: string | undefined;
  readonly message: string | undefined;
  /** Its lines from the first frame on. */
  readonly frames: readonly string[];
}

/**
 * The line after a failed job's task error (and its causes) that opens the driver program's
 * frames where it called the action, as Spark's SparkException message ends "Driver stacktrace:"
 * and its driver frames follow (TaskFailedError's driverStack).
 */
export const DRIVER_STACKTRACE = 'Driver stacktrace:';

/** A stack without its Driver stacktrace section, and that section's frame lines (undefined when it has none). */
export function splitDriverStack(stack: string): { readonly stack: string; readonly driver: readonly string[] | undefined } {
  const at = stack.lastIndexOf(`\n${DRIVER_STACKTRACE}\n`);
  if (at < 0) return { stack, driver: undefined };
  return { stack: stack.slice(0, at), driver: stack.slice(at + DRIVER_STACKTRACE.length + 2).split('\n') };
}

/** The errors of a stack userErrorInfo wrote: the error's, then each cause's, in order (a Driver stacktrace section left out: splitDriverStack). */
export function stackParts(stack: string): StackPart[] {
  return splitDriverStack(stack).stack.split(/\nCaused by: /).map((part) => {
    const lines = part.split('\n');
    const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
    const head = (firstFrame < 0 ? lines : lines.slice(0, firstFrame)).join('\n');
    const m = /^([A-Za-z_$][\w$.]*): ([\s\S]*)$/.exec(head);
    return { head, name: m?.[1], message: m?.[2], frames: firstFrame < 0 ? [] : lines.slice(firstFrame) };
  });
}

/**
 * The error a task's stack (userErrorInfo's) describes, with its causes: each an Error of
 * the name, message and frames written there. Undefined for a stack without a header.
 */
export function causeFromStack(stack: string): Error | undefined {
  let cause: Error | undefined;
  for (const part of stackParts(stack).reverse()) {
    if (part.head === '') continue;
    const e = new Error(part.message ?? part.head, cause === undefined ? undefined : { cause });
    e.name = part.name ?? 'Error';
    e.stack = [part.head, ...part.frames].join('\n');
    cause = e;
  }
  return cause;
}
