/**
 * The worker process's memory figures, read so that a process out of file descriptors
 * keeps going. process.memoryUsage() and process.memoryUsage.rss() read the resident set
 * from /proc/self/stat on Linux, which takes a file descriptor: with none left (EMFILE,
 * the process's `ulimit -n` reached) they throw, and thrown in the heartbeat's timer that
 * took the whole worker down. Here a failed read gives the last figures read (zero before
 * any), and the caller goes on; the descriptors are what to fix, and the errors of the
 * work that needed them say so.
 *
 * Threading: any thread (each has its own last figures).
 */
let last: NodeJS.MemoryUsage = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };

/** process.memoryUsage(), or the last figures it gave when it cannot be read now. */
export function memoryUsage(): NodeJS.MemoryUsage {
  try {
    last = process.memoryUsage();
  } catch {
    // EMFILE reading /proc/self/stat: keep the last figures.
  }
  return last;
}

/** process.memoryUsage.rss(), or the last resident set read when it cannot be read now. */
export function residentSetBytes(): number {
  try {
    last = { ...last, rss: process.memoryUsage.rss() };
  } catch {
    // As above.
  }
  return last.rss;
}
