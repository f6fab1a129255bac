// A driver restarted while the S3 endpoint fails reads of the checkpoint recovers from the
// NEWEST metadata checkpoint, never silently from an older one (whose older state and input
// positions would be replayed): the stateful stream of s3-recovery.test.ts, its driver and
// workers reaching s3rver through an HTTP front on loopback that fails chosen GETs, the
// driver killed (-9) and started again four times:
//  A. every metadata GET reset for 3 s from the first (a server restarting), within the
//     store's retryTimeoutMs: ridden out, recovered from the newest;
//  B. every metadata GET answered 503 SlowDown past retryTimeoutMs (1 s): the job fails
//     naming the newest object and that it does not fall back; submitted again once the
//     endpoint answers, it recovers from the newest;
//  C. every state part GET answered 503 past retryTimeoutMs: the same, naming the part;
//  B'. the same with getOrCreate's createOnError (its read failing, then the endpoint
//     answering): still fails, no new context started afresh over the bucket's state;
//  D. the newest metadata object damaged (a byte changed) in the bucket: recovery falls
//     back to the one before, and a warning names the damaged object and why.
// Every batch's outputs must equal a failure-free computation done here from the batches'
// input, and every line fed is read exactly once.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type net from 'node:net';
import { after, before, test } from 'node:test';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { mulberry32 } from '@sluice/test-servers';
import { startS3rver, type S3rverProcess } from './s3rver-process.js';
import { fixture, startCluster, submit, type Cluster } from './sluice-cluster.js';

const BUCKET = 'sluice-read-errors';
const PREFIX = 'wc';
const LOCATION = `s3://${BUCKET}/${PREFIX}`;
const BATCH_MS = 500;
const WINDOW_BATCHES = 3;

type Pairs = [string, number][];
/** What the front does with one request: pass it to s3rver, reset its connection, or answer 503 SlowDown. */
type Fault = 'pass' | 'reset' | '503';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-s3-read-errors-'));
const dirs = { input: path.join(root, 'in'), out: path.join(root, 'out'), control: path.join(root, 'control'), staging: path.join(root, 'staging') };
for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });

let s3: S3rverProcess | undefined;
let front: Front | undefined;
let cluster: Cluster | undefined;
let setupError: unknown;
const fed: string[] = [];

interface Recovery {
  /** The newest metadata object in the bucket when the driver was killed. */
  newest: string;
  /** The one before it. */
  before: string;
  /** The driver's 'recovered from a metadata checkpoint' line. */
  recovered: string;
  /** A failed submission's exit code and stderr (B, C). */
  failed?: { code: number | null; stderr: string; faulted: number };
  /** B's failed submission with createOnError. */
  failedCreateOnError?: { code: number | null; stderr: string };
  /** The driver's 'metadata checkpoint is damaged' lines (D). */
  damagedLines?: string[];
}
const recoveries: Record<'A' | 'B' | 'C' | 'D', Recovery | undefined> = { A: undefined, B: undefined, C: undefined, D: undefined };

interface Front {
  readonly endpoint: string;
  /** Requests being passed to s3rver now. */
  inFlight(): number;
  /** How many requests the fault was applied to. */
  faulted(): number;
  setFault(f: (method: string, key: string) => Fault): void;
  close(): Promise<void>;
}

/** An HTTP front for s3rver: each request (path `/bucket/key`) is passed on, or failed as `fault` says. */
async function startFront(target: string): Promise<Front> {
  const upstream = new URL(target);
  let fault: (method: string, key: string) => Fault = () => 'pass';
  let inFlight = 0;
  let faulted = 0;
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    const key = decodeURIComponent((req.url ?? '').split('?')[0]).replace(/^\/[^/]+\//, '');
    const f = fault(req.method ?? '', key);
    if (f !== 'pass') {
      faulted++;
      req.resume();
      if (f === 'reset') {
        req.socket.destroy();
        return;
      }
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    inFlight++;
    let done = false;
    const finish = (): void => {
      if (!done) inFlight--;
      done = true;
    };
    const up = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
      ures.on('end', finish);
      ures.on('error', () => (finish(), res.destroy()));
    });
    up.on('error', () => (finish(), res.destroy()));
    req.on('error', () => (finish(), up.destroy()));
    res.on('close', finish);
    req.pipe(up);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    inFlight: () => inFlight,
    faulted: () => faulted,
    setFault(f) {
      fault = f;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const rand = mulberry32(4099);
let fileNo = 0;
/** A file of unique `key value id` lines, dated in the past and moved in (as a user should). */
function feedFile(): void {
  const id = fileNo++;
  const lines = Array.from({ length: 5 }, (_, i) => `k${Math.floor(rand() * 6)} ${1 + Math.floor(rand() * 9)} f${id}l${i}`);
  const tmp = path.join(dirs.staging, `f${String(id).padStart(5, '0')}.txt`);
  fs.writeFileSync(tmp, lines.join('\n') + '\n');
  const past = new Date(Date.now() - 5_000);
  fs.utimesSync(tmp, past, past);
  fs.renameSync(tmp, path.join(dirs.input, path.basename(tmp)));
  fed.push(...lines);
}

function outputs(kind: 'input' | 'state' | 'window'): Map<number, unknown> {
  const m = new Map<number, unknown>();
  for (const n of fs.readdirSync(dirs.out)) {
    const x = new RegExp(`^${kind}-(\\d+)\\.json$`).exec(n);
    if (x) m.set(Number(x[1]), JSON.parse(fs.readFileSync(path.join(dirs.out, n), 'utf8')));
  }
  return m;
}

async function until<T>(f: () => T | undefined | Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const jobArgs = (retryTimeoutMs?: number, createOnError = false): string[] => [
  LOCATION,
  dirs.input,
  dirs.out,
  dirs.control,
  String(BATCH_MS),
  ...(retryTimeoutMs === undefined ? [] : [String(retryTimeoutMs)]),
  ...(createOnError ? ['createOnError'] : []),
];

async function submitDetached(retryTimeoutMs?: number): Promise<void> {
  const r = await submit(cluster!, fixture('s3-recoverable.ts'), jobArgs(retryTimeoutMs), { detach: true }).done;
  if (r.code !== 0) throw new Error(`submit failed (${r.code}):\n${r.stderr}`);
}

/** A submission that must fail before any batch: its exit code and stderr (one that recovers or runs a batch is an error, at once). */
async function submitFailing(retryTimeoutMs: number, createOnError = false): Promise<{ code: number | null; stderr: string }> {
  const batches = stateCount();
  const job = submit(cluster!, fixture('s3-recoverable.ts'), jobArgs(retryTimeoutMs, createOnError));
  let timer: NodeJS.Timeout | undefined;
  const ranOn = new Promise<never>((_, reject) => {
    const deadline = Date.now() + 90_000;
    const check = (): void => {
      const recovered = cluster!.driver.logLines.find((l) => l.includes('recovered from a metadata checkpoint'));
      if (recovered !== undefined || stateCount() > batches || Date.now() > deadline) {
        job.child.kill('SIGKILL');
        reject(new Error(`the job did not fail: ${recovered ?? (stateCount() > batches ? 'it ran a batch' : 'still running after 90 s')}\n${job.stderr()}`));
        return;
      }
      timer = setTimeout(check, 50);
    };
    check();
  });
  try {
    return await Promise.race([job.done, ranOn]);
  } finally {
    clearTimeout(timer);
  }
}

const metadataKeys = async (): Promise<string[]> =>
  (await s3!.list(BUCKET, `${PREFIX}/metadata/`)).map((o) => o.key).filter((k) => /\/checkpoint-\d+$/.test(k)).sort();

const stateCount = (): number => outputs('state').size;

/** Kill the driver, wait until nothing it sent is still being written, and name the newest metadata object and the one before. */
async function killDriver(): Promise<{ newest: string; before: string }> {
  await cluster!.driver.kill9();
  await until(() => (front!.inFlight() === 0 ? true : undefined), 30_000, 'the requests of the killed driver to end');
  const keys = await metadataKeys();
  assert.ok(keys.length >= 2, `metadata objects in the bucket: ${keys.join(', ')}`);
  return { newest: `s3://${BUCKET}/${keys[keys.length - 1]}`, before: `s3://${BUCKET}/${keys[keys.length - 2]}` };
}

/** Restart the driver (unless `restart` is false: a failed job's driver is still up); `run` submits; then wait for its recovery line and `batches` more batches. */
async function recoverWith(run: () => Promise<void>, batches: number, restart = true): Promise<string> {
  if (restart) await cluster!.restartDriver();
  await run();
  const line = await until(() => cluster!.driver.logLines.find((l) => l.includes('recovered from a metadata checkpoint')), 60_000, 'the recovery');
  const at = stateCount();
  await until(() => (stateCount() >= at + batches ? true : undefined), 60_000, `${batches} batches after the recovery`);
  return line;
}

const isMetadata = (key: string): boolean => key.startsWith(`${PREFIX}/metadata/checkpoint-`);
const isStatePart = (key: string): boolean => new RegExp(`^${PREFIX}/state/stream-\\d+-\\d+/part-\\d+$`).test(key);

before(async () => {
  let feeding = true;
  try {
    s3 = await startS3rver([BUCKET]);
    front = await startFront(s3.endpoint);
    cluster = await startCluster(2, { ...s3.env, AWS_ENDPOINT_URL: front.endpoint });
    await submitDetached();
    await until(() => (stateCount() > 0 ? true : undefined), 60_000, 'the first batch');
    const feeding$ = (async () => {
      while (feeding) {
        feedFile();
        await new Promise((r) => setTimeout(r, 250));
      }
    })();
    await until(() => (stateCount() >= 8 ? true : undefined), 60_000, '8 batches');

    // A: resets for 3 s from the first metadata GET, within a 30-s retryTimeoutMs.
    const a = await killDriver();
    let firstFault: number | undefined;
    front.setFault((method, key) => {
      if (method !== 'GET' || !isMetadata(key)) return 'pass';
      firstFault ??= Date.now();
      return Date.now() - firstFault < 3000 ? 'reset' : 'pass';
    });
    recoveries.A = { ...a, recovered: await recoverWith(() => submitDetached(30_000), 6) };
    front.setFault(() => 'pass');

    // B: 503 on every metadata GET, past a 1-s retryTimeoutMs: the job fails; then submitted again.
    const b = await killDriver();
    front.setFault((method, key) => (method === 'GET' && isMetadata(key) ? '503' : 'pass'));
    await cluster.restartDriver();
    const faultedBefore = front.faulted();
    const failedB = await submitFailing(1000);
    const faultedB = front.faulted() - faultedBefore;
    // B': with createOnError, the same (no new context started over the bucket's state). Only
    // the first 3 metadata GETs fail (the SDK's attempts of getOrCreate's read, with no store
    // retry): a new context's own reads would pass, so only getOrCreate can refuse.
    let failedGets = 0;
    front.setFault((method, key) => (method === 'GET' && isMetadata(key) && failedGets++ < 3 ? '503' : 'pass'));
    const failedB2 = await submitFailing(0, true);
    front.setFault(() => 'pass');
    recoveries.B = { ...b, failed: { ...failedB, faulted: faultedB }, failedCreateOnError: failedB2, recovered: await recoverWith(() => submitDetached(), 6, false) };

    // C: 503 on every state part GET, past a 1-s retryTimeoutMs: the same.
    const c = await killDriver();
    front.setFault((method, key) => (method === 'GET' && isStatePart(key) ? '503' : 'pass'));
    await cluster.restartDriver();
    const faultedBeforeC = front.faulted();
    const failedC = await submitFailing(1000);
    const faultedC = front.faulted() - faultedBeforeC;
    front.setFault(() => 'pass');
    recoveries.C = { ...c, failed: { ...failedC, faulted: faultedC }, recovered: await recoverWith(() => submitDetached(), 6, false) };

    // D: the newest metadata object damaged in the bucket (one byte of its JSON changed).
    const d = await killDriver();
    const key = d.newest.slice(`s3://${BUCKET}/`.length);
    const res = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = Buffer.from(await res.Body!.transformToByteArray());
    body[body.length - 2] ^= 0x01;
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
    const recoveredD = await recoverWith(() => submitDetached(), 6);
    recoveries.D = { ...d, recovered: recoveredD, damagedLines: cluster.driver.logLines.filter((l) => l.includes('metadata checkpoint is damaged')) };

    feeding = false;
    await feeding$;
    await until(
      () => {
        const seen = new Set([...outputs('input').values()].flat() as string[]);
        return fed.every((l) => seen.has(l)) ? true : undefined;
      },
      60_000,
      'every fed line in some batch',
    );
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    await until(() => (fs.readdirSync(dirs.out).some((n) => n.startsWith('done-')) ? true : undefined), 60_000, 'the last job to stop');
  } catch (err) {
    setupError = err;
  } finally {
    feeding = false;
  }
});

after(async () => {
  await cluster?.stop();
  await front?.close();
  await s3?.stop();
  fs.rmSync(root, { recursive: true, force: true });
});

function ready(): void {
  if (setupError !== undefined) throw setupError;
}

const fileOf = (line: string): string | undefined => /"file":"([^"]+)"/.exec(line)?.[1];

test('A: metadata reads reset for 3 s (within retryTimeoutMs) are tried again: recovered from the newest checkpoint', () => {
  ready();
  const r = recoveries.A!;
  assert.equal(fileOf(r.recovered), r.newest, r.recovered);
});

test('B: metadata reads failing (503) past retryTimeoutMs fail the job naming the newest object, with no fall back; submitted again, it recovers from the newest', (t) => {
  ready();
  const r = recoveries.B!;
  t.diagnostic(`the failed submission: ${r.failed!.faulted} GETs answered 503; ${r.failed!.stderr.split('\n').find((l) => l.includes('cannot read')) ?? ''}`);
  assert.notEqual(r.failed!.code, 0);
  assert.ok(r.failed!.stderr.includes(`cannot read metadata checkpoint '${r.newest}'`), r.failed!.stderr);
  assert.match(r.failed!.stderr, /SlowDown/);
  assert.match(r.failed!.stderr, /does not fall back to an older checkpoint for a read that failed/);
  assert.match(r.failed!.stderr, /retryTimeoutMs/);
  // Tried again (the SDK's 3 attempts, the store's retries while retryTimeoutMs lasts) before giving up.
  assert.ok(r.failed!.faulted >= 3, `GETs failed: ${r.failed!.faulted}`);
  assert.equal(fileOf(r.recovered), r.newest, r.recovered);
});

test("B': with getOrCreate's createOnError the job fails the same: a store that cannot be read is not a damaged checkpoint to start afresh over", () => {
  ready();
  const r = recoveries.B!;
  assert.notEqual(r.failedCreateOnError!.code, 0);
  assert.ok(r.failedCreateOnError!.stderr.includes(`cannot read metadata checkpoint '${r.newest}'`), r.failedCreateOnError!.stderr);
});

test('C: state part reads failing (503) past retryTimeoutMs fail the job naming the part, with no fall back; submitted again, it recovers from the newest', () => {
  ready();
  const r = recoveries.C!;
  assert.notEqual(r.failed!.code, 0);
  assert.match(r.failed!.stderr, new RegExp(`cannot read part-\\d+ of the state checkpoint of stream \\d+ at \\d+ ms \\('s3://${BUCKET}/${PREFIX}/state/stream-\\d+-\\d+'\\)`), r.failed!.stderr);
  assert.match(r.failed!.stderr, /does not fall back to an older checkpoint for a read that failed/);
  assert.ok(r.failed!.faulted >= 3, `GETs failed: ${r.failed!.faulted}`);
  assert.equal(fileOf(r.recovered), r.newest, r.recovered);
});

test('D: a damaged newest metadata object is passed over for the one before, and a warning names it and why', () => {
  ready();
  const r = recoveries.D!;
  assert.equal(fileOf(r.recovered), r.before, r.recovered);
  assert.ok(
    r.damagedLines!.some((l) => fileOf(l) === r.newest && /checksum mismatch/.test(l) && l.includes(`"using":"${r.before}"`)),
    `the warning: ${r.damagedLines!.join('\n')}`,
  );
});

function sumByKey(lines: readonly string[], into: Map<string, number>): Map<string, number> {
  for (const l of lines) {
    const [k, v] = l.split(' ');
    into.set(k, (into.get(k) ?? 0) + Number(v));
  }
  return into;
}

const sortedPairs = (m: Map<string, number>): Pairs => [...m].filter(([, v]) => v !== 0).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

test('every line fed was read by exactly one batch, and every batch state and window equals the failure-free computation', () => {
  ready();
  const input = outputs('input') as Map<number, string[]>;
  const read = [...input.values()].flat();
  assert.equal(new Set(read).size, read.length, 'no line in two batches');
  assert.deepEqual([...read].sort(), [...fed].sort());
  const times = [...input.keys()].sort((a, b) => a - b);
  for (let i = 1; i < times.length; i++) assert.equal(times[i] - times[i - 1], BATCH_MS, `batch after ${times[i - 1]}`);
  const acc = new Map<string, number>();
  const state = outputs('state');
  const window = outputs('window');
  for (const t of times) {
    assert.deepEqual(state.get(t), sortedPairs(sumByKey(input.get(t)!, acc)), `state at ${t}`);
    const w = new Map<string, number>();
    for (let i = 0; i < WINDOW_BATCHES; i++) sumByKey(input.get(t - i * BATCH_MS) ?? [], w);
    assert.deepEqual(window.get(t), sortedPairs(w), `window at ${t}`);
  }
});
