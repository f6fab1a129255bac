import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

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
 */
export function collectGarbage(): void {
  if (!gc) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') {
      gc = exposed as () => void;
    } else {
      v8.setFlagsFromString('--expose-gc');
      try {
        gc = vm.runInNewContext('gc') as () => void;
      } finally {
        v8.setFlagsFromString('--no-expose-gc');
      }
    }
  }
  gc();
}
