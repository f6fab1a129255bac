// Shuffle compression (sluice worker/run --shuffle-compress: Spark's spark.shuffle.compress
// with spark.io.compression.codec lz4) through the public interface: a groupByKey's results
// equal an independent computation with it on and off, the map outputs written are smaller
// with it on (the driver's shuffle write bytes, as the REST API and UI show them), and map
// outputs damaged on the worker's disk are a fetch failure, recomputed from lineage, never
// other records (Spark's spark.shuffle.detectCorrupt).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fixture, jsonLine, pollUntil, runCli, scratchDirsOf, withCluster, type CliResult } from './harness.js';

const N = 20_000;
/** For each key i % 40: [key, [count, sum of i]], computed here. */
function expected(n: number): [number, number[]][] {
  const out: [number, number[]][] = Array.from({ length: 40 }, (_, k) => [k, [0, 0]]);
  for (let i = 0; i < n; i++) {
    out[i % 40][1][0]++;
    out[i % 40][1][1] += i;
  }
  return out;
}

async function runOnce(workerArgs: string[]): Promise<{ result: unknown; written: number }> {
  return withCluster({ workers: 2, workerArgs }, async (h) => {
    const run = await h.run(fixture('shuffle-compress.ts'), [String(N)]);
    assert.ok(run.ok, `job failed: ${run.failure?.message}`);
    const job = h.cluster.driver.jobs.get(run.jobId ?? '')!;
    const written = job.stages.allStages().reduce((a, s) => a + s.shuffleWriteBytes, 0);
    return { result: jsonLine(run.lines, 'RESULT1 '), written };
  });
}

test('--shuffle-compress: the same groupByKey results as without it, and fewer shuffle bytes written', { timeout: 180_000 }, async () => {
  const plain = await runOnce([]);
  const packed = await runOnce(['--shuffle-compress']);
  assert.deepEqual(plain.result, expected(N));
  assert.deepEqual(packed.result, expected(N));
  assert.ok(plain.written > 0, 'the driver counted the shuffle bytes written');
  assert.ok(packed.written < plain.written / 2, `compressed ${packed.written} bytes, uncompressed ${plain.written}`);
});

test('compressed map outputs damaged on disk are a fetch failure, recomputed from lineage, and the results stay right', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shuffle-compress-'));
  const marker = path.join(dir, 'marker');
  const go = path.join(dir, 'go');
  try {
    // --memory 1k: every map output is spilled to the worker's local dir at once.
    await withCluster({ workers: 2, workerArgs: ['--shuffle-compress', '--memory', '1k'] }, async (h) => {
      const running = h.run(fixture('shuffle-compress.ts'), [String(N), marker, go]);
      await pollUntil(() => fs.existsSync(marker) || undefined, 120_000, 'the first action');
      // Each map output is two files: its index ((4 + 1) x 8 bytes) and its data. Flip bytes in the middle of every data file.
      let damaged = 0;
      for (const w of h.cluster.driver.registry.all()) {
        for (const d of scratchDirsOf(w.id)) {
          const blocks = path.join(d, 'blocks');
          for (const f of fs.existsSync(blocks) ? fs.readdirSync(blocks) : []) {
            const file = path.join(blocks, f);
            const bytes = fs.readFileSync(file);
            if (bytes.length <= 5 * 8) continue;
            for (let k = 1; k <= 4; k++) bytes[Math.floor((bytes.length * k) / 5)] ^= 0x5a;
            fs.writeFileSync(file, bytes);
            damaged++;
          }
        }
      }
      // A worker keeps the map output it stored last in memory (only older blocks are spilled for room): 4 of the 6 at least are on disk.
      assert.ok(damaged >= 4, `the map outputs' data files on disk were damaged (${damaged})`);
      fs.writeFileSync(go, 'go');
      const run = await running;
      assert.ok(run.ok, `job failed: ${run.failure?.message}`);
      assert.deepEqual(jsonLine(run.lines, 'RESULT1 '), expected(N));
      assert.deepEqual(jsonLine(run.lines, 'RESULT2 '), expected(N), 'the second action, after the damage, gives the same results');
      const job = h.cluster.driver.jobs.get(run.jobId ?? '')!;
      const failed = job.stages.allStages().filter((s) => /damaged/.test(s.failureReason ?? ''));
      assert.ok(failed.length >= 1, `a stage failed on the damaged map outputs: ${JSON.stringify(job.stages.allStages().map((s) => [s.stageId, s.attemptId, s.status, s.failureReason]))}`);
      assert.match(failed[0].failureReason!, /does not match its checksum|runs past/);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const show = (r: CliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

test("Spark's keys in a properties file: spark.shuffle.compress true becomes sluice run's --shuffle-compress, codec lz4 is taken, another codec is refused naming lz4", { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shuffle-compress-props-'));
  const env = { SLUICE_LOG_LEVEL: 'warn', SPARK_CONF_DIR: '' };
  try {
    const file = path.join(dir, 'spark-defaults.conf');
    fs.writeFileSync(file, ['spark.shuffle.compress true', 'spark.shuffle.spill.compress true', 'spark.io.compression.codec lz4', 'spark.logConf true'].join('\n') + '\n');
    const r = await runCli(['run', '--properties-file', file, fixture('shuffle-compress.ts'), '4000'], { env, timeoutMs: 150_000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(jsonLine(r.stdout.split('\n'), 'RESULT1 '), expected(4000));
    assert.match(r.stderr, / {2}spark\.shuffle\.compress true: --shuffle-compress\n {2}spark\.shuffle\.spill\.compress true: \(no option: as without it\)\n {2}spark\.io\.compression\.codec lz4: \(no option: as without it\)\n/, show(r));

    fs.writeFileSync(file, ['spark.io.compression.codec zstd', 'spark.shuffle.spill.compress true'].join('\n') + '\n');
    const bad = await runCli(['run', '--properties-file', file, fixture('shuffle-compress.ts'), '4000'], { env, timeoutMs: 60_000 });
    assert.equal(bad.code, 1, show(bad));
    assert.equal(bad.stdout, '', show(bad));
    assert.match(bad.stderr, /line 1: spark\.io\.compression\.codec: 'zstd' is not provided: the one codec is lz4 .*zstd, snappy and lzf are not implemented/, show(bad));
    assert.match(bad.stderr, /line 2: spark\.shuffle\.spill\.compress: a map task's spills are runs of its map output, compressed exactly when it is: give spark\.shuffle\.compress true \(it is false here\)/, show(bad));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
