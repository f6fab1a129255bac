/**
 * What a command does when the reader of its standard output (or error) has gone, as in
 * `sluice jobs | head -1` or `sluice workers | grep -m1 worker-`: Node ignores SIGPIPE, so the
 * next write fails with EPIPE, an 'error' event on process.stdout that nothing handled, and the
 * command died with Node's stack and exit code 1 after printing what the reader wanted
 * (user55, a standing cluster's `sluice jobs --driver ... | head -3`). A C program would be
 * killed by SIGPIPE without a word; so here, quietly:
 * - `run` stops its job as Ctrl-C does (a SIGTERM to itself: its handler stops the job and the
 *   local cluster), its later output dropped;
 * - `driver` and `worker` go on serving (nothing of theirs is on stdout; their log is on stderr),
 *   what they would print dropped;
 * - every other command (jobs, workers, submit, stop, ...) exits 0 at once: what it printed was
 *   read as far as the reader wanted, and an attached submit's job goes on on the driver, as
 *   after Ctrl-C on the submit.
 * Any other error of the streams is left as it was (thrown).
 *
 * The log is on stderr too, written by the root logger's own writer on fd 2 (logger.ts), not
 * through process.stderr: pino takes an EPIPE there as the end of logging and drops every later
 * line without a word, so a `sluice run` whose stderr alone was closed (`2>&1 >/dev/null | head
 * -1`, its log at --log-level debug) ran on, and its job with it, for ever. The logger passes
 * that EPIPE here (closedLogOutput), which does as for the streams'.
 */
export function handleClosedOutput(command: string | undefined, streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  let closed = false;
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
    if (closed) return;
    closed = true;
    if (command === 'driver' || command === 'worker') return;
    if (command === 'run') {
      // Its SIGTERM handler stops the job; a log line can meet the closed pipe before the
      // handler is there (the first at --log-level debug does), when SIGTERM would kill it:
      // then the signal waits for runCanStop.
      if (runStoppable) process.kill(process.pid, 'SIGTERM');
      else runStopWanted = true;
      return;
    }
    process.exit(0);
  };
  for (const s of streams) s.on('error', onError);
  onClosedOutput = onError;
}

/** Whether `sluice run` handles SIGTERM (runCanStop was called); whether its output closed before. */
let runStoppable = false;
let runStopWanted = false;

/** `sluice run` handles SIGTERM from now on: an output that closed before stops it now. */
export function runCanStop(): void {
  runStoppable = true;
  if (runStopWanted) process.kill(process.pid, 'SIGTERM');
}

/** handleClosedOutput's handler, once installed (a process that installed none: undefined). */
let onClosedOutput: ((err: NodeJS.ErrnoException) => void) | undefined;

/** The log's writer on fd 2 met EPIPE (its reader has gone): as an EPIPE of process.stderr (see above). */
export function closedLogOutput(err: NodeJS.ErrnoException): void {
  onClosedOutput?.(err);
}
