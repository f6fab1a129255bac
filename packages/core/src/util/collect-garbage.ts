import v8 from 'node:v8';
import vm from 'node:vm';

let gc: (() => void) | undefined;

/**
 * A full garbage collection of the calling thread's isolate. V8 collects when its own
 * heap fills, not when memory outside it (Buffers) or files that weakly tracked objects
 * stand for (RDD checkpoints, shuffle outputs) have become garbage. `--expose-gc` is set
 * at run time, once per process, and each thread takes its own `gc` from a fresh context.
 */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}
