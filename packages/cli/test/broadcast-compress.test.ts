// Broadcast compression (Spark's spark.broadcast.compress with spark.io.compression.codec lz4;
// on by default, as Spark's; '--conf spark.broadcast.compress=false' on sluice run, driver and
// shell, or their properties file, turns it off) through the public interface: a broadcast read by tasks on worker processes gives the
// same results as an independent computation with it on and off; the bytes the driver keeps
// and serves each worker are an LZ4 frame that the lz4 command decodes to the value's v8
// encoding, several times smaller than the uncompressed form; a kept value damaged in the
// driver's memory fails the action with SLUICE_CORRUPT_DATA, never another value.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { test } from 'node:test';
import { fixture, jsonLine, pollUntil, runCli, withCluster, type CliResult } from './harness.js';

const N = 20_000;
const text = (i: number): string => `user${(i * 7919) % 1000} GET /api/v1/items?page=${i % 50} 200 OK`;
const table = (n: number): [number, string][] => Array.from({ length: n }, (_, i) => [i, text(i)]);
/** What each of the 8 tasks gives, computed here: [p, n, sum of i with i % 8 === p, record p's text]. */
function expected(n: number): unknown[] {
  return Array.from({ length: 8 }, (_, p) => {
    let sum = 0;
    for (let i = p; i < n; i += 8) sum += i;
    return [p, n, sum, text(p)];
  });
}
const show = (r: CliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.slice(-4000)}`;

/** Run the fixture on a local cluster whose driver compresses broadcasts or not; `meanwhile` gets the driver's kept bytes before the action. */
async function runWith(compress: boolean, meanwhile: (kept: Uint8Array) => void): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-broadcast-compress-'));
  const [marker, go] = [path.join(dir, 'marker'), path.join(dir, 'go')];
  try {
    return await withCluster({ workers: 2, driver: { broadcastCompress: compress } }, async (h) => {
      const running = h.run(fixture('broadcast-compress.ts'), [String(N), marker, go]);
      await pollUntil(() => fs.existsSync(marker) || undefined, 120_000, 'the broadcast');
      const job = [...h.cluster.driver.jobs.values()][0];
      const kept = await pollUntil(() => job.broadcasts.get(0), 30_000, "the driver's copy of the broadcast");
      meanwhile(kept);
      fs.writeFileSync(go, 'go');
      const run = await running;
      assert.ok(run.ok, `job failed: ${run.failure?.message}`);
      return run.lines;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('spark.broadcast.compress: the same results on and off; the value kept and served is an LZ4 frame the lz4 command reads, several times smaller', { timeout: 240_000 }, async () => {
  let plain = 0;
  let packed = 0;
  const off = await runWith(false, (kept) => {
    plain = kept.length;
    assert.deepEqual(v8.deserialize(kept), table(N), 'uncompressed: the v8 encoding of the value');
  });
  const on = await runWith(true, (kept) => {
    packed = kept.length;
    assert.deepEqual([...kept.subarray(0, 4)], [0x04, 0x22, 0x4d, 0x18], 'the LZ4 frame magic number');
    const decoded = execFileSync('lz4', ['-d', '-c'], { input: kept, maxBuffer: 64 << 20 });
    assert.deepEqual(v8.deserialize(decoded), table(N), 'lz4 -d gives the v8 encoding of the value');
  });
  assert.deepEqual(jsonLine(off, 'RESULT '), expected(N));
  assert.deepEqual(jsonLine(on, 'RESULT '), expected(N));
  assert.ok(plain > 0 && packed < plain / 3, `compressed ${packed} bytes, uncompressed ${plain}`);
});

test("a compressed broadcast damaged in the driver's memory fails the action with SLUICE_CORRUPT_DATA, never another value", { timeout: 240_000 }, async () => {
  const lines = await runWith(true, (kept) => {
    // A byte in the middle of the frame's one block: its block checksum no longer matches.
    kept[kept.length >> 1] ^= 0x5a;
  });
  assert.equal(lines.find((l) => l.startsWith('RESULT ')), undefined, lines.join('\n'));
  const failed = jsonLine<{ code?: string; message: string }>(lines, 'FAILED ');
  assert.match(failed.message, /cannot get a broadcast variable: SLUICE_CORRUPT_DATA: corrupt LZ4 frame: .*does not match its checksum/, JSON.stringify(failed));
});

test("sluice run compresses broadcasts by default, as Spark; spark.broadcast.compress false by --conf or in its properties file turns it off; a value that is not a boolean and another codec are refused", { timeout: 240_000 }, async () => {
  const job = fixture('broadcast-compress.ts');
  const stored = (r: CliResult): boolean[] =>
    r.stderr
      .split('\n')
      .filter((l) => l.includes('broadcast stored'))
      .map((l) => /"lz4":true|lz4: true/.test(l));
  const run = async (args: string[]): Promise<boolean[]> => {
    const r = await runCli(['run', '--workers', '1', '--log-level', 'info', ...args, job, '2000'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('RESULT '))!.slice(7)), expected(2000), show(r));
    return stored(r);
  };
  assert.deepEqual(await run([]), [true], 'on by default');
  assert.deepEqual(await run(['--conf', 'spark.broadcast.compress=false']), [false]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-broadcast-props-'));
  try {
    const file = path.join(dir, 'spark-defaults.conf');
    fs.writeFileSync(file, 'spark.broadcast.compress  FALSE\nspark.io.compression.codec lz4\n');
    assert.deepEqual(await run(['--properties-file', file]), [false], 'the properties file');
    // The command line's --conf wins over the file's line, as spark-submit's.
    assert.deepEqual(await run(['--properties-file', file, '--conf', 'spark.broadcast.compress=true']), [true], '--conf over the file');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const notBoolean = await runCli(['run', '--conf', 'spark.broadcast.compress=yes', job, '10'], { timeoutMs: 60_000 });
  assert.equal(notBoolean.code, 1, show(notBoolean));
  assert.equal(notBoolean.stdout, '', show(notBoolean));
  assert.match(notBoolean.stderr, /spark\.broadcast\.compress=yes: not a boolean; give true or false/, show(notBoolean));
  const zstd = await runCli(['driver', '--port', '0', '--conf', 'spark.io.compression.codec=zstd'], { timeoutMs: 60_000 });
  assert.equal(zstd.code, 1, show(zstd));
  assert.match(zstd.stderr, /'zstd' is not provided: the one codec is lz4/, show(zstd));
});
