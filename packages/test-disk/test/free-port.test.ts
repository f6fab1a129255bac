// freePort's ports lie below the kernel's ephemeral range (so no bind(0) or outgoing
// connection elsewhere takes one between the pick and the test's listen) and are free on
// every IPv4 address.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { test } from 'node:test';
import { freePort } from '../src/free-port.js';

function listenAndClose(port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(port, host, () => s.close(() => resolve()));
  });
}

test('ports drawn below the ephemeral range, free on 0.0.0.0 and loopback, spread apart', async () => {
  const [low] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
  assert.ok(low > 11_000, `this machine's ephemeral range starts at ${low}: the test expects room below it`);
  const ports: number[] = [];
  for (let i = 0; i < 20; i++) {
    const port = await freePort();
    assert.ok(port >= 10_000 && port < low, `port ${port} lies in [10000, ${low})`);
    await listenAndClose(port, '0.0.0.0');
    await listenAndClose(port, '127.0.0.1');
    ports.push(port);
  }
  // Random draws over thousands of ports: 20 of them all distinct but for a rare pair.
  assert.ok(new Set(ports).size >= 18, `distinct ports: ${ports.join(', ')}`);
});

test('a port held on loopback or on 0.0.0.0 is not handed out', async () => {
  // A range of three ports, two of them held: every draw must give the third.
  const base = await freePort();
  const range = { from: base, to: base + 3 };
  const held: net.Server[] = [];
  const hold = (port: number, host: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.createServer();
      s.once('error', reject);
      s.listen(port, host, () => resolve());
      held.push(s);
    });
  try {
    await hold(base, '127.0.0.1');
    await hold(base + 2, '0.0.0.0');
    for (let i = 0; i < 10; i++) assert.equal(await freePort(range), base + 1);
  } finally {
    await Promise.all(held.map((s) => new Promise((r) => s.close(r))));
  }
});
