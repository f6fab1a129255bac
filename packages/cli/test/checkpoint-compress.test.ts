// Checkpoint compression (Spark's spark.checkpoint.compress with spark.io.compression.codec lz4;
// off by default, as Spark's; '--conf spark.checkpoint.compress=true' on sluice run, driver and
// shell, or their properties file) through the public interface: an RDD checkpoint's part files
// hold their records as an LZ4 frame that the lz4 command decodes to their v8 encoding, several
// times smaller than without it, and the results read back from the checkpoint are those of an
// independent computation either way; a stream's state checkpoints written without it are
// recovered by a run with it, every state exact (readers take both forms, whatever the setting).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { test } from 'node:test';
import { startSluice, until } from './cli-process.js';
import { fixture, mulberry32, pollUntil, sleep, within } from './harness.js';
import { Feeder, RECOVERY_JOB, assertRecoveredExactly, jobArgs, jobDirs } from './recovery-support.js';

const N = 20_000;
const LZ4_MAGIC = [0x04, 0x22, 0x4d, 0x18];
/** A checkpoint part's header (magic, CRC, length) is 16 bytes; its records follow. */
const HEADER = 16;
const text = (i: number): string => `word${i % 50} the quick brown fox jumps over the lazy dog`;
/** Partition p of sc.range(0, n, 1, 4): Spark's range slices. */
function partition(n: number, p: number): [number, [number, string]][] {
  const [from, to] = [Math.floor((p * n) / 4), Math.floor(((p + 1) * n) / 4)];
  return Array.from({ length: to - from }, (_, j) => [(from + j) % 40, [from + j, text(from + j)]]);
}
function expected(n: number): number[][] {
  const out = Array.from({ length: 40 }, (_, k) => [k, 0, 0]);
  for (let i = 0; i < n; i++) {
    out[i % 40][1]++;
    out[i % 40][2] += i;
  }
  return out;
}

/** `sluice run` of the RDD fixture with `conf`; the part files of its checkpoint, read while the program waits. */
async function checkpointParts(conf: string[]): Promise<{ result: unknown; parts: Buffer[] }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-checkpoint-compress-'));
  const [marker, go] = [path.join(root, 'marker'), path.join(root, 'go')];
  const run = startSluice(['run', '--no-progress', '--log-level', 'warn', '--workers', '2', ...conf, fixture('checkpoint-compress.ts'), String(N), path.join(root, 'ckpt'), marker, go], process.env);
  try {
    // The marker, and the program's lines, which reach this process's pipe after the marker may.
    const printed = (): boolean => fs.existsSync(marker) && run.stdout.some((l) => l.startsWith('CHECKPOINT '));
    await pollUntil(() => printed() || (run.child.exitCode !== null ? assert.fail(`exited ${run.child.exitCode}:\n${run.stderr.slice(-3000)}`) : undefined), 120_000, 'the checkpoint');
    const lines = run.stdout;
    const dir = lines.find((l) => l.startsWith('CHECKPOINT '))!.slice(11);
    const parts = [0, 1, 2, 3].map((p) => fs.readFileSync(path.join(dir, `part-${p}`)));
    const result = JSON.parse(lines.find((l) => l.startsWith('RESULT '))!.slice(7)) as unknown;
    fs.writeFileSync(go, '');
    assert.equal(await within(run.exited, 60_000, 'the program to end'), 0, run.stderr.slice(-3000));
    return { result, parts };
  } finally {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
}

test('spark.checkpoint.compress (in a properties file): RDD checkpoint parts are LZ4 frames the lz4 command reads, several times smaller; the results from them are the same', { timeout: 300_000 }, async () => {
  const plain = await checkpointParts([]);
  // From a properties file (taken as --conf is, through the same table).
  const props = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-checkpoint-props-')), 'spark-defaults.conf');
  fs.writeFileSync(props, 'spark.checkpoint.compress true\nspark.io.compression.codec lz4\n');
  const packed = await checkpointParts(['--properties-file', props]);
  fs.rmSync(path.dirname(props), { recursive: true, force: true });
  assert.deepEqual(plain.result, expected(N));
  assert.deepEqual(packed.result, expected(N));
  for (let p = 0; p < 4; p++) {
    assert.deepEqual(v8.deserialize(plain.parts[p].subarray(HEADER)), partition(N, p), `uncompressed part-${p}: the v8 encoding of its records`);
    assert.deepEqual([...packed.parts[p].subarray(HEADER, HEADER + 4)], LZ4_MAGIC, `part-${p}: an LZ4 frame after the header`);
    const decoded = execFileSync('lz4', ['-d', '-c'], { input: packed.parts[p].subarray(HEADER), maxBuffer: 64 << 20 });
    assert.deepEqual(v8.deserialize(decoded), partition(N, p), `lz4 -d of part-${p} gives the v8 encoding of its records`);
  }
  const size = (ps: Buffer[]): number => ps.reduce((a, b) => a + b.length, 0);
  assert.ok(size(packed.parts) < size(plain.parts) / 3, `compressed ${size(packed.parts)} bytes, uncompressed ${size(plain.parts)}`);
});

test('state checkpoints written without spark.checkpoint.compress are recovered by a run with it: every line once, every state exact', { timeout: 600_000 }, async () => {
  const BATCH_MS = 1000;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-checkpoint-compress-stream-'));
  const dirs = jobDirs(root);
  const feeder = new Feeder(dirs.input, mulberry32(37), 4);
  const firstOf = (): string[] => fs.readdirSync(dirs.out).filter((n) => n.startsWith('first-'));
  const runs: ReturnType<typeof startSluice>[] = [];
  /** The state parts the run wrote (newer than `since`), each as whether its records are an LZ4 frame. */
  const stateParts = (since: number): [boolean, number][] => {
    const found: [boolean, number][] = [];
    const visit = (d: string): void => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) visit(p);
        else if (/^part-\d+$/.test(e.name) && fs.statSync(p).mtimeMs >= since && fs.statSync(p).size > HEADER + 4) found.push([LZ4_MAGIC.every((b, i) => fs.readFileSync(p)[HEADER + i] === b), fs.statSync(p).size]);
      }
    };
    visit(dirs.ckpt);
    return found;
  };
  const runUntilFed = async (n: number, conf: string[], files: number): Promise<[boolean, number][]> => {
    const since = Date.now();
    const run = startSluice(['run', '--no-progress', '--log-level', 'warn', '--workers', '2', ...conf, RECOVERY_JOB, ...jobArgs(dirs, BATCH_MS, 1, 'base')], process.env);
    runs.push(run);
    const alive = (): true => {
      if (run.child.exitCode !== null) throw new Error(`run ${n} exited ${run.child.exitCode}:\n${run.stderr.slice(-3000)}`);
      return true;
    };
    await until(`run ${n}'s first batch`, 120_000, () => alive() && firstOf().length === n);
    for (let i = 0; i < files; i++) {
      feeder.file();
      await sleep(BATCH_MS / 2);
    }
    await until(`run ${n} to read every fed line`, 120_000, () => alive() && new Set(readInputs()).size >= feeder.lines.length);
    fs.writeFileSync(path.join(dirs.control, 'stop'), '');
    const code = await within(run.exited, 180_000, `run ${n} to stop`);
    fs.rmSync(path.join(dirs.control, 'stop'));
    assert.equal(code, 0, `run ${n} exits 0:\n${run.stderr.slice(-3000)}`);
    return stateParts(since);
  };
  const readInputs = (): string[] =>
    fs
      .readdirSync(dirs.out)
      .filter((n) => /^input-\d+\.json$/.test(n))
      .flatMap((n) => JSON.parse(fs.readFileSync(path.join(dirs.out, n), 'utf8')) as string[]);
  try {
    const first = await runUntilFed(1, [], 4);
    assert.ok(first.length > 0 && first.every(([c]) => !c), `run 1 wrote uncompressed state parts: ${JSON.stringify(first)}`);
    // Its state parts are a few dozen bytes each, which an LZ4 frame does not make smaller: they stay plain.
    const second = await runUntilFed(2, ['--conf', 'spark.checkpoint.compress=true'], 4);
    assert.ok(second.length > 0, `run 2 wrote state parts: ${JSON.stringify(second)}`);
    assertRecoveredExactly(dirs.out, feeder.lines, BATCH_MS, 1);
  } finally {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  }
});
