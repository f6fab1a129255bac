import v8 from 'node:v8';
import vm from 'node:vm';
import { SluiceError } from '../errors.js';

let gc: (() => void) | undefined;

/** How many times a thread tries to take `gc` while other threads turn the option off. */
export const GC_FETCH_ATTEMPTS = 1000;

/**
 * A full garbage collection of the calling thread's isolate. V8 collects when its own
 * heap fills, not when memory outside it (Buffers) or files that weakly tracked objects
 * stand for (RDD checkpoints, shuffle outputs) have become garbage. Each thread takes its own
 * `gc` from a fresh context made while `--expose-gc` is set; the option is set only for that
 * moment (unless the process was started with it). V8's options are one set a process, and
 * V8 rejects a code cache made under other options: left set, it made every thread started
 * afterwards (a later job's task threads, a replaced spare) compile each of Node's built-in
 * modules from source rather than from Node's embedded cache (bench/README, start-up,
 * eleventh round), and the CLI bundle's cache written at exit useless to the next start.
 *
 * Threads: the option is the process's, so another thread taking its own `gc` at the same
 * moment (the driver's job threads, each with its context cleaner; a worker's main thread
 * beside a program that does the same) may turn it off between this thread's setting it and
 * its fresh context: that context then has no `gc`, and the attempt is made again (measured: 4
 * of 4,000 attempts of two threads at once, each of them missing it otherwise threw a
 * ReferenceError into the caller: a program's persist() or broadcast(), a job's end).
 */
export function collectGarbage(): void {
  gc ??= fetchGc();
  gc();
}

function fetchGc(): () => void {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === 'function') return exposed as () => void;
  for (let attempt = 0; attempt < GC_FETCH_ATTEMPTS; attempt++) {
    v8.setFlagsFromString('--expose-gc');
    let got: unknown;
    try {
      got = vm.runInNewContext('typeof gc === "function" ? gc : undefined');
    } finally {
      v8.setFlagsFromString('--no-expose-gc');
    }
    if (typeof got === 'function') return got as () => void;
  }
  throw new SluiceError('SLUICE_INTERNAL', `collectGarbage: no gc function after ${GC_FETCH_ATTEMPTS} attempts (another thread kept turning V8's --expose-gc off); start node with --expose-gc to give every thread its gc`);
}
