// A 20 s pause of the driver (SIGSTOP, then SIGCONT: a GC pause, a stalled VM) loses
// nothing. Real processes: `sluice driver`, two `sluice worker`s and `sluice submit` of a
// socket-fed counting job (plain and updateStateByKey), fed by a TCP source here that
// numbers its lines. While the driver is stopped the receiver keeps receiving and keeps
// its blocks, retrying its reports; no worker is declared lost; the submit CLI attaches
// to the job's output again and exits 0 after `sluice stop --graceful`. Then a worker is
// killed: unlike a paused one, it is declared lost at once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { type Proc, startSluice, until } from './cli-process.js';
import { fixture, freePort, runCli, sleep, within } from './harness.js';
import { pause, resume } from '@sluice/test-disk/pause';

const env = { ...process.env, SLUICE_SECRET: 'driver-pause-secret-0123456789abcdef' };
const PAUSE_MS = 20_000;

const start = (args: string[]): Proc => startSluice(args, env);

test('a 20 s SIGSTOP of the driver loses nothing: every line sent is counted once, state included, and sluice submit stays attached and exits 0', { timeout: 480_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-pause-'));
  const conns: net.Socket[] = [];
  const server = net.createServer((s) => {
    conns.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const sourcePort = (server.address() as net.AddressInfo).port;
  const driverPort = await freePort();
  const driverAddr = `127.0.0.1:${driverPort}`;
  const procs: Proc[] = [];
  let feeding: NodeJS.Timeout | undefined;
  let next = 1;
  try {
    // Default worker timeout (no --worker-timeout-ms): the figure users get.
    const driver = start(['driver', '--port', String(driverPort), '--web-port', '0', '--log-level', 'warn']);
    procs.push(driver);
    for (let i = 0; i < 2; i++) procs.push(start(['worker', '--driver', driverAddr, '--cores', '1', '--log-level', 'warn']));
    await until('two workers', 60_000, async () => ((await runCli(['workers', '--driver', driverAddr], { env, timeoutMs: 20_000 })).stdout.match(/worker-/g) ?? []).length === 2);

    const submit = start(['submit', fixture('stream-pause-count.ts'), '--driver', driverAddr, '--', '127.0.0.1', String(sourcePort), path.join(dir, 'ckpt')]);
    procs.push(submit);
    await until('the receiver to connect', 60_000, () => conns.length > 0);
    // The source: 10 numbered lines every 20 ms to the receiver's connection.
    feeding = setInterval(() => {
      const s = conns[conns.length - 1];
      if (s.destroyed) return;
      const lines: number[] = [];
      for (let i = 0; i < 10; i++) lines.push(next++);
      s.write(lines.join('\n') + '\n');
    }, 20);
    await until('a first batch with lines', 60_000, () => submit.stdout.some((l) => l.startsWith('LINES ')));
    await sleep(2000);

    pause(driver.child);
    const sentAtStop = next - 1;
    await sleep(PAUSE_MS);
    resume(driver.child);
    const sentAtCont = next - 1;
    await sleep(3000);
    clearInterval(feeding);
    feeding = undefined;
    const sent = next - 1;

    // Count what the job printed: each line number once, until all sent are counted.
    const counted = (): Map<number, number> => {
      const m = new Map<number, number>();
      for (const l of submit.stdout) if (l.startsWith('LINES ')) for (const n of JSON.parse(l.split(' ')[2]) as number[]) m.set(n, (m.get(n) ?? 0) + 1);
      return m;
    };
    // The catch-up is waited for by its progress, not for a fixed time: the ~20 batches the
    // pause held back run late on a loaded machine. Once no more lines are counted for 30 s,
    // the graceful stop below runs what is left, and what is still missing then fails the check.
    let progress = { size: -1, at: Date.now() };
    await until(`all ${sent} lines to be counted`, 300_000, () => {
      const size = counted().size;
      if (size !== progress.size) progress = { size, at: Date.now() };
      return size >= sent || Date.now() - progress.at > 30_000;
    }).catch(() => undefined);
    const jobId = /submitted \S+ as (\S+)/.exec(submit.stderr)?.[1];
    assert.ok(jobId, submit.stderr);
    const stop = await runCli(['stop', jobId!, '--driver', driverAddr, '--graceful'], { env, timeoutMs: 120_000 });
    assert.equal(stop.code, 0, stop.stderr);
    const code = await within(submit.exited, 120_000, 'sluice submit to exit after the graceful stop');
    assert.equal(code, 0, `sluice submit exits 0:\n${submit.stderr}`);

    const got = counted();
    const missing: number[] = [];
    for (let n = 1; n <= sent; n++) if (!got.has(n)) missing.push(n);
    const twice = [...got].filter(([, c]) => c > 1).map(([n]) => n);
    const extra = [...got.keys()].filter((n) => n < 1 || n > sent);
    assert.ok(sentAtCont - sentAtStop > 100, `the source sent during the pause (${sentAtCont - sentAtStop} lines)`);
    assert.deepEqual(
      { missing: missing.length, twice: twice.length, extra: extra.length },
      { missing: 0, twice: 0, extra: 0 },
      `of ${sent} lines sent (${sentAtStop} before the pause, ${sentAtCont - sentAtStop} during it): missing ${missing.slice(0, 20)}..., twice ${twice.slice(0, 20)}...`,
    );
    // The state (updateStateByKey) counted every line once too: lines per n % 10, computed here.
    const want: [number, number][] = [];
    for (let k = 0; k < 10; k++) {
      let c = 0;
      for (let n = 1; n <= sent; n++) if (n % 10 === k) c++;
      want.push([k, c]);
    }
    const states = submit.stdout.filter((l) => l.startsWith('STATE '));
    assert.deepEqual(JSON.parse(states[states.length - 1].split(' ')[2]), want, 'the final state');
    // The receiver kept its connection through the pause; no worker was declared lost;
    // the CLI never claimed the driver was gone, and said it reattached if its stream broke.
    assert.equal(conns.length, 1, 'the receiver never reconnected to the source');
    assert.doesNotMatch(driver.stderr, /worker lost/);
    assert.doesNotMatch(submit.stderr, /no Sluice driver answers/);

    // A worker that is killed (not paused) is noticed at once, not after the 60 s heartbeat
    // timeout, even with no call open to it: its connection drops and its port refuses.
    const killedAt = Date.now();
    procs[1].child.kill('SIGKILL');
    await until('the killed worker to be declared lost', 60_000, () => /worker lost/.test(driver.stderr));
    const lostAfterMs = Date.now() - killedAt;
    assert.match(driver.stderr, /refuses connections: the worker process is gone/);
    console.log(`# sent ${sent} lines (${sentAtCont - sentAtStop} while the driver was stopped for ${PAUSE_MS} ms), counted ${got.size}; a killed worker was declared lost after ${lostAfterMs} ms; submit said: ${submit.stderr.split('\n').filter((l) => l.startsWith('sluice:')).join(' | ')}`);
  } finally {
    clearInterval(feeding);
    for (const p of procs) {
      resume(p.child);
      p.child.kill('SIGKILL');
    }
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
