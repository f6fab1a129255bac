/**
 * A local worker's old-generation floor (`--initial-old-space-size`, localWorkerGcArgs) is
 * its main thread's alone: cli-entry imports this file before any other, and on import it
 * puts the option back to V8's default for the rest of the process.
 *
 * Why: V8's options are one set a process, and V8 rejects a code cache made under other
 * options than the present ones, heap sizes included. Node's own cache of its built-in
 * modules (embedded in the node binary) is made under the default options: with the floor
 * left in, every isolate of the process compiled each built-in module it loaded from source
 * (the main thread's http2, tls, net, streams, crypto...: 10 -> 30 ms; each task thread's
 * again), ~50 ms of a local worker's CPU in a one-action `sluice run` (bench/README,
 * start-up, eleventh round). The main thread keeps its floor, as the streaming figures
 * show: V8 reads the option once, when it configures an isolate's heap, which for the main
 * thread is before any JavaScript runs. Task threads start after this and get none: the
 * block-sized buffers the floor is for pass through the main thread, and no measurement
 * asked for it in the task threads.
 *
 * This file imports only node:module (node:v8 when the option is there), and nothing may be
 * imported before it in cli-entry: every built-in module loaded before the option is put back
 * is compiled without Node's cache (cli-entry's own imports first: +20 ms of a worker's main
 * thread; this file first: +7 ms, what node:v8 loads).
 */
import { createRequire } from 'node:module';

/** `--initial-old-space-size=N` as V8 takes it (dashes or underscores). */
const OLD_SPACE_FLOOR_OPTION = /^--initial[-_]old[-_]space[-_]size=/;

/** Put `--initial-old-space-size` back to V8's default when `execArgv` set it; returns whether it did. */
export function releaseOldSpaceFloorOption(execArgv: readonly string[] = process.execArgv): boolean {
  if (!execArgv.some((a) => OLD_SPACE_FLOOR_OPTION.test(a))) return false;
  // Loaded only here: node:v8 brings Node's streams with it (3 ms), which every other command
  // (`sluice run` before it spawns its workers) would pay at its start.
  const v8 = createRequire(import.meta.url)('node:v8') as typeof import('node:v8');
  v8.setFlagsFromString('--initial-old-space-size=0');
  return true;
}

releaseOldSpaceFloorOption();
