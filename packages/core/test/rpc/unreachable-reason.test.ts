// Why nothing answered gRPC at an address (src/rpc/unreachable-reason.ts), on loopback: a port
// where nothing listens, one where a plain TCP server listens, a host whose lookup fails (the
// lookup stood in for: no name is sent to a DNS server), and an address that is not HOST:PORT.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { freePort } from '@sluice/test-disk/free-port';
import { unreachableReason } from '../../src/rpc/unreachable-reason.js';

/**
 * A port nothing listens on: freePort's, drawn below the kernel's ephemeral range and checked
 * free. (A port bind(0) just had, closed again, is among those the kernel hands to other
 * processes' binds and outgoing connections next, so something could be answering there.)
 */
const closedPort = freePort;

test('a port where nothing listens: connection refused, naming the port and the host', async () => {
  const port = await closedPort();
  assert.equal(await unreachableReason(`127.0.0.1:${port}`), `nothing listens on port ${port} of 127.0.0.1 (connection refused): is \`sluice driver\` running there, on that port?`);
  // A name shows with the address it resolved to.
  assert.match(await unreachableReason(`host.test:${port}`, { lookup: async () => ({ address: '127.0.0.1' }) }), new RegExp(`^nothing listens on port ${port} of host\\.test \\(127\\.0\\.0\\.1\\) \\(connection refused\\)`));
});

test('a port where something other than a driver listens: the connection opens, and the message says to check the port and TLS', async () => {
  const accepted: net.Socket[] = [];
  const server = net.createServer((c) => accepted.push(c));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  try {
    const why = await unreachableReason(`127.0.0.1:${port}`);
    assert.match(why, new RegExp(`^a TCP connection to 127\\.0\\.0\\.1:${port} opens, but what listens there did not answer as a Sluice driver: .*--tls-ca`));
    assert.equal(accepted.length, 1, 'the probe connected once');
  } finally {
    for (const c of accepted) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test("a host whose name does not resolve: the lookup's error code, and nothing dialled", async () => {
  const looked: string[] = [];
  const lookup = async (host: string): Promise<{ address: string }> => {
    looked.push(host);
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  };
  assert.equal(await unreachableReason('drvier.example:7077', { lookup }), "the host 'drvier.example' does not resolve (ENOTFOUND): check its spelling, or use the driver's IP address");
  assert.deepEqual(looked, ['drvier.example']);
  // An IPv6 address in brackets is looked up without them.
  await unreachableReason('[fd00::1]:7077', { lookup });
  assert.deepEqual(looked, ['drvier.example', 'fd00::1']);
});

test('not HOST:PORT: said so, nothing looked up', async () => {
  assert.equal(await unreachableReason('no-port', { lookup: () => assert.fail('looked up') }), "'no-port' is not HOST:PORT");
});
