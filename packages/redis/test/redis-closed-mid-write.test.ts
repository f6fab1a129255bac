// A Redis server that closes the connection in the middle of a partition's MULTI (it stopped
// or restarted): the attempt fails saying the server closed it mid-write and that nothing of
// the partition was applied, not that the server cannot be reached (an address to check).
// The server is a few lines of RESP on loopback that answers the handshake, WATCH, GET, the
// checks before the transaction (TYPE, HGET) and MULTI, then drops the connection at the
// first queued command ('in-multi'); or ('after-exec')
// queues the commands, answers EXEC with the first one refused (WRONGTYPE: a key changed after
// the type check before the transaction, which this server answers 'none') and drops the
// connection at the SET that records the failure in the partition's marker.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { closeRedisClients } from '../src/client-cache.js';
import { writeRedisPartition } from '../src/redis-partition-writer.js';
import type { RedisRecordFunctions, RedisSinkParams } from '../src/redis-options.js';

/** The commands of `buf` complete so far (RESP arrays of bulk strings), and the bytes left. */
function parseCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let at = 0;
  for (;;) {
    const head = /^\*(\d+)\r\n/.exec(buf.slice(at));
    if (!head) break;
    let i = at + head[0].length;
    const args: string[] = [];
    for (let n = Number(head[1]); n > 0; n--) {
      const len = /^\$(\d+)\r\n/.exec(buf.slice(i));
      if (!len || buf.length < i + len[0].length + Number(len[1]) + 2) return { commands, rest: buf.slice(at) };
      i += len[0].length;
      args.push(buf.slice(i, i + Number(len[1])));
      i += Number(len[1]) + 2;
    }
    commands.push(args);
    at = i;
  }
  return { commands, rest: buf.slice(at) };
}

let server: net.Server;
let port = 0;
const seen: string[] = [];
/** Where the server drops the connection: at the first command queued in MULTI, or at the first command after EXEC but TYPE. */
let dropAt: 'in-multi' | 'after-exec' = 'in-multi';

before(async () => {
  server = net.createServer((socket) => {
    let buf = '';
    let inMulti = false;
    let queued = 0;
    let execDone = false;
    socket.on('data', (d) => {
      const { commands, rest } = parseCommands(buf + d.toString('latin1'));
      buf = rest;
      for (const [name = ''] of commands) {
        const cmd = name.toLowerCase();
        seen.push(cmd);
        if (dropAt === 'after-exec' && execDone) {
          if (cmd !== 'type') {
            socket.destroy();
            return;
          }
          socket.write('+string\r\n');
        } else if (dropAt === 'after-exec' && inMulti) {
          if (cmd !== 'exec') {
            queued++;
            socket.write('+QUEUED\r\n');
            continue;
          }
          // The first queued command refused, the others applied.
          socket.write(`*${queued}\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n${':1\r\n'.repeat(queued - 1)}`);
          inMulti = false;
          execDone = true;
        } else if (inMulti) {
          socket.destroy();
          return;
        } else if (cmd === 'info') {
          const body = '# Server\r\nredis_version:7.0.0\r\nloading:0\r\n';
          socket.write(`$${body.length}\r\n${body}\r\n`);
        } else if (cmd === 'get' || cmd === 'hget') {
          // The marker (GET), and a counter's field read before the transaction (HGET): nothing yet.
          socket.write('$-1\r\n');
        }
        // The type check before the transaction (its own connection): no such key yet.
        else if (cmd === 'type') socket.write('+none\r\n');
        else if (cmd === 'quit') {
          socket.end('+OK\r\n');
          return;
        }
        else {
          if (cmd === 'multi') inMulti = true;
          socket.write('+OK\r\n');
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

after(async () => {
  // The type check's connection, kept idle for the thread's next write.
  await closeRedisClients();
  await new Promise<void>((r) => server.close(() => r()));
});

test("a connection the server closes inside the partition's MULTI fails the attempt as closed mid-write, nothing applied, not as an address that cannot be reached", async () => {
  dropAt = 'in-multi';
  const p: RedisSinkParams = { url: `redis://127.0.0.1:${port}`, kind: 'counter', key: 'wc', increment: false, outputId: 'counter:wc', chunkSize: 100, markerTtlSeconds: 60, ttlSeconds: 0, reconnectTimeoutMs: 1000, commandTimeoutMs: 5000 };
  const f: RedisRecordFunctions<{ word: string; n: number }> = { key: undefined, field: (r) => r.word, value: (r) => r.n, member: undefined, score: undefined, onProgress: undefined };
  const err = await writeRedisPartition(p, f, '1000', 3, [{ word: 'a', n: 1 }, { word: 'b', n: 2 }]).then(
    () => assert.fail('the write succeeded on a closed connection'),
    (e: unknown) => e as Error & { code?: string },
  );
  // The server got as far as MULTI and one queued command, then closed.
  assert.ok(seen.includes('multi') && seen.includes('watch'), seen.join(' '));
  assert.equal(err.code, 'SLUICE_UNREACHABLE', err.message);
  assert.match(err.message, new RegExp(`^saveToRedis\\(kind 'counter', output 'counter:wc'\\) batch 1000 partition 3: the Redis server 127\\.0\\.0\\.1:${port} closed the connection during the partition's write \\(.+\\): nothing of it was applied \\(Redis discards a transaction it did not EXEC\\); the task's next attempt writes it, waiting for the server up to reconnectTimeoutMs 1000 ms$`));
  assert.doesNotMatch(err.message, /cannot reach/);
});

test("a command refused inside EXEC is what the attempt reports, though the connection closes before the marker records it", async () => {
  // The refused command (a key of another type) is what the user acts on; the SET that
  // records it in the marker failing on the closed connection replaced it with 'cannot reach
  // the Redis server ... check the host and port', an address that was fine.
  dropAt = 'after-exec';
  seen.length = 0;
  const p: RedisSinkParams = { url: `redis://127.0.0.1:${port}`, kind: 'counter', key: 'wc', increment: false, outputId: 'counter:wc', chunkSize: 100, markerTtlSeconds: 60, ttlSeconds: 0, reconnectTimeoutMs: 1000, commandTimeoutMs: 5000 };
  const f: RedisRecordFunctions<{ word: string; n: number }> = { key: undefined, field: (r) => r.word, value: (r) => r.n, member: undefined, score: undefined, onProgress: undefined };
  const err = await writeRedisPartition(p, f, '2000', 1, [{ word: 'a', n: 1 }, { word: 'b', n: 2 }]).then(
    () => assert.fail('the write succeeded though EXEC refused a command'),
    (e: unknown) => e as Error & { code?: string },
  );
  // The server answered EXEC and TYPE, then closed at the marker's SET.
  assert.deepEqual(seen.slice(seen.indexOf('exec')), ['exec', 'type', 'set'], seen.join(' '));
  assert.equal(err.code, 'SLUICE_BAD_RECORD', err.message);
  assert.ok(
    err.message.startsWith(
      "saveToRedis(kind 'counter', output 'counter:wc') batch 2000 partition 1: kind: key 'wc' holds a Redis string, and kind 'counter' writes a hash (HINCRBY 'wc', command 0 of the partition); give keys of the kind's type (or another key) — the key changed type after the check before the transaction (another client wrote it), and the partition's 1 other command was applied (Redis does not roll back); the partition's marker could not record this failure (",
    ),
    err.message,
  );
  assert.ok(err.message.endsWith("), so the task's next attempt finds the partition applied and does not report it again"), err.message);
  assert.doesNotMatch(err.message, /cannot reach/);
});
