// The test broker in a process of its own, so that a test can freeze it with SIGSTOP (a broker
// that stops answering: a GC pause, a stalled VM) and resume it with SIGCONT; the in-process
// KafkaTestCluster cannot be frozen apart from its test. Run with `fork` (an IPC channel):
// argv[2] is JSON { brokers?, topics: [name, partitions][] }. It sends { ready, bootstrap, pid }
// once listening, and answers { id, op: 'state' } with { id, ends, values, committed }: every
// topic's partition end offsets and record values (as strings), and every group's committed
// offsets of those topics. { id, op: 'freezeAt', apiKey, topic?, file } arms a one-shot trap
// (answered { id } once armed): the next request of that API key (naming `topic`, if given: a
// Produce's or Fetch's topic) is read, `file` written, and the process stops itself (SIGSTOP)
// before answering it: frozen in the middle of that request, to be resumed by SIGCONT.
// { op: 'close' } closes it and exits.
//
// Run by hand (no IPC channel), it is a standing broker to try a job against, as a user with
// a Kafka at hand would: argv[2] may also give `ports` (one per broker; default free ports).
// It prints `kafka test broker listening on 127.0.0.1:P[,...]` on stdout once listening;
// SIGUSR1 restarts it (its listeners closed, every connection cut, started again on the same
// ports after `restartAfterMs`, default 3000, with its topics, records and commits kept, as a
// broker restarted on its disk), printing `kafka test broker stopped` and `... started again`;
// SIGTERM or SIGINT closes it and exits 0. Everything lives in its memory: killed, it is gone.
import fs from 'node:fs';
import { KafkaTestCluster } from './kafka-test-cluster.js';

interface Args {
  brokers?: number;
  topics: [string, number][];
  ports?: number[];
  restartAfterMs?: number;
}

/** What a broker process tells its test about its topics. */
export interface BrokerState {
  /** Each topic's partitions' end offsets. */
  ends: Record<string, number[]>;
  /** Each topic's partitions' record values (utf8; '' for a null value). */
  values: Record<string, string[][]>;
  /** `group/topic` → each partition's committed offset (-1: none). */
  committed: Record<string, number[]>;
}

const args = JSON.parse(process.argv[2] ?? '{"topics":[]}') as Args & { groups?: string[] };
const kafka = await KafkaTestCluster.start({ brokers: args.ports?.length ?? args.brokers ?? 1, ...(args.ports ? { ports: args.ports } : {}) });
for (const [name, partitions] of args.topics) kafka.createTopic(name, partitions);

const topicsOf = (request: Readonly<Record<string, unknown>>): string[] =>
  [...((request.topicData ?? request.topics ?? []) as Record<string, unknown>[])].map((t) => String(t.name ?? t.topic ?? kafka.topicById(String(t.topicId))?.name));

if (!process.send) {
  // By hand: signals instead of the IPC channel.
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  let restarting = false;
  process.on('SIGUSR1', () => {
    if (restarting) return;
    restarting = true;
    void kafka.stop().then(() => {
      say('kafka test broker stopped (SIGUSR1): its state is kept');
      setTimeout(() => {
        void kafka.start().then(() => {
          restarting = false;
          say(`kafka test broker started again on ${kafka.bootstrap.join(',')}`);
        });
      }, args.restartAfterMs ?? 3000);
    });
  });
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => void kafka.close().then(() => process.exit(0)));
  say(`kafka test broker listening on ${kafka.bootstrap.join(',')}`);
}

process.on('message', (m: { id: number; op: string; apiKey?: number; topic?: string; file?: string }) => {
  if (m.op === 'close') {
    void kafka.close().then(() => process.exit(0));
    return;
  }
  if (m.op === 'freezeAt') {
    kafka.onRequest = (apiKey, request) => {
      if (apiKey !== m.apiKey || (m.topic !== undefined && !topicsOf(request).includes(m.topic))) return;
      kafka.onRequest = undefined;
      fs.writeFileSync(m.file!, String(apiKey));
      process.kill(process.pid, 'SIGSTOP');
    };
    process.send!({ id: m.id });
    return;
  }
  const state: BrokerState = { ends: {}, values: {}, committed: {} };
  for (const [name, t] of kafka.topics) {
    state.ends[name] = t.partitions.map((l) => Number(l.endOffset));
    state.values[name] = t.partitions.map((l) => kafka.records(name, l.partition).map((r) => r.value?.toString('utf8') ?? ''));
    for (const g of args.groups ?? []) state.committed[`${g}/${name}`] = t.partitions.map((l) => Number(kafka.groups.committed(g, name, l.partition)));
  }
  process.send!({ id: m.id, ...state });
});
process.on('disconnect', () => void kafka.close().then(() => process.exit(0)));
process.send?.({ ready: true, bootstrap: kafka.bootstrap, pid: process.pid });
