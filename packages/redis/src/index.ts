/**
 * @sluice/redis: a Redis sink for Sluice, on `ioredis`: counters, hashes and sorted sets.
 *
 *   import { StreamingContext, type SluiceContext } from '@sluice/core';
 *   import { saveToRedis } from '@sluice/redis';
 *
 *   export default async function (sc: SluiceContext) {
 *     const ssc = new StreamingContext(sc, '1s');
 *     const counts = ssc.socketTextStream('localhost', 9999)
 *       .flatMap((line) => line.split(' '))
 *       .map((w) => [w, 1] as [string, number])
 *       .reduceByKey((a, b) => a + b);
 *     // HINCRBY wordcount <word> <count>, each batch's partition applied once
 *     saveToRedis(counts, { url: 'redis://localhost:6379', kind: 'counter', key: 'wordcount', field: ([w]) => w });
 *     ssc.start();
 *     await ssc.awaitTermination();
 *   }
 */
export { saveToRedis, type RedisSaveResult } from './save-to-redis.js';
export type { SaveToRedisOptions, RedisKind, RedisProgress } from './redis-options.js';
export { closeRedisClients } from './client-cache.js';
