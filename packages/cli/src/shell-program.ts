/**
 * The driver program of `sluice shell` (spark-shell's counterpart): a Node REPL whose `sc`
 * is the program's SluiceContext. It runs as any job's program does, in a driver-program
 * thread of the embedded local cluster's driver (job-thread.ts), so `sc` is a SluiceContext
 * like a job's, and a function typed at the prompt is shipped like a job's: its source plus
 * the locals it captured, the shell's own `const`s and `let`s among them (capture-closure.ts
 * ships Script-scope bindings, which is where a REPL keeps them).
 *
 * The job bundle is this one function and the eval export every bundle has (shellBundle): a
 * few kilobytes, written without esbuild. Revived on a worker, a function typed at the
 * prompt has that bundle's module scope, where nothing of the user's lives: what it uses
 * comes with it as captures, or is a global every worker has.
 *
 * The terminal stays in the command's main thread (shell-terminal.ts). The two meet on a
 * BroadcastChannel named by the program's first argument (on a standing driver, `sluice shell
 * --driver`, the driver's JobConsole opens it and passes messages to and from the command over
 * the SubmitJob stream): keystrokes or piped text come in
 * ('in', 'end', once the program said 'ready'), Ctrl-C as an 'interrupt' (or a \x03 byte on a terminal), what the REPL
 * writes goes out ('out'), and 'exit' says the REPL closed. A thread's own stdout reaches
 * the main thread one line at a time, and a prompt has no newline: hence the channel.
 *
 * Input is given to the REPL one line at a time: the next line only once the REPL showed its
 * prompt again (the last one evaluated), as Node's REPL, given several lines at once,
 * evaluates a line while the one before still awaits its action; in the REPL's editor mode
 * (`.editor`, which shows no prompt until Ctrl-D) as they come.
 */
import crypto from 'node:crypto';
import type { REPLEval, REPLServer, REPLWriter } from 'node:repl';
import type { SluiceContext } from '@sluice/core';
import type { ConsoleIn, ConsoleOut } from '@sluice/driver';
import { BUNDLE_EVAL_EXPORT, type ScriptClassLookup } from '@sluice/core/internal';

/** From the terminal (the command's main thread, or a standing driver's JobConsole) to the shell's program. */
export type ToShellProgram = ConsoleIn;

/** From the shell's program to the terminal. */
export type FromShellProgram = ConsoleOut;

/** The prompt, as spark-shell's `scala> `. */
export const SHELL_PROMPT = 'sluice> ';

/** The modules the program uses, imported by the bundle (shellBundle). */
interface ShellModules {
  readonly repl: typeof import('node:repl');
  readonly stream: typeof import('node:stream');
  readonly console: typeof import('node:console');
  readonly workerThreads: typeof import('node:worker_threads');
  /** @sluice/core, as the REPL's `sluice`. */
  readonly sluice: unknown;
  /** @sluice/core/internal's shipGlobals. */
  readonly shipGlobals: (which: ((name: string) => boolean) | undefined) => void;
  /** @sluice/core/internal's setScriptClassLookup. */
  readonly setScriptClassLookup: (lookup: ScriptClassLookup | undefined) => void;
  readonly prompt: string;
}

/**
 * The program (called by the job bundle's default export). Self-contained: its text is the bundle
 * (shellBundle), so it refers to nothing outside itself but globals and `modules`, which
 * the bundle imports (statically: the CLI's own bundle allows no `import()` in its text).
 * `args`: the channel's name, 'terminal' or 'pipe', the terminal's columns.
 */
async function shellProgram(sc: SluiceContext, args: readonly string[], modules: ShellModules): Promise<void> {
  const [channelName = '', mode = 'pipe', columnsArg = '80'] = args;
  const terminal = mode === 'terminal';
  const { repl, stream, console: consoleModule, workerThreads, sluice, shipGlobals, setScriptClassLookup, prompt } = modules;
  const { PassThrough, Writable } = stream;
  const { Console } = consoleModule;
  const { BroadcastChannel } = workerThreads;
  const channel = new BroadcastChannel(channelName);
  const send = (m: FromShellProgram): void => channel.postMessage(m);

  const input = new PassThrough({ encoding: 'utf8' });
  const output = Object.assign(
    new Writable({
      write(chunk: Buffer | string, _encoding, done): void {
        send({ type: 'out', data: String(chunk) });
        done();
      },
    }),
    { columns: Number(columnsArg) || 80, isTTY: terminal },
  );
  // What the user prints at the prompt comes out between the prompts, in order.
  globalThis.console = new Console({ stdout: output, stderr: output });

  /** Typed-ahead input the REPL was not given yet. */
  let pending = '';
  /** A line was given to the REPL and its prompt has not come back yet. */
  let holding = false;
  let ended = false;
  /** Whether the REPL is in its editor mode (`.editor`): it takes lines without a prompt until Ctrl-D. */
  let editing = (): boolean => false;
  const feed = (): void => {
    while ((!holding || editing()) && pending.length > 0) {
      const nl = pending.search(/[\r\n]/);
      if (nl < 0) {
        // Part of a line (keystrokes on a terminal): given now, for the line editor.
        input.write(pending);
        pending = '';
        break;
      }
      const end = pending[nl] === '\r' && pending[nl + 1] === '\n' ? nl + 2 : nl + 1;
      const line = pending.slice(0, end);
      pending = pending.slice(end);
      holding = true;
      input.write(line);
    }
    if (ended && !holding && pending.length === 0 && !input.writableEnded) input.end();
  };

  const server: REPLServer = repl.start({ prompt, input, output, terminal, useColors: terminal, useGlobal: true, preview: false });
  editing = () => (server as { editorMode?: unknown }).editorMode === true;
  const displayPrompt = server.displayPrompt.bind(server);
  server.displayPrompt = (preserveCursor?: boolean): void => {
    displayPrompt(preserveCursor);
    holding = false;
    queueMicrotask(feed);
  };

  /** Rejects the result being awaited for display (autoAwait), when Ctrl-C comes with no Sluice job running. */
  let interruptDisplay: ((err: Error) => void) | undefined;
  // An action's Promise typed at the prompt is shown as its value, as spark-shell shows
  // `textFile.count()`'s: `const n = await rdd.count()` keeps it.
  // What the shell shows of a value, as spark-shell shows `res0: RDD[String] = MapPartitionsRDD[2]
  // at filter at <console>:24`: an RDD by its toString (class, id, operator, where it was made),
  // the context by its master, a Sluice error by its code and message (Spark's text: the task's
  // error, the stage and the attempts), anything else as Node's REPL shows it.
  const defaultWriter = server.writer;
  const core = sluice as { RDD?: Function; SluiceContext?: Function };
  const writer = (value: unknown): string => {
    if (typeof core.RDD === 'function' && value instanceof core.RDD) return String(value);
    if (value === sc) return `SluiceContext (master = ${sc.master}, app id = ${sc.applicationId})`;
    const code = (value as { code?: unknown } | null)?.code;
    if (value instanceof Error && typeof code === 'string' && code.startsWith('SLUICE_')) return `${value.name} [${code}]: ${value.message}`;
    if (value instanceof Error && typeof value.stack === 'string') {
      // The frames under the line typed (the REPL's and the shell's own) say nothing to its user.
      const frames = value.stack.split('\n');
      const under = frames.findIndex((f) => /^\s+at ContextifyScript\.runInThisContext /.test(f));
      if (under > 0) value.stack = frames.slice(0, under).join('\n');
    }
    return defaultWriter.call(server, value);
  };
  (server as { writer: REPLWriter }).writer = Object.assign(writer, { options: (defaultWriter as { options?: unknown }).options });

  const defaultEval = server.eval;
  /** Every line given to the REPL: a class whose source is in it was declared at the prompt. */
  let typed = '';
  const autoAwait: REPLEval = (code, context, file, done) => {
    typed += code;
    defaultEval.call(server, code, context, file, (err, result) => {
      if (err !== null || typeof (result as { then?: unknown } | null)?.then !== 'function') return done(err, result);
      const shown = new Promise<unknown>((resolve, reject) => {
        interruptDisplay = reject;
        (result as Promise<unknown>).then(resolve, reject);
      });
      shown.then(
        (value) => done(null, value),
        (e: unknown) => done(e instanceof Error ? e : new Error(String(e)), undefined),
      ).finally(() => (interruptDisplay = undefined));
    });
  };
  (server as { eval: REPLEval }).eval = autoAwait;

  // Ctrl-C: with Sluice jobs running, they are cancelled (their actions fail, the prompt
  // comes back), as spark-shell's Ctrl-C cancels active jobs; with none, the REPL's own
  // Ctrl-C (an await interrupted, a line cleared, twice on an empty line: exit).
  const interrupt = (): void => {
    const cancelled = sc.cancelAllJobs();
    if (cancelled > 0) {
      output.write(`Cancelling ${cancelled} running job${cancelled === 1 ? '' : 's'} (Ctrl-C).\n`);
      return;
    }
    pending = '';
    if (interruptDisplay !== undefined) {
      interruptDisplay(new Error('Interrupted (Ctrl-C): the value was not awaited further'));
      return;
    }
    server.emit('SIGINT');
  };

  channel.onmessage = (event: unknown): void => {
    const m = (event as { data: ToShellProgram }).data;
    switch (m.type) {
      case 'in': {
        // On a terminal (raw mode) Ctrl-C is a byte of the input.
        const parts = terminal ? m.data.split('\x03') : [m.data];
        parts.forEach((part: string, i: number) => {
          if (i > 0) interrupt();
          pending += part;
        });
        feed();
        break;
      }
      case 'end':
        ended = true;
        feed();
        break;
      case 'interrupt':
        interrupt();
        break;
      case 'resize':
        output.columns = m.columns;
        output.emit('resize');
        break;
    }
  };

  const context = server.context as Record<string, unknown>;
  context.sluice = sluice;
  // A `var` or `function` declared at the prompt is a global, which no worker has: the globals
  // made from now on travel with a function that uses them, as the prompt's consts do. `sc`
  // among them: a function using it fails at once (a SluiceContext cannot travel).
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  shipGlobals((name) => !before.has(name));
  // A class declared at the prompt (Spark's REPL case class): its instances travel as records,
  // keeping their class. The prompt's top-level bindings are what an indirect eval sees.
  const globalEval = eval;
  setScriptClassLookup({
    classNamed(name: string): Function | undefined {
      if (!/^[A-Za-z_$][\w$]*$/.test(name)) return undefined;
      let v: unknown;
      try {
        v = globalEval(name);
      } catch {
        return undefined;
      }
      if (typeof v !== 'function') return undefined;
      const source = Function.prototype.toString.call(v);
      return /^class\b/.test(source) && typed.includes(source) ? v : undefined;
    },
    typed: (source: string): boolean => typed.includes(source),
  });
  context.sc = sc;
  // A message posted before the program's channel existed would be lost: the terminal sends from now on.
  send({ type: 'ready' });
  await new Promise<void>((resolve) => server.once('exit', resolve));
  send({ type: 'exit' });
  channel.close();
}

/** The shell's job bundle: `shellProgram` as the default export, and the eval export shipped functions are revived by. */
export function shellBundle(): { readonly name: string; readonly code: Buffer; readonly sourceMap: string; readonly sha256: string } {
  const text = [
    // Module-level names are what a revived function sees besides its captures: `sluice` (the
    // REPL's name for @sluice/core, there too), and nothing a user would name.
    "import * as __sluice_shell_repl from 'node:repl';",
    "import * as __sluice_shell_stream from 'node:stream';",
    "import * as __sluice_shell_console from 'node:console';",
    "import * as __sluice_shell_threads from 'node:worker_threads';",
    "import * as sluice from '@sluice/core';",
    "import { shipGlobals as __sluice_shell_ship_globals, setScriptClassLookup as __sluice_shell_script_classes } from '@sluice/core/internal';",
    `const __sluice_shell = ${shellProgram.toString()};`,
    `export default (sc, args) => __sluice_shell(sc, args, { repl: __sluice_shell_repl, stream: __sluice_shell_stream, console: __sluice_shell_console, workerThreads: __sluice_shell_threads, sluice, shipGlobals: __sluice_shell_ship_globals, setScriptClassLookup: __sluice_shell_script_classes, prompt: ${JSON.stringify(SHELL_PROMPT)} });`,
    `export const ${BUNDLE_EVAL_EXPORT} = (__sluice_src) => eval(__sluice_src);`,
    '',
  ].join('\n');
  const code = Buffer.from(text);
  return { name: 'sluice-shell', code, sourceMap: '', sha256: crypto.createHash('sha256').update(code).digest('hex') };
}
