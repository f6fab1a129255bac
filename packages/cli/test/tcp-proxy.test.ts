// The network-fault tests' TCP proxy (tcp-proxy.ts) against a loopback echo-less sink: what
// crosses a held link crosses, in order, once it heals — on a connection open before the
// hold and on one accepted while it held (that one stayed paused after heal(): a worker
// whose channel to the driver reconnected during a hold got no byte through until its
// keepalive gave the connection up, 15 s later, and network-partition-stream's job ended
// before the worker was back); a cut resets open connections and refuses new ones until
// heal(); a delay makes every chunk cross that much later, in order.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { pollUntil, sleep } from './harness.js';
import { TcpProxy } from './tcp-proxy.js';

/** What the target received on each connection, in order of connection. */
const received: string[] = [];
let target: net.Server;
let proxy: TcpProxy;

before(async () => {
  target = net.createServer((s) => {
    const i = received.push('') - 1;
    s.on('data', (d: Buffer) => (received[i] += d.toString()));
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
  proxy = await TcpProxy.start('127.0.0.2', 0, { host: '127.0.0.1', port: (target.address() as net.AddressInfo).port });
});

after(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => target.close(() => resolve()));
});

async function connect(): Promise<net.Socket> {
  const c = net.connect(proxy.port, '127.0.0.2');
  c.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    c.once('connect', resolve);
    c.once('close', () => reject(new Error('closed before connecting')));
  });
  return c;
}

test('held: nothing crosses until heal(), then everything, in order, on a connection open before the hold and on one accepted during it', async () => {
  const before = await connect();
  before.write('a1;');
  await pollUntil(() => received.some((r) => r === 'a1;') || undefined, 5000, 'the first bytes through the open link');
  const mine = received.indexOf('a1;');
  proxy.hold();
  before.write('a2;');
  const during = await connect();
  during.write('b1;');
  await sleep(300);
  assert.equal(received[mine], 'a1;', 'nothing crossed the held link');
  assert.equal(received.length, mine + 1, 'no connection reached the target while held');
  proxy.heal();
  before.write('a3;');
  during.write('b2;');
  await pollUntil(() => (received[mine].endsWith('a3;') && received[mine + 1]?.endsWith('b2;')) || undefined, 5000, "both connections' last bytes after heal()").catch((err: Error) => {
    throw new Error(`${err.message}; the target got ${JSON.stringify(received.slice(mine))}`);
  });
  assert.deepEqual(received.slice(mine), ['a1;a2;a3;', 'b1;b2;']);
  before.destroy();
  during.destroy();
});

test('cut: open connections are reset, new ones refused until heal(); then they cross again', async () => {
  const open = await connect();
  const reset = new Promise<string>((resolve) => open.once('close', () => resolve('closed')));
  proxy.cut();
  assert.equal(await reset, 'closed');
  await assert.rejects(connect(), /closed before connecting|ECONNRESET/);
  proxy.heal();
  const n = received.length;
  const again = await connect();
  again.write('c1;');
  await pollUntil(() => received[n] === 'c1;' || undefined, 5000, 'bytes through a connection made after heal()');
  again.destroy();
});

test('delay: each chunk crosses no sooner than the delay after it was sent, in order; after heal() at once', async () => {
  const n = received.length;
  const open = await connect();
  await pollUntil(() => received.length > n || undefined, 5000, 'the target to accept');
  const i = received.length - 1;
  proxy.delay(600);
  const sent = Date.now();
  open.write('d1;');
  await sleep(100);
  open.write('d2;');
  assert.equal(received[i], '', 'nothing crossed at once');
  await pollUntil(() => received[i] === 'd1;d2;' || undefined, 10_000, 'the delayed bytes');
  const took = Date.now() - sent;
  assert.ok(took >= 690, `the second chunk crossed ${took} ms after the first was sent, before its 600 ms delay`);
  proxy.heal();
  const healed = Date.now();
  open.write('d3;');
  await pollUntil(() => received[i] === 'd1;d2;d3;' || undefined, 10_000, 'bytes after heal()');
  assert.ok(Date.now() - healed < 600, 'not delayed after heal()');
  open.destroy();
});
