/**
 * The terminal side of `sluice shell`, in the command's main thread: standard input goes to
 * the shell's program (shell-program.ts, in a driver-program thread) and what its REPL writes
 * comes back to standard output, over the BroadcastChannel `name`.
 *
 * On a terminal, standard input is put in raw mode at once (the REPL in the program edits the
 * line and echoes it; Ctrl-C and Ctrl-D are bytes it reads) and set back by `close()`: keys
 * typed before the program listens wait unechoed, where a terminal still in its line mode
 * would echo and edit them itself (the REPL's prompt shows before its 'ready'). From a
 * pipe, lines go as they come, and a SIGINT to this process (`interrupt()`) is told to the
 * program as Ctrl-C. Threading: the main thread.
 *
 * The program is in this process (the local shell: a BroadcastChannel named by `name`), or on a
 * standing driver (`sluice shell --driver`: `remote` sends to it over the SubmitJob stream, and
 * what comes back is given to `receive`).
 */
import crypto from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';
import type { FromShellProgram, ToShellProgram } from './shell-program.js';

export class ShellTerminal {
  readonly name = `sluice-shell-${crypto.randomBytes(8).toString('hex')}`;
  readonly terminal: boolean;
  private readonly channel: BroadcastChannel | undefined;
  private readonly onData = (data: string): void => this.send({ type: 'in', data });
  private readonly onEnd = (): void => this.send({ type: 'end' });
  private readonly onResize = (): void => this.send({ type: 'resize', columns: this.stdout.columns });
  private closed = false;

  /** `onExit`: the REPL closed (`.exit`, Ctrl-D, the end of piped input). `remote`: the program is on a standing driver. */
  constructor(
    private readonly stdin: NodeJS.ReadStream,
    private readonly stdout: NodeJS.WriteStream,
    private readonly onExit: () => void,
    private readonly remote?: (m: ToShellProgram) => void,
  ) {
    this.terminal = stdin.isTTY === true && stdout.isTTY === true;
    if (this.terminal) this.stdin.setRawMode(true);
    if (remote === undefined) {
      this.channel = new BroadcastChannel(this.name);
      this.channel.onmessage = (event: unknown): void => this.receive((event as { data: FromShellProgram }).data);
    }
  }

  /** A message of the program's. */
  receive(m: FromShellProgram): void {
    if (m.type === 'out') this.stdout.write(m.data);
    else if (m.type === 'ready') this.start();
    else if (m.type === 'exit') this.onExit();
  }

  /** The shell program's arguments: the channel (the driver gives it for a remote program), 'terminal' or 'pipe', the columns. */
  programArgs(): string[] {
    return [...(this.remote === undefined ? [this.name] : []), this.terminal ? 'terminal' : 'pipe', String(this.stdout.columns ?? 80)];
  }

  /** Start passing standard input on, once the program listens (what was typed before waits in standard input). */
  private start(): void {
    if (this.closed) return;
    this.stdin.setEncoding('utf8');
    this.stdin.on('data', this.onData).once('end', this.onEnd);
    if (this.terminal) this.stdout.on('resize', this.onResize);
  }

  /** Ctrl-C (a SIGINT to this process): cancels the shell's running jobs, else the REPL's own Ctrl-C. */
  interrupt(): void {
    this.send({ type: 'interrupt' });
  }

  /** Stop reading standard input, set the terminal back, close the channel. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stdin.removeListener('data', this.onData).removeListener('end', this.onEnd);
    this.stdout.removeListener('resize', this.onResize);
    if (this.terminal) this.stdin.setRawMode(false);
    this.stdin.pause();
    this.channel?.close();
  }

  private send(m: ToShellProgram): void {
    if (this.closed) return;
    if (this.remote !== undefined) this.remote(m);
    else this.channel?.postMessage(m);
  }
}
