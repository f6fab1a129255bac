// Checksums of uncompressed map outputs (Spark's spark.shuffle.checksum.enabled, on by
// default) through the public interface, on real processes: a groupByKey's map outputs
// spilled to the workers' disks get a byte flipped between the first action and the second
// (which reads the same shuffle); the damage is found when read, read once more, then a
// fetch failure naming the map output, shuffle, reduce partition and worker, the map output
// is computed again, and both results equal an independent computation. The workers' logs
// name the damaged block. Then Spark's keys in a properties file: checksum.enabled false
// becomes --no-shuffle-checksum, the algorithm CRC32 is taken and another refused naming it.
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

test('uncompressed map outputs damaged on disk: found by their checksum, read once more, a fetch failure naming the block, recomputed; the results stay right', { timeout: 240_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shuffle-checksum-'));
  const marker = path.join(dir, 'marker');
  const go = path.join(dir, 'go');
  try {
    // --memory 1k: every map output but the last one a worker stored is spilled to its local dir at once.
    await withCluster({ workers: 2, workerArgs: ['--memory', '1k'], workerStderr: 'pipe' }, async (h) => {
      const logs: string[] = [];
      for (const p of h.cluster.workerProcesses) p.stderr!.on('data', (d: Buffer) => logs.push(d.toString('utf8')));
      const running = h.run(fixture('shuffle-compress.ts'), [String(N), marker, go]);
      await pollUntil(() => fs.existsSync(marker) || undefined, 120_000, 'the first action');
      // Each map output is two files: its index ((4 + 1) x 8 bytes) and its data. One byte flipped in the middle of each data file.
      const damaged: string[] = [];
      for (const w of h.cluster.driver.registry.all()) {
        for (const d of scratchDirsOf(w.id)) {
          const blocks = path.join(d, 'blocks');
          for (const f of fs.existsSync(blocks) ? fs.readdirSync(blocks) : []) {
            const file = path.join(blocks, f);
            const bytes = fs.readFileSync(file);
            if (bytes.length <= 5 * 8) continue;
            bytes[Math.floor(bytes.length / 2)] ^= 0x01;
            fs.writeFileSync(file, bytes);
            damaged.push(`${w.id}/${f}`);
          }
        }
      }
      assert.ok(damaged.length >= 4, `the map outputs' data files on disk were damaged (${damaged.join(', ')})`);
      fs.writeFileSync(go, 'go');
      const run = await running;
      assert.ok(run.ok, `job failed: ${run.failure?.message}`);
      assert.deepEqual(jsonLine(run.lines, 'RESULT1 '), expected(N));
      assert.deepEqual(jsonLine(run.lines, 'RESULT2 '), expected(N), 'the second action, after the damage, gives the same results');
      const job = h.cluster.driver.jobs.get(run.jobId ?? '')!;
      const reasons = job.stages.allStages().map((s) => s.failureReason ?? '');
      const failed = reasons.filter((r) => /shuffle block damaged/.test(r));
      assert.ok(failed.length >= 1, `a stage failed on the damaged map outputs: ${JSON.stringify(reasons)}`);
      const workers = h.cluster.driver.registry.all().map((w) => w.id);
      const named = /shuffle block damaged: map output (\d+) of shuffle (\d+), reduce partition (\d+), on worker (\S+) does not match its checksum, read twice \(bytes \d+-\d+ do not match their checksum \(CRC-32 [0-9a-f]+, written [0-9a-f]+\)\): its bytes on that worker's disk or in its memory are damaged; the map output is computed again/.exec(failed[0]);
      assert.ok(named, failed[0]);
      assert.ok(Number(named[1]) < 6 && Number(named[3]) < 4 && workers.includes(named[4]), failed[0]);
      // The workers' logs: the damaged read, read once more, then the block named.
      await pollUntil(() => (logs.join('').includes(`shuffle block damaged: map output ${named[1]} of shuffle ${named[2]}`) ? true : undefined), 30_000, "the worker's log line");
      const text = logs.join('');
      assert.match(text, /does not match its checksum; reading it once more/);
      assert.match(text, new RegExp(`"mapPartition":${named[1]}`));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const show = (r: CliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

test("Spark's keys in a properties file: spark.shuffle.checksum.enabled false becomes sluice run's --no-shuffle-checksum, algorithm CRC32 is taken, another is refused naming CRC32", { timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-shuffle-checksum-props-'));
  const env = { SLUICE_LOG_LEVEL: 'warn', SPARK_CONF_DIR: '' };
  try {
    const file = path.join(dir, 'spark-defaults.conf');
    fs.writeFileSync(file, ['spark.shuffle.checksum.enabled false', 'spark.shuffle.checksum.algorithm crc32', 'spark.logConf true'].join('\n') + '\n');
    const r = await runCli(['run', '--properties-file', file, fixture('shuffle-compress.ts'), '4000'], { env, timeoutMs: 150_000 });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(jsonLine(r.stdout.split('\n'), 'RESULT1 '), expected(4000));
    assert.match(r.stderr, / {2}spark\.shuffle\.checksum\.enabled false: --no-shuffle-checksum\n {2}spark\.shuffle\.checksum\.algorithm crc32: \(no option: as without it\)\n/, show(r));

    fs.writeFileSync(file, ['spark.shuffle.checksum.algorithm ADLER32'].join('\n') + '\n');
    const bad = await runCli(['run', '--properties-file', file, fixture('shuffle-compress.ts'), '4000'], { env, timeoutMs: 60_000 });
    assert.equal(bad.code, 1, show(bad));
    assert.equal(bad.stdout, '', show(bad));
    assert.match(bad.stderr, /line 1: spark\.shuffle\.checksum\.algorithm: 'ADLER32' is not provided: the one shuffle checksum algorithm is CRC32 .*ADLER32 and CRC32C are not implemented/, show(bad));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
