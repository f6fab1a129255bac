// net.isIPv6 / net.isIP answered at once for strings without a colon (ip-check-fast-path.ts):
// the answers equal Node's own functions (taken before anything wrapped them) over the
// addresses grpc-js sees and 20,000 random strings of address characters; Node's functions
// are still asked for everything else; and a real `sluice` process has the fast path.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { IP_CHECK_FAST_PATH, installIpCheckFastPath, type IpChecks } from '../src/ip-check-fast-path.js';
import { CLI_BIN, CLI_DIR } from './harness.js';

const DIST = path.join(CLI_DIR, 'dist');

// Node's own functions, before this process wrapped anything (this file installs on copies only).
const node: IpChecks = { isIP: net.isIP, isIPv4: net.isIPv4, isIPv6: net.isIPv6 };
assert.equal((net.isIPv6 as unknown as Record<symbol, unknown>)[IP_CHECK_FAST_PATH], undefined, 'the test process starts with Node functions');

/** A stand-in that answers as Node does and counts what it was asked. */
function counting(): IpChecks & { asked: Record<keyof IpChecks, unknown[]> } {
  const asked: Record<keyof IpChecks, unknown[]> = { isIP: [], isIPv4: [], isIPv6: [] };
  return {
    asked,
    isIP: (s) => (asked.isIP.push(s), node.isIP(s)),
    isIPv4: (s) => (asked.isIPv4.push(s), node.isIPv4(s)),
    isIPv6: (s) => (asked.isIPv6.push(s), node.isIPv6(s)),
  };
}

const ADDRESSES = [
  '0.0.0.0', '127.0.0.1', '255.255.255.255', '256.1.1.1', '1.2.3', '01.2.3.4', 'localhost', 'example.com', '', ' ', 'dns:127.0.0.1',
  '::', '::1', '::ffff:127.0.0.1', 'fe80::1%eth0', '2001:db8::8a2e:370:7334', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', ':::', '1::2::3',
  '127.0.0.1:7077', '[::1]:7077', 'abcd', 'ffff', '%eth0', '1.2.3.4%eth0', 'g::1',
];

test('the answers are Node\'s: addresses grpc-js sees and 20,000 random strings of address characters', () => {
  const fast = counting();
  installIpCheckFastPath(fast);
  let seed = 12345;
  const rand = (n: number): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % n);
  const alphabet = '0123456789abcdefABCDEF:.%';
  const random = Array.from({ length: 20_000 }, () => Array.from({ length: rand(46) }, () => alphabet[rand(alphabet.length)]).join(''));
  // Half of them shaped like addresses (colon-separated groups, dotted quads), where IPv6 answers are true.
  const shaped = Array.from({ length: 2_000 }, () => Array.from({ length: 1 + rand(9) }, () => (rand(4) === 0 ? '' : rand(65536).toString(16))).join(':') + (rand(3) === 0 ? `:${rand(300)}.${rand(256)}.1.${rand(256)}` : ''));
  let v6 = 0;
  for (const s of [...ADDRESSES, ...random, ...shaped]) {
    assert.equal(fast.isIPv6(s), node.isIPv6(s), `isIPv6(${JSON.stringify(s)})`);
    assert.equal(fast.isIP(s), node.isIP(s), `isIP(${JSON.stringify(s)})`);
    if (node.isIPv6(s)) v6++;
  }
  assert.ok(v6 > 200, `the inputs hold IPv6 addresses too (${v6})`);
});

test('a colon-free string is answered without Node\'s isIPv6; anything else is Node\'s; installing twice wraps once', () => {
  const fast = counting();
  installIpCheckFastPath(fast);
  const isIPv6 = fast.isIPv6;
  installIpCheckFastPath(fast);
  assert.equal(fast.isIPv6, isIPv6, 'the second install changed nothing');
  for (const s of ['0.0.0.0', '127.0.0.1', 'localhost', '']) {
    assert.equal(fast.isIPv6(s), false);
    assert.equal(fast.isIP(s), node.isIP(s));
  }
  assert.deepEqual(fast.asked.isIPv6, [], 'Node\'s isIPv6 not asked about colon-free strings');
  assert.deepEqual(fast.asked.isIP, [], 'nor its isIP');
  assert.deepEqual(fast.asked.isIPv4, ['0.0.0.0', '127.0.0.1', 'localhost', ''], 'isIP asks isIPv4 once each');
  // A string with a colon, and values that are not strings (Node converts them), go to Node's.
  const other = ['::1', 'a:b', 1234, undefined, { toString: () => '::1' }];
  for (const v of other) {
    assert.equal(fast.isIPv6(v as string), node.isIPv6(v as string));
    assert.equal(fast.isIP(v as string), node.isIP(v as string));
  }
  assert.deepEqual(fast.asked.isIPv6, other, 'each asked of Node\'s isIPv6 once');
  assert.deepEqual(fast.asked.isIP, other, 'and of its isIP once');
});

test('a sluice process runs with the fast path on node:net', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ipcheck-'));
  try {
    const preload = path.join(dir, 'report.cjs');
    // At exit, whether node:net's functions are the ones ip-check-fast-path made.
    fs.writeFileSync(preload, `process.on('exit', () => { const net = require('node:net'); const k = Symbol.for('sluice.ipCheckFastPath'); process.stderr.write('IPCHECK ' + (net.isIPv6[k] === true) + ' ' + (net.isIP[k] === true) + '\\n'); });\n`);
    // --require names a code cache of its own (cli-entry keys them by the options); the one this leaves is removed.
    const caches = (): string[] => (fs.existsSync(DIST) ? fs.readdirSync(DIST).filter((f) => f.endsWith('.cache')) : []);
    const before = new Set(caches());
    const r = spawnSync(process.execPath, ['--require', preload, CLI_BIN, '--version'], { encoding: 'utf8', timeout: 120_000 });
    for (const f of caches()) if (!before.has(f)) fs.rmSync(path.join(DIST, f), { force: true });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /^IPCHECK true true$/m, r.stderr);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
