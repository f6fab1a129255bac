// The tests' own clients of their Redis server, each a connection of its own.
import { Redis } from 'ioredis';

/** `f` with a client of its own on `url` (a new connection per use, so a server restarted between uses is reached; a refused connect rejects), closed after. */
export async function withRedis<T>(url: string, f: (r: Redis) => Promise<T>): Promise<T> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  r.on('error', () => undefined);
  try {
    await r.connect();
    return await f(r);
  } finally {
    r.disconnect();
  }
}
