// What the jobs scripts/chaos-probe.mjs submits share (chaos-job.ts, mqtt-job.ts,
// kinesis-job.ts; bundled into each by `sluice submit`): their outputs keyed by batch time,
// the receivers' events, and the run until the probe asks for the graceful stop.
import fs from 'node:fs';
import path from 'node:path';
import type { DStream, SluiceContext, StreamingContext } from '@sluice/core';

/** Writes `value` as JSON to `file` whole (a temporary file renamed over it); returns `<length>:<hash>` of the text. */
export function writeJson(file: string, value: unknown): string {
  const text = JSON.stringify(value);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return `${text.length}:${h >>> 0}`;
}

/** An output keyed by batch time: `out/<kind>-<time>.json`, each write appended to out/events.log with the job and the text's hash. */
export function batchOutput(sc: SluiceContext, out: string): (kind: string, time: number, value: unknown) => void {
  fs.mkdirSync(out, { recursive: true });
  return (kind, time, value) => {
    const hash = writeJson(path.join(out, `${kind}-${time}.json`), value);
    fs.appendFileSync(path.join(out, 'events.log'), JSON.stringify({ job: sc.jobId, kind, time, hash }) + '\n');
  };
}

/**
 * A connector job's outputs (mqtt-job.ts, kinesis-job.ts; the probe's connector round checks
 * them): each batch's payloads, sorted, as `input`, and a running count of payloads by key
 * (the payload's first word; updateStateByKey over 2 partitions, checkpointed every 4 batches)
 * as `state`.
 */
export function outputInputAndCounts(payloads: DStream<string>, output: (kind: string, time: number, value: unknown) => void, batchMs: number): void {
  payloads.foreachRDD(async (rdd, time) => output('input', time, (await rdd.collect()).sort()));
  payloads
    .map((p) => [p.split(' ')[0], 1] as [string, number])
    .updateStateByKey((vs: number[], s: number | undefined) => (s ?? 0) + vs.length, { numPartitions: 2 })
    .checkpoint(4 * batchMs)
    .foreachRDD(async (rdd, time) => output('state', time, (await rdd.collect()).sort()));
}

/** Each receiver event appended to out/receiver.log (a restart is Spark's onReceiverStopped, then onReceiverStarted). */
export function logReceiverEvents(ssc: StreamingContext, out: string): void {
  const log = (event: string, info: object): void => fs.appendFileSync(path.join(out, 'receiver.log'), JSON.stringify({ event, at: Date.now(), ...info }) + '\n');
  ssc.addStreamingListener({
    onReceiverStarted: (i) => log('started', i),
    onReceiverError: (i) => log('error', i),
    onReceiverStopped: (i) => log('stopped', i),
  });
}

/** Starts `ssc`, runs it until `control/stop` exists (or it ends), stops it gracefully and writes out/done-<job>.json. */
export async function runUntilStopFile(sc: SluiceContext, ssc: StreamingContext, control: string, out: string): Promise<void> {
  ssc.start();
  const stopFile = path.join(control, 'stop');
  while (!fs.existsSync(stopFile)) {
    if (await ssc.awaitTerminationOrTimeout(25)) break;
  }
  await ssc.stop({ graceful: true });
  await ssc.awaitTermination();
  writeJson(path.join(out, `done-${sc.jobId}.json`), { stoppedAt: Date.now() });
}
