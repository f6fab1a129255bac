// The job scripts/chaos-probe.mjs submits (not a test fixture: the probe is a soak, run by
// hand). A file stream and a reliable receiver over the probe's replayable TCP source,
// unioned, feeding updateStateByKey over a shuffle, reduceByKeyAndWindow with an inverse and
// mapWithState with a timeout; recovered with StreamingContext.getOrCreate.
// args: [checkpointDir, inputDir, outDir, controlDir, batchMs, checkpointEveryBatches, host,
//        port, 'wal' | 'nowal', flow?]; flow (chaos-probe --flow) is `<receiverMaxRate>:<initialRate>:<minRate>`:
//        backpressure on with that initial rate and PID floor, the receiver bounded by the
//        maximum; each batch then also writes out/rate-<t>.json, ssc.latestRate of the receiver
//        (not in events.log: a re-run batch may see another rate).
// Records are lines `key value id` (files: id f<file>l<line>; the source: id r<n>). The
// receiver acknowledges (`ack <n+1>`) only after `await store()` and gives each line's number
// as its source position. Every batch writes, keyed by its time and atomically (temp file +
// rename), out/input-<t>.json (its lines), out/state-<t>.json, out/window-<t>.json (3 batches),
// out/mapped-<t>.json and out/snapshot-<t>.json (mapWithState: a running sum by key, removed
// on a multiple of 25, timed out when idle longer than a batch), each write also appended to
// out/events.log with a hash of what it wrote. Stops gracefully once control/stop exists.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Receiver, StateSpec, StreamingContext, type DStream, type SluiceContext } from '@sluice/core';
import { batchOutput, runUntilStopFile, writeJson } from './job-output.js';

export class ChaosLineReceiver extends Receiver<string> {
  private socket: net.Socket | undefined;

  constructor(
    readonly host: string,
    readonly port: number,
    readonly control: string,
  ) {
    super();
  }

  onStart(): void {
    fs.writeFileSync(path.join(this.control, `receiver-${process.pid}-${Date.now()}`), '');
    const socket = net.connect({ host: this.host, port: this.port });
    this.socket = socket;
    socket.on('error', (err) => this.restart(`source ${this.host}:${this.port}: ${err.message}`, err));
    socket.on('connect', () => {
      void this.consume(socket).catch((err: Error) => this.restart(`reading the source failed: ${err.message}`, err));
    });
  }

  private async consume(socket: net.Socket): Promise<void> {
    let partial = '';
    const numberOf = (l: string): number => Number(l.slice(l.lastIndexOf(' r') + 2));
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      const parts = (partial + chunk.toString('utf8')).split('\n');
      partial = parts.pop()!;
      if (parts.length === 0) continue;
      await this.store(parts, { position: numberOf(parts[0]) });
      if (!socket.destroyed) socket.write(`ack ${numberOf(parts[parts.length - 1]) + 1}\n`);
    }
    if (!this.isStopped()) this.restart('the source closed the connection');
  }

  onStop(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/**
 * The chaos job's graph on `ssc` (checkpointed at `ckpt`), its outputs as above; returns the
 * unioned lines' (key, value) pairs for a job that adds outputs of its own (sinks-job.ts).
 */
export function chaosGraph(sc: SluiceContext, args: string[]): { ssc: StreamingContext; pairs: DStream<[string, number]> } {
  const [ckpt, input, out, control, batchMsArg, everyArg, host, port, wal, flow] = args;
  const [maxRate, initialRate, minRate] = (flow ?? '').split(':').map(Number);
  const flowOptions = flow ? { receiverMaxRate: maxRate, backpressure: { initialRate, minRate } } : {};
  const batchMs = Number(batchMsArg);
  const every = Number(everyArg) * batchMs;
  const output = batchOutput(sc, out);
  const ssc = new StreamingContext(sc, batchMs, { blockInterval: 100, writeAheadLog: wal === 'wal' ? { rollingInterval: 1000 } : false, ...flowOptions });
  ssc.checkpoint(ckpt);
  const files = ssc.textFileStream(input); // stream 0, the receiver 1, their union 2 (a recovery needs the same graph)
  const received = ssc.receiverStream(new ChaosLineReceiver(host, Number(port), control));
  const lines = files.union(received);
  if (flow) {
    const id = received.id;
    received.foreachRDD((_rdd, time) => void writeJson(path.join(out, `rate-${time}.json`), ssc.latestRate(id) ?? null));
  }
  lines.foreachRDD(async (rdd, time) => output('input', time, (await rdd.collect()).sort()));
  const pairs = lines.map((l) => {
    const [k, v] = l.split(' ');
    return [k, Number(v)] as [string, number];
  });
  pairs
    .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.reduce((a, b) => a + b, 0), { numPartitions: 3 })
    .checkpoint(every)
    .foreachRDD(async (rdd, time) => output('state', time, (await rdd.collect()).sort()));
  pairs
    .reduceByKeyAndWindow((a, b) => a + b, 3 * batchMs, batchMs, { invFunc: (a, b) => a - b, filterFunc: (kv) => kv[1] !== 0 })
    .checkpoint(every)
    .foreachRDD(async (rdd, time) => output('window', time, (await rdd.collect()).sort()));
  const mapped = pairs
    .reduceByKey((a, b) => a + b)
    .mapWithState(
      StateSpec.function<string, number, number, string>((k, v, state) => {
        if (state.isTimingOut()) return `T:${k}:${state.get()}`;
        const s = (state.getOption() ?? 0) + (v ?? 0);
        if (s % 25 === 0) {
          state.remove();
          return `R:${k}`;
        }
        state.update(s);
        return `${k}:${s}`;
      }).timeout(batchMs),
    )
    .checkpoint(every);
  mapped
    .map((m) => ['mapped', m] as [string, unknown])
    .union(mapped.stateSnapshots().map((kv) => ['snapshot', kv] as [string, unknown]))
    .foreachRDD(async (rdd, time) => {
      const tagged = await rdd.collect();
      for (const kind of ['mapped', 'snapshot']) output(kind, time, tagged.filter(([t]) => t === kind).map(([, x]) => x).sort());
    });
  return { ssc, pairs };
}

/** The listener --flow reads (out/batches.log), and the run until control/stop. */
export async function runChaosJob(sc: SluiceContext, ssc: StreamingContext, args: string[]): Promise<void> {
  const [, , out, control, , , , , , flow] = args;
  if (flow) {
    // what backpressure's estimator is fed, a line a completed batch (out/batches.log)
    ssc.addStreamingListener({
      onBatchCompleted: (b) => fs.appendFileSync(path.join(out, 'batches.log'), JSON.stringify({ t: b.batchTime, n: b.numRecords, in: Object.fromEntries(Object.entries(b.streamIdToInputInfo ?? {}).map(([k, v]) => [k, v.numRecords])), sd: b.schedulingDelay, pd: b.processingDelay }) + '\n'),
    });
  }
  await runUntilStopFile(sc, ssc, control, out);
}

export default async function (sc: SluiceContext, args: string[]): Promise<void> {
  const ssc = await StreamingContext.getOrCreate(sc, args[0], () => chaosGraph(sc, args).ssc);
  await runChaosJob(sc, ssc, args);
}
