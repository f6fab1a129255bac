// A Flume agent in a process of its own, so a test can SIGSTOP it (flume-pause.test.ts):
//   node pause-agent.js sink '{"name","n","seed","transactionTimeoutMs","delayMs"}'
//     the tests' SparkSink (spark-sink.ts) holding events 0..n-1 (pausedEvents), printing
//     `PORT <port>` once serving and `ACKS <acks> <nacks> <timeouts>` after each commit or
//     rollback; a line `PENDING` on stdin answers `PENDING {channel, transactions}`.
//   node pause-agent.js push '{"port","n","seed","maxBatch","requestTimeoutMs"}'
//     an avro sink (flume-avro-client.ts' FlumeSink) sending events 0..n-1 in batches of
//     1..maxBatch (sizes from the seed + 1), each until answered OK, printing `ACKED <events>`
//     after each and `SENT <resent>` at the end.
// Nothing here knows it will be stopped: a stopped process simply answers nothing for a while.
import readline from 'node:readline';
import { mulberry32 } from '../job-runner.js';
import { pausedEvents } from './events.js';
import { FlumeSink } from './flume-avro-client.js';
import { TestSparkSink } from './spark-sink.js';

async function sink(a: { name: string; n: number; seed: number; transactionTimeoutMs: number; delayMs: number }): Promise<void> {
  const s = new TestSparkSink(a.name, a.transactionTimeoutMs, a.delayMs);
  s.put(pausedEvents(a.n, a.seed, a.name));
  await s.start();
  let last = '';
  setInterval(() => {
    const line = `ACKS ${s.stats.acks} ${s.stats.nacks} ${s.stats.timeouts}`;
    if (line !== last) console.log((last = line));
  }, 20);
  console.log(`PORT ${s.port}`);
  readline.createInterface({ input: process.stdin }).on('line', (l) => {
    if (l === 'PENDING') console.log(`PENDING ${JSON.stringify(s.pending)}`);
  });
}

async function push(a: { port: number; n: number; seed: number; maxBatch: number; requestTimeoutMs: number }): Promise<void> {
  const events = pausedEvents(a.n, a.seed, 'pushed');
  const sizes = mulberry32(a.seed + 1);
  const s = new FlumeSink({ host: '127.0.0.1', port: a.port, requestTimeoutMs: a.requestTimeoutMs, retryDelayMs: 100, giveUpAfterMs: 120_000 });
  let done = 0;
  while (done < events.length) {
    const size = Math.min(events.length - done, 1 + Math.floor(sizes() * a.maxBatch));
    await s.send(events.slice(done, done + size));
    done += size;
    console.log(`ACKED ${done}`);
    // A pause between batches, so the stream lasts a few batches and a stop lands mid-stream.
    await new Promise((r) => setTimeout(r, 10));
  }
  s.close();
  console.log(`SENT ${s.stats.resent}`);
}

const [kind, json] = process.argv.slice(2);
const args = JSON.parse(json ?? '{}') as never;
if (kind === 'sink') await sink(args);
else if (kind === 'push') await push(args);
else throw new Error(`pause-agent: unknown kind ${kind}`);
