// A custom Receiver: simulated sensor readings, generated on a worker and stored in
// blocks; the driver keeps a per-sensor average of each batch.
//
//   node packages/cli/bin/sluice.js run --workers 2 examples/custom-receiver.ts
//       (stops after 6 seconds)
import { Receiver, StreamingContext, type SluiceContext } from '@sluice/core';

type Reading = { sensor: string; value: number };

/** Emits `perSecond` readings a second from `sensors` simulated sensors. */
class SensorReceiver extends Receiver<Reading> {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly sensors: number,
    readonly perSecond: number,
  ) {
    super();
  }

  onStart(): void {
    let tick = 0;
    this.timer = setInterval(() => {
      const batch: Reading[] = [];
      for (let i = 0; i < this.perSecond / 10; i++) {
        const sensor = `sensor-${(tick + i) % this.sensors}`;
        batch.push({ sensor, value: 20 + 5 * Math.sin((tick + i) / 10) });
      }
      tick++;
      void this.store(batch); // fire and forget: a simulated source has nothing to acknowledge (see the README: reliable receivers)
    }, 100);
  }

  onStop(): void {
    clearInterval(this.timer);
  }
}

export default async function customReceiver(sc: SluiceContext): Promise<void> {
  const ssc = new StreamingContext(sc, '1s');
  ssc
    .receiverStream(new SensorReceiver(4, 400))
    .map((r) => [r.sensor, [r.value, 1]] as [string, [number, number]])
    .reduceByKey(([s1, n1], [s2, n2]): [number, number] => [s1 + s2, n1 + n2])
    .mapValues(([sum, n]) => Math.round((sum / n) * 100) / 100)
    .print();
  ssc.start();
  await ssc.awaitTerminationOrTimeout(6000);
  await ssc.stop({ graceful: true });
}
