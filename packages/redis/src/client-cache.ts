import { Redis } from 'ioredis';

/**
 * ioredis connections of this job thread, per URL, reused across batches. A partition
 * takes an idle one (or opens one) for its whole MULTI/EXEC and gives it back, so no
 * other command can fall inside its transaction. Module-level state of the job bundle
 * (one per job thread; a worker runs a job's tasks in up to --cores threads); the thread
 * ends with its job, and its sockets with it.
 *
 * A connection never reconnects by itself nor resends a command after a reconnect
 * (a resent INCRBY outside its MULTI would apply twice): one that broke is dropped, and
 * the next partition opens a new one (waiting for a server it reached before: see
 * watchMarker in redis-partition-writer.ts).
 */
const idle = new Map<string, Redis[]>();

export async function takeClient(url: string): Promise<Redis> {
  const list = idle.get(url) ?? [];
  for (let c = list.pop(); c; c = list.pop()) {
    if (c.status === 'ready') return c;
    c.disconnect();
  }
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 10_000,
    connectionName: 'sluice-redis',
  });
  // Errors reach the caller through the command or connect() that failed; a failed connect()
  // says only 'Connection is closed', so the error before it (refused, WRONGPASS) is what it throws.
  let last: unknown;
  client.on('error', (err) => (last = err));
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw last ?? err;
  }
  return client;
}

export function giveBack(url: string, client: Redis, broken: boolean): void {
  if (broken || client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const list = idle.get(url) ?? [];
  list.push(client);
  idle.set(url, list);
}

/** Closes every idle connection of this thread. */
export async function closeRedisClients(): Promise<void> {
  const all = [...idle.values()].flat();
  idle.clear();
  await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
}
