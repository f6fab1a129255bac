import { DRIVER_STACKTRACE, splitDriverStack, stackParts } from '@sluice/core/internal';

/**
 * The lines `sluice` prints under a failed job's message: its stack as the driver sent it
 * (core's userErrorInfo: "<name>: <message>", its frames, then each cause as "Caused by: <name>:
 * <message>" and the cause's frames; read by core's stackParts), without the first error's
 * header (the message printed just above repeats it), and with each cause's frames that end the
 * same way as the error it caused folded into "... N more", as Java prints a stack trace. A
 * cause that would print nothing but its header and "... N more" (all its frames are its
 * error's) and whose message `message` already says is left out: a failed task's error, or a
 * failed output operation's, carries the error that failed it as its cause, with the same
 * frames and the message within its own. A failed job's "Driver stacktrace:" (the program's
 * frames where it called the action, after the task's error and causes) is printed last, as is.
 * Frames of installed packages (a path through node_modules: a connector's, a client library's
 * under its error) fold into one line naming the packages (foldLibraryFrames), so the user's
 * message and frames are not buried under them; the user's own frames print whole.
 */
export function failureTrace(stack: string, message: string): string[] {
  const { driver } = splitDriverStack(stack);
  const parts = stackParts(stack);
  const out: string[] = foldLibraryFrames(parts[0].frames);
  for (let i = 1; i < parts.length; i++) {
    const { head, message: said, frames } = parts[i];
    const enclosing = parts[i - 1].frames;
    let common = 0;
    while (common < frames.length && common < enclosing.length && frames[frames.length - 1 - common] === enclosing[enclosing.length - 1 - common]) common++;
    if (common === frames.length && common > 0 && said !== undefined && said !== '' && message.includes(said)) continue;
    out.push(...`Caused by: ${head}`.split('\n'), ...foldLibraryFrames(frames.slice(0, frames.length - common)));
    if (common > 0) out.push(`    ... ${common} more`);
  }
  if (driver !== undefined) out.push(DRIVER_STACKTRACE, ...driver);
  return out;
}

/** The package of a frame in node_modules (`pg-protocol`, `@sluice/redis`; the last node_modules/ of its path), else undefined. */
function libraryOf(frame: string): string | undefined {
  const at = frame.lastIndexOf('/node_modules/');
  if (at < 0 || !/^\s+at /.test(frame)) return undefined;
  const m = /^(@[^/]+\/[^/]+|[^/@][^/]*)\//.exec(frame.slice(at + '/node_modules/'.length));
  return m ? m[1] : undefined;
}

/**
 * `frames` with each run of two or more frames in node_modules folded into `    ... N frames in
 * node_modules (pkg, pkg)`: a library's own frames (a client's parser under the server's error,
 * a connector installed from npm) tell the user little, and printed whole they push the user's
 * frames and the Driver stacktrace's program line out of sight. A lone such frame prints as is.
 */
export function foldLibraryFrames(frames: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < frames.length; ) {
    let j = i;
    const packages: string[] = [];
    for (let lib = libraryOf(frames[j] ?? ''); j < frames.length && lib !== undefined; lib = libraryOf(frames[++j] ?? '')) if (!packages.includes(lib)) packages.push(lib);
    if (j - i >= 2) {
      out.push(`    ... ${j - i} frames in node_modules (${packages.join(', ')})`);
      i = j;
    } else if (j > i) {
      out.push(...frames.slice(i, j));
      i = j;
    } else out.push(frames[i++]!);
  }
  return out;
}

/**
 * `sluice jobs`' text of a failed job's error: the driver's ListJobs sends its message, a line
 * break and its stack, whose header repeats the message (or its start: a failed output
 * operation's message adds the batch and the operation; a program's own throw's message leads
 * with its class, as the header); printed as the message then
 * failureTrace's lines, as `sluice submit` prints a failure, not the message twice. A text
 * that is not so made is returned as it is.
 */
export function jobErrorText(error: string): string {
  for (let at = error.indexOf('\n'); at >= 0; at = error.indexOf('\n', at + 1)) {
    const message = error.slice(0, at);
    const stack = error.slice(at + 1);
    const header = /^[\w$.]+(?: \[\w+\])?: /.exec(stack)?.[0];
    if (header === undefined) continue;
    const said = stack.slice(header.length, stack.search(/\n {4}at |\nCaused by: |$/));
    // The message may lead with the error's class as the stack's header does (a program's own
    // throw on the driver: 'TypeError: ...'), or say the message alone (a task's error).
    if (said !== '' && (message.startsWith(said) || message.startsWith(header + said))) return [message, ...failureTrace(stack, message)].join('\n');
  }
  return error;
}
