// The tests' own source: publishes `<key> <id>` messages at QoS 1 with the mqtt client,
// keys from a seeded PRNG, and keeps what it sent (per key counts and ids) to compare with.
import mqtt from 'mqtt';
import { mulberry32 } from '../job-runner.js';

export interface Sent {
  readonly counts: Map<string, number>;
  readonly ids: number[];
}

export function emptySent(): Sent {
  return { counts: new Map(), ids: [] };
}

/** Creates the persistent session of `clientId` (subscribed to `topic` at QoS 1) so the broker keeps what is published before the receiver connects. */
export async function makeSession(url: string, clientId: string, topic: string, auth: { username?: string; password?: string } = {}): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 0xffffffff }, reconnectPeriod: 0, ...auth });
  await c.subscribeAsync(topic, { qos: 1 });
  await c.endAsync();
}

/** Publishes ids `from`..`from+n-1` to `topic`, QoS 1, in windows of `window` (default 2000) unacknowledged; onProgress after each. */
export async function publish(url: string, topic: string, from: number, n: number, seed: number, sent: Sent, auth: { username?: string; password?: string } = {}, onProgress?: (done: number) => Promise<void> | void, windowSize = 2000, qos: 0 | 1 = 1): Promise<void> {
  const c = await mqtt.connectAsync(url, { clientId: `pub-${seed}-${from}`, clean: true, reconnectPeriod: 500, ...auth });
  const rnd = mulberry32(seed);
  try {
    for (let i = 0; i < n; i += windowSize) {
      const window: Promise<unknown>[] = [];
      for (let j = i; j < Math.min(n, i + windowSize); j++) {
        const id = from + j;
        const key = `k${Math.floor(rnd() * 10)}`;
        sent.counts.set(key, (sent.counts.get(key) ?? 0) + 1);
        sent.ids.push(id);
        window.push(c.publishAsync(topic, `${key} ${id}`, { qos }));
      }
      await Promise.all(window);
      await onProgress?.(Math.min(n, i + windowSize));
    }
  } finally {
    await c.endAsync();
  }
}
