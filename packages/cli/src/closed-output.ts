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
 */
export function handleClosedOutput(command: string | undefined, streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  let closed = false;
  const onError = (err: NodeJS.ErrnoException): void => {
    if (err.code !== 'EPIPE') throw err;
    if (closed) return;
    closed = true;
    if (command === 'driver' || command === 'worker') return;
    if (command === 'run') {
      process.kill(process.pid, 'SIGTERM');
      return;
    }
    process.exit(0);
  };
  for (const s of streams) s.on('error', onError);
}
