import pg from 'pg';

/**
 * The pg Pools of this job thread, one per connection string and pool size, reused across
 * batches. Module-level state of the job bundle: a worker runs a job's tasks in up to
 * --cores threads, each with its own import of the bundle (sockets cannot cross threads),
 * so a worker holds at most cores × poolSize connections per connection string. A thread
 * ends with its job, and its sockets with it; `closePools` (close-pools.ts) ends them in order earlier.
 * A pool stays (pg replaces a broken connection); an idle connection closes after 60 s.
 * With `queryTimeoutMs` (0: none) each query waits at most that long for its answer (pg's
 * query_timeout: it fails with 'Query read timeout'), and a connection's handshake at most
 * that long or 10 s: a server that takes connections and answers nothing (SIGSTOP, a stalled
 * host; the kernel completes the TCP handshake) fails the write instead of holding it. With
 * `idleInTransactionTimeoutMs` (0: the server's setting) the server ends a session whose
 * transaction sent nothing that long (idle_in_transaction_session_timeout).
 */
const pools = new Map<string, pg.Pool>();

/**
 * Why a pooled connection's session ended (the server's 57P01 as it shuts down, a socket
 * closed or reset), by connection: the first 'error' pg emitted on it. pg emits one when the
 * server's goodbye comes with no query running to fail, also when it is read together with
 * the answer of the statement just done (a thread busy elsewhere reads both at once), before
 * the code awaiting that answer runs: a listener attached only after a statement, or only
 * around part of a write, leaves such moments unheard, and an unheard 'error' is an uncaught
 * exception that ends the job thread. Heard here, the next statement fails ('not queryable'),
 * and the writer reports this cause and drops the connection (release(err)).
 */
const lost = new WeakMap<pg.ClientBase, Error>();

/** Why `client`'s session ended, if it did (see `lost`). */
export function lostSession(client: pg.ClientBase): Error | undefined {
  return lost.get(client);
}

export function cachedPool(connectionString: string, max: number, queryTimeoutMs = 0, idleInTransactionTimeoutMs = 0): pg.Pool {
  const key = `${max} ${queryTimeoutMs} ${idleInTransactionTimeoutMs} ${connectionString}`;
  let pool = pools.get(key);
  if (!pool) {
    const timeouts = queryTimeoutMs > 0 ? { query_timeout: queryTimeoutMs, connectionTimeoutMillis: Math.min(10_000, queryTimeoutMs) } : { connectionTimeoutMillis: 10_000 };
    // Sent at the session's start: the server ends a session whose transaction stays idle that
    // long (a worker frozen mid-write), releasing what it holds (the partition's marker row).
    const idle = idleInTransactionTimeoutMs > 0 ? { idle_in_transaction_session_timeout: idleInTransactionTimeoutMs } : {};
    pool = new pg.Pool({ connectionString, max, idleTimeoutMillis: 60_000, application_name: 'sluice-postgres', allowExitOnIdle: true, ...timeouts, ...idle });
    // An idle connection that breaks (the server restarted) is dropped by the pool; without a
    // listener its 'error' would end the thread.
    pool.on('error', () => undefined);
    // pg's pool listens to a connection only while it is idle: from its checkout (and from the
    // moment it connected) each connection is heard here for its whole life (see lostSession).
    pool.on('connect', (client) => client.on('error', (err: Error) => void (lost.has(client) || lost.set(client, err))));
    pools.set(key, pool);
  }
  return pool;
}

/** Ends every pool of this thread (the connections close in order): the public closePools. */
export async function endCachedPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.end().catch(() => undefined)));
}

/** How many pools this thread keeps (tests look at reuse). */
export function cachedPoolCount(): number {
  return pools.size;
}
