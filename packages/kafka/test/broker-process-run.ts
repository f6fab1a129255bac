// Starting the test broker in a process of its own (support/broker-process.ts), so that a test
// can freeze it with SIGSTOP and resume it with SIGCONT, and asking it what its topics hold.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrokerState } from './support/broker-process.js';
import type { BrokerView } from './stream-test-support.js';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'broker-process.js');

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly bootstrap: string[];
  /** What its topics hold now (it must be running, not stopped). */
  state(): Promise<BrokerState>;
  /** Arms the trap: the next request of `apiKey` (naming `topic`, if given) writes `file` and stops the process before it is answered. */
  freezeAt(apiKey: number, file: string, topic?: string): Promise<void>;
  /** Its topics' partitions and ends, for assertRecoverJobExact. */
  view(): Promise<BrokerView>;
  /** Resumes it if stopped, closes it and waits for its exit. */
  close(): Promise<void>;
}

/** Forks a broker process with `topics` ([name, partitions]) made, reporting `groups`' commits. */
export async function startBrokerProcess(topics: [string, number][], groups: string[] = []): Promise<BrokerProcess> {
  const child = fork(SCRIPT, [JSON.stringify({ topics, groups })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const bootstrap = await new Promise<string[]>((resolve, reject) => {
    child.once('message', (m: { bootstrap: string[] }) => resolve(m.bootstrap));
    child.once('exit', (code) => reject(new Error(`the broker process exited (${code}) before it was listening`)));
  });
  let nextId = 1;
  const ask = <T>(message: Record<string, unknown>): Promise<T> =>
    new Promise((resolve) => {
      const id = nextId++;
      const on = (m: T & { id: number }): void => {
        if (m.id !== id) return;
        child.off('message', on);
        resolve(m);
      };
      child.on('message', on);
      child.send({ ...message, id });
    });
  const state = (): Promise<BrokerState> => ask({ op: 'state' });
  return {
    child,
    bootstrap,
    state,
    freezeAt: async (apiKey, file, topic) => {
      await ask({ op: 'freezeAt', apiKey, file, topic });
    },
    view: async () => {
      const s = await state();
      return { bootstrap, topics: new Map(Object.entries(s.ends).map(([name, ends]) => [name, { partitions: ends.map((e, partition) => ({ partition, endOffset: BigInt(e) })) }])) };
    },
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.send({ id: 0, op: 'close' });
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}
