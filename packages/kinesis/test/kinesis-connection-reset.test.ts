// The readers' connections to Kinesis reset under a call, once each, while the stream runs
// (what an HTTP server's keep-alive close does to a call that goes out on the connection as it
// closes; seen by hand against kinesalite, user54): each such call is tried again at once on a
// new connection, no receiver error is reported, and every record is counted once. A Kinesis
// that really went away refuses the next attempt, which is reported (kinesis-server-restart).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { LocalCluster } from '@sluice/cli';
import { fixture, jsonLines, pollUntil, startCluster, startJob } from './job-runner.js';
import { Kinesalite } from './support/kinesalite.js';
import { client, createStream, emptySent, put } from './support/producer.js';

let kinesis: Kinesalite;
let cluster: LocalCluster;
let tmp: string;

/** A TCP proxy to kinesalite: `armAll()` makes each connection open now reset (RST) the next bytes a client sends on it, once. */
class ResettingProxy {
  readonly server: net.Server;
  private readonly armed = new Map<net.Socket, boolean>();
  resets = 0;

  constructor(upstreamPort: number) {
    this.server = net.createServer((c) => {
      const up = net.connect(upstreamPort, '127.0.0.1');
      this.armed.set(c, false);
      const end = (): void => {
        this.armed.delete(c);
        c.destroy();
        up.destroy();
      };
      c.on('data', (d) => {
        if (this.armed.get(c)) {
          this.resets++;
          this.armed.delete(c);
          up.destroy();
          c.resetAndDestroy();
          return;
        }
        up.write(d);
      });
      up.on('data', (d) => c.write(d));
      for (const s of [c, up]) {
        s.on('error', end);
        s.on('close', end);
      }
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  armAll(): number {
    for (const c of this.armed.keys()) this.armed.set(c, true);
    return this.armed.size;
  }
}

let proxy: ResettingProxy;

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-kinesis-reset-'));
  kinesis = new Kinesalite();
  await kinesis.start();
  proxy = new ResettingProxy(kinesis.port);
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  cluster = await startCluster(2);
});

after(async () => {
  await cluster?.stop();
  proxy?.server.close();
  await kinesis?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('connections reset under the readers: each call tried again at once, no receiver error, every record counted once', { timeout: 120_000 }, async () => {
  const N = 6_000;
  const stream = 'resets';
  const c = client(kinesis.endpoint);
  await createStream(c, stream, 2);
  const sent = emptySent();
  const job = await startJob(cluster, fixture('kinesis-count-job.ts'), [
    JSON.stringify({ endpoint: proxy.endpoint, stream, app: 'reset-app', readers: 2, checkpointDir: path.join(tmp, 'cp'), batchMs: 500, expectIds: N, checkpointInterval: 300 }),
  ]);
  await job.waitLine('STARTED', 30_000);
  const seen = (): number => jsonLines<{ ids: number[] }>(job.lines, 'BATCH ').reduce((n, b) => n + b.ids.length, 0);
  await put(c, stream, 0, N / 2, 5, sent);
  await pollUntil(() => seen() >= N / 4 || undefined, 60_000, `a quarter of ${N} records counted`);
  // Twice, a second apart: every connection the readers hold is reset at its next call.
  for (let round = 0; round < 2; round++) {
    const armed = proxy.armAll();
    assert.ok(armed >= 2, `the readers hold connections through the proxy (${armed})`);
    await pollUntil(() => proxy.resets >= (round + 1) * 2 || undefined, 20_000, `calls reset (${proxy.resets})`);
    await new Promise((r) => setTimeout(r, 1000));
  }
  await put(c, stream, N / 2, N / 2, 6, sent);
  const end = await job.finished(80_000);
  assert.ok(end.ok, `${end.failure}\n${end.lines.slice(-20).join('\n')}`);
  assert.deepEqual(end.lines.filter((l) => l.startsWith('RECEIVER error ')), [], `no receiver error for ${proxy.resets} reset calls`);
  const ids = jsonLines<{ ids: number[] }>(end.lines, 'BATCH ').flatMap((b) => b.ids);
  const distinct = new Set(ids);
  assert.deepEqual(sent.ids.filter((id) => !distinct.has(id)).slice(0, 20), [], 'no record lost');
  assert.equal(ids.length, N, `each record counted once (${ids.length - distinct.size} twice)`);
  c.destroy();
});
