import { Consumer, Producer } from '@platformatic/kafka';
import { clientOptions, type ConnectionParams } from './kafka-params.js';

/**
 * Clients kept per worker (per job thread) across batches, keyed by connection: the
 * consumer tasks read offset ranges with, and the idempotent producer the sink writes
 * with. Module-level state of the job bundle, so a worker's tasks of one job share them
 * and another job never sees them. A client that failed is dropped and made again.
 */
const consumers = new Map<string, Consumer>();
const producers = new Map<string, Producer>();

function keyOf(c: ConnectionParams, extra = ''): string {
  return JSON.stringify([c.brokers, c.clientId, c.ssl, c.sasl, extra]);
}

export function cachedConsumer(c: ConnectionParams): Consumer {
  const key = keyOf(c);
  let consumer = consumers.get(key);
  if (!consumer) {
    consumer = new Consumer({ ...clientOptions(c), groupId: `${c.clientId}-reader`, maxWaitTime: 500 });
    consumers.set(key, consumer);
  }
  return consumer;
}

export function cachedProducer(c: ConnectionParams, extra: string): Producer {
  const key = keyOf(c, extra);
  let producer = producers.get(key);
  if (!producer) {
    // autocreateTopics: the brokers create a missing topic if they are set to (auto.create.topics.enable), as for Kafka's Java producer.
    producer = new Producer({ ...clientOptions(c), idempotent: true, acks: -1, retries: 10, retryDelay: 200, autocreateTopics: true });
    producers.set(key, producer);
  }
  return producer;
}

/** Forget (and close) a client after an error it may not recover from. */
export function dropConsumer(c: ConnectionParams): void {
  const key = keyOf(c);
  const consumer = consumers.get(key);
  consumers.delete(key);
  void Promise.resolve().then(() => consumer?.close(true)).catch(() => undefined);
}

export function dropProducer(c: ConnectionParams, extra: string): void {
  const key = keyOf(c, extra);
  const producer = producers.get(key);
  producers.delete(key);
  void Promise.resolve().then(() => producer?.close(true)).catch(() => undefined);
}

/** How many clients this worker keeps (tests look at reuse). */
export function cachedClientCount(): { consumers: number; producers: number } {
  return { consumers: consumers.size, producers: producers.size };
}
