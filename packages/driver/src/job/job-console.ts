/**
 * The driver's end of an interactive job's console (`sluice shell --driver`, JobHeader.interactive):
 * a BroadcastChannel the job's program (shell-program.ts, in a driver-program thread of this
 * process) opens under the name given as its first argument. Input from the client's stream
 * goes in (`send`), what the program writes comes out (`onOutput`), in the messages the local
 * shell's terminal and program exchange over the same kind of channel (ConsoleIn, ConsoleOut).
 *
 * Invariants: input is held until the program said 'ready' (a message posted before its channel
 * exists is lost), then passed on in order; nothing is sent or reported once closed. Threading:
 * the driver's main thread.
 */
import crypto from 'node:crypto';
import { BroadcastChannel } from 'node:worker_threads';

/** From the terminal (a client's stream, or the local shell's main thread) to the program. */
export type ConsoleIn =
  | { readonly type: 'in'; readonly data: string }
  | { readonly type: 'end' }
  | { readonly type: 'interrupt' }
  | { readonly type: 'resize'; readonly columns: number };

/** From the program to the terminal. */
export type ConsoleOut = { readonly type: 'ready' } | { readonly type: 'out'; readonly data: string } | { readonly type: 'exit' };

export class JobConsole {
  /** The channel's name: the program's first argument. */
  readonly name = `sluice-console-${crypto.randomBytes(8).toString('hex')}`;
  private readonly channel: BroadcastChannel;
  private ready = false;
  private closed = false;
  private readonly held: ConsoleIn[] = [];

  constructor(onOutput: (m: ConsoleOut) => void) {
    this.channel = new BroadcastChannel(this.name);
    this.channel.onmessage = (event: unknown): void => {
      if (this.closed) return;
      const m = (event as { data: ConsoleOut }).data;
      if (m.type === 'ready') {
        this.ready = true;
        for (const h of this.held.splice(0)) this.channel.postMessage(h);
      }
      onOutput(m);
    };
    // The driver's process does not wait for a console.
    (this.channel as { unref?: () => void }).unref?.();
  }

  send(m: ConsoleIn): void {
    if (this.closed) return;
    if (this.ready) this.channel.postMessage(m);
    else this.held.push(m);
  }

  /** Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.held.length = 0;
    this.channel.close();
  }
}
