// Bad input to saveToRedis gets a SluiceError naming the connector, the setting and the
// fix: an unreachable server, a wrong password (not echoed), no password, a database index
// the server does not have, a kind that does not exist,
// a key holding another type than the kind writes and a counter holding no number or
// overflowing (nothing applied; a decimal counter taken by INCRBYFLOAT), a key function
// without an outputId, a bad ttlSeconds; and ttlSeconds' expiry of the keys written. A real
// Debian redis-server requiring a password; driver in this process + 2 worker processes.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import type { LocalCluster } from '@sluice/cli';
import { SluiceContext, StreamingContext } from '@sluice/core';
import { freePort, startRedis, type RedisServer } from '@sluice/test-servers';
import { batchRecords } from '@sluice/test-servers/sink-input';
import { fixture, startCluster, startJob } from './job-runner.js';
import { saveToRedis, type SaveToRedisOptions } from '../src/index.js';
import { closeRedisClients } from '../src/client-cache.js';
import type { RedisRecordFunctions, RedisSinkParams } from '../src/redis-options.js';
import { writeRedisPartition } from '../src/redis-partition-writer.js';

let server: RedisServer;
let cluster: LocalCluster;
let redis: Redis;

before(async () => {
  server = await startRedis({ password: 'right-secret' });
  redis = new Redis(server.url);
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  redis?.disconnect();
  await server?.stop();
});

async function run(options: Record<string, unknown>): Promise<{ ok: boolean; failure: string | undefined; lines: string[] }> {
  const job = await startJob(cluster, fixture('redis-rdd-job.ts'), [JSON.stringify({ url: server.url, kind: 'counter', key: 'counts', count: 100, ...options })]);
  return job.finished(60_000);
}

async function nothingWritten(): Promise<void> {
  assert.deepEqual((await redis.keys('*')).filter((k) => k !== 'taken').sort(), [], 'no key written, no marker');
}

test('control: the same job with good settings applies its 100 commands', { timeout: 60_000 }, async () => {
  const end = await run({ kind: 'hash', key: 'last' });
  assert.ok(end.ok, end.failure);
  assert.deepEqual(JSON.parse(end.lines.find((l) => l.startsWith('SAVED '))!.slice(6)), { applied: 100, skipped: 0 });
  assert.ok((await redis.hlen('last')) > 0);
  await redis.flushall();
});

test('an unreachable server: an error naming saveToRedis, the address and url (password hidden)', { timeout: 60_000 }, async () => {
  const port = await freePort();
  const end = await run({ url: `redis://:right-secret@127.0.0.1:${port}` });
  assert.equal(end.ok, false);
  assert.match(end.failure!, new RegExp(`saveToRedis\\(kind 'counter', output 'counter:counts'\\).*cannot reach the Redis server 127\\.0\\.0\\.1:${port} \\(url redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}\\)`));
  assert.match(end.failure!, /check the host and port in url/);
  assert.doesNotMatch(end.failure!, /right-secret/);
  await nothingWritten();
});

test("a DStream output's failure, and its action's stage, name the user's saveToRedis line, not the connector's foreachRDD (Spark's creation site skips its own classes)", { timeout: 60_000 }, async () => {
  const file = fixture('redis-stream-job.ts');
  // The call's line and column, from the fixture's text (1-based, as a stack frame's).
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const line = lines.findIndex((l) => l.includes('saveToRedis(pairs')) + 1;
  const column = lines[line - 1]!.indexOf('saveToRedis(pairs') + 1;
  const port = await freePort();
  const end = await (await startJob(cluster, file, [JSON.stringify({ url: `redis://127.0.0.1:${port}` })])).finished(60_000);
  assert.equal(end.ok, false);
  assert.match(end.failure!, /cannot reach the Redis server/);
  const site = /output operation 0 \((\w+) at ([^)]*)\)/.exec(end.failure!);
  assert.ok(site, `an output operation named in: ${end.failure}`);
  assert.equal(site[2], `${fs.realpathSync(file)}:${line}:${column}`, end.failure);
  assert.doesNotMatch(end.failure!, /output operation 0 \(\w+ at [^)]*save-to-redis/);
  // The stage of the connector's action (its collect, no frame of the program on its stack) is
  // named by the same line, as the output is (user49: a saveToPostgres(stream) job was 'collect' alone).
  const stages = end.lines.filter((l) => l.startsWith('STAGE ') && !l.startsWith('STAGE start at ')); // not the context's warm-up
  assert.ok(stages.length > 0, end.lines.join('\n'));
  assert.deepEqual([...new Set(stages)], [`STAGE collect at ${fs.realpathSync(file)}:${line}:${column}`]);
});

test('a wrong password: an error naming the credentials in url, without the password', { timeout: 60_000 }, async () => {
  const end = await run({ url: server.url.replace('right-secret', 'wrong-secret') });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToRedis\(kind 'counter'.*the Redis server 127\.0\.0\.1:\d+ refused the credentials: WRONGPASS/);
  assert.match(end.failure!, /fix the password \(and user\) in url/);
  assert.doesNotMatch(end.failure!, /wrong-secret/);
  await nothingWritten();
});

test('no password for a server that requires one: an error saying url gives none and where it goes', { timeout: 60_000 }, async () => {
  const end = await run({ url: server.url.replace(/\/\/[^@]*@/, '//') });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToRedis\(kind 'counter'.*the Redis server 127\.0\.0\.1:\d+ requires a password and url gives none \(NOAUTH/);
  assert.match(end.failure!, /give it in url \(redis:\/\/:password@host:port/);
  await nothingWritten();
});

test("a database index the server does not have fails naming it, writing nothing (ioredis alone wrote into database 0); a path that is no index fails at the call", { timeout: 60_000 }, async () => {
  const end = await run({ url: `${server.url}/16` }); // the Debian server's default: databases 16, 0-15
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToRedis\(kind 'counter'.*the Redis server 127\.0\.0\.1:\d+ has no database 16 \(url redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/16\): ERR DB index is out of range/);
  assert.match(end.failure!, /give an index below the server's `databases` setting/);
  assert.doesNotMatch(end.failure!, /right-secret/);
  await nothingWritten();
  const path = await run({ url: `${server.url}/db2` });
  assert.equal(path.ok, false);
  assert.match(path.failure!, /SLUICE_BAD_ARGUMENT: saveToRedis: url: got "redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/db2"; the path '\/db2' is not a database index/);
  await nothingWritten();
  // An index it has: the counts land there, none in database 0.
  const ok = await run({ url: `${server.url}/15`, key: 'in15' });
  assert.ok(ok.ok, ok.failure);
  assert.equal(await redis.exists('in15'), 0, 'nothing in database 0');
  const db15 = new Redis(`${server.url}/15`);
  try {
    const sum = batchRecords(5, 0, 100, 50).reduce((s, r) => s + r.n, 0);
    assert.equal(Number(await db15.get('in15')), sum);
    await db15.flushdb();
  } finally {
    db15.disconnect();
  }
});

test("a kind that does not exist fails at the call; a key function needs an outputId", { timeout: 60_000 }, async () => {
  const k = await run({ kind: 'list' });
  assert.equal(k.ok, false);
  assert.match(k.failure!, /SLUICE_BAD_ARGUMENT: saveToRedis: kind: got "list"; give 'counter', 'hash' or 'sortedSet'/);
  const f = await run({ keyFunction: true });
  assert.equal(f.ok, false);
  assert.match(f.failure!, /saveToRedis: outputId: got nothing; give a name for this output \(required when key is a function\)/);
  await nothingWritten();
});

test('a key that holds another type than the kind writes: names the key, its type and kind; nothing applied', { timeout: 60_000 }, async () => {
  await redis.set('taken', 'a string');
  const end = await run({ kind: 'hash', key: 'taken' });
  assert.equal(end.ok, false);
  assert.match(end.failure!, /saveToRedis\(kind 'hash', output 'hash:taken'\).*kind: key 'taken' holds a Redis string, and kind 'hash' writes a hash \(HSET 'taken'\).* nothing of the partition was applied/);
  assert.equal(await redis.get('taken'), 'a string');
  // Refused before the transaction: no partition applied, so no marker either.
  assert.deepEqual(await redis.keys('sluice:output:*'), []);
  await redis.del('taken');
});

test("one key of another type among a partition's counters (INCRBY): the task fails naming the key, its type and the command with nothing of the partition applied; fixed and run again as the same batch, every counter holds its sum once, none doubled or lost", { timeout: 90_000 }, async () => {
  // The fixture's records, computed here: each word's sum of n, over both partitions.
  const records = batchRecords(5, 0, 100, 50);
  const sums = new Map<string, number>();
  for (const r of records) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
  const bad = `typed:${records[0]!.word}`;
  await redis.hset(bad, 'someone', 'else');
  const o = { kind: 'counter', key: 'typed', keyFunction: true, batchTime: 7000 };
  const first = await run(o);
  assert.equal(first.ok, false);
  assert.ok(first.failure!.includes(`kind: key '${bad}' holds a Redis hash, and kind 'counter' writes a string (INCRBY '${bad}'); give keys of the kind's type (or another key) — nothing of the partition was applied`), first.failure);
  assert.deepEqual(await redis.hgetall(bad), { someone: 'else' }, 'the key is left as it was');
  const markers = await redis.keys('sluice:output:{counter:typed}:*');
  for (const m of markers) assert.match((await redis.get(m))!, /^applied \d+$/, 'a marker only for a partition applied whole');
  // The user fixes the key; the same batch runs again: what was applied is skipped, the rest applied once.
  await redis.del(bad);
  const second = await run(o);
  assert.ok(second.ok, second.failure);
  const got = new Map<string, number>();
  for (const k of await redis.keys('typed:*')) got.set(k.slice('typed:'.length), Number(await redis.get(k)));
  assert.deepEqual([...got].sort(), [...sums].sort(), 'every counter its sum once');
  await redis.flushall();
});

test("a counter key that holds a string that is no number (INCRBY would fail inside EXEC, after the partition's other commands): the task fails naming the key, the value's start and the command, nothing of the partition applied; fixed to a decimal number and run again as the same batch, every counter holds its sum once", { timeout: 90_000 }, async () => {
  // The fixture's records, computed here: each word's sum of n, over both partitions.
  const records = batchRecords(5, 0, 100, 50);
  const sums = new Map<string, number>();
  for (const r of records) sums.set(r.word, (sums.get(r.word) ?? 0) + r.n);
  const bad = `nan:${records[0]!.word}`;
  const text = 'this counter was written by someone else, as text';
  await redis.set(bad, text);
  const o = { kind: 'counter', key: 'nan', keyFunction: true, batchTime: 9000 };
  const first = await run(o);
  assert.equal(first.ok, false);
  const said = `kind: key '${bad}' holds "${text.slice(0, 40)}…", no number, and kind 'counter' adds to it (INCRBY '${bad}'); give counters that hold a number or nothing (or another key) — nothing of the partition was applied (its counters' values are checked before its transaction), so once the key is fixed the task's next attempt, or the batch run again, applies it once`;
  assert.ok(first.failure!.includes(said), first.failure);
  assert.equal(await redis.get(bad), text, 'the key is left as it was');
  // Nothing of the failed partition applied: its words are not in Redis, and it has no marker.
  const markers = await redis.keys('sluice:output:{counter:nan}:*');
  assert.ok(markers.length <= 1, `a marker only for the other partition: ${markers.join(', ')}`);
  for (const m of markers) assert.match((await redis.get(m))!, /^applied \d+$/);
  // The user fixes the key to a decimal number (INCRBY alone would refuse '2.5'); the same batch runs again.
  await redis.set(bad, '2.5');
  const second = await run(o);
  assert.ok(second.ok, second.failure);
  const got = new Map<string, number>();
  for (const k of await redis.keys('nan:*')) got.set(k.slice('nan:'.length), Number(await redis.get(k)));
  const want = new Map(sums);
  want.set(records[0]!.word, sums.get(records[0]!.word)! + 2.5);
  assert.deepEqual([...got].sort(), [...want].sort(), 'every counter its sum once (2.5 more for the fixed one)');
  await redis.flushall();
});

test("counters written through the API: a decimal increment then an integer one to the same key adds both (INCRBY alone refused the '1.5' the first left); increments that would take a counter past Redis's 64-bit integers are refused before the transaction, nothing applied, no marker", { timeout: 60_000 }, async () => {
  const p: RedisSinkParams = { url: server.url, kind: 'counter', key: undefined, increment: false, outputId: 'sum', chunkSize: 2, markerTtlSeconds: 60, ttlSeconds: 0, reconnectTimeoutMs: 1000, commandTimeoutMs: 5000 };
  const f: RedisRecordFunctions<{ k: string; n: number }> = { key: (r) => r.k, field: undefined, value: (r) => r.n, member: undefined, score: undefined, onProgress: undefined };
  try {
    // Three chunks of 2: the decimal increment comes in the first, the integers after it.
    assert.deepEqual(await writeRedisPartition(p, f, '1000', 0, [{ k: 'sum:m', n: 1.5 }, { k: 'sum:i', n: 1 }, { k: 'sum:m', n: 2 }, { k: 'sum:i', n: 2 }, { k: 'sum:m', n: 4 }]), [5, 0]);
    assert.equal(await redis.get('sum:m'), '7.5');
    assert.equal(await redis.get('sum:i'), '3');
    // 2^63 - 11: +5 fits, the next +10 would pass 2^63 - 1.
    await redis.set('sum:big', '9223372036854775797');
    const where = "saveToRedis(kind 'counter', output 'sum') batch 2000 partition 0: ";
    await assert.rejects(writeRedisPartition(p, f, '2000', 0, [{ k: 'sum:i', n: 1 }, { k: 'sum:big', n: 5 }, { k: 'sum:big', n: 10 }]), (e: Error) => {
      assert.equal(
        e.message,
        `${where}kind: key 'sum:big' holds 9223372036854775802 after the partition's increments before this one, and INCRBY 'sum:big' by 10 would take it to 9223372036854775812, past Redis's 64-bit integers (-2^63 to 2^63-1: Redis refuses it, "increment or decrement would overflow"); give increments that keep the counter within them (or another key) — nothing of the partition was applied (its counters' values are checked before its transaction), so once the key is fixed the task's next attempt, or the batch run again, applies it once`,
      );
      return true;
    });
    assert.equal(await redis.get('sum:big'), '9223372036854775797', 'nothing applied');
    assert.equal(await redis.get('sum:i'), '3', 'nothing applied');
    assert.equal(await redis.exists('sluice:output:{sum}:2000:0'), 0, 'no marker');
    // A hash field that holds no number (HINCRBY).
    await redis.hset('sum:h', 'w', 'x'.repeat(50));
    await assert.rejects(writeRedisPartition(p, { ...f, field: () => 'w' }, '3000', 0, [{ k: 'sum:h2', n: 1 }, { k: 'sum:h', n: 1 }]), (e: Error) => {
      assert.ok(e.message.includes(`kind: key 'sum:h' field 'w' holds "${'x'.repeat(40)}…", no number, and kind 'counter' adds to it (HINCRBY 'sum:h' 'w')`), e.message);
      return true;
    });
    assert.equal(await redis.exists('sum:h2'), 0, 'nothing applied');
  } finally {
    await closeRedisClients();
    await redis.flushall();
  }
});

test("a key another client changes to another type after the type check, before the EXEC: the attempt says so, which command and how many others were applied; the marker records it and the next attempt fails with it instead of applying them twice", { timeout: 60_000 }, async () => {
  const p: RedisSinkParams = { url: server.url, kind: 'counter', key: undefined, increment: false, outputId: 'race', chunkSize: 100, markerTtlSeconds: 60, ttlSeconds: 0, reconnectTimeoutMs: 1000, commandTimeoutMs: 5000 };
  // Between the chunk's type check and the EXEC (the chunk queued), another client makes race:b a hash.
  const f: RedisRecordFunctions<{ k: string; n: number }> = { key: (r) => r.k, field: undefined, value: (r) => r.n, member: undefined, score: undefined, onProgress: async (e) => void (e.stage === 'queued' && (await redis.hset('race:b', 'x', '1'))) };
  const records = [{ k: 'race:a', n: 5 }, { k: 'race:b', n: 7 }];
  const where = "saveToRedis(kind 'counter', output 'race') batch 3000 partition 0: ";
  const said = "kind: key 'race:b' holds a Redis hash, and kind 'counter' writes a string (INCRBY 'race:b', command 1 of the partition); give keys of the kind's type (or another key) — the key changed type after the check before the transaction (another client wrote it), and the partition's 1 other command was applied (Redis does not roll back)";
  try {
    await assert.rejects(writeRedisPartition(p, f, '3000', 0, records), (e: Error) => {
      assert.equal(e.message, `${where}${said}; the partition's marker records this failure: the task's next attempts fail with it instead of applying the partition twice`);
      return true;
    });
    assert.equal(await redis.get('race:a'), '5', 'the other command was applied (no rollback)');
    assert.equal(await redis.get('sluice:output:{race}:3000:0'), `failed ${said}`);
    // The task's next attempt: refused by the marker, race:a not incremented again.
    await assert.rejects(writeRedisPartition(p, { ...f, onProgress: undefined }, '3000', 0, records), (e: Error) => {
      assert.equal(e.message, `${where}an earlier attempt failed inside EXEC (its other commands were applied): ${said}`);
      return true;
    });
    assert.equal(await redis.get('race:a'), '5', 'not applied twice');
  } finally {
    await closeRedisClients();
    await redis.flushall();
  }
});

test("ttlSeconds (spark-redis's ttl): each key the save wrote expires that many seconds after, the markers keep their own TTL; without it keys never expire", { timeout: 60_000 }, async () => {
  const end = await run({ keyFunction: true, key: 'ttl', ttlSeconds: 300 });
  assert.ok(end.ok, end.failure);
  // The fixture's records, computed here: a key `ttl:<word>` for each word.
  const words = [...new Set(batchRecords(5, 0, 100, 50).map((r) => r.word))];
  const keys = (await redis.keys('ttl:*')).sort();
  assert.deepEqual(keys, words.map((w) => `ttl:${w}`).sort());
  for (const k of keys) {
    const ttl = await redis.ttl(k);
    assert.ok(ttl > 0 && ttl <= 300, `${JSON.stringify(k)} expires in ${ttl} s, want 1-300`);
  }
  const markers = await redis.keys('sluice:output:{ttl}:*');
  assert.equal(markers.length, 2, 'a marker per partition');
  for (const m of markers) assert.ok((await redis.ttl(m)) > 300, 'a marker keeps markerTtlSeconds (a day)');
  const plain = await run({ kind: 'counter', key: 'plain' });
  assert.ok(plain.ok, plain.failure);
  assert.equal(await redis.ttl('plain'), -1, 'without ttlSeconds a key never expires');
  await redis.flushall();
});

test("an option the sink does not know (a misspelt one, spark-redis's host) is refused at the call, naming it, Sluice's setting and the options", () => {
  // No job runs: the refusal comes from saveToRedis itself, for an RDD and for a DStream.
  const sc = new SluiceContext({ jobId: 'j', defaultParallelism: () => 2, runJob: () => Promise.reject(new Error('no cluster')), removeRdd: async () => undefined });
  const rdd = sc.parallelize([['a', 1] as [string, number]]);
  const stream = new StreamingContext(sc, 1000).queueStream([rdd]);
  const options = 'url, kind, key, field, value, member, score, increment, outputId, chunkSize, markerTtlSeconds, ttlSeconds, batchTime, onProgress, reconnectTimeoutMs, commandTimeoutMs';
  const given = (extra: Record<string, unknown>): SaveToRedisOptions<[string, number]> => ({ url: server.url, kind: 'counter', key: 'never', ...extra }) as SaveToRedisOptions<[string, number]>;
  const refused = (call: () => unknown, message: string): void =>
    assert.throws(call, (e: Error & { code?: string }) => e.code === 'SLUICE_BAD_ARGUMENT' && e.message === message, message);
  refused(() => saveToRedis(rdd, given({ markerTTLSeconds: 60 })), `saveToRedis(target, options): unknown option 'markerTTLSeconds'; the options are ${options}`);
  refused(() => saveToRedis(stream, given({ 'spark.redis.host': 'cache' })), `saveToRedis(target, options): unknown option 'spark.redis.host' (Spark's setting; in Sluice: url: 'redis://[[user]:password@]host:port[/db]'); the options are ${options}`);
  refused(() => saveToRedis(stream, given({ timeout: 2000 })), `saveToRedis(target, options): unknown option 'timeout' (Spark's setting; in Sluice: { commandTimeoutMs: 2000 } (how long a command waits for an answer; reconnectTimeoutMs: how long a write waits for a server that went away)); the options are ${options}`);
  refused(() => saveToRedis(rdd, given({ ttl: 60 })), `saveToRedis(target, options): unknown option 'ttl' (Spark's setting; in Sluice: { ttlSeconds: 60 } (each key the output writes expires 60 seconds after its last write)); the options are ${options}`);
  refused(() => saveToRedis(rdd, given({ ttlSeconds: -1 })), 'saveToRedis: ttlSeconds: got -1; give a whole number of seconds >= 0 (0: keys never expire)');
  refused(() => saveToRedis(rdd, given({ ttlSeconds: 1.5 })), 'saveToRedis: ttlSeconds: got 1.5; give a whole number of seconds >= 0 (0: keys never expire)');
  // A port out of range in url: refused here, where each task's connect failed (Node's "Port should be >= 0 and < 65536").
  refused(() => saveToRedis(rdd, given({ url: 'redis://127.0.0.1:99999' })), "saveToRedis: url: got \"redis://127.0.0.1:99999\"; the port '99999' is not a port; give a whole number from 1 to 65535 after the host ('redis://host:6379', Redis's default port)");
  refused(() => saveToRedis(stream, given({ url: 'redis://:secret@[::1]:0/2' })), "saveToRedis: url: got \"redis://:***@[::1]:0/2\"; the port '0' is not a port; give a whole number from 1 to 65535 after the host ('redis://host:6379', Redis's default port)");
  // A known option is taken (the stream's output is registered; nothing runs).
  saveToRedis(stream, given({ field: ([w]: [string, number]) => w, chunkSize: 10, markerTtlSeconds: 60, reconnectTimeoutMs: 0, commandTimeoutMs: 0, outputId: 'o' }));
});
