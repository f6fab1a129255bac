// Events pushed by a Flume agent's avro sink, counted per 2-second batch by their `host`
// header (Flume's host interceptor sets it) with the bytes of their bodies, and the first
// few printed with their headers.
//
// Run it (the receiver listens on a worker, here on every interface, port 41414):
//   node packages/cli/bin/sluice.js run --workers 2 examples/flume-events.ts 0.0.0.0 41414
// and point an agent's avro sink at that host and port (README, "Flume: @sluice/flume").
// Arguments: [HOST, default 0.0.0.0] [PORT, default 41414] [deflate: the sink uses
// compression-type = deflate]. Runs until stopped (`sluice stop JOB`, or Ctrl-C for `run`).
import { SluiceError, StreamingContext, type SluiceContext } from '@sluice/core';
import { FlumeUtils } from '@sluice/flume';

export default async function flumeEvents(sc: SluiceContext, args: string[]): Promise<void> {
  const [host = '0.0.0.0', portText = '41414', compression] = args;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `flume-events: PORT ${JSON.stringify(portText)} is not a port; give e.g. \`-- 0.0.0.0 41414\``);
  }
  if (compression !== undefined && compression !== 'deflate') {
    throw new SluiceError('SLUICE_BAD_ARGUMENT', `flume-events: the third argument ${JSON.stringify(compression)} is not valid: give 'deflate' (the sink has compression-type = deflate) or nothing`);
  }

  const ssc = new StreamingContext(sc, '2s');
  const events = FlumeUtils.createStream(ssc, host, port, { enableDecompression: compression === 'deflate' });
  events
    .map((e) => [e.headers.host ?? '(no host header)', [1, e.body.length]] as [string, [number, number]])
    .reduceByKey(([n1, b1], [n2, b2]): [number, number] => [n1 + n2, b1 + b2])
    .map(([h, [n, bytes]]) => `${h}: ${n} events, ${bytes} body bytes`)
    .print();
  events.map((e) => `${JSON.stringify(e.headers)} ${e.body.toString('utf8').slice(0, 80)}`).print(3);

  ssc.start();
  await ssc.awaitTermination();
}
