// The tests' input: Flume events with headers `id`, `key`, `agent`, `note` (non-ASCII)
// and a binary body, from a seeded PRNG; and what was sent, to compare with.
import { mulberry32 } from '../job-runner.js';
import { addDigest, eventDigest } from './event-digest.js';
import type { FlumeEvent, FlumeSink } from './flume-avro-client.js';

export interface Sent {
  readonly counts: Map<string, number>;
  readonly ids: number[];
  digest: number;
  bodyBytes: number;
}

export function emptySent(): Sent {
  return { counts: new Map(), ids: [], digest: 0, bodyBytes: 0 };
}

export function makeEvent(id: number, rnd: () => number, agent: string): FlumeEvent {
  const key = `k${Math.floor(rnd() * 13)}`;
  const body = Buffer.alloc(Math.floor(rnd() * 120));
  for (let i = 0; i < body.length; i++) body[i] = Math.floor(rnd() * 256);
  return { headers: { id: String(id), key, agent, note: `naïve ☃ ${Math.floor(rnd() * 1e6)}` }, body };
}

/** Events 0..n-1 of the pause tests: makeEvent over one PRNG of `seed`, in id order. */
export function pausedEvents(n: number, seed: number, agent: string): FlumeEvent[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: n }, (_, id) => makeEvent(id, rnd, agent));
}

export function record(sent: Sent, e: FlumeEvent): void {
  const key = e.headers.key!;
  sent.counts.set(key, (sent.counts.get(key) ?? 0) + 1);
  sent.ids.push(Number(e.headers.id));
  sent.digest = addDigest(sent.digest, eventDigest(e.headers, e.body));
  sent.bodyBytes += e.body.length;
}

/**
 * Sends ids from..from+n-1 through `sink` in batches of 1..maxBatch events (sizes from the
 * PRNG; the first `singles` alone), each until answered OK; records every event once (however often it was sent).
 */
export async function sendAll(sink: FlumeSink, from: number, n: number, seed: number, agent: string, sent: Sent, maxBatch: number, onBatch?: (done: number) => Promise<void> | void, singles = 0): Promise<void> {
  const rnd = mulberry32(seed);
  let done = 0;
  while (done < n) {
    // The first `singles` events one per call (the sink sends `append` for those if told to).
    const size = done < singles ? 1 : Math.min(n - done, 1 + Math.floor(rnd() * maxBatch));
    const batch: FlumeEvent[] = [];
    for (let i = 0; i < size; i++) batch.push(makeEvent(from + done + i, rnd, agent));
    await sink.send(batch);
    for (const e of batch) record(sent, e);
    done += size;
    await onBatch?.(done);
  }
}
