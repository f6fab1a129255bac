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
 *
 * Every command, and the connection's handshake (the TCP connect, CLIENT SETNAME, the ready
 * check), waits at most `commandTimeoutMs` for the server's answer (0: no limit): a server
 * that accepts connections and stops answering (SIGSTOP, a stalled host; the kernel still
 * completes the TCP handshake) fails it with `Command timed out`, and the caller drops the
 * connection. Idle connections are kept per URL and timeout.
 */
const idle = new Map<string, Redis[]>();

/** The message of a command or handshake that got no answer within the timeout (ioredis's own for a command). */
export const TIMED_OUT = 'Command timed out';

/** The database index in a Redis URL's path (`redis://host:port/2`), 0 without one. */
export function databaseOf(url: string): number {
  const m = /^rediss?:\/\/[^/?#]*\/(\d+)/i.exec(url);
  return m ? Number(m[1]) : 0;
}

export async function takeClient(url: string, commandTimeoutMs: number): Promise<Redis> {
  const cacheKey = `${commandTimeoutMs} ${url}`;
  const list = idle.get(cacheKey) ?? [];
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
    ...(commandTimeoutMs > 0 ? { commandTimeout: commandTimeoutMs } : {}),
  });
  // Errors reach the caller through the command or connect() that failed; a failed connect()
  // says only 'Connection is closed', so the error before it (refused, WRONGPASS) is what it throws.
  let last: unknown;
  client.on('error', (err) => (last = err));
  let timer: NodeJS.Timeout | undefined;
  const silent = new Promise<never>((_, reject) => {
    if (commandTimeoutMs > 0) timer = setTimeout(() => reject(new Error(`${TIMED_OUT} (the connection's handshake)`)), commandTimeoutMs);
  });
  try {
    await Promise.race([client.connect(), silent]);
    // ioredis sends the URL's SELECT as it connects and, refused (an index past the server's
    // `databases`), only emits it as an 'error' and writes on into database 0: ask again, so
    // a wrong index fails the write instead of landing in another database.
    const db = databaseOf(url);
    if (db > 0) await Promise.race([client.select(db), silent]);
  } catch (err) {
    client.disconnect();
    throw err instanceof Error && err.message.startsWith(TIMED_OUT) ? err : (last ?? err);
  } finally {
    clearTimeout(timer);
  }
  return client;
}

export function giveBack(url: string, commandTimeoutMs: number, client: Redis, broken: boolean): void {
  if (broken || client.status !== 'ready') {
    client.disconnect();
    return;
  }
  const cacheKey = `${commandTimeoutMs} ${url}`;
  const list = idle.get(cacheKey) ?? [];
  list.push(client);
  idle.set(cacheKey, list);
}

/** Closes every idle connection of this thread. */
export async function closeRedisClients(): Promise<void> {
  const all = [...idle.values()].flat();
  idle.clear();
  await Promise.all(all.map((c) => c.quit().catch(() => c.disconnect())));
}
