// Failed authentications are logged at a bounded rate with the peer's address, repeated
// failures from one peer are slowed down (issue 7, item 12), and one peer cannot hold
// more than --max-calls-per-peer calls open (item 11). Against a real `sluice driver`.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, test } from 'node:test';
import { fixture, runCli, sleep } from './harness.js';
import { callStatus, metadataWith, pollUntil, randomSecret, rawClient, startDriverProcess, type SluiceProcess } from './sluice-processes.js';

const MAX_CALLS = 4;
const secret = randomSecret();
const wrong = metadataWith({ kind: 'value', value: randomSecret() });
const right = (): grpc.Metadata => metadataWith({ kind: 'value', value: secret });
let driver: SluiceProcess & { address: string };
let client: grpc.Client;
before(async () => {
  driver = await startDriverProcess(secret, ['--max-calls-per-peer', String(MAX_CALLS)]);
  client = rawClient('Driver', driver.address);
});
after(async () => {
  client?.close();
  await driver?.stop();
});

interface RefusalLine {
  msg: string;
  peer: string;
  rpc: string;
  failuresInStreak: number;
  refusalsSinceLastLine: number;
  delayMs: number;
  /** When the driver wrote the line (pino's epoch ms). */
  time: number;
}

function refusalLines(): RefusalLine[] {
  return driver.logLines
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RefusalLine)
    .filter((l) => l.msg === 'refused a call without the right cluster secret');
}

test('repeated wrong secrets from one peer are refused more and more slowly and logged at a bounded rate', async () => {
  // The policy under test: 3 refusals at once, then 100 ms doubling to 5 s; one log line
  // per peer per 10 s, each counting the refusals it stands for.
  const expectedDelay = (n: number): number => (n <= 3 ? 0 : Math.min(5000, 100 * 2 ** (n - 4)));
  const took: number[] = [];
  const refuse = async (n: number): Promise<void> => {
    const t0 = Date.now();
    const s = await callStatus(client, 'Driver', 'ListWorkers', {}, wrong);
    took[n - 1] = Date.now() - t0;
    assert.equal(s.code, grpc.status.UNAUTHENTICATED, `call ${n}: ${s.details}`);
  };
  // The log window is checked first, with refusals 1-5 (0.3 s of delays by design), so that
  // it holds them with a wide margin on a loaded machine; the longer delays come after.
  const firstSent = Date.now();
  await refuse(1);
  const firstAnswered = Date.now();
  for (let n = 2; n <= 5; n++) await refuse(n);
  const fiveAnswered = Date.now();
  // Five refusals within 10 s: one log line, for the first, naming the peer and the RPC.
  const first = refusalLines();
  assert.ok(fiveAnswered - firstSent < 10_000, `refusals 1-5 took ${fiveAnswered - firstSent} ms (${took.join(', ')}): no longer inside one 10 s log window`);
  assert.equal(first.length, 1, JSON.stringify(first));
  assert.match(first[0].peer, /^127\.0\.0\.1:\d+$/);
  assert.equal(first[0].rpc, 'ListWorkers');
  assert.deepEqual([first[0].failuresInStreak, first[0].refusalsSinceLastLine, first[0].delayMs], [1, 1, 0]);

  // Ten seconds after the first line (the driver refused the first call before it was
  // answered here), the next refusal is logged with the count of the refusals since that
  // line: the 2nd to the 6th.
  await sleep(Math.max(0, firstAnswered + 10_200 - Date.now()));
  await refuse(6);
  const second = refusalLines();
  assert.equal(second.length, 2, JSON.stringify(second));
  assert.deepEqual([second[1].failuresInStreak, second[1].refusalsSinceLastLine, second[1].delayMs], [6, 5, expectedDelay(6)]);
  assert.ok(second[1].time - second[0].time >= 9_995, JSON.stringify(second)); // each line written in the tick that refused

  for (let n = 7; n <= 8; n++) await refuse(n);
  // Each refusal waited at least its delay (a timer never fires early).
  for (let n = 4; n <= 8; n++) assert.ok(took[n - 1] >= expectedDelay(n), `refusal ${n} took ${took[n - 1]} ms, less than its ${expectedDelay(n)} ms delay (${took.join(', ')})`);
  // So this peer got 8 guesses in no less than 3.1 s, where it took a few ms before.
  assert.ok(took.reduce((a, b) => a + b, 0) >= 3100, took.join(', '));

  // The right secret from the same peer is not held back: started after a wrong call
  // (the 9th, held back 3.2 s), it is answered first.
  const order: string[] = [];
  await Promise.all([
    callStatus(client, 'Driver', 'ListWorkers', {}, wrong).then((s) => order.push(`wrong:${s.code}`)),
    sleep(20).then(() => callStatus(client, 'Driver', 'ListWorkers', {}, right()).then((s) => order.push(`right:${s.code}`))),
  ]);
  assert.deepEqual(order, [`right:${grpc.status.OK}`, `wrong:${grpc.status.UNAUTHENTICATED}`]);

  // Refusals 7-9 came within 10 s of the second line on any machine that is not very slow:
  // no line of their own. Wherever the driver's clock put one past the window, it is logged
  // with the refusals since the second line (printed here when that happens).
  const lines = refusalLines();
  for (let i = 2; i < lines.length; i++) {
    assert.ok(lines[i].time - lines[i - 1].time >= 9_995, `lines at least 10 s apart: ${JSON.stringify(lines)}`);
    assert.equal(lines[i].failuresInStreak - lines[i - 1].failuresInStreak, lines[i].refusalsSinceLastLine, JSON.stringify(lines));
  }
  if (lines.length > 2) console.log(`# refusals 7-9 spanned a log window at this load: ${JSON.stringify(lines)}`);
});

test(`a peer with ${MAX_CALLS} calls open gets RESOURCE_EXHAUSTED for one more, and is served again once one ends`, async () => {
  // SubmitJob streams with the right secret that send nothing stay open on the driver.
  const open: grpc.ClientDuplexStream<unknown, unknown>[] = [];
  const submit = (client as unknown as { SubmitJob: (md: grpc.Metadata) => grpc.ClientDuplexStream<unknown, unknown> }).SubmitJob.bind(client);
  try {
    for (let i = 0; i < MAX_CALLS; i++) {
      const call = submit(right());
      call.on('error', () => undefined);
      call.on('data', () => undefined);
      open.push(call);
    }
    // Wait until the driver holds all of them: then the next call is refused.
    const over = await pollUntil(
      async () => {
        const s = await callStatus(client, 'Driver', 'ListWorkers', {}, right());
        return s.code === grpc.status.OK ? undefined : s;
      },
      20_000,
      'the open calls to reach the driver',
    );
    assert.equal(over.code, grpc.status.RESOURCE_EXHAUSTED, over.details);
    assert.match(over.details, new RegExp(`${MAX_CALLS} calls from 127\\.0\\.0\\.1 are already open on this server \\(at most ${MAX_CALLS}, --max-calls-per-peer\\)`));
    // A call without the secret is refused as well, without being counted or read.
    const noSecret = await callStatus(client, 'Driver', 'ListWorkers', {}, metadataWith({ kind: 'none' }));
    assert.equal(noSecret.code, grpc.status.RESOURCE_EXHAUSTED);

    open.pop()!.cancel();
    await pollUntil(
      async () => {
        const s = await callStatus(client, 'Driver', 'ListWorkers', {}, right());
        assert.ok(s.code === grpc.status.OK || s.code === grpc.status.RESOURCE_EXHAUSTED, s.details);
        return s.code === grpc.status.OK ? s : undefined;
      },
      20_000,
      'a slot to free up after a call ended',
    );
  } finally {
    for (const c of open) c.cancel();
  }
  // At least two refusals in these few seconds (the probe and the call without a secret): one log line.
  const overLines = driver.logLines.filter((l) => l.includes('too many open calls from this peer'));
  assert.equal(overLines.length, 1, overLines.join('\n'));
  assert.equal((JSON.parse(overLines[0]) as { refusalsSinceLastLine: number }).refusalsSinceLastLine, 1);
  // Every slot comes back once the calls end: MAX_CALLS calls at once are served again.
  const again = await pollUntil(
    async () => {
      const all = await Promise.all(Array.from({ length: MAX_CALLS }, () => callStatus(client, 'Driver', 'ListWorkers', {}, right())));
      return all.every((s) => s.code === grpc.status.OK) ? all : undefined;
    },
    20_000,
    'every slot to come back',
  );
  assert.equal(again.length, MAX_CALLS);
});

test(`${MAX_CALLS} jobs submitted with --detach from one host leave no call open: the host is still served`, async () => {
  // Each detached submit cancels its SubmitJob call while the job runs on; the driver
  // must count the call as ended then, not when the job ends (these never end).
  for (let i = 0; i < MAX_CALLS; i++) {
    const r = await runCli(['submit', '--driver', driver.address, '--detach', fixture('waits-forever.ts')], {
      env: { SLUICE_SECRET: secret, SLUICE_SECRET_FILE: '' },
      timeoutMs: 60_000,
    });
    assert.equal(r.code, 0, r.stderr);
  }
  const served = await pollUntil(
    async () => {
      const s = await callStatus(client, 'Driver', 'ListJobs', {}, right());
      return s.code === grpc.status.OK ? s : undefined;
    },
    20_000,
    'the driver to serve this host again',
  );
  assert.equal(served.code, grpc.status.OK);
});
