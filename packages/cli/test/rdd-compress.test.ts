// spark.rdd.compress (Spark's, with spark.io.compression.codec lz4; off by default, as Spark's;
// '--conf spark.rdd.compress=true' on sluice run, driver and shell) through the public
// interface: a persisted RDD's blocks, spilled to the workers' disks (--memory 1k), are LZ4
// frames several times smaller than without it, and the results computed from them equal an
// independent computation either way; compressed blocks damaged on disk are computed again from
// lineage (as a lost block is), never read as other records.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, freePort, jsonLine, pollUntil, runCli, scratchDirsOf, withCluster, type ClusterHandle } from './harness.js';

const N = 20_000;
const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18];
/** An uncompressed block of more than 1,024 records (core's record-chunks.ts: chunks of v8's encoding; the fixture's partitions hold ~3,300). */
const CHUNKED = [0xc5];
function expected(n: number): number[][] {
  const out = Array.from({ length: 40 }, (_, k) => [k, 0, 0]);
  for (let i = 0; i < n; i++) {
    out[i % 40][1]++;
    out[i % 40][2] += i;
  }
  return out;
}

/** The block files of the workers' disks (their local dirs' blocks directories). */
function blockFiles(h: ClusterHandle): string[] {
  return h.cluster.driver.registry.all().flatMap((w) =>
    scratchDirsOf(w.id).flatMap((d) => {
      const blocks = path.join(d, 'blocks');
      return fs.existsSync(blocks) ? fs.readdirSync(blocks).map((f) => path.join(blocks, f)) : [];
    }),
  );
}

/** Run the fixture with the driver's rddCompress; `meanwhile` gets the block files before the second action. */
async function runWith(compress: boolean, meanwhile: (files: string[]) => void): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-compress-'));
  const [marker, go] = [path.join(dir, 'marker'), path.join(dir, 'go')];
  try {
    return await withCluster({ workers: 2, workerArgs: ['--memory', '1k'], driver: { rddCompress: compress } }, async (h) => {
      const running = h.run(fixture('rdd-compress.ts'), [String(N), marker, go]);
      await pollUntil(() => fs.existsSync(marker) || undefined, 120_000, 'the first action');
      // The fixture shuffles nothing: the files are the cached blocks' (a block in one file or more).
      meanwhile(blockFiles(h));
      fs.writeFileSync(go, 'go');
      const run = await running;
      assert.ok(run.ok, `job failed: ${run.failure?.message}`);
      return run.lines;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('spark.rdd.compress: persisted blocks on disk are LZ4 frames, several times smaller; the results from them are the same', { timeout: 240_000 }, async () => {
  let plain: Buffer[] = [];
  let packed: Buffer[] = [];
  const off = await runWith(false, (files) => (plain = files.map((f) => fs.readFileSync(f))));
  const on = await runWith(true, (files) => (packed = files.map((f) => fs.readFileSync(f))));
  for (const lines of [off, on]) {
    assert.deepEqual(jsonLine(lines, 'RESULT1 '), expected(N));
    assert.deepEqual(jsonLine(lines, 'RESULT2 '), expected(N));
  }
  // A worker keeps the block it stored last in memory (only older ones are spilled for room): 4 of the 6 at least are on disk.
  const starts = (bs: Buffer[], magic: number[]): number => bs.filter((b) => magic.every((x, i) => b[i] === x)).length;
  assert.ok(starts(plain, CHUNKED) >= 4, `uncompressed blocks (record chunks) on disk: ${plain.map((b) => b.length)}`);
  assert.ok(starts(packed, LZ4_MAGIC) >= 4, `compressed blocks (LZ4 frames) on disk: ${packed.map((b) => b.length)}`);
  assert.equal(starts(plain, LZ4_MAGIC), 0);
  assert.equal(starts(packed, CHUNKED), 0);
  assert.equal(starts(packed, [0xff]), 0);
  const per = (bs: Buffer[], magic: number[]): number => bs.reduce((a, b) => a + b.length, 0) / starts(bs, magic);
  assert.ok(per(packed, LZ4_MAGIC) < per(plain, CHUNKED) / 3, `compressed ${per(packed, LZ4_MAGIC)} bytes a block on disk, uncompressed ${per(plain, CHUNKED)}`);
});

test('compressed persisted blocks damaged on disk are computed again from lineage: the results stay right', { timeout: 240_000 }, async () => {
  let damaged = 0;
  const lines = await runWith(true, (files) => {
    for (const f of files) {
      const bytes = fs.readFileSync(f);
      for (let k = 1; k <= 4; k++) bytes[Math.floor((bytes.length * k) / 5)] ^= 0x5a;
      fs.writeFileSync(f, bytes);
      damaged++;
    }
  });
  assert.ok(damaged >= 4, `blocks damaged on disk: ${damaged}`);
  assert.deepEqual(jsonLine(lines, 'RESULT1 '), expected(N));
  assert.deepEqual(jsonLine(lines, 'RESULT2 '), expected(N), 'the second action, after the damage, gives the same results');
});

/**
 * `sluice run --web-port P` of the fixture with these extra arguments: the cached RDD's bytes in
 * memory as the REST API's storage/rdd gives them, and the spark.rdd.compress its Environment
 * lists, read while the fixture waits after its first action.
 */
async function memoryUsedOfRun(extra: readonly string[]): Promise<[number, string | undefined]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-rdd-compress-run-'));
  const [marker, go] = [path.join(dir, 'marker'), path.join(dir, 'go')];
  const port = await freePort();
  const running = runCli(['run', '--workers', '1', '--web-port', String(port), ...extra, fixture('rdd-compress.ts'), '2000', marker, go], { timeoutMs: 150_000 });
  try {
    await pollUntil(() => fs.existsSync(marker) || undefined, 120_000, 'the fixture\'s first action');
    const rest = async <T>(p: string): Promise<T> => (await fetch(`http://127.0.0.1:${port}/api/v1${p}`)).json() as Promise<T>;
    const [app] = await rest<{ id: string }[]>('/applications');
    const rdds = await rest<{ memoryUsed: number; numCachedPartitions: number }[]>(`/applications/${app.id}/storage/rdd`);
    assert.equal(rdds.length, 1, JSON.stringify(rdds));
    assert.equal(rdds[0].numCachedPartitions, 6, JSON.stringify(rdds));
    const env = await rest<{ sparkProperties: [string, string][] }>(`/applications/${app.id}/environment`);
    const listed = env.sparkProperties.find(([k]) => k === 'spark.rdd.compress')?.[1];
    fs.writeFileSync(go, 'go');
    const r = await running;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('RESULT2 '))!.slice(8)), expected(2000));
    return [rdds[0].memoryUsed, listed];
  } finally {
    fs.writeFileSync(go, 'go');
    await running.catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('sluice run --conf spark.rdd.compress=true keeps the cached blocks compressed (REST storage/rdd: several times fewer bytes in memory); a value that is not a boolean is refused', { timeout: 300_000 }, async () => {
  const [plain, plainListed] = await memoryUsedOfRun([]);
  const [packed, packedListed] = await memoryUsedOfRun(['--conf', 'spark.rdd.compress=true']);
  assert.deepEqual([plainListed, packedListed], ['false', 'true'], 'the Environment lists spark.rdd.compress with the value in effect (false by default)');
  assert.ok(plain > 0 && packed > 0, `bytes in memory: ${plain} without, ${packed} with spark.rdd.compress`);
  assert.ok(packed < plain / 3, `bytes in memory: ${packed} with spark.rdd.compress=true, ${plain} without`);
  const bad = await runCli(['run', '--conf', 'spark.rdd.compress=1', fixture('rdd-compress.ts'), '10'], { timeoutMs: 60_000 });
  assert.equal(bad.code, 1, bad.stderr);
  assert.match(bad.stderr, /spark\.rdd\.compress=1: not a boolean; give true or false/);
});
