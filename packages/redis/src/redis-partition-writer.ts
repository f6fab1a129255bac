import type { Redis } from 'ioredis';
import { SluiceError } from '@sluice/core';
import { checkChunk, newChecks, type Command } from './chunk-check.js';
import { giveBack, takeClient } from './client-cache.js';
import { closed, redisFailure, serverOf, timedOut } from './redis-failure.js';
import type { RedisRecordFunctions, RedisSinkParams } from './redis-options.js';

/** What writing one partition did: commands applied, and 1 if an earlier attempt had applied it (nothing applied). */
export type PartitionResult = [applied: number, skipped: number];

const pairAt = (record: unknown, i: number): unknown => (Array.isArray(record) ? record[i] : undefined);

/** Sends a pipeline of queued commands; a command Redis refused to queue (it would abort EXEC) throws. */
async function queued(pipeline: ReturnType<Redis['pipeline']>): Promise<void> {
  const replies = await pipeline.exec();
  for (const [err] of replies ?? []) if (err) throw err;
}

/** The Redis type each kind writes, for a WRONGTYPE message. */
const TYPE_OF: Record<string, string> = { counter: 'string', 'counter+field': 'hash', hash: 'hash', sortedSet: 'zset' };

/**
 * The command for one record. Defaults for pairs: [field or member, value or score].
 * A record that does not give what the kind needs is a SLUICE_BAD_RECORD naming it.
 */
function commandOf<T>(p: RedisSinkParams, f: RedisRecordFunctions<T>, record: T, n: number, where: string): Command {
  const badRecord = (what: string): SluiceError =>
    new SluiceError('SLUICE_BAD_RECORD', `${where}: record ${n} of the partition (${JSON.stringify(record)?.slice(0, 100)}): ${what}`);
  const key = f.key ? f.key(record) : p.key!;
  if (typeof key !== 'string' || key === '') throw badRecord(`the key function gave ${JSON.stringify(key)}; give a non-empty string`);
  switch (p.kind) {
    case 'counter': {
      const by = f.value ? f.value(record) : Array.isArray(record) ? record[1] : 1;
      if (typeof by !== 'number' || !Number.isFinite(by)) throw badRecord(`the increment is ${JSON.stringify(by)}; give a finite number (value: (r) => number)`);
      // INCRBY, or INCRBYFLOAT for a decimal increment or counter (checkChunk decides).
      if (f.field) {
        const field = f.field(record);
        if (typeof field !== 'string') throw badRecord(`the field is ${JSON.stringify(field)}; give a string`);
        return { key, name: 'hincrby', args: [key, field, by], field, by };
      }
      return { key, name: 'incrby', args: [key, by], by };
    }
    case 'hash': {
      const field = f.field ? f.field(record) : pairAt(record, 0);
      const value = f.value ? f.value(record) : pairAt(record, 1);
      if (typeof field !== 'string') throw badRecord(`the field is ${JSON.stringify(field)}; give a string (field: (r) => string, or [field, value] records)`);
      if (typeof value !== 'string' && typeof value !== 'number') throw badRecord(`the value is ${JSON.stringify(value)}; give a string or number`);
      return { key, name: 'hset', args: [key, field, value] };
    }
    case 'sortedSet': {
      const member = f.member ? f.member(record) : pairAt(record, 0);
      const score = f.score ? f.score(record) : pairAt(record, 1);
      if (typeof member !== 'string') throw badRecord(`the member is ${JSON.stringify(member)}; give a string (member: (r) => string, or [member, score] records)`);
      if (typeof score !== 'number' || Number.isNaN(score)) throw badRecord(`the score is ${JSON.stringify(score)}; give a number`);
      return p.increment ? { key, name: 'zincrby', args: [key, score, member] } : { key, name: 'zadd', args: [key, score, member] };
    }
  }
}

/**
 * The Redis type each command of the kind needs its key to hold (or no key at all): what a
 * key checked before the transaction must be. `counter` writes a string (INCRBY), or a hash
 * with a field (HINCRBY).
 */
function typeNeeded(p: RedisSinkParams, f: RedisRecordFunctions<unknown>): string {
  return TYPE_OF[p.kind === 'counter' && f.field ? 'counter+field' : p.kind]!;
}

/** Redis URLs this job thread has written through: a refused connection to one is a server restarting, waited for. */
const reached = new Set<string>();

/**
 * A failure that says the server is going away or coming back: it is loading its data after
 * a start (LOADING), or, when it was reached before (`reachedBefore`), it refuses or closed
 * the connection (a restart; an address never reached that refuses is a wrong one) or stopped
 * answering (no answer within commandTimeoutMs: a server paused or stalled).
 */
function restarting(err: unknown, reachedBefore: boolean): boolean {
  const e = (err ?? {}) as { code?: string; message?: string };
  if (/^LOADING\b/.test(e.message ?? '')) return true;
  return reachedBefore && (e.code === 'ECONNREFUSED' || closed(err) || timedOut(err));
}

/**
 * A connection WATCHing the partition's marker, and the marker's value. A server that is
 * restarting (see `restarting`) is waited for, trying again every 100 ms growing to 2 s, up
 * to reconnectTimeoutMs: no record is taken from the partition yet and nothing is queued, so
 * a batch that comes while Redis restarts is applied once it is back. Past the wait, or on
 * any other failure, the task fails with the failure (redisFailure).
 */
async function watchMarker(p: RedisSinkParams, marker: string, where: string): Promise<{ client: Redis; found: string | null }> {
  const started = Date.now();
  for (let delay = 100; ; delay = Math.min(delay * 2, 2000)) {
    let client: Redis | undefined;
    try {
      client = await takeClient(p.url, p.commandTimeoutMs);
      await client.watch(marker);
      const found = await client.get(marker);
      reached.add(p.url);
      return { client, found };
    } catch (err) {
      // the connection is dropped (with its WATCH); the next try opens another
      if (client) giveBack(p.url, p.commandTimeoutMs, client, true);
      const waitMore = restarting(err, reached.has(p.url) || p.reachedBefore === true);
      const waited = Date.now() - started;
      if (!waitMore || waited + delay > p.reconnectTimeoutMs) {
        const f = redisFailure(err, where, p.url, p.commandTimeoutMs);
        const what = timedOut(err) ? 'answer again' : 'take connections again';
        throw waitMore && p.reconnectTimeoutMs > 0 ? new SluiceError(f.code, `${f.message} (the write waited ${waited} ms for the server to ${what}; reconnectTimeoutMs ${p.reconnectTimeoutMs})`, { cause: err }) : f;
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/**
 * Writes one partition of one batch so that it is applied at most once, however often the
 * task runs (Redis has no rollback, so "once" is made with a marker and MULTI/EXEC):
 *  1. WATCH the marker key `sluice:output:{outputId}:{batch}:{partition}` and GET it. It
 *     exists: an earlier attempt applied this partition; apply nothing.
 *  2. MULTI, then the partition's commands in chunks of chunkSize, one round trip each
 *     (Redis queues them; nothing is applied yet), with ttlSeconds an EXPIRE of each key
 *     written, then SET the marker (with its TTL).
 *  3. EXEC applies the commands and the marker together, atomically; or, when the marker
 *     was written meanwhile (a concurrent attempt, WATCH), applies nothing.
 * A failure before EXEC (the task failed, the connection broke) leaves nothing applied:
 * the queued commands are discarded with the connection. Before each chunk is queued it is
 * checked on another connection (checkChunk): a key of another type than the kind writes, or
 * a counter that holds no number or would overflow, fails the partition there, nothing
 * applied. A command Redis refuses inside EXEC all the same (a key another client changed
 * after the check) does not undo the others:
 * the marker then records the failure, and every retry fails with it instead of applying the
 * partition again.
 */
export async function writeRedisPartition<T>(p: RedisSinkParams, f: RedisRecordFunctions<T>, batch: string, partition: number, records: Iterable<T>): Promise<PartitionResult> {
  const where = `saveToRedis(kind '${p.kind}', output '${p.outputId}') batch ${batch} partition ${partition}`;
  const it = records[Symbol.iterator]();
  let next = it.next();
  if (next.done) return [0, 0];
  const marker = `sluice:output:{${p.outputId}}:${batch}:${partition}`;
  const { client, found } = await watchMarker(p, marker, where);
  let broken = false;
  let inMulti = false;
  let execSent = false;
  try {
    if (found !== null) {
      await client.unwatch();
      if (found.startsWith('failed ')) throw new SluiceError('SLUICE_BAD_RECORD', `${where}: an earlier attempt failed inside EXEC (its other commands were applied): ${found.slice(7)}`);
      return [0, 1];
    }
    // MULTI and the commands go in pipelines of chunkSize (one write and one round trip each);
    // Redis answers QUEUED and applies nothing until EXEC.
    inMulti = true;
    const keys: string[] = [];
    const names: string[] = [];
    const need = typeNeeded(p, f as RedisRecordFunctions<unknown>);
    const checks = newChecks();
    let n = 0;
    let pipeline = client.pipeline().call('multi');
    while (!next.done) {
      const chunk: Command[] = [];
      for (; !next.done && chunk.length < p.chunkSize; next = it.next(), n++) chunk.push(commandOf(p, f, next.value, n, where));
      // Before the chunk is queued: what Redis would refuse inside EXEC (a key of another type,
      // a counter that holds no number or would overflow) fails the partition with nothing applied.
      await checkChunk(p, need, chunk, checks, where);
      for (const c of chunk) {
        keys.push(c.key);
        names.push(c.name);
        pipeline.call(c.name, ...c.args);
      }
      await queued(pipeline);
      pipeline = client.pipeline();
      await f.onProgress?.({ stage: 'queued', outputId: p.outputId, batch, partition, commands: n });
    }
    if (p.ttlSeconds > 0) {
      // spark-redis's ttl: each key written expires ttlSeconds after this write, in the same transaction.
      const written = [...new Set(keys)];
      for (let i = 0; i < written.length; i += p.chunkSize) {
        const expiring = client.pipeline();
        for (const key of written.slice(i, i + p.chunkSize)) {
          keys.push(key);
          names.push('expire');
          expiring.call('expire', key, p.ttlSeconds);
        }
        await queued(expiring);
      }
    }
    await queued(client.pipeline().call('set', marker, `applied ${n}`, 'EX', p.markerTtlSeconds));
    // EXEC: null when WATCH saw the marker written meanwhile (a concurrent attempt applied the partition).
    execSent = true;
    const results = await client.exec();
    inMulti = false;
    if (results === null) return [0, 1];
    const failedAt = results.findIndex(([e]) => e);
    if (failedAt >= 0) {
      const e = results[failedAt]![0]!;
      const key = keys[failedAt] ?? marker;
      const command = (names[failedAt] ?? 'set').toUpperCase();
      const others = results.length - 1 - results.filter(([x]) => x).length;
      let message = `${e.message} (command ${failedAt} of the partition, ${command} '${key}')`;
      if (/WRONGTYPE/.test(e.message)) {
        const has = await client.type(key).catch(() => 'another type');
        message = `kind: key '${key}' holds a Redis ${has}, and kind '${p.kind}' writes a ${need} (${command} '${key}', command ${failedAt} of the partition); give keys of the kind's type (or another key) — the key changed type after the check before the transaction (another client wrote it), and the partition's ${others} other command${others === 1 ? ' was' : 's were'} applied (Redis does not roll back)`;
      }
      // The refused command is what the user acts on: a marker that cannot record it (the
      // connection lost after EXEC) must not replace it with the lost connection's error.
      const recorded = await client.set(marker, `failed ${message}`, 'EX', p.markerTtlSeconds).then(
        () => "; the partition's marker records this failure: the task's next attempts fail with it instead of applying the partition twice",
        (e: Error) => `; the partition's marker could not record this failure (${e.message}), so the task's next attempt finds the partition applied and does not report it again`,
      );
      throw new SluiceError('SLUICE_BAD_RECORD', `${where}: ${message}${recorded}`);
    }
    await f.onProgress?.({ stage: 'applied', outputId: p.outputId, batch, partition, commands: n });
    return [n, 0];
  } catch (err) {
    // Drop the connection: Redis discards a MULTI's queued commands and the WATCH with it.
    // One that timed out may still answer later (its replies would go to the next command).
    if (inMulti || timedOut(err)) broken = true;
    else await client.unwatch().catch(() => (broken = true));
    // A server reached in this attempt that closed the connection mid-write (it stopped or
    // restarted) is no address to check: the attempt fails, and the next one waits for it.
    if (inMulti && closed(err)) {
      const applied = execSent ? "whether its EXEC was applied is read from the partition's marker by the task's next attempt (applied at most once)" : 'nothing of it was applied (Redis discards a transaction it did not EXEC)';
      throw new SluiceError('SLUICE_UNREACHABLE', `${where}: the Redis server ${serverOf(p.url)} closed the connection during the partition's write (${(err as Error).message}): ${applied}; the task's next attempt writes it, waiting for the server up to reconnectTimeoutMs ${p.reconnectTimeoutMs} ms`, { cause: err });
    }
    throw redisFailure(err, where, p.url, p.commandTimeoutMs);
  } finally {
    giveBack(p.url, p.commandTimeoutMs, client, broken);
  }
}
